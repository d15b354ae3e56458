"""One JSON line per request, with its request id; the question text only when the operator asks for it."""

import io
import json
import logging
import re
import subprocess
import sys

import pytest
from asgi_correlation_id import CorrelationIdFilter
from fastapi.testclient import TestClient

from faq.settings import Settings
from service import create_app
from service.log_config import json_formatter

from conftest import CORPUS, ROOT

QUESTION = "Combien de temps dure la garantie de ma montre ?"
GENERATED = re.compile(r"[0-9a-f]{32}")


class Lines:
    """The faq.access lines written while it is attached, formatted as the service formats them."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(json_formatter())
        self.handler.addFilter(CorrelationIdFilter())

    def read(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture
def access_lines():
    lines, logger = Lines(), logging.getLogger("faq.access")
    logger.addHandler(lines.handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield lines
    logger.removeHandler(lines.handler)
    logger.setLevel(level)


def served(tmp_path, fake_index_dir, fake_models, **settings) -> TestClient:
    return TestClient(create_app(Settings(index_dir=fake_index_dir, corpus=CORPUS, data_dir=tmp_path, rate_limit_per_minute=0,
                                          reload_poll_seconds=0, **settings), models=fake_models),
                      client=("192.0.2.10", 41000), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def logged(tmp_path_factory, fake_index_dir, fake_models):
    with served(tmp_path_factory.mktemp("log-data"), fake_index_dir, fake_models) as c:
        yield c


def test_a_query_writes_one_json_line_with_the_request_fields(logged, access_lines):
    response = logged.post("/v1/query", json={"question": QUESTION, "surface": "search"})
    [line] = access_lines.read()
    assert line["level"] == "INFO" and line["logger"] == "faq.access"
    assert line["method"] == "POST" and line["route"] == "/v1/query" and line["status"] == 200
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["index_version"] == response.json()["index_version"]
    assert line["surface"] == "search" and line["answerable"] == [response.json()["answerable"]]
    assert line["client"] == "192.0.2.10"
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", line["timestamp"])


def test_the_question_text_is_not_logged_by_default(logged, access_lines):
    logged.post("/v1/query", json={"question": QUESTION})
    assert "garantie" not in access_lines.stream.getvalue()
    assert "questions" not in access_lines.read()[0]


def test_the_question_text_is_logged_when_the_operator_turns_it_on(tmp_path, fake_index_dir, fake_models, access_lines):
    with served(tmp_path, fake_index_dir, fake_models, log_questions=True) as c:
        c.post("/v1/query", json={"question": QUESTION})
    assert [line.get("questions") for line in access_lines.read()] == [[QUESTION]]


def test_suggest_logs_one_answerable_flag_per_question_on_the_agent_surface(logged, access_lines):
    response = logged.post("/v1/suggest", json={"message": "Bonjour, combien coûte la livraison ? Et la garantie dure combien de temps ?"})
    [line] = access_lines.read()
    assert line["surface"] == "agent"
    assert line["answerable"] == [s["answerable"] for s in response.json()["suggestions"]]


def test_a_route_that_answers_no_question_logs_no_answer_fields(logged, access_lines):
    logged.get("/v1/documents")
    [line] = access_lines.read()
    assert line["route"] == "/v1/documents"
    assert "answerable" not in line and "surface" not in line


def test_a_valid_incoming_request_id_is_kept_and_returned(logged, access_lines):
    response = logged.get("/healthz", headers={"X-Request-ID": "0123456789abcdef0123456789abcdef"})
    assert response.headers["x-request-id"] == "0123456789abcdef0123456789abcdef"
    assert access_lines.read()[0]["request_id"] == "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("incoming", ["short", "has spaces in it", "x" * 129, "inject\\nfake=line", "<script>alert(1)</script>"])
def test_an_invalid_incoming_request_id_is_replaced_by_a_new_one(logged, access_lines, incoming):
    response = logged.get("/healthz", headers={"X-Request-ID": incoming})
    assert GENERATED.fullmatch(response.headers["x-request-id"])
    assert access_lines.read()[-1]["request_id"] == response.headers["x-request-id"]


def test_without_an_incoming_id_each_request_gets_its_own(logged):
    first, second = (logged.get("/healthz").headers["x-request-id"] for _ in range(2))
    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second) and first != second


@pytest.mark.parametrize("method, path, body, status", [
    ("GET", "/no/such/page", None, 404),
    ("POST", "/v1/query", {"question": ""}, 422),
    ("POST", "/v1/query", {"question": "x" * 70_000}, 413),
])
def test_error_responses_carry_the_request_id_and_are_logged(logged, access_lines, method, path, body, status):
    response = logged.request(method, path, json=body)
    assert response.status_code == status
    [line] = access_lines.read()
    assert line["status"] == status and line["request_id"] == response.headers["x-request-id"]


def test_an_unexpected_error_is_a_500_with_its_request_id_on_the_response_and_the_log(tmp_path, fake_index_dir, fake_models, access_lines):
    app = create_app(Settings(index_dir=fake_index_dir, corpus=CORPUS, data_dir=tmp_path, reload_poll_seconds=0), models=fake_models)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/boom", headers={"X-Request-ID": "req-0000-boom-0001"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req-0000-boom-0001"
    [line] = access_lines.read()
    assert (line["status"], line["route"], line["request_id"]) == (500, "/boom", "req-0000-boom-0001")


def test_the_service_logging_makes_uvicorns_own_lines_json_and_silences_its_access_log():
    script = ("import logging; from service.log_config import configure_logging; configure_logging(); "
              "logging.getLogger('uvicorn.error').info('Uvicorn running', extra={'color_message': 'x'}); "
              "logging.getLogger('uvicorn.access').info('GET / 200')")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={"PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          check=True)
    assert done.stdout == ""
    [line] = [json.loads(x) for x in done.stderr.splitlines()]
    assert {k: line[k] for k in ("level", "logger", "message", "request_id")} == {
        "level": "INFO", "logger": "uvicorn.error", "message": "Uvicorn running", "request_id": None}
    assert "color_message" not in line


def test_a_logged_question_is_redacted_as_the_query_log_is(tmp_path, fake_index_dir, fake_models, access_lines):
    with served(tmp_path, fake_index_dir, fake_models, log_questions=True) as c:
        c.post("/v1/query", json={"question": "ma carte 4111 1111 1111 1111 est refusée, écrivez à marie@example.fr"})
    assert [line.get("questions") for line in access_lines.read()] == [["ma carte <card> est refusée, écrivez à <email>"]]
