"""The embeddable widget's files, and CORS for the API it calls from a help center's own site (fake models)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faq.settings import Settings
from service import create_app
from service.pages import STATIC

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = "https://help.example.com"


@pytest.fixture(scope="module")
def widget_client(fake_index_dir: Path, fake_models: list, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(index_dir=fake_index_dir, corpus=ROOT / "corpus", data_dir=tmp_path_factory.mktemp("widget"),
                        cors_origins=[ALLOWED], reload_poll_seconds=0)
    with TestClient(create_app(settings, models=fake_models)) as client:
        yield client


@pytest.mark.parametrize(("name", "kind"), [("widget.js", "text/javascript"), ("widget.css", "text/css")])
def test_widget_files_have_their_type_and_a_cache_header(widget_client: TestClient, name: str, kind: str) -> None:
    response = widget_client.get(f"/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(kind)
    assert "max-age=" in response.headers["cache-control"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content == (STATIC / name).read_bytes()


def test_widget_needs_no_inline_style_or_eval() -> None:
    source = (STATIC / "widget.js").read_text(encoding="utf-8")
    for forbidden in ("<style", "innerHTML", "eval(", "new Function", ".style.", "insertAdjacentHTML"):
        assert forbidden not in source


@pytest.mark.parametrize("path", ["/v1/helpcenter", "/v1/query", "/v1/feedback"])
def test_api_preflight_is_allowed_only_for_configured_origins(widget_client: TestClient, path: str) -> None:
    ask = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
    allowed = widget_client.options(path, headers={"origin": ALLOWED, **ask})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    refused = widget_client.options(path, headers={"origin": "https://elsewhere.example", **ask})
    assert "access-control-allow-origin" not in refused.headers


def test_query_answer_carries_the_cors_header_for_the_allowed_origin_only(widget_client: TestClient) -> None:
    body = {"question": "Que couvre la garantie ?", "surface": "search"}
    assert widget_client.post("/v1/query", json=body, headers={"origin": ALLOWED}).headers["access-control-allow-origin"] == ALLOWED
    other = widget_client.post("/v1/query", json=body, headers={"origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in other.headers
