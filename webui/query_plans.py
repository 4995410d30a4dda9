"""Pages' statements planned for their own values on PostgreSQL.

The connection prepares the statements it repeats (settings: prepare_threshold), and from a prepared
statement's sixth run PostgreSQL may keep a generic plan, made without the values. Such a plan cannot
read an office's subtree (visibility and the filters: a LIKE on a path prefix) through its index: at
national size a county's instance list went from 3 ms to 180 ms from its seventh request on. Pages ask
for plans made with the values; workers and commands, whose steps repeat simple statements, keep the
generic plans that save them the planning.
"""
from django.db import connection


class CustomPlans:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET plan_cache_mode = force_custom_plan")
        return self.get_response(request)
