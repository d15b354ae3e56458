"""/docs in a real browser, on the fake-model service: Swagger UI renders FastAPI's OpenAPI 3.1 under the pages' CSP."""

from __future__ import annotations

import pytest

from faq.settings import Settings
from service import create_app

from browser.conftest import CORPUS, guarded_page, serving

pytestmark = [pytest.mark.browser]

CSP_PROBE = """() => { window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI)); }"""


def test_docs_renders_the_operations_without_csp_violations(browser, fake_index_dir, fake_models, tmp_path, screenshots):
    settings = Settings(index_dir=fake_index_dir, corpus=CORPUS, data_dir=tmp_path / "d")
    with serving(create_app(settings, models=fake_models)) as url, guarded_page(browser, url) as page:
        console: list[str] = []
        page.on("console", lambda msg: console.append(msg.text))
        page.add_init_script(f"({CSP_PROBE})()")
        response = page.goto("/docs")
        assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
        page.locator(".opblock").first.wait_for(state="visible")
        query = page.locator(".opblock.opblock-post", has=page.locator(".opblock-summary-path", has_text="/v1/query"))
        assert query.first.is_visible()
        assert query.first.locator(".opblock-summary-method").inner_text().strip() == "POST"
        assert page.locator(".opblock-summary-path", has_text="/v1/feedback").first.is_visible()
        assert page.get_by_text("Unable to render").count() == 0
        assert page.locator(".swagger-ui .errors-wrapper").count() == 0
        assert page.evaluate("window.__cspViolations") == []
        assert not [m for m in console if "Content Security Policy" in m]
        page.screenshot(path=str(screenshots / "docs.png"))
