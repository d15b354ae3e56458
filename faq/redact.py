"""Personal data out of what is stored or logged: e-mails, phone numbers, payment cards, IBANs, and a team's own patterns.

Customers type their e-mail, phone, card number or IBAN into the search box. The query log,
verdicts, phrasings, analytics and CSV exports keep only `redact(question)`: each value becomes a
typed placeholder (`<email>`, `<phone>`, `<card>`, `<iban>`, `<name>` of a team pattern), so
questions that differ only by whose data they carry still group together. Answering uses the raw text.

Numbers are checked, not just shaped: a card must pass the Luhn check, an IBAN its checksum (python-stdnum),
a phone number must be a valid number of one of the configured regions (Google's phonenumbers), so
prices, dates, model and tracking numbers stay. Order numbers look like model numbers: a team whose
order numbers have a known shape adds a pattern (FAQ_REDACT_PATTERNS).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["DEFAULT_PHONE_REGIONS", "PATTERN_NAME", "Redactor", "Span", "compile_patterns", "redact"]

# The bundled FAQ's country first, then the countries whose customers write to European help centers most.
# A number in international format (+33…, 0033…) is found whatever the list; the list decides national formats.
# Not Luxembourg: its national numbering reads any 20xx-xxxx as a number, so every year-prefixed order or
# invoice number ("commande 2024-55310") would be a phone; +352 numbers are still found.
DEFAULT_PHONE_REGIONS = ("FR", "BE", "CH", "CA", "US", "GB", "DE", "AT", "ES", "IT", "NL", "PT", "MA")
PATTERN_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
# 13 to 19 digits, single spaces or hyphens between groups: card candidates, then Luhn-checked
_DIGIT_RUN = re.compile(r"(?<![\w.,])\d(?:[ -]?\d){12,18}(?![\w])")
# A country code, check digits, then letters and digits with optional single spaces: IBAN candidates, then checksummed
_IBAN_START = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?=[ ]?[A-Z0-9])", re.IGNORECASE)
_IBAN_BODY = re.compile(r"(?:[ ]?[A-Z0-9]){8,32}", re.IGNORECASE)
_CARD_PREFIX = re.compile(r"[2-6]")  # Mastercard 2/5, Amex, Diners, JCB 3, Visa 4, Discover, UnionPay, Maestro 5/6
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
_MIN_PHONE_DIGITS = 8  # a customer's own number, written in full; shorter "valid" numbers are postcodes, prices, order numbers
_GLUED_BEFORE = re.compile(r"(?:\w[-/]?|\d )$")
_GLUED_AFTER = re.compile(r"[-/]?\w| \d")
_NOT_PERSONAL = ("TOLL_FREE", "PREMIUM_RATE", "SHARED_COST")  # a company's service numbers, not a customer's line


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str


def compile_patterns(patterns: Mapping[str, str]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """A team's patterns (name → regex) compiled; raises ValueError naming the bad name or regex."""
    out = []
    for name, regex in patterns.items():
        if not PATTERN_NAME.fullmatch(name):
            raise ValueError(f"redaction pattern name {name!r} must be lowercase letters, digits and _ "
                             f"(it becomes the placeholder <{name}>), e.g. order_number")
        try:
            compiled = re.compile(regex)
        except re.error as e:
            raise ValueError(f"redaction pattern {name!r}: {regex!r} is not a valid regular expression ({e})") from e
        if compiled.fullmatch(""):
            raise ValueError(f"redaction pattern {name!r}: {regex!r} matches the empty string; it must match the value itself")
        out.append((name, compiled))
    return tuple(out)


def _ascii_digits(text: str) -> str:
    """`text` with every Unicode decimal digit (Arabic-Indic, full-width …) as its ASCII digit: same length, same offsets."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text)


def _luhn_ok(digits: str) -> bool:
    from stdnum import luhn

    return luhn.is_valid(digits)


def _iban_ok(candidate: str) -> bool:
    from stdnum import iban

    return iban.is_valid(candidate.upper())


class RedactionSettings(Protocol):
    """What `Redactor.from_settings` reads: faq.settings.Settings has both (this module does not import it: it imports this one)."""

    @property
    def redact_phone_regions(self) -> Sequence[str]: ...

    @property
    def redact_patterns(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class Redactor:
    """What to find: phone numbers valid in `phone_regions`, and a team's `patterns` ((name, regex), from compile_patterns)."""

    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS
    patterns: tuple[tuple[str, re.Pattern[str]], ...] = field(default=())

    @classmethod
    def from_settings(cls, settings: RedactionSettings) -> Redactor:
        return cls(phone_regions=tuple(settings.redact_phone_regions), patterns=compile_patterns(settings.redact_patterns))

    def redact(self, text: str) -> str:
        """`text` with each piece of personal data replaced by its placeholder (`<email>`, `<phone>`, …)."""
        out, pos = [], 0
        for span in self.spans(text):
            out.append(text[pos:span.start])
            out.append(f"<{span.kind}>")
            pos = span.end
        out.append(text[pos:])
        return "".join(out)

    def spans(self, text: str) -> list[Span]:
        """The personal data in `text`, in order, never overlapping: a team's patterns first, then e-mails, IBANs,
        cards and phone numbers, each taking only what an earlier kind left."""
        found: list[Span] = []
        plain = _ascii_digits(text)
        for candidates in (self._team(text), self._emails(text), self._ibans(plain), self._cards(plain), self._phones(plain)):
            for span in candidates:
                if not any(span.start < f.end and f.start < span.end for f in found):
                    found.append(span)
        return sorted(found, key=lambda s: s.start)

    def _team(self, text: str) -> Iterable[Span]:
        for name, regex in self.patterns:
            for m in regex.finditer(text):
                if m.end() > m.start():
                    yield Span(m.start(), m.end(), name)

    @staticmethod
    def _emails(text: str) -> Iterable[Span]:
        if "@" not in text:
            return
        for m in _EMAIL.finditer(text):
            yield Span(m.start(), m.end(), "email")

    @staticmethod
    def _ibans(text: str) -> Iterable[Span]:
        for start in _IBAN_START.finditer(text):
            body = _IBAN_BODY.match(text, start.end())
            if body is None:
                continue
            # the longest run that is a valid IBAN and ends at a word boundary: "FR76 … 189 SVP" is not swallowed
            for end in range(body.end(), start.end(), -1):
                if text[end - 1] == " " or (end < len(text) and text[end].isalnum()):
                    continue
                if _iban_ok(text[start.start():end].replace(" ", "")):
                    yield Span(start.start(), end, "iban")
                    break

    @staticmethod
    def _cards(text: str) -> Iterable[Span]:
        for m in _DIGIT_RUN.finditer(text):
            groups = [(g.start() + m.start(), g.end() + m.start()) for g in re.finditer(r"\d+", m[0])]
            # the widest run of whole groups that is a card: "4111 1111 1111 1111 12" still finds the card
            best = None
            for i in range(len(groups)):
                for j in range(len(groups), i, -1):
                    start, end = groups[i][0], groups[j - 1][1]
                    digits = re.sub(r"\D", "", text[start:end])
                    if 13 <= len(digits) <= 19 and _CARD_PREFIX.match(digits) and _luhn_ok(digits):
                        if best is None or end - start > best[1] - best[0]:
                            best = (start, end)
                        break
            if best is not None:
                yield Span(best[0], best[1], "card")

    def _phones(self, text: str) -> Iterable[Span]:
        if sum(c.isdigit() for c in text) < 6:  # no phone number is shorter; most questions end here
            return
        import phonenumbers

        not_personal = {getattr(phonenumbers.PhoneNumberType, name) for name in _NOT_PERSONAL}
        found, service = set(), set()
        for region in self.phone_regions:
            for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
                span = Span(match.start, match.end, "phone")
                if phonenumbers.number_type(match.number) in not_personal:
                    service.add(span)  # 0800 123 456 is toll-free in France, a fixed line in Italy: a service number
                elif (sum(c.isdigit() for c in match.raw_string) >= _MIN_PHONE_DIGITS and not _DATE.fullmatch(match.raw_string)
                      and not _part_of_a_longer_number(text, match.start, match.end)):
                    found.add(span)
        # a number read in full in one region beats a piece of it read in another
        yield from sorted(found - service, key=lambda s: (s.start - s.end, s.start))


def _part_of_a_longer_number(text: str, start: int, end: int) -> bool:
    """Digits or a code go on past the match: a piece of a card, tracking or invoice number (4705 8649 2083 1247, RE-2025-0042)."""
    return bool(_GLUED_BEFORE.search(text, 0, start) or _GLUED_AFTER.match(text, end))


def redact(text: str) -> str:
    """`text` with e-mails, phone numbers (the default regions), cards and IBANs replaced by placeholders."""
    return _DEFAULT.redact(text)


_DEFAULT = Redactor()
