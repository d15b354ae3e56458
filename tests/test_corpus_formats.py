"""Markdown and JSON Lines corpora, and malformed files (help-center imports too) that must stop with file and line (or record)."""

import json
from pathlib import Path

import pytest

from faq.errors import CorpusError
from ingest import load_corpus

MARKDOWN = """# Shop FAQ

## Shipping

### How long does delivery take?
Five to seven working days.

Longer during holidays.

### Do you ship abroad?
Yes, to 40 countries.

## Returns

### How do I return an item?
Write to us within 30 days.
"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_markdown_sections_and_questions(tmp_path):
    corpus = load_corpus(write(tmp_path, "shop-faq.en.md", MARKDOWN))
    assert corpus.documents[0].title == "Shop FAQ"
    assert corpus.documents[0].lang == "en"
    assert [(e.section, e.question) for e in corpus.entries] == [
        ("Shipping", "How long does delivery take?"),
        ("Shipping", "Do you ship abroad?"),
        ("Returns", "How do I return an item?"),
    ]
    assert corpus.entries[0].answer == "Five to seven working days.\n\nLonger during holidays."
    assert corpus.entries[0].id == "shop-faq:1.1"


def test_jsonl_entries_with_optional_fields(tmp_path):
    rows = [
        {"id": "a", "question": "Q1?", "answer": "A1.", "section": "S", "alt_questions": ["Q one?"]},
        {"faq_id": "b", "question": "Q2?", "answer": "A2.", "lang": "en"},
    ]
    corpus = load_corpus(write(tmp_path, "faq.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n"))
    a, b = corpus.entries
    assert (a.id, a.section, a.alt_questions, a.lang) == ("faq:a", "S", ("Q one?",), "fr")
    assert (b.local_id, b.lang, b.line) == ("b", "en", 2)


ZD_OK = {"id": 1, "title": "T", "body": "<p>B</p>", "section_id": 10, "locale": "en-us", "html_url": "https://h/1"}
ZD_SECTIONS = [{"id": 10, "name": "S", "category_id": 20, "locale": "en-us"}]


def zendesk(*articles, sections=ZD_SECTIONS):
    return json.dumps({"articles": list(articles), "sections": sections, "categories": [{"id": 20, "name": "C", "locale": "en-us"}]})


@pytest.mark.parametrize(
    ("name", "content", "line", "message"),
    [
        ("empty.txt", "\n\n  \n", 1, "the file is empty"),
        ("latin1.txt", "Section\n1. Question ?\nR\u00e9ponse".encode("latin-1"), 3, "not valid UTF-8"),
        ("noanswer.txt", "FAQ\nLivraison\n1. Quand ?\nDemain.\n2. Combien ?\nRetours\n1. Comment ?\nPar mail.\n", 5, "has no answer"),
        ("lastnoanswer.txt", "FAQ\nLivraison\n1. Quand ?\nDemain.\n2. Combien ?\n", 5, "has no answer"),
        ("dup.jsonl", '{"id": "a", "question": "Q?", "answer": "A."}\n{"id": "a", "question": "R?", "answer": "B."}\n', 2, 'duplicate id "a"'),
        ("badjson.jsonl", '{"id": "a", "question": "Q?", "answer": "A."}\n{"id": "b", \n', 2, "not valid JSON"),
        ("noanswer.jsonl", '{"id": "a", "question": "Q?", "answer": "  "}\n', 1, "has no answer"),
        ("noanswer.md", "## S\n### Q?\n### R?\nA.\n", 2, "has no answer"),
        # help-center imports: a JSON record is named by its article id (the JSON decoder gives a line only for bad JSON)
        ("bad.json", '{"articles": [\n  {"id": 1,\n  "title": }\n]}', 3, "not valid JSON"),
        ("notitle.json", zendesk({**ZD_OK, "id": 360001234, "title": " "}), None, "article 360001234 has no title"),
        ("nobody.json", zendesk({**ZD_OK, "id": 360001234, "body": None}), None, 'article 360001234 "T" has no body'),
        ("emptybody.json", zendesk({**ZD_OK, "id": 360001234, "title": "Title", "body": "<p><img src=x></p>"}), None,
         'article 360001234 "Title": its body has no text'),
        ("section.json", zendesk({**ZD_OK, "id": 5, "section_id": 99}), None, 'article 5 "T": unknown section_id 99'),
        ("dup.json", zendesk(ZD_OK, ZD_OK), None, 'article 1 "T" appears twice in locale en-us'),
        ("shape.json", '{"tickets": []}', 1, "not a help-center export"),
        ("ic.json", json.dumps([{"type": "article", "id": "8", "title": "", "body": "<p>x</p>", "state": "published"}]), None,
         "article 8 (fr) has no title"),
        ("icparent.json", json.dumps({"data": [{"type": "article", "id": "8", "title": "T", "body": "<p>x</p>", "parent_id": 3}],
                                      "collections": [{"id": "4", "name": "C"}]}), None, "article 8 (fr): unknown parent collection 3"),
        ("faq.csv", 'question,answer\nQ1?,A1\n"Q2, really?",""\n', 3, 'empty answer for question "Q2, really?"'),
        ("cols.csv", "Question,Réponse,Section\nQ?,A\n", 1, "missing column(s) answer; found: question, réponse, section"),
        ("dupid.csv", "id,question,answer\na,Q?,A\na,R?,B\n", 3, 'duplicate id "a" (first used on line 2)'),
        ("noq.html", "<html><body><p>Just words.</p></body></html>", 1, "no <h1> or <title>"),
        ("empty.html", "<html><head><title>T</title></head><body><nav>menu</nav></body></html>", 1, 'page "T": its body has no text'),
        ("faq.html", "<h1>FAQ</h1><h2>Why?</h2><h2>How?</h2><p>So.</p>", 1, 'question "Why?" has no answer'),
    ],
)
def test_malformed_file_names_file_and_line(tmp_path, name, content, line, message):
    path = write(tmp_path, name, content)
    with pytest.raises(CorpusError) as caught:
        load_corpus(path)
    assert caught.value.path == str(path)
    assert caught.value.line == line
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{path}:{line}: " if line is not None else f"{path}: ")


def test_missing_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="no such file or folder"):
        load_corpus(tmp_path / "nope")


def test_one_bad_file_stops_the_whole_folder(tmp_path):
    write(tmp_path, "good.md", MARKDOWN)
    write(tmp_path, "bad.jsonl", "not json\n")
    with pytest.raises(CorpusError, match=r"bad.jsonl:1: not valid JSON"):
        load_corpus(tmp_path)


def test_a_questions_file_in_the_corpus_folder_is_named_as_one(tmp_path):
    """A team keeping its labelled questions beside the FAQ is told what the file is and where it goes."""
    write(tmp_path, "faq.md", MARKDOWN)
    write(tmp_path, "questions.jsonl", json.dumps({"text": "Combien de temps dure la garantie ?",
                                                   "relevant_entry_ids": ["faq:1.1"]}) + "\n")
    with pytest.raises(CorpusError, match=r"questions.jsonl:1: this is a questions file .*faq eval --queries or faq ingest --check"):
        load_corpus(tmp_path)
