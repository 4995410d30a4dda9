"""Service-task handlers of the station_service process; they keep the service's records in step.

Each runs inside the instance's step transaction: what it writes commits with the step.
"""
from datetime import date

from engine import api
from engine.api import clock
from engine.errors import InvalidInput, NotFound
from engine.extensions import service
from workflows.models import Office
from workflows.planning.models import ServiceAgreement
from workflows.records import known_instance, save_transition

from . import emergencies
from .models import (
    DeploymentState,
    EmergencyResponse,
    ReportKind,
    ReportState,
    ServiceReport,
    SocialWorker,
    StationDeployment,
)
from .schedule import opening_reports, report_due, term_reports

FINISHED_MESSAGE = "station_services_finished"
# What a report's form submits that the record keeps.
REPORT_FIELDS = ("summary", "people_served", "attachments")


def _deployment(call):
    try:
        # The step's own instance rather than a second copy of its row, serialized state and all.
        return known_instance(StationDeployment.objects.get(pk=call.data["deployment"]), call.instance)
    except (KeyError, StationDeployment.DoesNotExist):
        raise NotFound(f"{call.element}: no station deployment {call.data.get('deployment')!r}") from None


@service("station.open_deployment")
def open_deployment(call):
    """The deployment of this station under this agreement, linked to this instance; returns its id."""
    data = call.data
    agreement = ServiceAgreement.objects.select_related("county").filter(pk=data.get("agreement")).first()
    if agreement is None:
        raise NotFound(f"no service agreement {data.get('agreement')!r}")
    station = Office.objects.filter(code=data.get("station")).select_related("parent").first()
    if station is None:
        raise NotFound(f"no station office {data.get('station')!r}")
    if agreement.county.code != data.get("county") or station.parent_id != agreement.county_id:
        raise InvalidInput({"station": f"station {station.code} is not in county {agreement.county.code} "
                                       f"of agreement {agreement.pk}"})
    deployment, _created = StationDeployment.objects.get_or_create(agreement=agreement, station=station)
    deployment.process_instance = call.instance
    deployment.save(update_fields=["process_instance"])
    return deployment.pk


@service("station.record_placement")
def record_placement(call):
    """The social workers took up their posts: keep who they are; the survey comes next."""
    deployment = _deployment(call)
    placed_on = date.fromisoformat(call.data["placed_on"])
    workers = [SocialWorker(deployment=deployment, name=row["name"], qualification=row["qualification"],
                            certificate_no=row.get("certificate_no") or "")
               for row in call.data.get("workers") or []]
    SocialWorker.objects.bulk_create(workers)
    deployment.place(placed_on)
    save_transition(deployment, "placed_on")
    return {"placed_on": placed_on.isoformat(), "workers": len(workers)}


@service("station.schedule_reports")
def schedule_reports(call):
    """Every report the service owes, with when it opens and its due rule (schedule.py)."""
    return {**opening_reports(date.fromisoformat(call.data["placed_on"])), **term_reports(call.data)}


def _report(call):
    report = call.data["report"]
    record = ServiceReport.objects.select_related("deployment").get(
        deployment_id=call.data["deployment"], kind=report["kind"], period=report["period"])
    known_instance(record.deployment, call.instance)
    return record


@service("station.open_report")
def open_report(call):
    """A report's task opened: its record, pending until submitted. The final report starts the closing."""
    deployment = _deployment(call)
    report = call.data["report"]
    record, _created = ServiceReport.objects.get_or_create(
        deployment=deployment, kind=report["kind"], period=report["period"],
        defaults={"due_at": report_due(report).at})
    if report["kind"] == ReportKind.FINAL and deployment.state == DeploymentState.SERVING:
        deployment.begin_closing()
        save_transition(deployment)
    return record.pk


@service("station.submit_report")
def submit_report(call):
    record = _report(call)
    record.submit({key: call.data[key] for key in REPORT_FIELDS if key in call.data}, clock.now())
    save_transition(record, "content", "submitted_at")
    return {"submitted_on": clock.today_in_china().isoformat()}


@service("station.review_report")
def review_report(call):
    """The county's decision on a report; an accepted survey or plan moves the deployment on."""
    record = _report(call)
    if call.data.get("decision") == "return":
        comment = call.data.get("comment", "")
        record.send_back(comment, audit={"comment": comment} if comment else None)  # the history says why
    else:
        record.accept("")
    save_transition(record, "review_comment")
    deployment = record.deployment
    if record.state == ReportState.ACCEPTED and record.kind == ReportKind.SURVEY:
        deployment.finish_survey()
        save_transition(deployment)
    elif record.state == ReportState.ACCEPTED and record.kind == ReportKind.PLAN:
        deployment.start_serving()
        save_transition(deployment)
    return {"kind": record.kind, "period": record.period, "state": record.state}


@service("station.finish_service")
def finish_service(call):
    """The service is over. The last station of the agreement to finish tells the county."""
    # Locking the agreement orders stations finishing at the same time: the later one sees the earlier.
    ServiceAgreement.objects.select_for_update().filter(pk=call.data["agreement"]).first()
    deployment = _deployment(call)
    deployment.complete()
    save_transition(deployment)
    open_stations = StationDeployment.objects.filter(agreement_id=deployment.agreement_id).exclude(
        state=DeploymentState.COMPLETED).count()
    if open_stations == 0:
        key = {"county": call.data["county"], "year": call.data["year"]}
        api.send_message(FINISHED_MESSAGE, key, key)
    return {"last_station": open_stations == 0}


@service("station.open_emergency")
def open_emergency(call):
    """The emergency's record, first step of the station_emergency instance that reporting it started
    (emergencies.report_emergency), beside the station's service; returns its id."""
    fields = emergencies.clean_report(call.data.get("emergency") or {})
    record = EmergencyResponse.objects.create(deployment=_deployment(call), reported_at=clock.now(), **fields)
    return record.pk


def _emergency(call):
    try:
        return EmergencyResponse.objects.select_related("deployment__process_instance").get(
            pk=call.data["emergency_id"], deployment_id=call.data["deployment"])
    except (KeyError, EmergencyResponse.DoesNotExist):
        raise NotFound(f"{call.element}: no emergency {call.data.get('emergency_id')!r}") from None


@service("station.record_emergency_response")
def record_emergency_response(call):
    record = _emergency(call)
    record.respond(call.data.get("measures") or [], call.data.get("people_served"),
                   call.data.get("response_notes", ""))
    save_transition(record, "measures", "people_served", "response_notes")
    return record.state


@service("station.review_emergency")
def review_emergency(call):
    """The county closes the emergency, or returns it for a fuller response (it stays responded)."""
    record = _emergency(call)
    if call.data.get("decision") != "return":
        record.close()
        save_transition(record)
    return record.state


@service("station.report_emergency")
def report_emergency(call):
    """An emergency another system reported by message (emergency_inbound.bpmn): started as the page starts
    one, with the same checks; a report that fails them fails its inbound instance, an incident to look at."""
    report = call.data.get("report")
    if not isinstance(report, dict):
        raise InvalidInput({"report": "the message carries no report (an object)"})
    try:
        started = emergencies.report_emergency(
            str(report.get("station", "")), report.get("year"), report.get("kind", ""),
            report.get("occurred_on", ""), report.get("description", ""), actor=call.actor, parent=call.instance)
    except InvalidInput as err:
        raise InvalidInput(err.errors) from None  # the incident says which fields, not only that some failed
    return str(started.pk)
