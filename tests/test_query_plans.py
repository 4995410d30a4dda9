"""The lists' main queries, and every statement the pages send, read the big tables through indexes at
national shape (PostgreSQL only).

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
        "instance list, latest first":
            instances_visible_to(user, ProcessInstance.objects.all(), latest_first=True)[:50],
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
    """A prepared statement's generic plan reads an office's subtree without its index, and a cursor planned for
    its first rows walks the nation for a province's export (webui.query_plans)."""
    client.force_login(django_user_model.objects.create_user("reader"))
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = auto")
        cursor.execute("SET cursor_tuple_fraction = 0.1")
        cursor.execute("SET max_parallel_workers_per_gather = 2")
        client.get("/")  # reads the session, at least
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_custom_plan"
        cursor.execute("SHOW cursor_tuple_fraction")
        assert cursor.fetchone()[0] == "1"
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # outside a transaction, as pages run
def test_a_kept_connection_is_given_the_settings_once(client, django_user_model):
    """The settings are the database session's: set at the first request on a connection, not at every one
    (a setting changed between requests stays changed), and set again on a connection opened again."""
    client.force_login(django_user_model.objects.create_user("reader"))
    connection.close()

    def plan_cache_mode_after_a_page(before=None):
        with connection.cursor() as cursor:
            if before:
                cursor.execute(f"SET plan_cache_mode = {before}")
            assert client.get("/").status_code == 200
            cursor.execute("SHOW plan_cache_mode")
            return cursor.fetchone()[0]

    assert plan_cache_mode_after_a_page() == "force_custom_plan"
    assert plan_cache_mode_after_a_page(before="auto") == "auto"
    connection.close()
    assert plan_cache_mode_after_a_page() == "force_custom_plan"


def page_urls(user):
    """The pages a user works through: the inbox's tabs, lists, dashboard and exports, and the page of an
    instance and of an open task the user sees."""
    from webui.views.inbox import TABS

    urls = [f"/?tab={tab}" for tab, _label in TABS] + [
        "/instances/", "/instances/?state=running", "/dashboard/", "/export/inbox.xlsx", "/export/instances.xlsx",
        "/export/overdue.xlsx", "/offices/search/?kind=station&q=syn-1101"]
    instance = instances_visible_to(user, ProcessInstance.objects.all()).order_by("-started_at").first()
    task = tasks_visible_to(user, HumanTask.objects.open(), open_only=True).order_by("due_at").first()
    return urls + ([f"/instances/{instance.pk}/"] if instance else []) + ([f"/tasks/{task.pk}/"] if task else [])


def test_every_page_reads_the_big_tables_through_indexes(nation, client):
    """Every statement the pages send that reads a big table, EXPLAINed as sent."""
    from django.test.utils import CaptureQueriesContext

    scanned, explained, visited = {}, 0, set()
    for role, username in ROLES.items():
        user = get_user_model().objects.get(username=username)
        client.force_login(user)
        urls = page_urls(user)
        visited.update(url.split("/")[1] for url in urls)
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
                b"".join(response.streaming_content) if response.streaming else response.content
            assert response.status_code in (200, 403), (role, url, response.status_code)
            statements = [q["sql"] for q in captured.captured_queries
                          if q["sql"].lstrip().startswith(("SELECT", "WITH"))
                          and any(f'"{table}"' in q["sql"] for table in BIG_TABLES)]
            with connection.cursor() as cursor:
                cursor.execute("SET enable_seqscan = off")
                try:
                    for sql in statements:
                        explained += 1
                        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
                        big = BIG_TABLES.intersection(sequential_scans(cursor.fetchone()[0][0]["Plan"]))
                        if big:
                            scanned.setdefault(f"{role} {url}", []).append(f"{sorted(big)}: {sql[:300]}")
                finally:
                    cursor.execute("RESET enable_seqscan")
    assert {"instances", "tasks"} <= visited and explained > 100
    assert not scanned, "\n".join(f"{page}:\n  " + "\n  ".join(found) for page, found in scanned.items())
