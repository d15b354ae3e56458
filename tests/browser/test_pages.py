"""The search page and the agent panel in a real browser (Debian's chromium through Playwright)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Dialog, Route

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.model]

WARRANTY = "Que couvre précisément la politique de garantie ?"
# plainly off topic (the issue's own example). "Quel temps fera-t-il demain à Montréal ?" was this test's question until
# decision model 8: its "temps" meets the FAQ's "combien de temps" titles, and its about-the-help-center probability on the
# bundled index (0.489) is above model 8's related threshold (0.475, model 7's was 0.525): it is shown related articles
# now, the trade for fewer in-scope questions refused (README, "Model 8")
OUT_OF_SCOPE = "Quelle est la capitale de la France ?"
TWO_QUESTIONS = ("Bonjour,\nJ'ai reçu ma montre hier mais le verre est rayé. Que dois-je faire ?\n"
                 "Et combien de temps faut-il pour être remboursé ?\nMerci d'avance,\nMarie D.")
XSS = "<script>alert(1)</script>"


def dismissed(dialogs: list[str]) -> Callable[[Dialog], None]:
    """A dialog handler that keeps each dialog's message and dismisses it."""
    def handle(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()
    return handle


def search(page, question: str) -> None:
    page.goto("/")
    box = page.get_by_label("Votre question")
    box.fill(question)


def first_card(page):
    return page.locator(".result-list > li").first


def suggest(page, message: str = TWO_QUESTIONS) -> None:
    page.goto("/agent")
    page.get_by_label("Message du client").fill(message)
    page.get_by_role("button", name="Suggérer des réponses").click()
    expect(page.locator(".group").first).to_be_visible()


def test_typing_a_question_shows_the_warranty_entry_first(page, screenshots):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_label("Votre question").press_sequentially("combien de temps dure la garantie", delay=20)
    card = first_card(page)
    expect(card.locator(".result-title")).to_have_text(WARRANTY)
    expect(card.locator(".crumb")).to_contain_text("Garantie et réparation")
    expect(card.locator(".short-answer")).to_contain_text("24 mois")
    expect(card.locator("mark").first).to_be_visible()  # the matched terms are highlighted
    expect(page.get_by_role("status")).to_have_text(re.compile(r"\d+ résultats? pour « combien de temps dure la garantie »"))
    page.screenshot(path=str(screenshots / "search.png"), full_page=True)


def test_a_misspelt_question_says_the_words_it_searched(page):
    search(page, "combien de temps dure la garantei")
    expect(first_card(page).locator(".result-title")).to_have_text(WARRANTY)
    expect(page.get_by_role("status")).to_have_text(re.compile(r"\d+ résultats? pour « combien de temps dure la garantie »"))


def test_helpful_records_feedback(page):
    search(page, "combien de temps dure la garantie")
    card = first_card(page)
    with page.expect_response(lambda r: r.url.endswith("/v1/feedback")) as response:
        card.get_by_role("button", name="Oui").click()
    assert response.value.status == 201
    assert response.value.request.post_data_json["verdict"] == "helpful"
    expect(card.locator(".feedback-note")).to_have_text("Merci pour votre retour.")


def test_out_of_scope_question_shows_the_contact_options(page, screenshots):
    search(page, OUT_OF_SCOPE)
    no_answer = page.locator(".no-answer")
    expect(no_answer).to_be_visible()
    expect(no_answer.get_by_role("heading")).to_have_text("Nous n'avons pas trouvé de réponse à votre question")
    expect(no_answer.get_by_role("link", name="service@btomic.com")).to_have_attribute("href", "mailto:service@btomic.com")
    expect(no_answer).to_contain_text("+1 (347) 459-1491")
    expect(page.locator(".result-list")).to_have_count(0)  # no list of unrelated passages
    related = page.locator("details.related")
    if related.count():
        expect(related).not_to_have_attribute("open", "")
    page.screenshot(path=str(screenshots / "search-no-answer.png"), full_page=True)


def test_agent_panel_splits_a_two_question_message(page, screenshots):
    suggest(page)
    groups = page.locator(".group")
    expect(groups).to_have_count(2)
    expect(groups.nth(0).locator(".detected")).to_contain_text("Que dois-je faire ?")
    expect(groups.nth(1).locator(".detected")).to_contain_text("combien de temps faut-il pour être remboursé ?")
    expect(groups.nth(1).locator(".result-title").first).to_have_text("Combien de temps faut-il pour traiter un remboursement ?")
    expect(page.get_by_role("status").first).to_have_text("2 questions détectées")
    page.screenshot(path=str(screenshots / "agent.png"), full_page=True)


def test_agent_panel_ctrl_enter_and_copy(page):
    page.goto("/agent")
    box = page.get_by_label("Message du client")
    box.fill("Combien de temps faut-il pour être remboursé ?")
    box.press("Control+Enter")
    expect(page.locator(".group")).to_have_count(1)
    card = page.locator(".suggestion-list > li").first
    copy = card.locator("button.copy")
    copy.click()
    expect(copy).to_have_text("Copié")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "5 à 7 jours ouvrables" in copied


def test_used_on_the_agent_panel_says_it_is_off_without_agent_sign_in(page):
    """Marking an answer used proposes the question to the team, so it needs a signed-in agent
    (tests/browser/test_team_pages.py signs one in); without tokens configured the panel says so and sends nothing."""
    suggest(page)
    card = page.locator(".suggestion-list > li").first
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/v1/feedback") else None)
    card.get_by_role("button", name="Utilisée").click()
    expect(card.locator(".verdict-note")).to_contain_text("FAQ_AGENT_TOKEN")
    assert sent == []
    with page.expect_response(lambda r: r.url.endswith("/v1/feedback")) as response:
        card.get_by_role("button", name="Non pertinente").click()
    assert response.value.status == 201
    expect(card.locator(".verdict-note")).to_have_text("Enregistré : non pertinente")


def test_keyboard_only_search_and_expand(page):
    page.goto("/")
    box = page.get_by_label("Votre question")
    for _ in range(10):  # skip link, brand, agent link, language picker, then the search box
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "q":
            break
    expect(box).to_be_focused()
    page.keyboard.type("combien de temps dure la garantie", delay=20)
    card = first_card(page)
    expect(card.locator(".result-title")).to_have_text(WARRANTY)
    page.keyboard.press("Tab")
    expand = card.locator("button.expand")
    expect(expand).to_be_focused()
    expect(expand).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(expand).to_have_attribute("aria-expanded", "true")
    full = card.locator(".full-answer")
    expect(full).to_be_visible()
    expect(full).to_contain_text("Sont exclus les dommages")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    width = page.evaluate("parseFloat(getComputedStyle(document.activeElement).outlineWidth)")
    assert outline != "none" and width >= 2
    page.keyboard.press("Space")  # Space works on the button too
    expect(expand).to_have_attribute("aria-expanded", "false")
    expect(full).to_be_hidden()


def test_a_script_query_is_shown_as_text(page):
    dialogs: list[str] = []
    page.on("dialog", dismissed(dialogs))
    search(page, XSS)
    status = page.get_by_role("status")
    expect(status).to_contain_text(f"« {XSS} »")
    expect(page.locator(".no-answer, .result-list").first).to_be_visible()
    assert page.locator("#results script, #status script").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []


def test_a_script_message_is_shown_as_text_on_the_agent_panel(page):
    dialogs: list[str] = []
    page.on("dialog", dismissed(dialogs))
    suggest(page, f"Pourquoi {XSS} ?")
    expect(page.locator(".detected").first).to_contain_text(XSS)
    assert page.locator("#groups script").count() == 0
    assert dialogs == []


def test_the_language_picker_changes_the_strings_and_is_remembered(page):
    search(page, "combien de temps dure la garantie")
    expect(first_card(page).locator(".result-title")).to_have_text(WARRANTY)
    page.get_by_label("Langue").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("How can we help you?")
    expect(page.get_by_label("Your question")).to_have_value("combien de temps dure la garantie")
    expect(page.get_by_role("status")).to_contain_text("for “combien de temps dure la garantie”")
    expect(first_card(page).locator("button.expand")).to_have_text("Show the full answer")
    expect(first_card(page).get_by_role("button", name="Yes")).to_be_visible()
    expect(page.get_by_role("link", name="Agent panel")).to_be_visible()
    assert page.evaluate("localStorage.getItem('faq.lang')") == "en"

    page.goto("/agent")  # the choice carries over to the other page
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Customer message")).to_be_visible()
    expect(page.get_by_role("button", name="Suggest answers")).to_be_visible()
    page.get_by_label("Language").select_option(label="Français")
    expect(page.get_by_role("button", name="Suggérer des réponses")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_the_pages_link_to_each_other(page):
    page.goto("/")
    page.get_by_role("link", name="Espace conseiller").click()
    expect(page).to_have_url(re.compile(r"/agent$"))
    page.get_by_role("link", name="Centre d'aide", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Comment pouvons-nous vous aider ?")


def test_a_stale_response_never_replaces_a_newer_one(page):
    page.goto("/")
    # hold the first query's response back until the second one is on screen
    held: list[Route] = []

    def slow_first(route: Route) -> None:
        if not held:
            held.append(route)
        else:
            route.continue_()

    page.route("**/v1/query", slow_first)
    box = page.get_by_label("Votre question")
    box.fill("livraison")
    page.wait_for_timeout(400)  # past the debounce: the first request is sent and held
    box.fill("combien de temps dure la garantie")
    expect(first_card(page).locator(".result-title")).to_have_text(WARRANTY)
    try:
        held[0].continue_()  # the page aborted it; letting it through must not bring the old results back
    except Exception:  # noqa: BLE001 - playwright refuses to continue a request the page already cancelled
        pass
    page.wait_for_timeout(500)
    expect(first_card(page).locator(".result-title")).to_have_text(WARRANTY)


def test_narrow_screen_layout(page, screenshots):
    page.set_viewport_size({"width": 390, "height": 844})
    search(page, "combien de temps dure la garantie")
    expect(first_card(page).locator(".result-title")).to_have_text(WARRANTY)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    page.screenshot(path=str(screenshots / "search-mobile.png"), full_page=True)


# ---------- issue 18: thanks-only messages, signatures, copying the short answer, weak vs strong ----------

REFUND = "Combien de temps faut-il pour être remboursé ?"


def test_agent_panel_thanks_only_message_shows_no_question(page):
    page.goto("/agent")
    page.get_by_label("Message du client").fill("Merci beaucoup !\nCordialement, Julie")
    with page.expect_response(lambda r: r.url.endswith("/v1/suggest")) as response:
        page.get_by_role("button", name="Suggérer des réponses").click()
    assert response.value.json()["no_question"] is True
    expect(page.locator(".no-question")).to_contain_text("Aucune question trouvée dans ce message")
    expect(page.locator(".group")).to_have_count(0)
    expect(page.locator("#status")).to_have_text("Aucune question trouvée dans ce message")
    page.get_by_label("Langue").select_option("en")
    expect(page.locator(".no-question")).to_contain_text("No question found in this message")
    page.evaluate("localStorage.clear()")


def test_agent_panel_drops_the_signature(page):
    suggest(page, f"Bonjour,\n{REFUND}\n\nCordialement,\nJulie Martin\nEnvoyé de mon iPhone\n\n"
                  "Le lun. 3 mars 2025, Service client a écrit :\n> Quelle est votre question ?")
    groups = page.locator(".group")
    expect(groups).to_have_count(1)
    expect(groups.first.locator(".detected")).to_have_text(REFUND)
    expect(page.locator("#status")).to_have_text("1 question détectée")


def test_agent_panel_copy_copies_the_short_answer_and_copy_all_the_passage(page):
    page.goto("/agent")
    page.get_by_label("Message du client").fill(REFUND)
    with page.expect_response(lambda r: r.url.endswith("/v1/suggest")) as response:
        page.get_by_role("button", name="Suggérer des réponses").click()
    suggestion = response.value.json()["suggestions"][0]
    assert suggestion["answer"], "the refund question has a short answer"
    card = page.locator(".suggestion-list > li").first
    copy = card.locator("button.copy")
    copy.click()
    expect(copy).to_have_text("Copié")
    expect(page.locator("#announce")).to_have_text("Copié")
    assert page.evaluate("navigator.clipboard.readText()") == suggestion["answer"]["text"]
    full = card.locator("button.copy-full")
    if suggestion["answer"]["text"].strip() != suggestion["results"][0]["passage"].strip():
        full.click()
        expect(full).to_have_text("Copié")
        assert page.evaluate("navigator.clipboard.readText()") == suggestion["results"][0]["passage"]
    # cards without a short answer copy their passage
    second = page.locator(".suggestion-list > li").nth(1)
    second.locator("button.copy").click()
    assert page.evaluate("navigator.clipboard.readText()") == suggestion["results"][1]["passage"]


def _fake_suggestion(question: str, confidence: float, answerable: bool, n: int) -> dict:
    result = {"rank": 1, "score": 1.0, "similarity": 0.5, "passage": f"Passage {n}.", "document": "FAQ", "document_id": "doc",
              "section": "Section", "question": f"Entry {n} ?", "entry_id": f"doc:{n}", "chunk_id": f"doc:{n}:0",
              "citation": "Section › Entry", "url": None, "lang": "fr", "highlights": []}
    return {"question": question, "query_id": f"{n:032x}", "answerable": answerable, "confidence": confidence,
            "answer": None, "results": [result], "question_lang": "fr"}


def test_agent_panel_weak_and_strong_suggestions_have_classes_and_labels(page):
    body = {"suggestions": [_fake_suggestion("Q forte ?", 0.9, True, 1), _fake_suggestion("Q moyenne ?", 0.6, True, 2),
                            _fake_suggestion("Q faible ?", 0.3, False, 3)],
            "no_question": False, "index_version": "v", "took_ms": 1.0}
    page.route("**/v1/suggest", lambda route: route.fulfill(status=200, json=body))
    suggest(page, "Q forte ? Q moyenne ? Q faible ?")
    groups = page.locator(".group")
    expect(groups).to_have_count(3)
    for i, (level, label) in enumerate([("strong", "Correspondance forte"), ("medium", "Correspondance moyenne"),
                                        ("weak", "Peut-être lié")]):
        expect(groups.nth(i)).to_have_class(re.compile(rf"\bstrength-{level}\b"))
        expect(groups.nth(i).locator(".strength-label")).to_have_text(label)  # a text label, not colour alone
    weak, strong = groups.nth(2).locator(".result-card"), groups.nth(0).locator(".result-card")
    assert weak.evaluate("e => getComputedStyle(e).borderTopStyle") == "dashed"
    assert strong.evaluate("e => getComputedStyle(e).borderTopStyle") != "dashed"


def test_agent_panel_says_what_a_misspelt_question_was_searched_as(page):
    typed, spelt = _fake_suggestion("la garantei ?", 0.9, True, 1), _fake_suggestion("le remboursement ?", 0.9, True, 2)
    typed["corrected"] = "la garantie ?"
    body = {"suggestions": [typed, spelt], "no_question": False, "index_version": "v", "took_ms": 1.0}
    page.route("**/v1/suggest", lambda route: route.fulfill(status=200, json=body))
    suggest(page, "la garantei ? le remboursement ?")
    groups = page.locator(".group")
    expect(groups.nth(0).locator(".searched")).to_have_text("Recherché avec l'orthographe de la FAQ : « la garantie ? »")
    expect(groups.nth(1).locator(".searched")).to_have_count(0)


def test_agent_panel_labels_a_question_the_faq_does_not_cover(page):
    related, none = _fake_suggestion("Q liée ?", 0.2, False, 1), _fake_suggestion("Q hors sujet ?", 0.01, False, 2)
    related["outcome"], none["outcome"] = "related", "none"
    body = {"suggestions": [related, none], "no_question": False, "index_version": "v", "took_ms": 1.0}
    page.route("**/v1/suggest", lambda route: route.fulfill(status=200, json=body))
    suggest(page, "Q liée ? Q hors sujet ?")
    groups = page.locator(".group")
    expect(groups).to_have_count(2)
    expect(groups.nth(0)).to_have_class(re.compile(r"\bstrength-weak\b"))
    expect(groups.nth(0).locator(".strength-label")).to_have_text("Peut-être lié")
    expect(groups.nth(1)).to_have_class(re.compile(r"\bstrength-none\b"))
    expect(groups.nth(1).locator(".strength-label")).to_have_text("Hors FAQ")
    expect(groups.nth(1).locator(".notice")).to_have_text("La FAQ ne couvre pas cette question : rien de pertinent trouvé.")


def test_agent_panel_screenshot(page, screenshots):
    suggest(page, f"Bonjour,\nJ'ai reçu ma montre hier mais le verre est rayé. Que dois-je faire ?\n{REFUND}\n"
                  "Et quel temps fera-t-il demain à Montréal ?\nMerci d'avance,\nMarie D.\nEnvoyé de mon iPhone")
    groups = page.locator(".group")
    expect(groups).to_have_count(3)
    for i in range(3):
        expect(groups.nth(i).locator(".detected")).not_to_contain_text("iPhone")
    page.screenshot(path=str(screenshots / "agent-panel.png"), full_page=True)
