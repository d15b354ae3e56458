"""The real app on 127.0.0.1 in a background thread, and Debian's chromium driven by Playwright.

Never `playwright install`: the browser is /usr/bin/chromium from `apt-get install chromium`.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pytest
from fastapi import FastAPI

from faq.settings import Settings
from service import create_app

from serving import in_thread as serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -e '.[test]'; never `playwright install`)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _missing()
    if reason is None:
        return
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.skip(reason=reason))


def app_for_corpus(corpus: Path, root: Path, models: list, **settings: Any) -> FastAPI:
    """The service of a corpus folder, indexed with `models` (fakes) under `root` and calibrated label-free."""
    from index import build_index
    from ingest import load_corpus
    from usecases.calibrate import calibrate_index

    index = root / "index"
    config = Settings(corpus=corpus, index_dir=index, data_dir=root / "data", calibration_set=None, reload_poll_seconds=0,
                      **settings)
    build_index(load_corpus(corpus), models, index)
    calibrate_index(index, None, config, models=models)
    return create_app(config, models=models)


@pytest.fixture(scope="session")
def base_url(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bundled watch-shop FAQ, with its corpus/helpcenter.json."""
    settings = Settings(index_dir=index_dir, corpus=CORPUS, data_dir=tmp_path_factory.mktemp("browser-data"))
    with serving(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    reason = _missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def guarded_page(browser: Browser, base_url: str, locale: str = "fr-FR") -> Iterator[Page]:
    """A fresh context (empty localStorage, a French browser unless `locale` says otherwise) that only reaches the
    service: any other request fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base_url, locale=locale)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    outside: list[str] = []
    allowed = urlparse(base_url).netloc

    def guard(route) -> None:
        url = urlparse(route.request.url)
        if url.scheme in ("data", "blob") or url.netloc == allowed:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert not outside, f"the page requested something outside the service: {outside}"
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    with guarded_page(browser, base_url) as p:
        yield p


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


ARABIC = Path(__file__).resolve().parents[2] / "eval" / "datasets" / "watch-faq-langs" / "ar"  # the watch FAQ in Arabic


def arabic_widget_service(tmp_path: Path, models: list, host: str) -> FastAPI:
    """The Arabic FAQ's service, allowing the page at `host` to call it (CORS): what a widget on another site reaches."""
    root = tmp_path / "widget"
    shutil.copytree(ARABIC, root / "corpus")
    return app_for_corpus(root / "corpus", root, models, cors_origins=[host])


@contextmanager
def widget_page(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A fresh French browser's page for a host site embedding the widget (other origins allowed: the widget calls the
    service's), and the JavaScript errors it raises; closed after."""
    context = browser.new_context(viewport={"width": 800, "height": 900}, locale="fr-FR")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page, errors
    finally:
        context.close()
