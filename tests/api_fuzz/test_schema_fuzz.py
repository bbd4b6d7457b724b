"""Every operation of the served OpenAPI schema, fuzzed as a project manager and as a pilot
user: no server error on any generated input, and every response as the schema documents it."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import strategies as st
from schemathesis import checks

from config.wsgi import application
from tests.api_fuzz.seed import seed

# Marks the database as needed (so pytest-django creates it); each test runs in its own
# transaction, inside the module-wide one that holds the seed.
pytestmark = pytest.mark.django_db

CONFIG = schemathesis.Config.from_dict(
    {
        # A fixed seed and derandomized generation: CI replays the same cases on every run.
        "seed": 20261124,
        "generation": {"max-examples": 10, "deterministic": True, "database": "none"},
        # The coverage phase enumerates every boundary of every field (thousands of cases,
        # not bounded by max-examples); the fuzzing phase covers the same ground in bounded time.
        "phases": {"coverage": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)

# Path parameter values that name seeded records, by the first segment of the path.
REAL: dict[str, list] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the cases name a seeded record, so the fuzzing reaches past the 404s."""
    real = REAL.get(context.operation.path.split("/")[3], [])
    name = next((name for name in ("code", "id") if name in (path_parameters or {})), None)
    if not real or name is None:
        return st.just(path_parameters)
    return st.one_of(
        st.sampled_from(real).map(lambda value: {**path_parameters, name: value}),
        st.just(path_parameters),
    )


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The seed, made once per module inside a transaction rolled back at the end."""
    with django_db_blocker.unblock():
        # Django closes the connection around each request when it is not in autocommit
        # mode; here every request runs inside the seed's transaction, so keep it open.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        outer = transaction.atomic()
        outer.__enter__()
        try:
            tokens, real = seed()
            REAL.update(real)
            yield tokens
        finally:
            REAL.clear()
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


@pytest.mark.parametrize("who", ["pm", "pilot"])
@schema.parametrize()
def test_api(case, who, seeded):
    case.headers = {**(case.headers or {}), "Authorization": f"Token {seeded[who]}"}
    # Each generated case starts from the seed: what one request changed, the next never sees.
    with transaction.atomic():
        try:
            case.call_and_validate(checks=CHECKS)
        finally:
            transaction.set_rollback(True)
