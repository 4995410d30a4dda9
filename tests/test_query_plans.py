"""The lists' main queries at national shape read the big tables through indexes (PostgreSQL only).

A small synthetic nation with its history is generated and ANALYZEd; each query runs through EXPLAIN
with sequential scans priced out (enable_seqscan off), so a sequential scan left in the plan (or a whole
index read for its order while every row is tested) is one no index can replace. At this size the planner would rightly prefer scans of such small tables; at
national size (40,000 stations) the scans are what made the pages slow.
"""
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connection

from engine.api import clock
from engine.models import HumanTask, InstanceState, ProcessInstance
from webui.permissions import dashboard_prefectures
from webui.views.dashboard import scoped_instances
from webui.views.inbox import apply_filter, tab_queryset
from webui.views.instances import filter_instances
from workflows.visibility import instances_visible_to, tasks_visible_to

from .steps import command_output

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")]

BIG_TABLES = {"engine_processinstance", "engine_humantask", "engine_auditevent"}
ROLES = {"county": "syn-110101", "prefecture": "syn-1101", "station": "syn-110101-s01",
         "province": "syn-11-civil-affairs"}


@pytest.fixture
def nation():
    command_output("loaddemo", "--password", "secret-1", "--national", "--stations", "300", "--history")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def queries(user, now):
    instances = instances_visible_to(user, ProcessInstance.objects.all())
    tasks = tasks_visible_to(user, HumanTask.objects.all())
    prefectures = list(dashboard_prefectures(user).values_list("code", flat=True))
    return {
        "instances of a prefecture":
            filter_instances(instances, {"prefecture": "syn-1101"}).order_by("-started_at")[:50],
        "instances of a county": filter_instances(instances, {"county": "syn-110101"}).order_by("-started_at")[:50],
        "tasks of a station": apply_filter(tasks.open(), {"station": "syn-110101-s01"}).order_by("due_at")[:50],
        "dashboard's tasks": HumanTask.objects.filter(instance__in=scoped_instances(user, prefectures, now.year),
                                                      due_at__isnull=False),
        "instance list": instances.order_by("-started_at")[:50],
        "running instances": instances.filter(state=InstanceState.RUNNING).order_by("-started_at")[:50],
        "inbox": tasks.open().order_by("due_at")[:50],
        "unclaimed tab": tab_queryset(user, "unclaimed").order_by("due_at")[:50],
        "overdue": tasks.overdue(now).order_by("due_at")[:200],
        "instance's tasks": HumanTask.objects.filter(instance__in=instances.order_by("-started_at")[:50]),
    }


def sequential_scans(plan):
    """Tables the plan reads whole: by a sequential scan, or along an index with no condition but a filter
    (an index scan kept only for its order, testing every row)."""
    whole = plan.get("Node Type") == "Seq Scan" or (
        plan.get("Node Type") in ("Index Scan", "Index Only Scan") and "Index Cond" not in plan and "Filter" in plan)
    found = [plan["Relation Name"]] if whole else []
    for part in plan.get("Plans", []):
        found += sequential_scans(part)
    return found


def test_no_list_scans_a_big_table(nation):
    now = clock.now()
    scanned = {}
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            for role, username in ROLES.items():
                user = get_user_model().objects.get(username=username)
                for name, queryset in queries(user, now).items():
                    try:
                        sql, params = queryset.query.sql_with_params()
                    except EmptyResultSet:  # known empty without a query: a station has no dashboard
                        continue
                    cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
                    big = BIG_TABLES.intersection(sequential_scans(cursor.fetchone()[0][0]["Plan"]))
                    if big:
                        scanned[f"{role}: {name}"] = sorted(big)
        finally:
            cursor.execute("RESET enable_seqscan")
    assert not scanned


def test_pages_plan_statements_for_their_values(client, django_user_model):
    """A prepared statement's generic plan reads an office's subtree without its index (webui.query_plans)."""
    client.force_login(django_user_model.objects.create_user("reader"))
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = auto")
        client.get("/")  # reads the session, at least
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_custom_plan"
