"""Property-based run of the OpenAPI schema: no 5xx and no response that breaks the schema.

Drives schemathesis' strategies with Hypothesis directly (its pytest plugin does not run on pytest 9).
"""

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from pydantic import SecretStr

from faq.settings import Settings
from service import create_app

from conftest import ADMIN_TOKEN

EXAMPLES_PER_OPERATION = 20


@pytest.fixture(scope="module")
def schema(index_dir, tmp_path_factory):
    # imported here, not at collection: every run collects this file, few run it (it is slow and loads the models)
    schemathesis = pytest.importorskip("schemathesis")
    app = create_app(Settings(index_dir=index_dir, data_dir=tmp_path_factory.mktemp("fuzz"), admin_token=SecretStr(ADMIN_TOKEN),
                              rate_limit_per_minute=0, reload_poll_seconds=0))
    with TestClient(app):  # runs the lifespan: the index is loaded for every generated call
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.slow
@pytest.mark.model  # the real models see every generated question: an input that crashes an embedder is a 500
def test_every_operation_survives_generated_requests(schema):
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})

        run()
