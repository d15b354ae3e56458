"""Precision and recall of the personal-data redaction (faq.redact) on eval/datasets/pii, per type and overall.

A found span counts when it is exactly a marked span of the same type (start, end and type): a card
redacted but for its last group is a miss and a false alarm, since its last digits were kept. A look-alike
redacted (a price, a date, a model number) is a false alarm. Tokens (whitespace-separated words) give a
second, gentler view: a token is of a type when a span of that type covers any of its characters.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from faq.redact import Redactor

__all__ = ["DATASET", "Message", "Score", "evaluate", "load_messages", "main"]

DATASET = Path(__file__).resolve().parent / "datasets" / "pii" / "messages.jsonl"
KINDS = ("email", "phone", "card", "iban")


@dataclass(frozen=True)
class Message:
    id: str
    lang: str
    split: str
    text: str
    spans: tuple[tuple[int, int, str], ...]


@dataclass(frozen=True)
class Score:
    found: int  # spans (or tokens) the redactor marked
    expected: int  # marked in the dataset
    right: int  # both

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.expected if self.expected else 1.0


def load_messages(path: Path = DATASET, split: str | None = None) -> list[Message]:
    """The dataset's messages, of one split (dev, test) or all (None)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Message(r["id"], r["lang"], r["split"], r["text"], tuple((s, e, k) for s, e, k in r["spans"]))
            for r in rows if split is None or r["split"] == split]


def _tokens(text: str, spans: Iterable[tuple[int, int, str]]) -> set[tuple[int, str]]:
    """(token start, type) for every token a span touches."""
    spans = list(spans)
    return {(t.start(), kind) for t in re.finditer(r"\S+", text) for s, e, kind in spans if s < t.end() and t.start() < e}


def evaluate(messages: Sequence[Message], redactor: Redactor) -> dict[str, dict[str, Score]]:
    """{"span" | "token": {type | "overall": Score}}."""
    counts = {level: {kind: [0, 0, 0] for kind in (*KINDS, "overall")} for level in ("span", "token")}
    for m in messages:
        found = {(s.start, s.end, s.kind) for s in redactor.spans(m.text)}
        expected = set(m.spans)
        for level, got, want in (("span", found, expected), ("token", _tokens(m.text, found), _tokens(m.text, expected))):
            for kind in (*KINDS, "overall"):
                g = {x for x in got if kind == "overall" or x[-1] == kind}
                w = {x for x in want if kind == "overall" or x[-1] == kind}
                c = counts[level][kind]
                c[0], c[1], c[2] = c[0] + len(g), c[1] + len(w), c[2] + len(g & w)
    return {level: {kind: Score(*c) for kind, c in by_kind.items()} for level, by_kind in counts.items()}


def errors(messages: Sequence[Message], redactor: Redactor) -> list[str]:
    """One line per message the redactor got wrong: what it missed and what it took."""
    out = []
    for m in messages:
        found = {(s.start, s.end, s.kind) for s in redactor.spans(m.text)}
        expected = set(m.spans)
        if found != expected:
            missed = [f"{m.text[s:e]!r} ({k})" for s, e, k in sorted(expected - found)]
            extra = [f"{m.text[s:e]!r} ({k})" for s, e, k in sorted(found - expected)]
            out.append(f"{m.id}: missed {missed} took {extra}")
    return out


def table(result: dict[str, dict[str, Score]]) -> str:
    lines = ["| type | span precision | span recall | token precision | token recall | spans marked |", "|---|---|---|---|---|---|"]
    for kind in (*KINDS, "overall"):
        s, t = result["span"][kind], result["token"][kind]
        lines.append(f"| {kind} | {s.precision:.3f} | {s.recall:.3f} | {t.precision:.3f} | {t.recall:.3f} | {s.expected} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.redaction", description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test", "holdout", "all"), default="all",
                        help="which messages: dev (the rules were tuned on it), test, holdout (written last, run once) or all")
    parser.add_argument("--errors", action="store_true", help="list the messages redacted wrongly")
    parser.add_argument("--dataset", type=Path, default=DATASET)
    args = parser.parse_args(argv)
    messages = load_messages(args.dataset, None if args.split == "all" else args.split)
    redactor = Redactor()
    print(f"{len(messages)} messages ({args.split}) of {args.dataset}, default redactor (regions {','.join(redactor.phone_regions)})")
    print(table(evaluate(messages, redactor)))
    if args.errors:
        print("\n".join(errors(messages, redactor)) or "no errors")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
