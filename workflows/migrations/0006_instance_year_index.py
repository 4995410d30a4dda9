"""An index on the year an instance's data names, on the engine's instance table.

The lists and the dashboard choose a year's instances; without this index PostgreSQL has no statistics on
the year and reads every instance to test it. SQLite, the embedded default for one province, goes without.
"""
from django.db import migrations

INDEX = "workflows_instance_year"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON engine_processinstance ((data -> 'year'))")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("workflows", "0005_instance_offices"), ("engine", "0018_open_task_and_state_indexes")]

    operations = [migrations.RunPython(create, drop)]
