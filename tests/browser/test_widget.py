"""<faq-search> on a help center's own website: a host page on a second local port, with a strict CSP and
aggressive CSS, embeds the widget from the service's port. Fake models over the bundled FAQ (no model)."""

from __future__ import annotations

import gzip
import json
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from faq.settings import Settings
from service import create_app
from service.pages import STATIC

from .conftest import CORPUS, serving

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
expect = sync_api.expect

pytestmark = pytest.mark.browser

AGGRESSIVE_CSS = """
* { color: red !important; font-size: 40px !important; font-family: serif !important; line-height: 3 !important;
    background: yellow !important; box-sizing: content-box !important; letter-spacing: 4px !important; }
faq-search { display: inline !important; }
input, button, a, p, h3 { border: 5px dashed lime !important; padding: 20px !important; margin: 20px !important; }
"""
ANSWERED = "Que couvre la garantie ?"
NO_ANSWER = "Quel temps fera-t-il demain à Montréal ?"  # off topic; the fake embedder grades unknown words by their letters, not as gibberish
# what the page notes of every CSP violation; Playwright runs it whatever the page's CSP
CSP_PROBE = """window.__csp = []; document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`), true);
window.__timing = {}; document.addEventListener("input", () => { window.__timing.lastKey = performance.now(); }, true);
document.addEventListener("faq-results", () => { window.__timing.results ??= performance.now(); }, true);"""


def host_app(service: dict[str, str], *, aggressive: bool) -> Starlette:
    """A help center's website: one page with only the two tags, under a CSP allowing only itself and the service."""

    def page(request: Request) -> Response:
        origin = service["url"]
        csp = (f"default-src 'self'; script-src 'self' {origin}; connect-src {origin}; style-src 'self' {origin}; "
               "img-src 'self'; object-src 'none'; base-uri 'none'")
        sheet = '<link rel="stylesheet" href="/host.css">' if aggressive else ""
        html = (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Host</title>{sheet}'
                f'<script src="{origin}/widget.js" defer></script></head>'
                '<body><h1>Le site du magasin</h1><faq-search top-k="3"></faq-search><p id="after">Après</p></body></html>')
        return HTMLResponse(html, headers={"Content-Security-Policy": csp})

    def css(request: Request) -> Response:
        return PlainTextResponse(AGGRESSIVE_CSS if aggressive else "", media_type="text/css")

    def no_icon(request: Request) -> Response:
        return Response(status_code=204)

    return Starlette(routes=[Route("/", page), Route("/host.css", css), Route("/favicon.ico", no_icon)])


class Sites:
    def __init__(self, service: str, allowed: str, plain: str, refused: str) -> None:
        self.service, self.allowed, self.plain, self.refused = service, allowed, plain, refused


@pytest.fixture(scope="module")
def sites(fake_index_dir: Path, fake_models: list[Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    """The service, and three host sites: the allowed one with aggressive CSS, the allowed one without, one not allowed."""
    service: dict[str, str] = {}
    with serving(host_app(service, aggressive=True)) as allowed, serving(host_app(service, aggressive=False)) as plain, \
            serving(host_app(service, aggressive=False)) as refused:
        settings = Settings(index_dir=fake_index_dir, corpus=CORPUS, data_dir=tmp_path_factory.mktemp("widget-data"),
                            cors_origins=[allowed, plain], reload_poll_seconds=0)
        with serving(create_app(settings, models=fake_models)) as url:
            service["url"] = url
            yield Sites(url, allowed, plain, refused)


class Visit:
    """A fresh context on a host page; console errors and CSP violations are collected."""

    def __init__(self, chromium: Any, url: str) -> None:
        self.context = chromium.new_context(viewport={"width": 1000, "height": 900}, locale="fr-FR")
        self.context.add_init_script(CSP_PROBE)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.posts: list[dict[str, Any]] = []
        self.page.on("request", lambda r: self.posts.append({"url": r.url, "body": r.post_data}) if r.method == "POST" else None)
        self.page.goto(url)
        self.widget = self.page.locator("faq-search")

    def csp_violations(self) -> list[str]:
        return self.page.evaluate("window.__csp") + [e for e in self.errors if "Content Security Policy" in e]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser: Any) -> Iterator[Any]:
    """Opens host pages in the session's chromium (conftest: one Playwright per session)."""
    opened: list[Visit] = []

    def open_(url: str) -> Visit:
        opened.append(Visit(browser, url))
        return opened[-1]

    yield open_
    for v in opened:
        v.close()


def inside_styles(page: Any) -> dict[str, Any]:
    """Computed styles of a few elements inside the shadow root."""
    return page.evaluate("""() => {
      const root = document.querySelector("faq-search").shadowRoot;
      const pick = (sel) => { const s = getComputedStyle(root.querySelector(sel));
        return [s.color, s.fontSize, s.fontFamily, s.lineHeight, s.backgroundColor, s.borderTopStyle, s.paddingTop, s.letterSpacing]; };
      return { box: pick(".faqw"), input: pick(".input"), title: pick(".title"), answer: pick(".answer"),
               chip: pick(".chip"), rect: root.querySelector(".faqw").getBoundingClientRect().width };
    }""")


def test_widget_files_are_served_cacheable_with_their_types(sites: Sites) -> None:
    import urllib.request

    for name, kind in (("widget.js", "text/javascript"), ("widget.css", "text/css")):
        with urllib.request.urlopen(f"{sites.service}/{name}") as response:
            assert response.headers["content-type"].startswith(kind)
            assert "max-age=" in response.headers["cache-control"]
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.read() == (STATIC / name).read_bytes()


def test_typing_shows_results_and_a_best_answer_under_a_strict_csp(sites: Sites, visit: Any, screenshots: Path) -> None:
    v = visit(sites.allowed)
    widget = v.widget
    box = widget.locator(".faqw")
    expect(box).to_be_visible()  # shown once widget.css is in
    search = widget.get_by_role("searchbox", name="Votre question")
    search.press_sequentially(ANSWERED, delay=20)
    expect(widget.get_by_role("status").first).to_contain_text("résultat")
    best = widget.locator(".card.is-best")
    expect(best).to_contain_text("Meilleure réponse")
    expect(best.locator(".answer.short")).not_to_be_empty()
    expect(best.locator(".citation")).to_contain_text("›")
    expect(widget.locator(".card")).to_have_count(3)  # top-k="3"
    queries = [p for p in v.posts if p["url"].endswith("/v1/query")]
    assert 1 <= len(queries) <= 3, f"debounce: {len(queries)} queries for one typed question"
    assert json.loads(queries[-1]["body"]) == {"question": ANSWERED, "top_k": 3, "surface": "search"}
    # keyboard: ArrowDown from the box reaches the results
    search.press("ArrowDown")
    assert v.page.evaluate("document.querySelector('faq-search').shadowRoot.activeElement.tagName") in ("A", "BUTTON")
    v.page.screenshot(path=str(screenshots / "widget-on-host.png"), full_page=True)
    assert not v.csp_violations()
    assert not v.errors, v.errors


def test_host_css_does_not_change_the_widget(sites: Sites, visit: Any) -> None:
    looks = []
    for url in (sites.allowed, sites.plain):
        v = visit(url)
        v.widget.get_by_role("searchbox").fill(ANSWERED)
        expect(v.widget.locator(".card.is-best")).to_be_visible()
        looks.append(inside_styles(v.page))
        assert not v.csp_violations()
    aggressive, plain = looks
    assert aggressive == plain
    assert plain["box"][1] == "16px" and plain["box"][0] != "rgb(255, 0, 0)"
    # and the host's own elements still get the host's CSS: the widget's sheet does not leak out
    v = visit(sites.allowed)
    assert v.page.evaluate("getComputedStyle(document.getElementById('after')).color") == "rgb(255, 0, 0)"


def test_no_answer_shows_the_help_centers_contacts(sites: Sites, visit: Any, screenshots: Path) -> None:
    v = visit(sites.plain)
    v.widget.get_by_role("searchbox").fill(NO_ANSWER)
    card = v.widget.locator(".no-answer")
    expect(card).to_contain_text("Nous n'avons pas trouvé de réponse")
    helpcenter = json.loads((CORPUS / "helpcenter.json").read_text(encoding="utf-8"))
    expect(card.get_by_role("link", name=helpcenter["contact"]["email"])).to_have_attribute(
        "href", f"mailto:{helpcenter['contact']['email']}")
    expect(card).to_contain_text(helpcenter["contact"]["phone"])
    expect(v.widget.get_by_role("status").first).to_contain_text("Aucune réponse trouvée")
    v.page.screenshot(path=str(screenshots / "widget-no-answer.png"), full_page=True)
    assert not v.csp_violations()
    assert not v.errors, v.errors


def test_related_outcome_shows_the_entries_as_related_articles_then_the_contacts(sites: Sites, visit: Any) -> None:
    v = visit(sites.plain)

    def as_related(route: Any) -> None:  # the service's own response, graded related (index.deciding.decide decides which)
        response = route.fetch()
        body = response.json()
        body.update(outcome="related", answerable=False, answer=None)
        route.fulfill(response=response, json=body)

    v.page.route("**/v1/query", as_related)
    v.widget.get_by_role("searchbox").fill(ANSWERED)
    related = v.widget.locator("[data-outcome=related]")
    expect(related).to_contain_text("Pas de réponse sûre, mais ces articles peuvent vous aider")
    expect(related.locator(".list > li").first).to_be_visible()
    expect(related.locator(".card.is-best")).to_have_count(0)  # no answer claimed
    contact = related.locator(".related-contact")
    expect(contact).to_contain_text("Si aucun ne répond à votre question")
    expect(contact).not_to_contain_text("Nous n'avons pas trouvé")
    helpcenter = json.loads((CORPUS / "helpcenter.json").read_text(encoding="utf-8"))
    expect(contact.get_by_role("link", name=helpcenter["contact"]["email"])).to_be_visible()
    expect(v.widget.get_by_role("status").first).to_contain_text("Pas de réponse sûre")
    assert not v.csp_violations()
    assert not v.errors, v.errors


def test_feedback_click_posts_the_verdict(sites: Sites, visit: Any) -> None:
    v = visit(sites.plain)
    v.widget.get_by_role("searchbox").fill(ANSWERED)
    best = v.widget.locator(".card.is-best")
    with v.page.expect_response(lambda r: r.url.endswith("/v1/feedback")) as answer:
        best.get_by_role("button", name="Oui").click()
    assert answer.value.status == 201
    body = json.loads(answer.value.request.post_data)
    assert body["verdict"] == "helpful" and len(body["query_id"]) == 32 and body["entry_id"]
    expect(best.locator(".note")).to_have_text("Merci pour votre retour.")
    assert not v.errors, v.errors


def test_an_origin_not_allowed_gets_no_results_and_a_clear_message(sites: Sites, visit: Any) -> None:
    v = visit(sites.refused)
    v.widget.get_by_role("searchbox").fill(ANSWERED)
    notice = v.widget.locator(".notice.is-refused")
    expect(notice).to_contain_text("FAQ_CORS_ORIGINS")
    expect(notice).to_contain_text(sites.refused)
    expect(v.widget.locator(".card")).to_have_count(0)
    assert any("FAQ_CORS_ORIGINS" in e for e in v.errors), v.errors  # said in the console too
    assert not v.csp_violations()


def test_measure_size_and_time_to_first_results(sites: Sites, visit: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sizes = {name: (len(data := (STATIC / name).read_bytes()), len(gzip.compress(data, 9))) for name in ("widget.js", "widget.css")}
    times = []
    for _ in range(5):
        v = visit(sites.plain)
        expect(v.widget.locator(".faqw")).to_be_visible()
        ready = v.page.evaluate("performance.now()")
        v.widget.get_by_role("searchbox").press_sequentially(ANSWERED, delay=15)
        expect(v.widget.locator(".card").first).to_be_visible()
        t = v.page.evaluate("window.__timing")
        times.append({"page_load_to_widget_ready_ms": ready, "last_key_to_results_ms": t["results"] - t["lastKey"],
                      "page_load_to_results_ms": t["results"]})
        v.close()
    report = {"bytes": sizes, "median": {k: round(statistics.median(t[k] for t in times), 1) for k in times[0]}}
    with capsys.disabled():
        print("\nwidget measurements:", json.dumps(report))
    assert sizes["widget.js"][1] < 10_000
