"""The API against its own OpenAPI schema (/api/schema/): schemathesis generates requests for every
operation, sent with a test office's token to the WSGI application, and no answer is a server error or
breaks the schema. Bounded: a few examples per operation, so the whole run takes well under two minutes."""
from datetime import datetime, timezone

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from config.wsgi import application
from engine import api
from engine.api import clock
from restapi.tokens import create_token

MONDAY = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
EXAMPLES_PER_OPERATION = 12


@pytest.fixture
def token(offices, deploy_bpmn):
    """The province's token (a process owner's: it may call every operation), and a running instance with a
    task, so lists and definitions have rows to answer with."""
    clock.set_time(MONDAY)
    deploy_bpmn("county_review.bpmn")
    api.start("county_review", business_key="review-520102", data={"county": "520102"})
    return create_token("gz", "fuzz", process_owner=True)[1]


@pytest.fixture(autouse=True)
def _connection_kept_between_requests():
    """The application's requests run in the test's transaction: the connection stays open after each, as
    Django's test client keeps it."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Fetched from the application as clients fetch it (serving it reads nothing from the database).
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, phases=[Phase.explicit, Phase.generate],
          database=None, suppress_health_check=list(HealthCheck))
def test_no_answer_is_a_server_error_or_breaks_the_schema(case, token):
    response = case.call(headers={"Authorization": f"Token {token}"})
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance,
                                             status_code_conformance, content_type_conformance])
