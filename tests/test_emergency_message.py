"""An emergency reported by another system as a message starts the station's emergency response, with the
checks the report page makes; a report that fails them is an incident of its inbound instance."""
import pytest

from engine import api
from engine.api import deploy, read_files
from engine.models import HumanTask, ProcessInstance

from .steps import china, move_clock_to
from .test_station_service import ROOT, service, start  # noqa: F401 - `service` is a fixture

# Delivery runs once the send commits.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

REPORT = {"station": "st1", "year": 2026, "kind": "natural_disaster", "occurred_on": "2025-12-11",
          "description": "暴雨致安置点停电，部分群众需要安置"}


def inbound():
    deploy(*read_files([ROOT / "bpmn" / "emergency_inbound.bpmn"]))


def test_an_emergency_sent_as_a_message_starts_the_response(service, offices):
    inbound()
    start(service)
    move_clock_to(china(2025, 12, 11, 15))
    api.send_message("emergency_reported", payload=REPORT, actor="provincial-platform")
    [received] = ProcessInstance.objects.filter(version__definition__key="emergency_inbound")
    assert received.state == "completed" and received.started_by == "provincial-platform"
    [response] = ProcessInstance.objects.filter(version__definition__key="station_emergency")
    assert str(response.pk) == received.data["response"] and response.parent_id == received.pk
    assert response.data["emergency"]["kind"] == "natural_disaster" and response.data["social_org"] == "org1"
    assert HumanTask.objects.get(instance=response, bpmn_id="respond_emergency").office == "org1"


def test_a_report_that_fails_the_checks_is_an_incident_naming_why(service, offices):
    inbound()
    move_clock_to(china(2025, 12, 11, 15))
    api.send_message("emergency_reported", payload={**REPORT, "station": "st9"})
    [received] = ProcessInstance.objects.filter(version__definition__key="emergency_inbound")
    assert received.state == "failed" and received.error_element == "start_response"
    assert "社工站 st9 在 2026 年没有进行中的驻站服务" in received.error
    assert not ProcessInstance.objects.filter(version__definition__key="station_emergency").exists()
