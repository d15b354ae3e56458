"""The CSV exports run no formula in a spreadsheet, whichever separator it splits the file on (`,`, `;`, tab)."""

from __future__ import annotations

import csv
import io

import pytest

from feedback.reports import rows_csv
from feedback.store import FeedbackStore

FORMULAS = ["merci;=1+1;@SUM(2+2)", "a,+1", "x\t-2", "première ligne\n@cmd", "=HYPERLINK(1)", "ok ; =1", "-3 montres"]
SEPARATORS = [",", ";", "\t"]


def _cells(text: str, delimiter: str) -> list[str]:
    """Every cell a spreadsheet could see: parsed with quotes honoured, and split naively as a careless import does."""
    parsed = [c for row in csv.reader(io.StringIO(text), delimiter=delimiter) for c in row]
    naive = [c.strip().lstrip('"') for line in text.splitlines() for c in line.split(delimiter)]
    return parsed + naive


@pytest.mark.parametrize("delimiter", SEPARATORS, ids=["comma", "semicolon", "tab"])
def test_no_cell_of_the_queries_csv_starts_a_formula_whatever_the_separator(feedback_store: FeedbackStore, delimiter: str) -> None:
    for i, question in enumerate(FORMULAS):
        feedback_store.log_query(question, "search", False, 0.1, None, ts=1000.0 + i)
    starts = [c for c in _cells(feedback_store.queries_csv(), delimiter) if c.lstrip()[:1] in ("=", "+", "-", "@")]
    assert starts == []


def test_every_text_cell_is_quoted_and_numbers_are_not() -> None:
    text = rows_csv(["question", "count"], [["merci;=1+1;@SUM(2+2)", 3]])
    assert text.splitlines() == ["question,count", "\"merci;'=1+1;'@SUM(2+2)\",3"]


def test_the_csv_still_reads_back_as_the_questions_with_a_quote_before_each_formula() -> None:
    [row] = list(csv.DictReader(io.StringIO(rows_csv(["question"], [["a,+1 et b;-2"]]))))
    assert row["question"] == "a,'+1 et b;'-2"
