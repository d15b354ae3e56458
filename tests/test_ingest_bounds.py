"""Corpus files that could crash or swamp ingest: each is refused with `file: record: what is wrong`, or read
as a browser would, never a traceback naming no file (issue #28, items 4, 5 and the corpus symlinks of 8)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ingest.bounds
import ingest.corpus
import ingest.decode
from faq.errors import CorpusError
from faq.limits import MAX_HTML_DEPTH
from ingest import load_corpus
from ingest.html_text import html_to_text

ROOT = Path(__file__).resolve().parent.parent
HELPCENTERS = Path(__file__).parent / "fixtures" / "helpcenters"


def page(body: str) -> str:
    return f"<html><head><title>Returns</title></head><body>\n<h1>How do I return a watch?</h1>\n{body}\n</body></html>"


def write(folder: Path, name: str, content: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(content, encoding="utf-8")
    return path


def refusal(corpus: Path) -> str:
    """The message load_corpus refuses the corpus with."""
    with pytest.raises(CorpusError) as caught:
        load_corpus(corpus)
    return str(caught.value)


def nested_list(levels: int) -> str:
    return "<ul><li>step " * levels + "</li></ul>" * levels


def zendesk_page(body: str) -> str:
    return json.dumps({"articles": [{"id": 7, "title": "Returns", "body": body, "locale": "en-us"}]})


# --- malformed HTML: read as a browser would, or named --------------------------------------------


@pytest.mark.parametrize("start", ["²", "٣", "9" * 5000], ids=["superscript", "arabic-indic", "5000-digits"])
def test_an_ol_start_that_is_no_plain_number_is_ignored_as_browsers_do(tmp_path, start):
    write(tmp_path, "returns.html", page(f'<ol start="{start}"><li>Pack it.</li><li>Post it.</li></ol>'))
    assert load_corpus(tmp_path).entries[0].answer == "1. Pack it.\n2. Post it."


def test_an_ol_start_in_ascii_digits_still_numbers_the_list(tmp_path):
    write(tmp_path, "returns.html", page('<ol start="3"><li>Pack it.</li><li>Post it.</li></ol>'))
    assert load_corpus(tmp_path).entries[0].answer == "3. Pack it.\n4. Post it."


def test_a_page_nested_past_the_depth_limit_names_file_and_line(tmp_path):
    path = write(tmp_path, "returns.html", page("<div>" * 1000 + "Post it." + "</div>" * 1000))
    with pytest.raises(CorpusError) as caught:
        load_corpus(tmp_path)
    assert str(caught.value).startswith(f"{path}:3: HTML elements nested {MAX_HTML_DEPTH + 1} deep")
    assert f"limit {MAX_HTML_DEPTH}" in str(caught.value) and "end tags" in str(caught.value)


def test_a_zendesk_body_nested_past_the_depth_limit_names_the_article(tmp_path):
    path = write(tmp_path, "articles.json", zendesk_page("<div>" * 1000 + "Post it." + "</div>" * 1000))
    with pytest.raises(CorpusError) as caught:
        load_corpus(tmp_path)
    assert str(caught.value).startswith(f'{path}: article 7 "Returns", line 1 of its body: HTML elements nested {MAX_HTML_DEPTH + 1} deep')


def test_a_page_at_the_depth_limit_is_read(tmp_path):
    levels = MAX_HTML_DEPTH - 3  # html, body and the page's own div
    write(tmp_path, "returns.html", page("<div>" + "<span>" * levels + "Post it." + "</span>" * levels + "</div>"))
    assert load_corpus(tmp_path).entries[0].answer == "Post it."


def test_a_900_level_nested_list_is_refused_with_a_clear_error(tmp_path):
    path = write(tmp_path, "returns.html", page(nested_list(900)))
    with pytest.raises(CorpusError, match="nested 101 deep") as caught:
        load_corpus(tmp_path)
    assert caught.value.path == str(path) and caught.value.line == 3


def test_faq_ingest_of_a_too_deep_page_prints_one_line_naming_the_file(tmp_path):
    from cli.main import app

    path = write(tmp_path / "corpus", "returns.html", page(nested_list(600)))
    result = CliRunner().invoke(app, ["ingest", str(path.parent), "--index", str(tmp_path / "index")])
    assert result.exit_code == 1
    assert f"{path}:3:HTMLelementsnested" in "".join(result.output.split())  # Rich wraps the line anywhere
    assert "Traceback" not in result.output and not (tmp_path / "index").exists()


def test_nested_list_indentation_stops_growing_past_a_few_levels():
    lines = html_to_text(nested_list(20)).text.split("\n")
    assert lines[1] == "  - step" and max(len(line) for line in lines) == len("- step") + 2 * 6


def test_a_reader_failing_unexpectedly_names_the_file(tmp_path, monkeypatch):
    def broken(path, text, document_id, lang):
        raise ValueError("something no reader should raise")

    monkeypatch.setitem(ingest.corpus.PARSERS, ".md", broken)
    path = write(tmp_path, "faq.md", "## S\n### Q\nA\n")
    with pytest.raises(CorpusError, match="ValueError: something no reader should raise") as caught:
        load_corpus(tmp_path)
    assert caught.value.path == str(path)


# --- sizes: per file, per entry, per corpus, and text out per byte in -----------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest.decode, "MAX_FILE_BYTES", 1000)
    path = write(tmp_path, "faq.md", "## S\n### Q\n" + "An answer. " * 100)
    assert refusal(tmp_path) == (f"{path}: the file is 1,111 bytes, over the limit of 1,000 bytes a file "
                                 "(faq.limits.MAX_FILE_BYTES); split it into several files")


def test_a_corpus_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest.bounds, "MAX_CORPUS_BYTES", 1000)
    for n in range(3):
        write(tmp_path, f"faq{n}.md", "## S\n### Q\n" + "An answer. " * 40)
    assert refusal(tmp_path) == (f"{tmp_path}: the corpus is 1,353 bytes in 3 files, over the limit of 1,000 bytes "
                                 "(faq.limits.MAX_CORPUS_BYTES); index it as several help centers")


def test_an_entry_over_the_size_limit_is_refused_naming_it(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest.bounds, "MAX_ENTRY_CHARS", 500)
    path = write(tmp_path, "faq.md", "## S\n### Short\nYes.\n### Long\n" + "An answer. " * 100)
    assert refusal(tmp_path) == (f'{path}:4: question "Long": its answer is 1,099 characters, over the limit of 500 '
                                 "(faq.limits.MAX_ENTRY_CHARS); split it into several questions")


HEADER = "Included in the plan for members who ride every day of the week, in every city we serve, all year"


def test_a_long_header_over_many_tiny_cells_is_not_repeated_in_every_row():
    rows = "".join(f"<tr><td>{n % 10}</td><td>{n % 7}</td></tr>" for n in range(500))
    text = html_to_text(f"<table><tr><th>{HEADER}</th><th>Price</th></tr>{rows}</table>").text
    assert text.split("\n")[:3] == [f"{HEADER} | Price", "0 | 0", "1 | 1"] and len(text) < 4000


def test_a_short_header_is_still_repeated_in_every_row():
    rows = "".join(f"<tr><td>Route {n}</td><td>{n} $</td></tr>" for n in range(500))
    text = html_to_text(f"<table><tr><th>Ride</th><th>Price</th></tr>{rows}</table>").text
    assert text.split("\n")[:2] == ["Ride: Route 0; Price: 0 $", "Ride: Route 1; Price: 1 $"]


def test_a_file_whose_text_outgrows_its_bytes_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest.bounds, "MAX_EXPANSION", 1)  # nothing the renderer makes reaches 4: the limit is a backstop
    rows = "".join(f"<tr><td>Route {n}</td><td>{n} $</td></tr>" for n in range(500))
    path = write(tmp_path, "plans.html", page(f"<table><tr><th>{HEADER}</th><th>Price</th></tr>{rows}</table>"))
    with pytest.raises(CorpusError, match=r"characters of text from \d[\d,]* bytes \(over 1 characters a byte") as caught:
        load_corpus(tmp_path)
    assert caught.value.path == str(path)


def test_the_bundled_and_example_corpora_still_ingest():
    corpora = [ROOT / "corpus", *(HELPCENTERS / name for name in ("html", "zendesk", "intercom", "csv")),
               *ROOT.glob("eval/datasets/quebec-covid-faq/*/faq.jsonl"),
               ROOT / "eval/datasets/watch-faq-multi"]
    assert all(load_corpus(path).entries for path in corpora)


# --- symlinks: a corpus folder reads only its own regular files -----------------------------------


@pytest.mark.parametrize("name", ["outside.md", "faq.manifest.json", "sections.json", "helpcenter.json"])
def test_a_symlink_in_a_corpus_folder_is_refused_naming_the_link(tmp_path, name):
    secret = write(tmp_path / "elsewhere", "secret.md", "## S\n### Password?\nhunter2\n")
    write(tmp_path / "corpus", "faq.md", "## S\n### Q\nA\n")
    link = tmp_path / "corpus" / name
    os.symlink(secret, link)
    assert refusal(tmp_path / "corpus") == (f"{link}: a symbolic link (to {secret}); a corpus folder is read only from its own "
                                 "regular files, so copy the file in instead of linking it")


def test_a_symlinked_manifest_beside_a_single_file_corpus_is_refused(tmp_path):
    elsewhere = write(tmp_path / "elsewhere", "notes.json", '{"title": "secret"}')
    faq = write(tmp_path / "corpus", "faq.md", "## S\n### Q\nA\n")
    os.symlink(elsewhere, tmp_path / "corpus" / "faq.manifest.json")
    with pytest.raises(CorpusError, match="a symbolic link"):
        load_corpus(faq)


def test_a_corpus_folder_named_through_a_symlink_is_read(tmp_path):
    write(tmp_path / "releases" / "2024-06", "faq.md", "## S\n### Q\nA\n")
    os.symlink(tmp_path / "releases" / "2024-06", tmp_path / "current")
    assert [e.question for e in load_corpus(tmp_path / "current").entries] == ["Q"]
