"""The team's rules page (/team/rules) in a real browser, on the fake-model service: add a synonym and a pin, try a
question with and without them, edit a synonym and a pin, hide an entry (still named on this page, gone from the search
page's browse list), read the recent changes, delete a rule."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from faq.settings import Settings
from service import create_app

from browser.conftest import CORPUS, guarded_page, serving
from conftest import ADMIN_TOKEN

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
expect = sync_api.expect

pytestmark = [pytest.mark.browser]

PAYMENT = "enigme-ba793-faq:1.1"
WARRANTY = "enigme-ba793-faq:3.1"


@pytest.fixture(scope="module")
def rules_url(fake_index_dir, fake_models, tmp_path_factory) -> Iterator[str]:
    settings = Settings(index_dir=fake_index_dir, corpus=CORPUS, data_dir=tmp_path_factory.mktemp("rules-data"), admin_token=SecretStr(ADMIN_TOKEN))
    with serving(create_app(settings, models=fake_models)) as url:
        yield url


def test_the_rules_page_adds_tries_and_deletes_rules(browser, rules_url, screenshots):
    with guarded_page(browser, rules_url) as page:
        page.goto("/team/rules")
        page.get_by_label("Admin token").fill(ADMIN_TOKEN)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Synonyms (0)")).to_be_visible()
        page.get_by_label("Language (de, fr…)").fill("fr")
        page.get_by_label("Terms, comma-separated").fill("remboursement, argent en retour")
        page.get_by_role("button", name="Add synonym").click()
        expect(page.get_by_role("heading", name="Synonyms (1)")).to_be_visible()
        expect(page.locator(".team-rule").first).to_contain_text("fr: remboursement = argent en retour")
        page.get_by_label("Entry id (answer pins)").fill(PAYMENT)
        page.get_by_label("Example questions, one a line").fill("Est-ce que vous livrez sur la lune ?")
        page.get_by_role("button", name="Add pin").click()
        expect(page.get_by_role("heading", name="Pinned answers (1)")).to_be_visible()
        page.get_by_label("Question", exact=True).fill("Est-ce que vous livrez sur la lune ?")
        page.get_by_role("button", name="Try").click()
        expect(page.locator(".team-rule-try")).to_contain_text(f"With the rules: answer, {PAYMENT}")
        page.screenshot(path=str(screenshots / "team-rules.png"), full_page=True)

        synonym = page.locator(".team-rule").first
        synonym.get_by_role("button", name="Edit").click()
        expect(synonym.get_by_label("Terms, comma-separated")).to_have_value("remboursement, argent en retour")
        synonym.get_by_label("Terms, comma-separated").fill("remboursement, argent en retour, rembourser")
        synonym.get_by_role("button", name="Save synonym").click()
        expect(page.locator(".team-rule").first).to_contain_text("fr: remboursement = argent en retour = rembourser")
        pin = page.locator(".team-rule").nth(1)
        pin.get_by_role("button", name="Edit").click()
        expect(pin.get_by_label("Entry id (answer pins)")).to_have_value(PAYMENT)
        pin.get_by_label("Example questions, one a line").fill("Livrez-vous sur la lune, ou sur Mars ?\nEt sur Vénus ?")
        pin.get_by_role("button", name="Cancel").click()
        expect(page.locator(".team-rule").nth(1)).to_contain_text("Est-ce que vous livrez sur la lune ? →")
        pin.get_by_role("button", name="Edit").click()
        pin.get_by_label("Example questions, one a line").fill("Livrez-vous sur la lune, ou sur Mars ?\nEt sur Vénus ?")
        pin.get_by_role("button", name="Save pin").click()
        expect(page.locator(".team-rule").nth(1)).to_contain_text("Livrez-vous sur la lune, ou sur Mars ? / Et sur Vénus ? →")

        page.get_by_label("Entry id", exact=True).fill(WARRANTY)
        page.get_by_role("button", name="Add hidden").click()
        expect(page.get_by_role("heading", name="Hidden (1)")).to_be_visible()
        expect(page.locator(".team-rule").nth(2)).to_contain_text(f"({WARRANTY})")  # named by its question: admins list it
        changes = page.locator(".team-audit-row")
        expect(changes).to_have_count(5)
        expect(changes.first).to_contain_text("admin session")
        expect(changes.first).to_contain_text(f"add hidden #1: entry {WARRANTY}")
        expect(changes.nth(1)).to_contain_text("edit pin #1: Livrez-vous sur la lune, ou sur Mars ? / Et sur Vénus ?")
        page.screenshot(path=str(screenshots / "team-rules-edited.png"), full_page=True)

        page.locator(".team-rule").first.get_by_role("button", name="Delete").click()
        expect(page.get_by_role("heading", name="Synonyms (0)")).to_be_visible()
        expect(page.locator(".team-audit-row").first).to_contain_text("delete synonym #1")


def test_the_search_page_does_not_list_a_hidden_entry(browser, rules_url):
    with guarded_page(browser, rules_url) as page:
        page.goto("/")
        listed = page.locator(".topic-question")
        expect(listed.first).to_be_visible()
        titles = listed.all_text_contents()
        response = page.request.post(f"{rules_url}/v1/admin/hidden", data={"entry_id": PAYMENT},
                                     headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert response.status == 201
        try:
            page.reload()
            expect(listed).to_have_count(len(titles) - 1)
        finally:
            page.request.delete(f"{rules_url}/v1/admin/hidden/{response.json()['id']}",
                                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})


def test_the_recent_changes_are_paged_older_and_newer(browser, rules_url):
    """More changes than a page holds (10): Older shows the next ones, numbered on; Newer comes back."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with guarded_page(browser, rules_url) as page:
        before = page.request.get(f"{rules_url}/v1/admin/rules/audit?limit=500", headers=admin).json()["changes"]
        added = [page.request.post(f"{rules_url}/v1/admin/synonyms", data={"lang": "fr", "terms": [f"mot{i}", f"terme{i}"]},
                                   headers=admin).json()["id"] for i in range(12)]
        try:
            page.goto("/team/rules")
            page.get_by_label("Admin token").fill(ADMIN_TOKEN)
            page.get_by_role("button", name="Sign in").click()
            rows = page.locator(".team-audit-row")
            expect(rows).to_have_count(10)
            expect(rows.first).to_contain_text("add synonym")
            expect(rows.first).to_contain_text("mot11")
            expect(page.get_by_role("button", name="Newer changes")).to_have_count(0)
            page.get_by_role("button", name="Older changes").click()
            expect(rows).to_have_count(min(10, 2 + len(before)))
            expect(rows.first).to_contain_text("mot1, terme1")
            expect(page.locator(".team-audit-list")).to_have_attribute("start", "11")
            page.get_by_role("button", name="Newer changes").click()
            expect(rows.first).to_contain_text("mot11")
            expect(page.get_by_role("button", name="Newer changes")).to_have_count(0)
        finally:
            for rule_id in added:
                page.request.delete(f"{rules_url}/v1/admin/synonyms/{rule_id}", headers=admin)
