"""The OpenAPI schema is valid, documents every endpoint, and the API keeps to it: schemathesis
sends generated requests (valid and invalid) as every role and checks that nothing answers 5xx
and that every answer conforms to the schema."""

import json

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from .conftest import ROLES
from .test_access_matrix import ENDPOINTS, schema_operation


def test_the_schema_is_valid_openapi_and_generates_without_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    document = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(document)
    paths = document["paths"]
    assert all(path.startswith("/api/v1/") and not path.endswith("/") for path in paths)
    for path, item in paths.items():
        for method, operation in item.items():
            assert operation.get("summary"), (method, path)
            assert any(code.startswith("2") for code in operation["responses"]), (method, path)
            if path != "/api/v1/auth/token":
                assert {"401", "403"} <= set(operation["responses"]), (method, path)


def test_the_schema_is_served_as_json_to_a_signed_in_user(api, caseworker):
    response = api(caseworker).get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "/api/v1/hold-checks" in response.json()["paths"]


@pytest.mark.django_db
def test_the_schema_and_its_browser_need_a_signed_in_user(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 401
    assert "/api/v1/" not in response.content.decode()
    response = client.get("/api/docs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login?next=")


def _document() -> dict:
    """The schema as /api/schema/ serves it (JSON), built without a request: loading it over
    HTTP at import time would need a signed-in user before the test database exists."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))


APPLICATION = get_wsgi_application()
schema = schemathesis.openapi.from_dict(_document())
schema.app = APPLICATION


@pytest.fixture
def requests_keep_the_test_transaction():
    """Django closes "obsolete" connections around each request, and a connection inside the
    test's transaction looks obsolete: keep it, as Django's own test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=ROLES)
def role(request):
    return request.param


SETTINGS = {"deadline": None, "derandomize": True, "suppress_health_check": list(HealthCheck)}
# Valid-looking data may still be refused with a 400: fact dates in the future, a victim and a
# victim_id together... rules a JSON schema cannot state.
EXCLUDED = [positive_data_acceptance]


def _headers(w, role: str) -> dict:
    return {} if role == "anonymous" else {"Authorization": f"Token {w.tokens[role]}"}


@schema.parametrize()
@settings(max_examples=15, phases=[Phase.generate], **SETTINGS)
def test_the_api_keeps_to_its_schema_for_every_role(
    case, role, w, requests_keep_the_test_transaction
):
    """Generated requests, valid and invalid, as each role."""
    case.call_and_validate(headers=_headers(w, role), excluded_checks=EXCLUDED)


# For each operation, a role that may use it: its requests reach the validation and the service.
USER_OF = {
    schema_operation(endpoint): next(role for role in ROLES if role in endpoint.allowed)
    for endpoint in ENDPOINTS.values()
}


@schema.parametrize()
@settings(max_examples=10, phases=[Phase.explicit, Phase.generate], **SETTINGS)
def test_the_api_rejects_what_its_schema_rejects(case, w, requests_keep_the_test_transaction):
    """Schemathesis's coverage phase (every field missing, mistyped, out of range, ...) as a
    role that may use the operation: every invalid request is refused with a 4xx."""
    role = USER_OF[case.operation.method.lower(), case.operation.path]
    case.call_and_validate(headers=_headers(w, role), excluded_checks=EXCLUDED)
