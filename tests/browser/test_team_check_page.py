"""The team's home page shows the last regression check `faq ingest` ran before switching versions (usecases.regression_check)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from faq.settings import Settings
from service import create_app
from usecases.regression_check import CheckOptions, CheckRefusedError
from usecases.versions import build_loaded

from browser.conftest import CORPUS, guarded_page, serving
from conftest import ADMIN_TOKEN
from test_regression_check import broken, saved_questions

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
expect = sync_api.expect

pytestmark = [pytest.mark.browser]


def test_the_team_page_shows_a_refused_check_and_what_moved(browser, corpus, fake_models, tmp_path):
    settings = Settings(index_dir=tmp_path / "index", data_dir=tmp_path / "data", calibration_set=None)
    check = CheckOptions(questions=saved_questions(corpus, tmp_path))
    build_loaded(corpus, settings.index_dir, settings, fake_models, check=check)
    with pytest.raises(CheckRefusedError):
        build_loaded(broken(corpus), settings.index_dir, settings, fake_models, check=check)
    served = Settings(index_dir=settings.index_dir, data_dir=settings.data_dir, corpus=CORPUS, admin_token=SecretStr(ADMIN_TOKEN))
    with serving(create_app(served, models=fake_models)) as url, guarded_page(browser, url) as page:
        page.goto("/team")
        page.get_by_label("Admin token").fill(ADMIN_TOKEN)
        page.get_by_role("button", name="Sign in").click()
        box = page.locator("#last-check")
        expect(box.locator(".team-check-refused")).to_contain_text("Refused: hit@1 of the saved questions fell")
        expect(box).to_contain_text("answer accuracy")
        expect(box.locator("table.team-table tbody tr").first).to_contain_text("enigme-ba793-faq:3.1")
