"""Saving an attachment through the engine (api.upload_attachment): bytes or a file, who uploads it, what it
refuses."""
import hashlib

import pytest
from django.core.files.base import ContentFile

from engine import api
from engine.errors import InvalidInput
from engine.models import Attachment, AuditEvent

pytestmark = pytest.mark.django_db


def test_bytes_are_saved_by_whoever_acts_with_their_size_hash_and_audit_row():
    attachment = api.upload_attachment(b"scan", "扫描件.pdf", "application/pdf", actor="clerk")
    assert (attachment.size, attachment.sha256, attachment.uploaded_by) == (
        4, hashlib.sha256(b"scan").hexdigest(), "clerk")
    assert attachment.file.read() == b"scan"
    [event] = AuditEvent.objects.filter(action="attachment.uploaded")
    assert (event.actor, event.data["sha256"]) == ("clerk", attachment.sha256)


@pytest.mark.parametrize("name", ["", "  "])
def test_a_file_without_a_name_is_refused(name):
    with pytest.raises(InvalidInput) as refused:
        api.upload_attachment(ContentFile(b"scan"), name)
    assert refused.value.errors == {"file": "文件名不能为空。"}
    assert not Attachment.objects.exists() and not AuditEvent.objects.exists()
