"""Help-center imports (Zendesk, Intercom, HTML pages, CSV): what maps to what, boilerplate gone,
lists and tables readable, long articles chunked by heading (malformed records: test_corpus_formats)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from faq.errors import CorpusError
from faq.settings import Settings
from index import build_index
from ingest import chunk_entries, load_corpus
from ingest.html_text import html_to_text
from service import create_app

from conftest import ADMIN_TOKEN, calibrate_label_free

HELPCENTERS = Path(__file__).parent / "fixtures" / "helpcenters"
ZENDESK, INTERCOM, HTML, CSV = (HELPCENTERS / name for name in ("zendesk", "intercom", "html", "csv"))
MARKUP = ("<", ">", "href", "http", "&nbsp;", "&amp;")


def by_group(corpus, group):
    return {e.lang: e for e in corpus.entries if e.group == group}


# --- Zendesk -------------------------------------------------------------------------------------


def test_zendesk_pages_give_one_entry_per_article_and_locale():
    corpus = load_corpus(ZENDESK)
    assert [d.id for d in corpus.documents] == ["articles-page-1", "articles-page-2"]  # sections/categories.json are not FAQ files
    assert len(corpus.entries) == 8 and len({e.id for e in corpus.entries}) == 8
    unlock = by_group(corpus, "360001234")
    assert unlock["en"].id == "articles-page-1:360001234-en-us"
    assert (unlock["en"].question, unlock["en"].section) == ("How do I unlock a bike?", "Renting a bike › Getting started")
    assert (unlock["fr"].question, unlock["fr"].section) == ("Comment déverrouiller un vélo ?", "Location de vélos › Premiers pas")
    assert unlock["fr"].url == "https://help.cyclaro.example/hc/fr-ca/articles/360001234-Comment-deverrouiller-un-velo"
    assert by_group(corpus, "360001236")["en"].section == "Account and billing › Payments"
    assert corpus.documents[0].title == "help.cyclaro.example"


def test_zendesk_drafts_are_skipped_and_counted():
    corpus = load_corpus(ZENDESK)
    assert not any("E-bike" in e.question for e in corpus.entries)
    assert corpus.notes == ("articles-page-1.json: 1 draft article(s) skipped",)


def test_zendesk_bodies_render_lists_tables_and_links_as_text():
    corpus = load_corpus(ZENDESK)
    unlock, price = by_group(corpus, "360001234")["en"].answer, by_group(corpus, "360001236")["en"].answer
    assert "\n1. Open the app and tap Scan.\n2. Scan the QR code on the handlebar.\n" in unlock
    assert unlock.endswith("Order a member key from your account page.")  # link text kept, url and image dropped
    assert "Plan: Day pass; Price: 12 $; Included: Unlimited 45-minute rides for 24 h" in price.split("\n")
    assert not any(mark in e.answer for e in corpus.entries for mark in MARKUP)
    returning = by_group(corpus, "360001235")["en"].answer
    assert "free dock.\nPush it firmly" in returning  # <br> is a line break


def test_a_long_article_is_chunked_by_its_headings_with_exact_offsets():
    corpus = load_corpus(ZENDESK)
    guide = by_group(corpus, "360001237")["en"]
    chunks = [c for c in chunk_entries(corpus) if c.entry_id == guide.id]
    assert [c.headings for c in chunks] == [
        (), ("Before you ride",), ("On the road",), ("On the road", "Helmets"),
        ("On the road", "Passengers and loads"), ("Damage and accidents",),
    ]
    assert all(guide.answer[c.start - guide.answer_start : c.end - guide.answer_start] == c.text for c in chunks)
    assert all(c.url == guide.url for c in chunks)
    small = [c for c in chunk_entries(corpus, max_chars=200, overlap=40) if c.entry_id == guide.id]
    assert all(len(c.text) <= 200 for c in small) and {c.headings for c in small} >= {c.headings for c in chunks}


def test_short_articles_stay_one_chunk():
    corpus = load_corpus(ZENDESK)
    short = by_group(corpus, "360001234")["en"]
    (chunk,) = [c for c in chunk_entries(corpus) if c.entry_id == short.id]
    assert chunk.text == short.answer and chunk.headings == ()


# --- Intercom ------------------------------------------------------------------------------------


def test_intercom_export_with_collections_and_translations():
    corpus = load_corpus(INTERCOM)
    assert [e.id for e in corpus.entries] == ["articles:6871119-en", "articles:6871119-fr", "articles:6871120-en", "articles:6871122-en"]
    team = by_group(corpus, "6871119")
    assert team["en"].section == "Cyclaro for Business › Managing your team"
    assert team["fr"].section == "Cyclaro Entreprises › Gérer votre équipe"
    assert team["fr"].question == "Comment ajouter des employés à mon compte entreprise ?"
    assert team["fr"].url == "https://intercom.help/cyclaro-business/fr/articles/6871119-ajouter-des-employes"
    assert "\n2. Click Invite and paste up to 50 email addresses, one a line.\n" in team["en"].answer
    assert by_group(corpus, "6871122")["en"].section == ""  # an article outside any collection
    assert corpus.notes == ("articles.json: 2 draft(s) skipped (articles or translations)",)
    assert [h.text for h in corpus.outlines["articles:6871120-en"]] == ["Downloading an invoice", "Changing the billing email"]


@pytest.mark.parametrize("wrap", [lambda items: items, lambda items: {"data": items}])
def test_intercom_plain_list_or_data_page(tmp_path, wrap):
    article = {"type": "article", "id": "7", "title": "Hours?", "body": "<p>9 to 5.</p>", "state": "published",
               "parent_id": None, "url": "https://x.example/7", "default_locale": "en"}
    (tmp_path / "ic.json").write_text(json.dumps(wrap([article])), encoding="utf-8")
    (entry,) = load_corpus(tmp_path / "ic.json").entries
    assert (entry.id, entry.answer, entry.lang, entry.group) == ("ic:7-en", "9 to 5.", "en", "7")


# --- HTML pages ----------------------------------------------------------------------------------


def test_an_article_page_is_one_entry_without_its_boilerplate():
    corpus = load_corpus(HTML)
    (guide,) = [e for e in corpus.entries if e.document_id == "bike-maintenance-guide"]
    assert guide.question == "Looking after your membership bike"
    assert guide.url == "https://help.cyclaro.example/en/guides/membership-bike-care"  # canonical wins over og:url
    assert guide.lang == "en" and guide.line == 19
    for boilerplate in ("Contact us", "Search the help center", "dataLayer", "Related articles", "© 2026", "font-family", "technician repairing"):
        assert boilerplate not in guide.answer
    assert "\n- Brakes: the levers stop well before touching the handlebar.\n" in guide.answer
    chunks = [c for c in chunk_entries(corpus) if c.entry_id == guide.id]
    assert [c.headings for c in chunks][1:] == [("Every week",), ("Every month",), ("Every month", "Cleaning the bike"), ("When something breaks",)]


def test_a_faq_page_gives_one_entry_per_question_heading():
    corpus = load_corpus(HTML)
    faq = [e for e in corpus.entries if e.document_id == "faq-fr"]
    assert [(e.section, e.question) for e in faq] == [
        ("Abonnement", "Comment m'abonner ?"),
        ("Abonnement", "Puis-je suspendre mon abonnement l'hiver ?"),
        ("Abonnement", "Comment résilier ?"),
        ("Stations", "Que faire si une station est pleine ?"),
        ("Stations", "Les stations sont-elles ouvertes la nuit ?"),
    ]
    assert {e.lang for e in faq} == {"fr"} and {e.url for e in faq} == {"https://aide.cyclaro.example/fr/faq"}
    assert faq[1].answer == "Oui. Les abonnements annuels peuvent être suspendus du 1er décembre au 31 mars,\nsans frais, depuis l'application."
    assert faq[-1].answer.endswith("d'avril à novembre.")  # the footer is not part of the last answer
    assert not any("témoins" in e.answer or "Accueil" in e.answer for e in faq)
    assert faq[0].line == 19


def test_details_summary_pages_give_one_entry_per_details():
    corpus = load_corpus(HTML)
    winter = [e for e in corpus.entries if e.document_id == "winter-riding"]
    assert [(e.section, e.question) for e in winter] == [
        ("Availability", "Can I rent a bike in winter?"),
        ("Availability", "Do winter bikes have studded tyres?"),
        ("Prices", "Is the winter pass cheaper?"),
    ]
    assert winter[2].answer == "Winter month | 20 $\nWhole winter | 60 $"
    assert winter[0].url == "https://help.cyclaro.example/en/winter"


def test_html_to_text_renders_nested_lists_tables_br_and_headings():
    rendered = html_to_text(
        "<!DOCTYPE html><p>Hi <a href='https://x'>there</a>,\n  friend.<br>Line two</p><h2 id=a>Steps</h2>"
        "<ol start='3'><li><p>Open</p></li><li>Pick<ul><li>red</li><li>blue</li></ul></li></ol>"
        "<table><tr><th>Plan</th><th>Price</th></tr><tr><td>Day</td><td>12 $</td></tr></table>"
        "<p><img src='a.png' alt='logo'>&nbsp;</p><!-- note --><script>x()</script><pre>  a\n  b</pre>"
    )
    assert rendered.text == "Hi there, friend.\nLine two\n\nSteps\n\n3. Open\n4. Pick\n  - red\n  - blue\n\nPlan: Day; Price: 12 $\n\n  a\n  b"
    (heading,) = rendered.headings
    assert (heading.level, heading.text, rendered.text[heading.start : heading.start + 5]) == (2, "Steps", "Steps")


# --- CSV and JSON Lines ----------------------------------------------------------------------


def test_csv_rows_with_quotes_commas_newlines_and_a_bom():
    corpus = load_corpus(CSV)
    entries = corpus.entries
    assert len(entries) == 6 and corpus.documents[0].id == "cyclaro-faq" and corpus.documents[0].lang == "en"
    assert entries[0].id == "cyclaro-faq:lost" and entries[0].question == "I lost an item on a bike. What can I do?"
    assert entries[0].answer == "Fill in the lost and found form. Items are kept for 30 days at our depot, 2450 Rue Ontario Est."
    assert (entries[0].section, entries[0].url, entries[0].group) == ("Rides", "https://help.cyclaro.example/en/lost-items", "lost-item")
    assert entries[2].question == 'How do I get a receipt "for my company"?'
    assert entries[3].answer.startswith("No deposit for members.\nVisitors")
    assert [(e.lang, e.line) for e in entries] == [("en", 2), ("en", 3), ("en", 4), ("en", 5), ("fr", 7), ("fr", 8)]
    assert {e.lang: e.id for e in entries if e.group == "deposit"} == {"en": "cyclaro-faq:deposit", "fr": "cyclaro-faq:caution"}


def test_jsonl_accepts_url_and_group(tmp_path):
    (tmp_path / "f.jsonl").write_text('{"id": "a", "question": "Q?", "answer": "A.", "url": "https://x.example/a", "group": 12}\n', encoding="utf-8")
    (entry,) = load_corpus(tmp_path / "f.jsonl").entries
    assert (entry.url, entry.group) == ("https://x.example/a", "12")


def test_markdown_answers_with_level_four_headings_are_chunked_by_them(tmp_path):
    body = "\n\n".join(f"#### Part {n}\n" + "word " * 60 for n in range(1, 4))
    (tmp_path / "m.md").write_text(f"## S\n### Q?\nIntro.\n\n{body}\n", encoding="utf-8")
    corpus = load_corpus(tmp_path / "m.md")
    chunks = chunk_entries(corpus, max_chars=400, overlap=50)
    assert [c.headings for c in chunks] == [(), ("Part 1",), ("Part 2",), ("Part 3",)]
    source = (tmp_path / "m.md").read_text(encoding="utf-8")
    assert all(source[c.start : c.end] == c.text for c in chunks)


# --- malformed input names the file and the record -----------------------------------------------

def test_an_unknown_section_in_a_sidecar_file_is_reported(tmp_path):
    shutil.copytree(ZENDESK, tmp_path / "zd")
    sidecar = tmp_path / "zd" / "sections.json"
    sections = json.loads(sidecar.read_text(encoding="utf-8"))
    sidecar.write_text(json.dumps({"sections": [s for s in sections["sections"] if s["id"] != 2001]}), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"articles-page-2.json: article 360001234 \"Comment déverrouiller un vélo \?\": unknown section_id 2001"):
        load_corpus(tmp_path / "zd")


# --- end to end: an index built from an export cites the article, its url and heading ------------


def test_an_index_built_from_a_zendesk_export_cites_url_and_heading_path(tmp_path, fake_models):
    corpus = load_corpus(ZENDESK)
    build_index(corpus, fake_models, tmp_path / "index")
    calibrate_label_free(tmp_path / "index", fake_models, tmp_path / "data")
    settings = Settings(index_dir=tmp_path / "index", corpus=ZENDESK, data_dir=tmp_path / "data", admin_token=SecretStr(ADMIN_TOKEN))
    with TestClient(create_app(settings, models=fake_models)) as client:
        body = client.post("/v1/query", json={"question": "helmets are not provided, members get 20% off helmets", "top_k": 3}).json()
    top = body["results"][0]
    assert top["citation"] == "Renting a bike › Getting started › Rental rules and safety guide › On the road › Helmets"
    assert top["url"] == "https://help.cyclaro.example/hc/en-us/articles/360001237-Rental-rules-and-safety-guide"
    assert top["lang"] == "en" and top["passage"].startswith("Helmets\n\nHelmets are not provided")


def test_faq_ingest_of_an_export_says_which_drafts_it_skipped(fake_everywhere, tmp_path, capsys):
    from cli.main import build

    build(ZENDESK, tmp_path / "index", Settings(index_dir=tmp_path / "index", corpus=ZENDESK, data_dir=tmp_path / "data"))
    said = " ".join(capsys.readouterr().out.split())
    assert "articles-page-1.json: 1 draft article(s) skipped" in said and "indexed 8 entries" in said
