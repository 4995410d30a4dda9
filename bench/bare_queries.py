"""The bare indexed queries that return what each page of bench/national.py shows, written by hand.

A page's SQL is held to at most 2x the time of its bare queries: the statements a person who knows the
schema would write to fetch the same rows and figures, through the same indexes and nothing more (no ORM,
no visibility helpers, no conversion of rows). Each takes the role's scope as plain values: its offices'
codes and tree paths. Every page first reads who asks, as any signed-in page must: the session, the user,
their memberships and whom they stand in for today. PostgreSQL only.

`BARE[page](scope, cursor)` runs a page's statements and returns how many rows its main statement returned.
"""
from dataclasses import dataclass
from datetime import datetime

OPEN = "t.state IN ('open', 'claimed')"
TASK_ROWS = ("SELECT t.id, t.name, t.office, t.assignee, t.due_at, t.state, t.deadline, i.business_key, "
             "i.data->>'county', i.data->>'station', d.key, d.name "
             "FROM engine_humantask t JOIN engine_processinstance i ON i.id = t.instance_id "
             "JOIN engine_definitionversion v ON v.id = i.version_id "
             "JOIN engine_processdefinition d ON d.id = v.definition_id ")
INSTANCE_ROWS = ("SELECT i.id, i.business_key, i.state, i.started_at, i.ended_at, i.current_elements, "
                 "i.data->'year', i.data->>'county', i.data->>'station', v.number, d.key, d.name "
                 "FROM engine_processinstance i JOIN engine_definitionversion v ON v.id = i.version_id "
                 "JOIN engine_processdefinition d ON d.id = v.definition_id ")
PAGE = 50


@dataclass(frozen=True)
class Scope:
    """What a role sees, as the bare queries take it."""

    session_key: str
    user_id: int
    username: str
    offices: list  # the offices whose tasks the user works on
    own: list  # the user's own offices
    subtrees: list  # the tree paths of the offices the user oversees
    provinces: list  # civil-affairs departments whose province-wide instances the user sees
    home_province: bool  # whether those include the home province (its instances may name no office)
    prefectures: list  # the dashboard's prefectures: (id, tree path)
    province: str  # the dashboard's province (its civil-affairs department)
    year: int
    now: datetime
    soon: datetime  # due soon until
    instance: str  # the instance whose page is shown
    version: int  # the version the dashboard's heat map shows


def _signed_in(scope, cursor):
    _fetch(cursor, "SELECT session_data FROM django_session WHERE session_key = %s AND expire_date > %s",
           [scope.session_key, scope.now])
    _fetch(cursor, "SELECT * FROM auth_user WHERE id = %s", [scope.user_id])
    _fetch(cursor, "SELECT o.code, o.kind, o.name, m.is_process_owner FROM workflows_membership m "
                   "JOIN workflows_office o ON o.id = m.office_id WHERE m.user_id = %s", [scope.user_id])
    _fetch(cursor, "SELECT absent_id FROM workflows_substitution WHERE substitute_id = %s AND ends_on >= %s "
                   "AND starts_on <= %s", [scope.user_id, scope.now.date(), scope.now.date()])


def _prefixes(paths):
    """One LIKE per tree path, each a range of the path index (LIKE ANY of an array is not)."""
    return [("l.path LIKE %s", [path + "%"]) for path in paths]


def _visible_links(scope):
    """The office links of the instances the role sees: a path prefix per subtree, its own offices, the
    province-wide instances."""
    conditions = [("l.office = ANY(%s)", [scope.own]), *_prefixes(scope.subtrees),
                  ("(l.key = 'province' AND l.office = ANY(%s))", [scope.provinces])]
    if scope.home_province:
        conditions.append(("l.key = ''", []))
    return (f"SELECT l.instance_id FROM workflows_instanceoffice l WHERE {' OR '.join(c for c, _p in conditions)}",
            [param for _c, params in conditions for param in params])


def _dashboard_links(scope):
    """The office links of the dashboard's instances: its prefectures' and the province-wide ones, of its year."""
    conditions = [*_prefixes(path for _id, path in scope.prefectures),
                  ("(l.key = 'province' AND l.office = %s)", [scope.province])]
    return (f"SELECT l.instance_id FROM workflows_instanceoffice l WHERE l.year = %s "
            f"AND ({' OR '.join(c for c, _p in conditions)})",
            [scope.year, *(param for _c, params in conditions for param in params)])


def _tab(scope, tab):
    mine = "(t.state = 'open' OR t.assignee = %s)"
    return {"mine": (mine, [scope.username]), "unclaimed": ("t.state = 'open'", []),
            "claimed": ("t.state = 'claimed' AND t.assignee = %s", [scope.username]),
            "overdue": ("t.due_at <= %s", [scope.now]),
            "soon": (f"{mine} AND t.due_at > %s AND t.due_at <= %s", [scope.username, scope.now, scope.soon])}[tab]


def _fetch(cursor, sql, params):
    cursor.execute(sql, params)
    return cursor.fetchall()


def inbox(tab, limit=PAGE, counts=True):
    def run(scope, cursor):
        where, params = _tab(scope, tab)
        rows = _fetch(cursor, f"{TASK_ROWS} WHERE {OPEN} AND t.office = ANY(%s) AND {where} "
                              f"ORDER BY t.due_at, t.created_at{f' LIMIT {limit}' if limit else ''}",
                      [scope.offices, *params])
        if counts:  # the page: the offices' names on its rows, its filter's processes, the comments naming the user
            _fetch(cursor, "SELECT code, name, name_en FROM workflows_office WHERE code = ANY(%s)",
                   [sorted({code for row in rows for code in (row[2], row[8], row[9]) if code})])
            _fetch(cursor, "SELECT key, name FROM engine_processdefinition", [])
            _fetch(cursor, "SELECT DISTINCT c.* FROM engine_comment c JOIN engine_commentmention m "
                           "ON m.comment_id = c.id WHERE (m.kind = 'user' AND m.code = %s) "
                           "OR (m.kind = 'office' AND m.code = ANY(%s)) ORDER BY c.created_at DESC LIMIT 50",
                   [scope.username, scope.offices])
            for each in ("mine", "unclaimed", "claimed", "overdue", "soon"):
                where, params = _tab(scope, each)
                _fetch(cursor, f"SELECT count(*) FROM engine_humantask t WHERE {OPEN} AND t.office = ANY(%s) "
                               f"AND {where}", [scope.offices, *params])
        return len(rows)
    return run


def instances(limit=PAGE):
    def run(scope, cursor):
        links, params = _visible_links(scope)
        rows = _fetch(cursor, f"{INSTANCE_ROWS} WHERE i.id IN ({links}) ORDER BY i.started_at DESC"
                              f"{f' LIMIT {limit}' if limit else ''}", params)
        _fetch(cursor, f"SELECT t.instance_id, t.name, t.state, t.due_at FROM engine_humantask t "
                       f"WHERE {OPEN} AND t.instance_id = ANY(%s)", [[row[0] for row in rows]])
        if limit:  # the page counts its instances by state, and the late ones
            _fetch(cursor, f"SELECT i.state, count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM "
                           f"engine_humantask t WHERE t.instance_id = i.id AND {OPEN} AND t.due_at <= %s)) "
                           f"FROM engine_processinstance i WHERE i.id IN ({links}) GROUP BY i.state",
                           [scope.now, *params])
        return len(rows)
    return run


def overdue_export(scope, cursor):
    links, params = _dashboard_links(scope)
    return len(_fetch(cursor, f"{TASK_ROWS} WHERE {OPEN} AND t.due_at <= %s AND t.instance_id IN ({links}) "
                              "ORDER BY t.due_at", [scope.now, *params]))


def dashboard(scope, cursor):
    links, params = _dashboard_links(scope)
    prefectures = [office_id for office_id, _path in scope.prefectures]
    # The stations' phases: stations per county, and the county's records of the year.
    _fetch(cursor, "SELECT c.code, p.code, count(*) FROM workflows_office s JOIN workflows_office c "
                   "ON c.id = s.parent_id JOIN workflows_office p ON p.id = c.parent_id "
                   "WHERE s.kind = 'station' AND p.id = ANY(%s) GROUP BY 1, 2", [prefectures])
    for table in ("planning_annualplan", "planning_serviceagreement", "planning_evaluation"):
        _fetch(cursor, f"SELECT c.code, r.state FROM {table} r JOIN workflows_office c ON c.id = r.county_id "
                       "WHERE r.year = %s AND c.parent_id = ANY(%s)", [scope.year, prefectures])
    _fetch(cursor, "SELECT c.code, count(DISTINCT d.station_id) FROM service_stationdeployment d "
                   "JOIN planning_serviceagreement a ON a.id = d.agreement_id JOIN workflows_office s "
                   "ON s.id = d.station_id JOIN workflows_office c ON c.id = s.parent_id "
                   "WHERE a.year = %s AND c.parent_id = ANY(%s) GROUP BY 1", [scope.year, prefectures])
    # Deadlines met: completed work as counted, open work as it stands.
    _fetch(cursor, "SELECT prefectures, province_wide, process, bpmn_id, name, on_time, late "
                   "FROM workflows_compliancecount WHERE year = %s AND province = %s", [scope.year, scope.province])
    _fetch(cursor, f"SELECT d.key, t.bpmn_id, t.name, count(*) FILTER (WHERE t.due_at <= %s), "
                   f"count(*) FILTER (WHERE t.due_at > %s) FROM engine_humantask t "
                   f"JOIN engine_processinstance i ON i.id = t.instance_id "
                   f"JOIN engine_definitionversion v ON v.id = i.version_id "
                   f"JOIN engine_processdefinition d ON d.id = v.definition_id "
                   f"WHERE {OPEN} AND t.due_at IS NOT NULL AND t.instance_id IN ({links}) GROUP BY 1, 2, 3",
           [scope.now, scope.now, *params])
    # The longest overdue, and how many there are.
    _fetch(cursor, f"{TASK_ROWS} WHERE {OPEN} AND t.due_at <= %s AND t.instance_id IN ({links}) "
                   f"ORDER BY t.due_at LIMIT {PAGE}", [scope.now, *params])
    _fetch(cursor, f"SELECT count(*) FROM engine_humantask t WHERE {OPEN} AND t.due_at <= %s "
                   f"AND t.instance_id IN ({links})", [scope.now, *params])
    # Where the version's open instances wait: tasks, timers and message subscriptions.
    waiting = (f"SELECT i.id FROM engine_processinstance i WHERE i.version_id = %s "
               f"AND i.state IN ('running', 'waiting', 'suspended', 'failed') AND i.id IN ({links})")
    for table, since in (("engine_humantask", "created_at"), ("engine_timer", "armed_at"),
                         ("engine_messagesubscription", "created_at")):
        state = f"AND {OPEN}" if table == "engine_humantask" else ""
        _fetch(cursor, f"SELECT t.bpmn_id, count(*), sum(extract(epoch FROM t.{since})) FROM {table} t "
                       f"WHERE t.instance_id IN ({waiting}) {state} GROUP BY 1", [scope.version, *params])
    return 0


def instance_page(scope, cursor):
    links, params = _visible_links(scope)
    rows = _fetch(cursor, f"{INSTANCE_ROWS} WHERE i.id = %s AND i.id IN ({links})", [scope.instance, *params])
    one = [scope.instance]
    tasks = _fetch(cursor, "SELECT * FROM engine_humantask WHERE instance_id = %s ORDER BY created_at", one)
    named = {row[5] for row in tasks} | {code for row in rows for code in (row[7], row[8]) if code}
    _fetch(cursor, "SELECT code, name, name_en FROM workflows_office WHERE code = ANY(%s)", [sorted(named)])
    _fetch(cursor, "SELECT content FROM engine_definitionfile WHERE version_id = (SELECT version_id FROM "
                   "engine_processinstance WHERE id = %s) AND kind = 'form'", one)
    for sql in ("SELECT * FROM engine_timer WHERE instance_id = %s",
                "SELECT * FROM engine_auditevent WHERE instance_id = %s ORDER BY at DESC, id DESC LIMIT 200",
                "SELECT * FROM engine_comment WHERE instance_id = %s ORDER BY created_at",
                "SELECT id, business_key, state FROM engine_processinstance WHERE parent_id = %s",
                # A procurement's challenges and complaints, or those an instance handles.
                "SELECT c.* FROM procurement_challenge c LEFT JOIN procurement_lot l ON l.id = c.lot_id "
                "LEFT JOIN procurement_procurementproject p ON p.id = l.project_id "
                "WHERE p.process_instance_id = %(i)s OR c.process_instance_id = %(i)s",
                "SELECT k.* FROM procurement_complaint k LEFT JOIN procurement_challenge c ON c.id = k.challenge_id "
                "LEFT JOIN procurement_lot l ON l.id = c.lot_id LEFT JOIN procurement_procurementproject p "
                "ON p.id = l.project_id WHERE p.process_instance_id = %(i)s OR c.process_instance_id = %(i)s "
                "OR k.process_instance_id = %(i)s"):
        _fetch(cursor, sql, {"i": scope.instance} if "%(i)s" in sql else one)
    # The people its history names.
    _fetch(cursor, "SELECT username, first_name, last_name FROM auth_user WHERE username IN (SELECT actor FROM "
                   "engine_auditevent WHERE instance_id = %s)", one)
    return len(rows)


def _page(statements):
    def run(scope, cursor):
        _signed_in(scope, cursor)
        return statements(scope, cursor)
    return run


BARE = {name: _page(statements) for name, statements in {
    "inbox": inbox("mine"), "inbox unclaimed": inbox("unclaimed"), "inbox claimed": inbox("claimed"),
    "inbox overdue": inbox("overdue"), "inbox soon": inbox("soon"), "instances": instances(),
    "dashboard": dashboard, "inbox export": inbox("mine", limit=None, counts=False),
    "instance export": instances(limit=None), "overdue export": overdue_export, "instance page": instance_page,
}.items()}
