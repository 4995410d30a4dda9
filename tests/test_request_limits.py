"""Bodies past the site's size limit answer in JSON; validating is the owners', a few at a time."""
import json

from django.urls import reverse

from .test_modeler_pages import DIAGRAM, KEY, client_for, deployed  # noqa: F401 - fixtures


def post(client, name, body):
    url = reverse(f"webui:{name}", kwargs={"key": KEY, "number": 1})
    return client.post(url, body, content_type="application/json")


def test_a_body_past_the_limit_is_answered_413_in_json(client, owner, deployed, settings):  # noqa: F811
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client_for(client, owner)
    response = post(client, "modeler_validate", json.dumps({"bpmn": DIAGRAM + " " * 20_000}))
    assert response.status_code == 413 and response.json() == {"error": "请求内容超过 10000 字节的上限。"}


def test_a_diagram_past_the_engines_limit_is_named_by_it(client, owner, deployed, settings):  # noqa: F811
    settings.ENGINE = {**settings.ENGINE, "MAX_BPMN_BYTES": len(DIAGRAM.encode()) - 1}
    client_for(client, owner)
    problems = post(client, "modeler_validate", json.dumps({"bpmn": DIAGRAM})).json()["problems"]
    assert [p["message"] for p in problems] == [f"file is {len(DIAGRAM.encode())} bytes; the limit is "
                                                f"{len(DIAGRAM.encode()) - 1}"]


def test_an_owner_validating_too_often_is_asked_to_wait(client, owner, deployed, settings):  # noqa: F811
    settings.MODELER_VALIDATIONS_PER_MINUTE = 2
    client_for(client, owner)
    answers = [post(client, "modeler_validate", json.dumps({"bpmn": DIAGRAM})).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
