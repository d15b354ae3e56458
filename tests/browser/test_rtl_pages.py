"""Right-to-left and unspaced scripts on the pages (issue #31): an Arabic FAQ (eval/datasets/watch-faq-langs/ar) and a
Japanese one with a long passage, served with the fake models. Arabic results, browse list, agent suggestions and
widget cards run right to left while the French UI around them stays left to right; Japanese wraps inside its card;
no page scrolls sideways. Screenshots go to the test's tmp folder."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from .conftest import ARABIC, app_for_corpus, arabic_widget_service, guarded_page, serving, widget_page

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
expect = sync_api.expect

pytestmark = pytest.mark.browser

ARABIC_QUESTION = "كيف أتحقق من حالة طلبي؟"  # the Arabic FAQ's entry 1.2, word for word
JAPANESE_QUESTION = "腕時計の保証期間と修理の流れを教えてください"
JAPANESE_ANSWER = ("保証期間はご購入日から二十四か月間で、製造上の欠陥による故障はすべて無償で修理いたします。"
                   "修理をご希望の場合は、まずお問い合わせフォームから注文番号と症状をお知らせいただき、"
                   "当社から送付する専用の梱包キットで腕時計をお送りください。到着後、時計技師が点検を行い、"
                   "保証の対象かどうかを七営業日以内にご連絡いたします。対象外の場合は見積書をお送りし、"
                   "ご承認をいただいてから作業を開始いたします。修理済みの腕時計は追跡番号付きの配送でお返しいたします。") * 2
DIRECTION = "(sel) => Array.from(document.querySelectorAll(sel), (e) => getComputedStyle(e).direction)"
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.fixture(scope="module")
def rtl_url(tmp_path_factory: pytest.TempPathFactory, fake_models: list[Any]) -> Iterator[str]:
    """The Arabic watch FAQ and a Japanese one, indexed with the fake models and calibrated label-free."""
    root = tmp_path_factory.mktemp("rtl")
    corpus = root / "corpus"
    shutil.copytree(ARABIC, corpus)
    entry = {"id": "1", "section": "保証と修理", "question": JAPANESE_QUESTION, "answer": JAPANESE_ANSWER}
    (corpus / "watch-faq.ja.jsonl").write_text(json.dumps(entry, ensure_ascii=False) + "\n", encoding="utf-8")
    (corpus / "watch-faq.ja.manifest.json").write_text(json.dumps({"id": "watch-faq-ja", "title": "時計のFAQ", "lang": "ja"}),
                                                        encoding="utf-8")
    with serving(app_for_corpus(corpus, root, fake_models)) as url:
        yield url


@pytest.fixture
def rtl_page(browser: Any, rtl_url: str) -> Iterator[Any]:
    with guarded_page(browser, rtl_url) as p:
        yield p


def ask(page: Any, question: str) -> None:
    page.goto("/")
    page.get_by_label("Votre question").fill(question)
    expect(page.locator(".result-title, .related-title").first).to_be_visible()


def test_arabic_results_read_right_to_left_in_the_french_page(rtl_page: Any, tmp_path: Path) -> None:
    ask(rtl_page, ARABIC_QUESTION)
    assert rtl_page.evaluate("document.documentElement.dir") == "ltr"  # the UI is French
    titles = rtl_page.evaluate(DIRECTION, ".result-title, .related-title")
    answers = rtl_page.evaluate(DIRECTION, ".result-card .answer, .related .answer")
    crumbs = rtl_page.evaluate(DIRECTION, ".crumb")
    assert titles and set(titles) == {"rtl"}
    assert answers and set(answers) == {"rtl"}
    assert crumbs and set(crumbs) == {"rtl"}
    assert rtl_page.evaluate("getComputedStyle(document.getElementById('q')).direction") == "rtl"  # dir="auto": as typed
    # the question sits isolated in the French status line, which stays left to right
    status = rtl_page.locator("#status")
    assert f"\u2068{ARABIC_QUESTION}\u2069" in status.inner_text()
    assert rtl_page.evaluate("getComputedStyle(document.getElementById('status')).direction") == "ltr"
    # the feedback buttons are the UI's: left to right
    assert set(rtl_page.evaluate(DIRECTION, ".feedback, .result-actions")) <= {"ltr"}
    assert rtl_page.evaluate(NO_SIDEWAYS_SCROLL)
    shot = tmp_path / "search-arabic.png"
    rtl_page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0


def test_the_browse_list_runs_each_faq_its_own_way(rtl_page: Any, tmp_path: Path) -> None:
    rtl_page.goto("/")
    expect(rtl_page.locator("#browse .topic").first).to_be_visible()
    by_lang = rtl_page.evaluate("""() => Array.from(document.querySelectorAll('#browse .topic'),
      (e) => [e.lang, getComputedStyle(e.querySelector('h3')).direction, getComputedStyle(e.querySelector('button')).direction,
              getComputedStyle(e.querySelector('button')).textAlign])""")
    assert {tuple(x) for x in by_lang if x[0] == "ar"} == {("ar", "rtl", "rtl", "start")}
    assert {tuple(x) for x in by_lang if x[0] == "ja"} == {("ja", "ltr", "ltr", "start")}
    assert rtl_page.evaluate(NO_SIDEWAYS_SCROLL)
    shot = tmp_path / "browse.png"
    rtl_page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0


@pytest.mark.parametrize("width", [1280, 360])
def test_a_long_japanese_passage_wraps_inside_its_card(rtl_page: Any, tmp_path: Path, width: int) -> None:
    rtl_page.set_viewport_size({"width": width, "height": 800})
    ask(rtl_page, JAPANESE_QUESTION)
    card = rtl_page.locator(".result-card").first
    button = card.locator("button[aria-expanded]")
    if button.count():
        button.first.click()  # the whole passage
    fits = rtl_page.evaluate("""() => {
      const card = document.querySelector('.result-card'), box = card.getBoundingClientRect();
      const shown = Array.from(card.querySelectorAll('.answer, .result-title, .crumb')).filter((e) => e.offsetParent !== null);
      return shown.map((e) => {
        const r = e.getBoundingClientRect();
        return [e.lang, e.scrollWidth <= e.clientWidth + 1 && r.left >= box.left - 1 && r.right <= box.right + 1, r.height];
      });
    }""")
    assert fits and all(ok for _, ok, _ in fits), fits
    assert any(lang == "ja" and height > 60 for lang, _, height in fits)  # several lines, not one long one
    assert set(rtl_page.evaluate(DIRECTION, ".result-list > li:first-child .answer")) == {"ltr"}
    assert rtl_page.evaluate(NO_SIDEWAYS_SCROLL)
    shot = tmp_path / f"search-japanese-{width}.png"
    rtl_page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0


def test_the_agent_panel_shows_an_arabic_message_and_its_suggestions_right_to_left(rtl_page: Any, tmp_path: Path) -> None:
    rtl_page.goto("/agent")
    box = rtl_page.get_by_label("Message du client")
    box.fill(ARABIC_QUESTION)
    assert rtl_page.evaluate("getComputedStyle(document.getElementById('message')).direction") == "rtl"
    box.press("Control+Enter")
    expect(rtl_page.locator(".group")).to_have_count(1)
    assert rtl_page.evaluate(DIRECTION, ".detected") == ["rtl"]
    titles = rtl_page.evaluate(DIRECTION, ".group .result-title")
    assert titles and set(titles) == {"rtl"}
    assert set(rtl_page.evaluate(DIRECTION, ".group .verdicts, .group-head")) <= {"ltr"}
    assert rtl_page.evaluate(NO_SIDEWAYS_SCROLL)
    shot = tmp_path / "agent-arabic.png"
    rtl_page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0


def arabic_host(service: dict[str, str]) -> Starlette:
    """An Arabic website (right to left) embedding the widget in French."""

    def page(request: Request) -> Response:
        return HTMLResponse(f'<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>متجر</title>'
                            f'<script src="{service["url"]}/widget.js" defer></script></head>'
                            '<body><h1>متجر الساعات</h1><faq-search lang="fr" top-k="3"></faq-search></body></html>')

    def no_icon(request: Request) -> Response:
        return Response(status_code=204)

    return Starlette(routes=[Route("/", page), Route("/favicon.ico", no_icon)])


def test_the_widget_on_an_arabic_site_keeps_its_ui_left_to_right_and_the_faq_right_to_left(
        browser: Any, fake_models: list[Any], tmp_path: Path) -> None:
    service: dict[str, str] = {}
    with serving(arabic_host(service)) as host:
        with serving(arabic_widget_service(tmp_path, fake_models, host)) as url, widget_page(browser) as (page, errors):
            service["url"] = url
            page.goto(host)
            widget = page.locator("faq-search")
            widget.locator("input").fill(ARABIC_QUESTION)
            expect(widget.locator(".title").first).to_be_visible()
            dirs = page.evaluate("""() => {
              const root = document.querySelector('faq-search').shadowRoot, d = (e) => getComputedStyle(e).direction;
              return { box: d(root.querySelector('.faqw')), input: d(root.querySelector('.input')),
                       titles: Array.from(root.querySelectorAll('.title'), d), answers: Array.from(root.querySelectorAll('.answer'), d),
                       status: root.querySelector('.status').textContent };
            }""")
            assert dirs["box"] == "ltr" and dirs["input"] == "rtl"
            assert dirs["titles"] and set(dirs["titles"]) == {"rtl"}
            assert dirs["answers"] and set(dirs["answers"]) == {"rtl"}
            assert f"\u2068{ARABIC_QUESTION}\u2069" in dirs["status"]
            assert page.evaluate(NO_SIDEWAYS_SCROLL)
            shot = tmp_path / "widget-arabic.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 0
            assert not errors, errors
