"""The labelled questions file a team writes for `faq eval --queries` and `faq calibrate` (ingest.questions). No model."""

import json
from pathlib import Path

import pytest

from eval.datasets import DATASETS, ROOT, own_dataset
from faq.errors import CorpusError
from index.deciding.calibrate import LabelledQuestion, read_labelled
from ingest import load_corpus
from ingest.questions import read_questions, stable_split

CORPUS = ROOT / "corpus"
WARRANTY = "enigme-ba793-faq:3.1"  # "Que couvre précisément la politique de garantie ?"
DAMAGED = "enigme-ba793-faq:4.2"  # "J'ai reçu un article endommagé."


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CORPUS)


def write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines) + "\n",
                    encoding="utf-8")
    return path


def error(path: Path, corpus=None) -> CorpusError:
    with pytest.raises(CorpusError) as caught:
        read_questions(path, corpus)
    return caught.value


def test_gold_given_by_entry_id(tmp_path, corpus):
    [row] = read_questions(write(tmp_path, {"text": "Combien dure la garantie ?", "relevant_entry_ids": [WARRANTY]}), corpus)
    assert row.text == "Combien dure la garantie ?" and row.relevant == {WARRANTY}


def test_gold_given_by_question_title(tmp_path, corpus):
    path = write(tmp_path, {"text": "Combien dure la garantie ?", "relevant_questions": ["Que couvre précisément la politique de garantie ?"]})
    assert read_questions(path, corpus)[0].relevant == {WARRANTY}


@pytest.mark.parametrize("title", ["que couvre precisement la politique de garantie", "  QUE COUVRE PRÉCISÉMENT   la politique de garantie?",
                                   "Que couvre précisément la politique de garantie ?"])
def test_titles_match_whatever_the_case_accents_spaces_and_punctuation(tmp_path, corpus, title):
    assert read_questions(write(tmp_path, {"text": "garantie ?", "relevant_questions": [title]}), corpus)[0].relevant == {WARRANTY}


def test_titles_match_typographic_and_missing_apostrophes(tmp_path, corpus):
    path = write(tmp_path, {"text": "colis abîmé", "relevant_questions": ["J’ai reçu un article endommagé"]},
                 {"text": "montre cassée à la livraison", "relevant_questions": ["jai recu un article endommage."]})
    assert [r.relevant for r in read_questions(path, corpus)] == [{DAMAGED}, {DAMAGED}]


def test_titles_also_match_an_entrys_known_phrasings(tmp_path):
    faq = tmp_path / "shop.en.jsonl"
    faq.write_text(json.dumps({"id": "1", "question": "Opening hours", "answer": "9 to 5.", "alt_questions": ["When are you open?"]}) + "\n")
    path = write(tmp_path, {"text": "open on sunday?", "relevant_questions": ["when are you open"]})
    assert read_questions(path, load_corpus(faq))[0].relevant == {"shop:1"}


@pytest.mark.parametrize("row", [{"text": "Vous vendez des bracelets ?", "relevant_entry_ids": []},
                                 {"text": "Vous vendez des bracelets ?", "relevant_questions": []},
                                 {"text": "Vous vendez des bracelets ?"}])
def test_an_empty_or_absent_gold_means_out_of_scope(tmp_path, corpus, row):
    assert read_questions(write(tmp_path, row), corpus)[0].relevant == frozenset()


def test_a_missing_split_is_assigned_by_a_stable_hash_of_the_id_or_the_text(tmp_path):
    path = write(tmp_path, {"id": "q1", "text": "a"}, {"text": "b"}, {"text": "c", "split": "test"})
    rows = read_questions(path)
    assert [r.split for r in rows] == [stable_split("q1"), stable_split("b"), "test"]
    assert [r.split for r in read_questions(path)] == [r.split for r in rows]


def test_a_file_without_splits_is_shared_about_half_and_half(tmp_path):
    rows = read_questions(write(tmp_path, *({"text": f"question {i}"} for i in range(200))))
    assert 70 <= sum(r.split == "dev" for r in rows) <= 130


def test_optional_fields_are_kept_and_ids_default_to_file_and_line(tmp_path):
    path = write(tmp_path, {"query_id": "w7", "text": "x", "fact": "24 mois", "kind": "typo", "lang": "fr"}, "", {"text": "y"})
    first, second = read_questions(path)
    assert (first.id, first.fact, first.kind, first.lang) == ("w7", "24 mois", "typo", "fr")
    assert (second.id, second.fact, second.kind, second.lang) == ("questions:3", None, None, None)


@pytest.mark.parametrize(("line", "says"), [
    ('{"text": "garantie ?", ', "not valid JSON"),
    ('["garantie ?"]', "must be a JSON object"),
    ({"relevant_entry_ids": [WARRANTY]}, '"text" (the question) is missing'),
    ({"text": "   "}, '"text" (the question) must be a non-empty string'),
    ({"text": 42}, '"text" (the question) must be a non-empty string; got 42'),
    ({"text": "x", "relevant_entry_ids": WARRANTY}, '"relevant_entry_ids" must be a list of non-empty strings'),
    ({"text": "x", "relevant_questions": [3]}, '"relevant_questions" must be a list of non-empty strings'),
    ({"text": "x", "split": "train"}, '"split" must be "dev" or "test"'),
    ({"text": "x", "fact": 24}, '"fact" must be a string'),
    ({"text": "x", "relevant_entry_ids": [], "relevant_questions": []}, "not both"),
    ({"text": "x", "relevant_entry_id": [WARRANTY]}, "unknown field(s) ['relevant_entry_id']"),
])
def test_a_malformed_line_names_the_file_the_line_and_what_is_wrong(tmp_path, corpus, line, says):
    e = error(write(tmp_path, {"text": "fine"}, line), corpus)
    assert str(e).startswith(f"{tmp_path / 'questions.jsonl'}:2: ")
    assert says in str(e)


def test_an_unknown_entry_id_is_refused_with_the_closest_id(tmp_path, corpus):
    e = error(write(tmp_path, {"text": "x", "relevant_entry_ids": ["enigme-ba793-faq:3.9"]}), corpus)
    assert e.line == 1 and 'relevant_entry_ids names "enigme-ba793-faq:3.9", which is no entry of the corpus' in str(e)
    assert "did you mean" in str(e) and "GET /v1/documents" in str(e)


def test_a_title_that_matches_no_entry_is_refused_with_the_closest_title(tmp_path, corpus):
    e = error(write(tmp_path, {"text": "x"}, {"text": "x", "relevant_questions": ["Que couvre la garantie ?"]}), corpus)
    assert str(e) == (f'{tmp_path / "questions.jsonl"}:2: relevant_questions names "Que couvre la garantie ?", which is no entry\'s '
                      'question (did you mean "Que couvre précisément la politique de garantie ?"?); '
                      "use a title from GET /v1/documents or relevant_entry_ids")


def test_a_title_shared_by_several_entries_is_ambiguous(tmp_path):
    (tmp_path / "faq").mkdir()
    for name in ("a.en.jsonl", "b.en.jsonl"):
        (tmp_path / "faq" / name).write_text(json.dumps({"id": "1", "question": "Opening hours", "answer": "9 to 5."}) + "\n")
    e = error(write(tmp_path, {"text": "open?", "relevant_questions": ["opening hours"]}), load_corpus(tmp_path / "faq"))
    assert "several entries (a:1, b:1)" in str(e) and "relevant_entry_ids" in str(e)


def test_titles_need_the_corpus(tmp_path):
    assert "needs the corpus" in str(error(write(tmp_path, {"text": "x", "relevant_questions": ["Comment effectuer un retour ?"]})))


def test_a_duplicate_id_names_both_lines(tmp_path):
    e = error(write(tmp_path, {"id": "q1", "text": "a"}, {"id": "q1", "text": "b"}))
    assert e.line == 2 and 'duplicate id "q1" (first used on line 1)' in str(e)


def test_an_empty_file_is_refused(tmp_path):
    e = error(write(tmp_path, "", "  "))
    assert str(e).startswith(f"{tmp_path / 'questions.jsonl'}: the file is empty")


def test_calibration_reads_the_same_format_and_keeps_one_split(tmp_path, corpus):
    path = write(tmp_path, {"text": "a", "relevant_questions": ["Comment effectuer un retour ?"], "split": "dev"},
                 {"text": "b", "relevant_entry_ids": [WARRANTY], "split": "test"}, {"text": "c", "split": "dev"})
    assert read_labelled(path, "dev", corpus) == [LabelledQuestion("a", frozenset({"enigme-ba793-faq:4.1"})), LabelledQuestion("c", frozenset())]


def test_calibration_keeps_unknown_entry_ids_so_a_set_for_another_corpus_is_skipped_not_fatal(tmp_path, corpus):
    path = write(tmp_path, {"text": "a", "relevant_entry_ids": ["other-faq:1"], "split": "dev"})
    assert read_labelled(path, "dev", corpus) == [LabelledQuestion("a", frozenset({"other-faq:1"}))]


def test_own_dataset_fills_kind_and_language(tmp_path):
    path = write(tmp_path, {"text": "garantie ?", "relevant_entry_ids": [WARRANTY]}, {"text": "bracelets ?", "relevant_entry_ids": []},
                 {"text": "warranty?", "relevant_entry_ids": [WARRANTY], "lang": "en", "kind": "crosslingual"})
    evalset = own_dataset(CORPUS, path)
    assert evalset.name == "questions" and evalset.corpus == CORPUS
    assert [(q.kind, q.lang, q.in_scope) for q in evalset.queries] == [("question", "fr", True), ("question", "und", False),
                                                                      ("crosslingual", "en", True)]


def test_the_bundled_watch_faq_set_is_a_valid_questions_file(corpus):
    rows = read_questions(DATASETS / "watch-faq" / "queries.jsonl", corpus)
    assert len(rows) == 150 and sum(not r.relevant for r in rows) == 33


def test_the_readme_example_is_a_valid_questions_file(tmp_path, corpus):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("### Your own questions", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    rows = read_questions(write(tmp_path, *block.splitlines()), corpus)
    assert [sorted(r.relevant) for r in rows] == [[WARRANTY], ["enigme-ba793-faq:1.1"], ["enigme-ba793-faq:2.3"], []]
    assert sorted(r.split for r in rows) == ["dev", "dev", "test", "test"]  # `faq eval --split test` has something to score


def test_the_question_may_be_given_as_question_instead_of_text(tmp_path, corpus):
    [row] = read_questions(write(tmp_path, {"question": "Combien dure la garantie ?", "relevant_entry_ids": [WARRANTY]}), corpus)
    assert row.text == "Combien dure la garantie ?" and row.relevant == {WARRANTY}


def test_text_and_question_on_one_line_are_refused_with_the_line(tmp_path, corpus):
    e = error(write(tmp_path, {"text": "garantie ?", "question": "garantie ?", "relevant_entry_ids": []}), corpus)
    assert e.line == 1 and "not both" in str(e)
