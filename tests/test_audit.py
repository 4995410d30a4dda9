"""The audit trail is append-only, in the ORM and (on PostgreSQL) in the database itself."""
import pytest
from django.db import DatabaseError, connection, transaction

from engine import audit
from engine.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_audit_rows_cannot_be_changed_or_deleted_through_the_orm():
    event = audit.record("test.something", actor="tester", data={"x": 1})
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(actor="someone else")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).actor == "tester"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a database trigger on PostgreSQL")
def test_the_database_refuses_updates_and_deletes():
    event = audit.record("test.something", actor="tester")
    for sql in ("UPDATE engine_auditevent SET actor = 'x' WHERE id = %s", "DELETE FROM engine_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
