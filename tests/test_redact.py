"""Personal data is replaced by typed placeholders before anything is stored or logged (faq.redact)."""

from __future__ import annotations

import pytest

from eval.redaction import evaluate, load_messages
from faq.redact import Redactor, compile_patterns, redact
from faq.settings import Settings


def test_an_email_becomes_a_placeholder() -> None:
    assert redact("mon mail est marie.dupont+faq@gmail.com, merci") == "mon mail est <email>, merci"


@pytest.mark.parametrize("phone", ["06 12 34 56 78", "+33 6 12 34 56 78", "0033 6 12 34 56 78", "+49 171 2345678", "(415) 555-2671"])
def test_phone_numbers_in_national_and_international_format_become_placeholders(phone: str) -> None:
    assert redact(f"rappelez-moi au {phone} svp") == "rappelez-moi au <phone> svp"


def test_a_luhn_valid_card_number_becomes_a_placeholder_and_an_invalid_one_stays() -> None:
    assert redact("carte 4111 1111 1111 1111 refusée") == "carte <card> refusée"
    assert redact("carte 4111 1111 1111 1112 refusée") == "carte 4111 1111 1111 1112 refusée"


def test_a_valid_iban_with_or_without_spaces_becomes_a_placeholder() -> None:
    assert redact("IBAN FR76 3000 6000 0112 3456 7890 189 SVP") == "IBAN <iban> SVP"
    assert redact("IBAN DE89370400440532013000.") == "IBAN <iban>."
    assert redact("IBAN DE89370400440532013001.") == "IBAN DE89370400440532013001."


@pytest.mark.parametrize("text", ["La BA-793 coûte 149,90 €", "commande du 12/03/2025 à 14:30", "GMW-B5000, 1 299 $, 2025-03-12",
                                  "colis 6A12345678901 à 75011 Paris", "-15% sur 320 €"])
def test_look_alikes_stay(text: str) -> None:
    assert redact(text) == text


def test_a_team_pattern_becomes_its_named_placeholder() -> None:
    redactor = Redactor(patterns=compile_patterns({"order": r"CMD-\d{6}"}))
    assert redactor.redact("où est CMD-004512 ?") == "où est <order> ?"


def test_a_team_pattern_is_read_from_the_settings_json() -> None:
    settings = Settings(redact_patterns={"order": r"CMD-\d{6}"})
    assert Redactor.from_settings(settings).redact("CMD-004512 et a@b.fr") == "<order> et <email>"


@pytest.mark.parametrize(("patterns", "message"), [({"Order!": "x"}, "must be lowercase"), ({"order": "("}, "not a valid regular"),
                                                   ({"order": "x*"}, "matches the empty string")])
def test_a_bad_team_pattern_is_refused_with_the_rule(patterns: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings(redact_patterns=patterns)


def test_an_unknown_phone_region_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown phone regions"):
        Settings(redact_phone_regions=["FR", "XX"])


def test_arabic_indic_digits_are_read_as_digits() -> None:
    assert redact("البطاقة ٤١١١ ١١١١ ١١١١ ١١١١") == "البطاقة <card>"


@pytest.mark.parametrize("split", ["test", "holdout"])
def test_redaction_keeps_precision_and_recall_at_least_0_95_on_the_pii_set(split: str) -> None:
    overall = evaluate(load_messages(split=split), Redactor())["span"]["overall"]
    assert overall.precision >= 0.95 and overall.recall >= 0.95, (overall.precision, overall.recall)
