"""The incident list: failed instances for the operators who fix and retry them, filtered, and nobody else's."""
import pytest

from engine import api

BROKEN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="tallies" name="统计服务人次" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="tally" name="汇总"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>share = served / stations</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="tally" />
    <bpmn:sequenceFlow id="f2" sourceRef="tally" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def incidents(db, offices):
    api.deploy({"tallies.bpmn": BROKEN})
    failed = api.start("tallies", "tally-520102", {"county": "520102", "served": 10, "stations": 0}).instance
    api.start("tallies", "tally-520302", {"county": "520302", "served": 10, "stations": 2})
    return failed


def test_an_operator_lists_incidents_and_filters_them(client, owner, incidents):
    client.force_login(owner)
    page = client.get("/incidents/").content.decode()
    assert "tally-520102" in page and "tally-520302" not in page, "only failed instances"
    assert "division by zero" in page and "<code>tally</code>" in page
    assert "tally-520102" in client.get("/incidents/?element=tally&error=zero&process=tallies").content.decode()
    assert "tally-520102" not in client.get("/incidents/?error=timeout").content.decode()
    assert "tally-520102" not in client.get("/incidents/?version=2").content.decode()
    instance = client.get(f"/instances/{incidents.pk}/").content.decode()
    assert "出错环节 tally，尝试 1 次" in instance


def test_the_incident_list_is_for_operators_only(client, offices, incidents):
    client.force_login(offices["520102"])
    assert client.get("/incidents/").status_code == 403
    assert "/incidents/" not in client.get("/").content.decode(), "no menu link either"
