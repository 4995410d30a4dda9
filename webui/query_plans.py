"""Pages' statements planned for their own values on PostgreSQL.

The connection prepares the statements it repeats (settings: prepare_threshold), and from a prepared
statement's sixth run PostgreSQL may keep a generic plan, made without the values. Such a plan cannot
read an office's subtree (visibility and the filters: a LIKE on a path prefix) through its index: at
national size a county's instance list went from 3 ms to 180 ms from its seventh request on. Pages ask
for plans made with the values; workers and commands, whose steps repeat simple statements, keep the
generic plans that save them the planning.

A page reads through a cursor only to write every row (an export), so cursors are planned for all
their rows, not for the first tenth (cursor_tuple_fraction): planned for the first rows, the province's
overdue export walked the whole nation's overdue tasks in due order, 230 ms instead of 40.

And pages are planned without parallel workers: a web server answers many requests at once, so a worker
takes a core from another request, and starting one costs more than it saves on a page's rows (the
province's overdue list at national size: 61 ms with a worker, 28 ms without).

The settings are the database session's: a connection kept between requests (CONN_MAX_AGE) is given them
once, not at every request.
"""
from django.db import connection

SETTINGS = ("SELECT set_config('plan_cache_mode', 'force_custom_plan', false), "
            "set_config('cursor_tuple_fraction', '1', false), "
            "set_config('max_parallel_workers_per_gather', '0', false)")


class CustomPlans:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if connection.vendor != "postgresql":
            return self.get_response(request)
        asked = []

        def custom_plans(execute, sql, params, many, context):
            # Before the request's first statement: a request that reads nothing does not connect for this.
            if not asked:
                asked.append(True)
                if _settled_on() != _session():
                    execute(SETTINGS, None, False, context)
                    # A session's settings outlive the request, unless a transaction that rolls back set them.
                    if not connection.in_atomic_block:
                        connection.custom_plans_session = _session()
            return execute(sql, params, many, context)

        with connection.execute_wrapper(custom_plans):
            return self.get_response(request)


def _session():
    """The database session the connection holds (a connection opened again is another)."""
    raw = connection.connection
    return id(raw), raw.info.backend_pid


def _settled_on():
    return getattr(connection, "custom_plans_session", None)
