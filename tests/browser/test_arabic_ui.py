"""The pages in Arabic (issue #31): a right-to-left UI language beside French and English. A browser whose language is
Arabic (Playwright's locale "ar") or a help center whose default language is Arabic gets <html lang="ar" dir="rtl">,
the Arabic strings and a mirrored layout; the language picker lists the UI languages each in its own name and brings
French back, remembered across a reload; the widget and the agent panel follow. The Arabic watch FAQ
(eval/datasets/watch-faq-langs/ar) with the fake models."""

from __future__ import annotations

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
OFF_TOPIC = "ما هي عاصمة أستراليا؟"  # "what is the capital of Australia?"

# the UI strings the tests expect, as common.js, agent.js and widget.js write them
SEARCH_TITLE = "كيف يمكننا مساعدتك؟"
SEARCH_LABEL = "سؤالك"
SEARCH_PLACEHOLDER = "اكتب سؤالك…"
NO_ANSWER_TITLE = "لم نعثر على إجابة عن سؤالك"
PICKER_LABEL = "اللغة"
AGENT_LABEL = "رسالة العميل"
AGENT_SUBMIT = "اقترح إجابات"

# where an element's text sits in its box: the bounding box of its text (a Range) against the element's own box
TEXT_BOX = """(e) => { const range = document.createRange(); range.selectNodeContents(e);
  const text = range.getBoundingClientRect(), box = e.getBoundingClientRect();
  return { textLeft: text.left, textRight: text.right, left: box.left, right: box.right }; }"""


@pytest.fixture(scope="module")
def arabic_url(tmp_path_factory: pytest.TempPathFactory, fake_models: list[Any]) -> Iterator[str]:
    """The Arabic watch FAQ, indexed with the fake models and calibrated label-free (no helpcenter.json: neutral)."""
    root = tmp_path_factory.mktemp("arabic-ui")
    corpus = root / "corpus"
    shutil.copytree(ARABIC, corpus)
    with serving(app_for_corpus(corpus, root, fake_models)) as url:
        yield url


@pytest.fixture
def arabic_page(browser: Any, arabic_url: str) -> Iterator[Any]:
    """A browser whose language is Arabic."""
    with guarded_page(browser, arabic_url, locale="ar") as p:
        yield p


def test_an_arabic_browser_gets_the_search_page_in_arabic_right_to_left(arabic_page: Any) -> None:
    page = arabic_page
    page.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text(SEARCH_TITLE)
    box = page.get_by_label(SEARCH_LABEL)
    expect(box).to_have_attribute("placeholder", SEARCH_PLACEHOLDER)
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"


def test_in_the_arabic_ui_a_result_and_the_search_box_sit_on_the_right(arabic_page: Any, tmp_path: Path) -> None:
    page = arabic_page
    page.goto("/")
    page.get_by_label(SEARCH_LABEL).fill(ARABIC_QUESTION)
    title = page.locator(".result-title, .related-title").first
    expect(title).to_be_visible()
    # the heading's text ends at the right edge of its box, which ends at the right of its card's content
    heading = title.evaluate(TEXT_BOX)
    assert abs(heading["textRight"] - heading["right"]) <= 2, heading
    assert heading["textLeft"] > heading["left"] + 50, heading  # a short heading: room left on its left, none on its right
    card = page.locator(".result-card, .related li").first.evaluate(
        "(e) => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);"
        " return { left: r.left + parseFloat(s.borderLeftWidth) + parseFloat(s.paddingLeft),"
        "          right: r.right - parseFloat(s.borderRightWidth) - parseFloat(s.paddingRight) }; }")
    assert abs(heading["right"] - card["right"]) <= 2, (heading, card)
    # the UI itself is mirrored: the search box's label on the right, its magnifier at the right end of the field
    label = page.locator(".search-label").evaluate(TEXT_BOX)
    assert abs(label["textRight"] - label["right"]) <= 2 and label["textLeft"] > label["left"] + 100, label
    field = page.locator("#q").bounding_box()
    icon = page.locator(".search-icon").bounding_box()
    assert icon["x"] > field["x"] + field["width"] / 2, (icon, field)
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.screenshot(path=str(tmp_path / "search-arabic-ui.png"), full_page=True)


def test_the_arabic_ui_fits_a_phone_screen(arabic_page: Any, tmp_path: Path) -> None:
    page = arabic_page
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto("/")
    page.get_by_label(SEARCH_LABEL).fill(ARABIC_QUESTION)
    expect(page.locator(".result-title, .related-title").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    picker = page.get_by_label(PICKER_LABEL).bounding_box()
    assert picker["x"] >= 0 and picker["x"] + picker["width"] <= 360, picker  # the header's picker stays on screen
    page.screenshot(path=str(tmp_path / "search-arabic-360.png"), full_page=True)


def test_the_no_answer_card_is_in_arabic(arabic_page: Any) -> None:
    """The fake models find the Arabic FAQ loosely related to anything Arabic, so the service's answer is made "none"
    (the decision's job, tested elsewhere): what is checked here is the card the page draws for it."""
    page = arabic_page

    def nothing_found(route: Any) -> None:
        body = route.fetch().json()
        route.fulfill(json={**body, "outcome": "none", "answerable": False, "answer": None, "results": []})

    page.route("**/v1/query", nothing_found)
    page.goto("/")
    page.get_by_label(SEARCH_LABEL).fill(OFF_TOPIC)
    card = page.locator(".no-answer")
    expect(card.get_by_role("heading", level=2)).to_have_text(NO_ANSWER_TITLE)
    # the question is isolated in the Arabic sentence (U+2068 … U+2069), between Arabic quotation marks
    expect(card.locator(".asked")).to_have_text(f"سؤالك: «\u2068{OFF_TOPIC}\u2069»")
    expect(card).to_contain_text("يُرجى التواصل مع الشركة مباشرةً")  # no contact given: none invented
    expect(page.locator("#status")).to_have_text(f"لم نعثر على إجابة عن «\u2068{OFF_TOPIC}\u2069»")


def test_the_picker_lists_each_ui_language_in_its_own_name(arabic_page: Any) -> None:
    page = arabic_page
    page.goto("/")
    picker = page.get_by_label(PICKER_LABEL)
    expect(picker).to_have_value("ar")
    options = picker.locator("option")
    expect(options).to_have_text(["Français", "English", "العربية"])
    assert [options.nth(i).get_attribute("lang") for i in range(3)] == ["fr", "en", "ar"]


def test_picking_francais_turns_the_page_left_to_right_and_is_remembered(arabic_page: Any) -> None:
    page = arabic_page
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.get_by_label(PICKER_LABEL).select_option(label="Français")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_label("Votre question")).to_have_attribute("placeholder", "Tapez votre question…")
    expect(page.get_by_role("heading", level=1)).to_have_text("Comment pouvons-nous vous aider ?")
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.get_by_label("Langue")).to_have_value("fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Comment pouvons-nous vous aider ?")


def test_a_help_center_whose_default_language_is_arabic_gets_the_arabic_ui(browser: Any, arabic_url: str) -> None:
    """A browser in a language the pages do not translate (German) falls back to the help center's: Arabic."""
    with guarded_page(browser, arabic_url, locale="de-DE") as page:
        def arabic_default(route: Any) -> None:
            body = route.fetch().json()
            route.fulfill(json={**body, "default_language": "ar"})

        page.route("**/v1/helpcenter", arabic_default)
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        expect(page.get_by_label(SEARCH_LABEL)).to_be_visible()


def test_the_agent_panel_in_arabic_runs_right_to_left(arabic_page: Any, tmp_path: Path) -> None:
    page = arabic_page
    page.goto("/agent")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text("اقتراحات الإجابات")
    page.get_by_label(AGENT_LABEL).fill(ARABIC_QUESTION)
    page.get_by_role("button", name=AGENT_SUBMIT).click()
    group = page.locator(".group")
    expect(group).to_have_count(1)
    expect(page.locator("#status")).to_have_text("تم اكتشاف سؤال واحد")
    expect(group.get_by_role("heading", level=2)).to_have_text("السؤال 1")
    # the detected question's bar (border-inline-start) is on the right; the message form comes first, on the right
    borders = group.locator(".detected").evaluate(
        "(e) => [parseFloat(getComputedStyle(e).borderRightWidth), parseFloat(getComputedStyle(e).borderLeftWidth)]")
    assert borders == [4, 0], borders
    form = page.locator(".agent-input").bounding_box()
    output = page.locator(".agent-output").bounding_box()
    assert form["x"] > output["x"], (form, output)
    page.screenshot(path=str(tmp_path / "agent-arabic-ui.png"), full_page=True)


def host(service: dict[str, str], html_lang: str, widget_lang: str | None) -> Starlette:
    """A website embedding the widget: <html lang=`html_lang`>, the widget's own lang attribute when given."""

    def page(request: Request) -> Response:
        direction = "rtl" if html_lang == "ar" else "ltr"
        attr = f' lang="{widget_lang}"' if widget_lang else ""
        return HTMLResponse(f'<!doctype html><html lang="{html_lang}" dir="{direction}"><head><meta charset="utf-8">'
                            f'<title>Site</title><script src="{service["url"]}/widget.js" defer></script></head>'
                            f'<body><h1>Site</h1><faq-search{attr} top-k="3"></faq-search></body></html>')

    def no_icon(request: Request) -> Response:
        return Response(status_code=204)

    return Starlette(routes=[Route("/", page), Route("/favicon.ico", no_icon)])


@pytest.mark.parametrize(("html_lang", "widget_lang"), [("ar", None), ("fr", "ar")], ids=["arabic-page", "lang-ar"])
def test_the_widget_in_arabic_renders_right_to_left(browser: Any, fake_models: list[Any], tmp_path: Path,
                                                     html_lang: str, widget_lang: str | None) -> None:
    service: dict[str, str] = {}
    with serving(host(service, html_lang, widget_lang)) as site:
        with serving(arabic_widget_service(tmp_path, fake_models, site)) as url, widget_page(browser) as (page, errors):
            service["url"] = url
            page.goto(site)
            widget = page.locator("faq-search")
            box = widget.locator(".faqw")
            expect(box).to_be_visible()
            expect(box).to_have_attribute("dir", "rtl")
            expect(box).to_have_attribute("lang", "ar")
            expect(widget.locator("label")).to_have_text(SEARCH_LABEL)
            expect(widget.locator("input")).to_have_attribute("placeholder", SEARCH_PLACEHOLDER)
            label = widget.locator("label").evaluate(TEXT_BOX)
            assert abs(label["textRight"] - label["right"]) <= 2 and label["textLeft"] > label["left"] + 100, label
            widget.locator("input").fill(ARABIC_QUESTION)
            expect(widget.locator(".title").first).to_be_visible()
            status = widget.locator(".status").text_content() or ""
            assert f"«\u2068{ARABIC_QUESTION}\u2069»" in status, status
            assert "عن" in status, status  # an Arabic sentence
            path = widget.locator(".citation bdi, .citation a").first.text_content() or ""
            assert "‹" in path and "›" not in path, path  # an Arabic FAQ's path reads right to left, its arrows too
            page.screenshot(path=str(tmp_path / "widget-arabic-ui.png"), full_page=True)
            assert not errors, errors
