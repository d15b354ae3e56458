"""One definition of "an entry changed" (ingest.models.entry_changed) for `faq ingest`'s change counts and for the served
version's drift from FAQ_CORPUS at `faq serve`, which differ by whether a moved entry or an accepted phrasing counts."""

from __future__ import annotations

from dataclasses import replace

from ingest.models import Entry, entry_changed

ENTRY = Entry(id="faq:1.1", local_id="1.1", document_id="faq", section="Paiement", question="Quels moyens de paiement ?",
              answer="Carte et virement.", lang="fr", start=10, end=60, answer_start=40, line=3,
              alt_questions=("Comment payer ?",))
MOVED = replace(ENTRY, start=25, end=75, answer_start=55, line=5)  # a line added above it


def test_an_entry_equal_in_every_field_is_unchanged_either_way():
    assert not entry_changed(ENTRY, replace(ENTRY)) and not entry_changed(ENTRY, replace(ENTRY), moved=True, phrasings_added=True)


def test_a_new_answer_is_a_change_either_way():
    edited = replace(ENTRY, answer="Carte seulement.")
    assert entry_changed(ENTRY, edited) and entry_changed(ENTRY, edited, moved=True, phrasings_added=True)


def test_an_entry_moved_in_its_file_is_unchanged_for_the_counts_and_changed_for_the_drift():
    assert not entry_changed(ENTRY, MOVED) and entry_changed(ENTRY, MOVED, moved=True)


def test_a_renamed_document_changes_its_entries():
    assert entry_changed(ENTRY, ENTRY, titles=("FAQ", "Questions fréquentes"))


def test_phrasings_accepted_since_the_build_are_no_drift_but_a_phrasing_gone_is():
    built = replace(ENTRY, alt_questions=("Comment payer ?", "Payer par chèque ?"))
    assert not entry_changed(built, ENTRY, phrasings_added=True) and entry_changed(built, ENTRY)
    assert entry_changed(ENTRY, replace(ENTRY, alt_questions=("Autre ?",)), phrasings_added=True)
