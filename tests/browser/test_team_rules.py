"""The team's rules page (/team/rules) in a real browser, on the fake-model service: add a synonym and a pin, try a
question with and without them, delete a rule."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from faq.settings import Settings
from service import create_app

from browser.conftest import CORPUS, guarded_page, serving
from conftest import ADMIN_TOKEN

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
expect = sync_api.expect

pytestmark = [pytest.mark.browser]

PAYMENT = "enigme-ba793-faq:1.1"


@pytest.fixture(scope="module")
def rules_url(fake_index_dir, fake_models, tmp_path_factory) -> Iterator[str]:
    settings = Settings(index_dir=fake_index_dir, corpus=CORPUS, data_dir=tmp_path_factory.mktemp("rules-data"), admin_token=ADMIN_TOKEN)
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
        page.locator(".team-rule").first.get_by_role("button", name="Delete").click()
        expect(page.get_by_role("heading", name="Synonyms (0)")).to_be_visible()
