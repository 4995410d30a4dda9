"""Reporting an emergency at a station: it starts a station_emergency instance beside the station's service.

The organisation (or the county) reports it at any time while the station's
service runs; each emergency is its own small instance, so several can run at
once and none grows the service's instance.
"""
from datetime import date

from django.utils.translation import gettext as _

from engine import api
from engine.api import clock
from engine.errors import InvalidInput

from .models import DeploymentState, EmergencyKind, StationDeployment

PROCESS = "station_emergency"


def clean_report(payload):
    """The emergency's kind, day and description from a message payload; InvalidInput naming what is wrong."""
    errors = {}
    kind = payload.get("kind")
    if kind not in EmergencyKind.values:
        errors["kind"] = _("突发事件类型必须是以下之一：%(kinds)s") % {"kinds": "、".join(str(label) for label in EmergencyKind.labels)}
    try:
        occurred_on = date.fromisoformat(payload.get("occurred_on") or "")
    except (TypeError, ValueError):
        errors["occurred_on"] = _("发生日期必须是 YYYY-MM-DD 格式的日期")
    else:
        if occurred_on > clock.today_in_china():
            errors["occurred_on"] = _("发生日期不能晚于今天")
    description = payload.get("description")
    if not isinstance(description, str) or not description.strip():
        errors["description"] = _("请描述发生了什么")
    if errors:
        raise InvalidInput(errors, _("突发事件报告有误"))
    return {"kind": kind, "occurred_on": occurred_on, "description": description.strip()}


def report_emergency(station, year, kind, occurred_on, description, actor=None, parent=None):
    """Start the emergency response at the station's running service; returns the new instance.

    `parent`: the instance whose step reports it (an emergency that came as a message).
    """
    fields = clean_report({"kind": kind, "occurred_on": occurred_on, "description": description})
    deployment = StationDeployment.objects.filter(station__code=station, agreement__year=year).exclude(
        state=DeploymentState.COMPLETED).select_related("agreement__county", "agreement__social_org").first()
    if deployment is None:
        raise InvalidInput({"station": _("社工站 %(station)s 在 %(year)s 年没有进行中的驻站服务")
                            % {"station": station, "year": year}})
    agreement = deployment.agreement
    emergency = {"kind": fields["kind"], "occurred_on": fields["occurred_on"].isoformat(),
                 "description": fields["description"]}
    return api.start(PROCESS, business_key=f"emergency-{year}-{station}-{clock.now():%Y%m%d%H%M%S}", data={
        "county": agreement.county.code, "year": year, "station": station,
        "social_org": agreement.social_org.code, "deployment": deployment.pk, "emergency": emergency}, actor=actor,
        parent=parent).instance
