"""Messages and signals into the running instances, the working-day calendar, and who the caller is."""
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from engine import api
from engine.errors import InvalidInput
from webui.views.modeler_access import is_process_owner
from workflows.visibility import visible_scope

from ..permissions import ProvinceLevel, may_start
from ..serializers import (AddWorkdaysQuerySerializer, DueSerializer, MeSerializer, MessageRequestSerializer,
                           SentSerializer, SignalRequestSerializer, SignalSentSerializer, WorkdayQuerySerializer,
                           WorkdaySerializer)
from .base import ApiView, read


class SendMessage(ApiView):
    permission_classes = [IsAuthenticated, ProvinceLevel]

    @extend_schema(tags=["messages"], summary="Send a message to the instance that waits (or will wait) for it",
                   description="Matched on its correlation; kept until an instance waits for it. A message no "
                               "instance waits for starts the process whose start event catches it.",
                   request=MessageRequestSerializer, responses={202: SentSerializer})
    def post(self, request):
        given = read(MessageRequestSerializer, request.data)
        # A message reaches, or starts, an instance of the offices it names: a province's of its own only.
        if not may_start(request.user, {**given["payload"], **given["correlation"]}):
            raise PermissionDenied(_("消息中写明的县、社工站或单位须在本单位的管辖范围内。"))
        message = api.send_message(given["name"], given["correlation"], given["payload"], actor=request.user)
        return Response(SentSerializer(message).data, status=status.HTTP_202_ACCEPTED)


class SendSignal(ApiView):
    permission_classes = [IsAuthenticated, ProvinceLevel]

    @extend_schema(tags=["messages"], summary="Throw a signal: every instance of the province waiting for it "
                                              "catches it",
                   description="It reaches the instances of the caller's province, and starts processes "
                               "there; an administrator's, every province's.",
                   request=SignalRequestSerializer, responses={202: SignalSentSerializer})
    def post(self, request):
        given = read(SignalRequestSerializer, request.data)
        # The instances a signal starts take its payload as their data: it names offices in the sender's charge only.
        if not may_start(request.user, given["payload"]):
            raise PermissionDenied(_("信号中写明的县、社工站或单位须在本单位的管辖范围内。"))
        # A province's department reaches its own province alone. Guizhou's is bound to no tenant, as are its
        # instances, so its "" is passed outright: left to the engine, no tenant means every province, which is
        # an administrator's reach.
        tenant = None if visible_scope(request.user).all else api.bound_tenant(request.user)
        signal = api.send_signal(given["name"], given["payload"], actor=request.user, tenant=tenant)
        return Response(SignalSentSerializer(signal).data, status=status.HTTP_202_ACCEPTED)


class IsWorkday(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["calendar"], summary="Whether a day is a working day (official holidays, make-up days, "
                                              "regional holidays)",
                   parameters=[WorkdayQuerySerializer], responses=WorkdaySerializer)
    def get(self, request):
        given = read(WorkdayQuerySerializer, request.query_params)
        day, region = given["date"], given.get("region")
        return Response(WorkdaySerializer({
            "date": day, "region": region, "is_workday": api.calendar.is_workday(day, region),
            "provisional": not api.calendar.is_covered(day.year)}).data)


class AddWorkdays(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["calendar"], summary="The end (24:00 China time) of the n-th working day after a day",
                   description="The start day is not counted, as for every statutory period.",
                   parameters=[AddWorkdaysQuerySerializer], responses=DueSerializer)
    def get(self, request):
        given = read(AddWorkdaysQuerySerializer, request.query_params)
        start, days, region = given["start"], given["days"], given.get("region")
        try:
            due = api.calendar.add_workdays(start, days, region)
        except (ValueError, OverflowError) as err:  # beyond the count the calendar takes, or past year 9999
            raise InvalidInput({"days": str(err) if isinstance(err, ValueError) else _("超出可计算的日期范围")})
        return Response(DueSerializer({"start": start, "days": days, "region": region, "due": due.at,
                                       "last_day": due.last_day, "provisional": due.provisional}).data)


class Me(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["me"], summary="Who the request acts as: the user, or a token's service account",
                   responses=MeSerializer)
    def get(self, request):
        offices, _standing_in = api.working_offices(request.user)
        return Response(MeSerializer({"username": request.user.get_username(), "offices": offices,
                                      "is_process_owner": is_process_owner(request.user)}).data)
