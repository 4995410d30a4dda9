"""On PostgreSQL the audit table itself refuses UPDATE and DELETE, whoever connects."""
from django.db import migrations

FORWARD = """
CREATE FUNCTION engine_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER engine_audit_append_only BEFORE UPDATE OR DELETE ON engine_auditevent
    FOR EACH ROW EXECUTE FUNCTION engine_audit_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS engine_audit_append_only ON engine_auditevent;
DROP FUNCTION IF EXISTS engine_audit_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("engine", "0002_seed_calendar")]
    operations = [migrations.RunPython(forward, backward)]
