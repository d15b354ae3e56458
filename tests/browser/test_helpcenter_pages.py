"""Another company's FAQ, with its own helpcenter.json: the pages show its name and contacts, and nothing of the watch shop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import app_for_corpus, guarded_page, serving

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.model]

BIKE_FAQ = """# VéloCité — questions fréquentes

## Location

### Comment louer un vélo ?

Choisissez une station sur la carte, scannez le QR code du vélo avec l'application et déverrouillez-le. La location commence dès que le cadenas s'ouvre.

### Combien coûte la location d'un vélo à la journée ?

Un pass journée coûte 12 € et comprend des trajets illimités de 45 minutes chacun pendant 24 heures.

## Sécurité

### Les casques sont-ils fournis ?

Oui, un casque réglable est rangé dans le panier de chaque vélo électrique. Désinfectez-le avec les lingettes de la station.

### Que faire en cas de crevaison pendant un trajet ?

Signalez la crevaison dans l'application et déposez le vélo à la station la plus proche : le trajet en cours n'est pas facturé.
"""
HELPCENTER = {
    "name": "VéloCité Aide",
    "tagline": {"fr": "Louer un vélo en ville, simplement.", "en": "Renting a city bike, made simple."},
    "contact": {"email": "aide@velocite.example", "phone": "+33 4 78 00 11 22", "hours": "7 j/7, de 7 h à 21 h",
                "url": "https://velocite.example/contact"},
    "topics": ["location", "tarifs", "casques", "crevaison"],
    "default_language": "fr",
}
OFF_TOPIC = "Quelle est la capitale de l'Australie ?"
WATCH_SHOP = ("BTOMIC", "btomic", "(347)", "459-1491", "3474591491", "montre")


@pytest.fixture(scope="session")
def bike_url(tmp_path_factory: pytest.TempPathFactory, embedder, use_embedder) -> Iterator[str]:
    """A bike-rental FAQ in a tmp folder beside its helpcenter.json, indexed with the real models and calibrated label-free."""
    root = tmp_path_factory.mktemp("velocite")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "velocite-faq.fr.md").write_text(BIKE_FAQ, encoding="utf-8")
    (corpus / "helpcenter.json").write_text(json.dumps(HELPCENTER, ensure_ascii=False), encoding="utf-8")
    models = [embedder, use_embedder]
    with serving(app_for_corpus(corpus, root, models)) as url:
        yield url


@pytest.fixture
def bike_page(browser, bike_url: str) -> Iterator[object]:
    with guarded_page(browser, bike_url) as p:
        yield p


def assert_no_watch_shop(page) -> None:
    text, html = page.locator("body").inner_text(), page.content()
    for word in WATCH_SHOP:
        assert word not in text and word not in html, f"{word!r} from the watch shop is on the page"


def test_the_search_page_is_the_bike_shops(bike_page, screenshots: Path):
    page = bike_page
    page.goto("/")
    brand = page.locator(".topbar .brand")
    expect(brand).to_contain_text("VéloCité Aide")
    expect(brand.locator(".brand-mark")).to_have_text("V")
    expect(page).to_have_title("Comment pouvons-nous vous aider ? · VéloCité Aide")
    expect(page.locator(".hero-intro")).to_have_text("Louer un vélo en ville, simplement.")
    expect(page.locator(".topic-chip")).to_have_text(HELPCENTER["topics"])
    footer = page.locator("footer")
    expect(footer).to_contain_text("VéloCité Aide")
    expect(footer).to_contain_text("7 j/7, de 7 h à 21 h")
    expect(footer.get_by_role("link", name="aide@velocite.example")).to_have_attribute("href", "mailto:aide@velocite.example")
    expect(footer.get_by_role("link", name="+33 4 78 00 11 22")).to_have_attribute("href", "tel:+33478001122")
    assert_no_watch_shop(page)
    page.screenshot(path=str(screenshots / "helpcenter-home.png"), full_page=True)

    page.get_by_role("button", name="casques", exact=True).click()
    card = page.locator(".result-list > li").first
    expect(card.locator(".result-title")).to_have_text("Les casques sont-ils fournis ?")
    expect(card.locator(".lang-badge")).to_have_count(0)  # a French entry on a French page
    assert_no_watch_shop(page)
    page.screenshot(path=str(screenshots / "helpcenter-search.png"), full_page=True)


def test_the_no_answer_card_gives_the_bike_shops_contacts(bike_page, screenshots: Path):
    page = bike_page
    page.goto("/")
    page.get_by_label("Votre question").fill(OFF_TOPIC)
    no_answer = page.locator(".no-answer")
    expect(no_answer).to_be_visible()
    expect(no_answer.get_by_role("link", name="aide@velocite.example")).to_have_attribute("href", "mailto:aide@velocite.example")
    expect(no_answer.get_by_role("link", name="+33 4 78 00 11 22")).to_have_attribute("href", "tel:+33478001122")
    contact = no_answer.get_by_role("link", name="https://velocite.example/contact")
    expect(contact).to_have_attribute("target", "_blank")
    expect(contact).to_have_attribute("rel", "noopener")
    expect(no_answer).to_contain_text("7 j/7, de 7 h à 21 h")
    assert_no_watch_shop(page)
    page.screenshot(path=str(screenshots / "helpcenter-no-answer.png"), full_page=True)


def test_a_related_outcome_lists_the_entries_openly_with_the_bike_shops_contacts(bike_page, screenshots: Path):
    page = bike_page
    page.route("**/v1/query", lambda route: with_source_fields(
        route, lambda body: body.update(outcome="related", answerable=False, answer=None)))
    page.goto("/")
    page.get_by_label("Votre question").fill("Peut-on louer un tandem ?")
    related = page.locator(".related-articles")
    expect(related.get_by_role("heading", name="Pas de réponse sûre, mais ces articles peuvent vous aider")).to_be_visible()
    expect(related.locator(".result-list > li").first).to_be_visible()  # open, not folded as under "no answer"
    expect(related.locator(".result-card.is-best")).to_have_count(0)
    expect(related.locator(".related-contact").get_by_role("link", name="aide@velocite.example")).to_be_visible()
    expect(page.locator(".no-answer h2")).to_have_count(0)  # not the "we did not find an answer" card
    assert_no_watch_shop(page)
    page.screenshot(path=str(screenshots / "helpcenter-related.png"), full_page=True)


def test_the_agent_panel_is_the_bike_shops(bike_page, screenshots: Path):
    page = bike_page
    page.goto("/agent")
    expect(page.locator(".topbar .brand")).to_contain_text("VéloCité Aide")
    expect(page.locator(".topics-line")).to_contain_text("location · tarifs · casques · crevaison")
    expect(page.locator("footer")).to_contain_text("aide@velocite.example")
    page.get_by_label("Message du client").fill("Bonjour, j'ai crevé en route, que dois-je faire ? Merci")
    page.get_by_role("button", name="Suggérer des réponses").click()
    expect(page.locator(".group").first.locator(".result-title").first).to_have_text("Que faire en cas de crevaison pendant un trajet ?")
    assert_no_watch_shop(page)
    page.screenshot(path=str(screenshots / "helpcenter-agent.png"), full_page=True)


def test_english_pages_badge_french_entries(bike_page):
    page = bike_page
    page.goto("/")
    page.get_by_label("Langue").select_option("en")
    page.get_by_label("Your question").fill("Are helmets provided?")
    card = page.locator(".result-list > li").first
    expect(card.locator(".result-title")).to_contain_text("Les casques sont-ils fournis ?")
    expect(card.locator(".result-title .lang-badge")).to_have_text("FR")


def with_source_fields(route, edit) -> None:
    """Let the real response through with `edit` applied: url and lang as a multilingual, imported FAQ gives them."""
    response = route.fetch()
    body = response.json()
    edit(body)
    route.fulfill(response=response, json=body)


def cited_in_english(result: dict, answer: dict | None, url: str) -> None:
    result.update(url=url, lang="en")
    if answer is not None:
        answer["lang"] = "en"


def test_citations_link_to_their_article_and_other_languages_are_badged(bike_page):
    page = bike_page

    def edit(body: dict) -> None:
        cited_in_english(body["results"][0], body["answer"], "https://velocite.example/aide/casques")
        body["results"][1]["url"] = "javascript:alert(1)"  # never made a link

    page.route("**/v1/query", lambda route: with_source_fields(route, edit))
    page.goto("/")
    page.get_by_label("Votre question").fill("Les casques sont-ils fournis ?")
    cards = page.locator(".result-list > li")
    link = cards.first.locator(".result-title a")
    expect(link).to_have_text("Les casques sont-ils fournis ?")
    expect(link).to_have_attribute("href", "https://velocite.example/aide/casques")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener")
    expect(cards.first.locator(".result-title .lang-badge")).to_have_text("EN")
    expect(cards.nth(1).locator(".result-title a")).to_have_count(0)
    expect(cards.nth(1).locator(".lang-badge")).to_have_count(0)  # no lang: no badge


def test_the_agent_panel_links_and_badges_too(bike_page):
    page = bike_page

    def edit(body: dict) -> None:
        first = body["suggestions"][0]
        cited_in_english(first["results"][0], first["answer"], "https://velocite.example/aide/crevaison")

    page.route("**/v1/suggest", lambda route: with_source_fields(route, edit))
    page.goto("/agent")
    page.get_by_label("Message du client").fill("Que faire en cas de crevaison pendant un trajet ?")
    page.get_by_role("button", name="Suggérer des réponses").click()
    card = page.locator(".suggestion-list > li").first
    expect(card.locator(".result-title a")).to_have_attribute("href", "https://velocite.example/aide/crevaison")
    expect(card.locator(".result-title .lang-badge")).to_have_text("EN")


@pytest.mark.parametrize(("locale", "lang"), [("de-DE", "fr"), ("en-US", "en")])
def test_a_browser_in_an_untranslated_language_gets_the_help_centers(browser, bike_url, locale, lang):
    context = browser.new_context(base_url=bike_url, locale=locale)
    try:
        page = context.new_page()
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("lang", lang)
    finally:
        context.close()


def test_without_contacts_the_no_answer_card_invents_none(bike_page):
    page = bike_page
    neutral: dict[str, Any] = {"name": "Help center", "tagline": None, "contact": {"email": None, "phone": None, "hours": None, "url": None},
               "topics": [], "default_language": "en"}
    page.route("**/v1/helpcenter", lambda route: route.fulfill(json=neutral))
    page.goto("/")
    expect(page.locator(".topbar .brand")).to_have_text("HHelp center")  # the mark's letter, then the name
    page.get_by_label("Votre question").fill(OFF_TOPIC)
    no_answer = page.locator(".no-answer")
    expect(no_answer).to_contain_text("Contactez directement l'entreprise")
    expect(no_answer.locator(".contact, a")).to_have_count(0)
    expect(page.locator("footer")).to_have_text("Help center")
    expect(page.locator(".topic-chip")).to_have_count(0)


def test_a_language_picked_before_the_help_center_loads_is_kept(bike_page):
    page = bike_page
    held = []
    page.route("**/v1/helpcenter", lambda route: held.append(route))  # the picker is wired only once this answers
    page.goto("/")
    page.get_by_label("Langue").select_option("en")
    for _ in range(100):  # the held request reaches this side while Playwright processes events
        if held:
            break
        page.wait_for_timeout(50)
    expect(page.get_by_label("Your question")).to_have_count(0)  # not wired yet: still the French page
    held[0].continue_()
    expect(page.get_by_label("Your question")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_a_question_typed_before_the_help_center_loads_is_answered_then_redrawn(bike_page):
    page = bike_page
    held = []
    page.route("**/v1/helpcenter", lambda route: held.append(route))  # answered only when the test lets it
    page.goto("/")
    page.get_by_label("Votre question").fill(OFF_TOPIC)
    no_answer = page.locator(".no-answer")
    expect(no_answer).to_contain_text("Contactez directement l'entreprise")  # nothing invented while it is unknown
    held[0].continue_()
    expect(no_answer.get_by_role("link", name="aide@velocite.example")).to_be_visible()
    expect(page.locator(".topbar .brand")).to_contain_text("VéloCité Aide")
