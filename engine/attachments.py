"""Storing an uploaded file as an Attachment: its size and SHA-256 taken as it streams, the size limit, and the
audit row; the one way the upload page, the simulation and the tests save a file."""
import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from . import audit
from .errors import InvalidInput
from .models import Attachment


def save_attachment(content, name, content_type="", *, instance=None, task_id=None, actor=None) -> Attachment:
    """Store `content` (a Django File, such as an upload, or bytes) as the attachment `name`, for a process
    instance or one of its tasks, uploaded by `actor` (by default whoever acts now), and record it in the audit
    trail as `attachment.uploaded`.

    Raises InvalidInput on "file" for an empty name or a file larger than ENGINE["MAX_ATTACHMENT_BYTES"].
    """
    if not name or not name.strip():
        raise InvalidInput({"file": _("文件名不能为空。")})
    if isinstance(content, bytes):
        content = ContentFile(content)
    limit = settings.ENGINE["MAX_ATTACHMENT_BYTES"]
    digest, size = hashlib.sha256(), 0
    for chunk in content.chunks():
        size += len(chunk)
        if size > limit:  # stop reading: the rest would be refused anyway
            raise InvalidInput({"file": _("文件“%(name)s”超过 %(limit)s 的上限。") % {
                "name": name, "limit": filesizeformat(limit)}})
        digest.update(chunk)
    uploaded_by = audit.actor_name(actor) if actor is not None else audit.current_actor()
    attachment = Attachment(name=name[:255], content_type=content_type or "", size=size, sha256=digest.hexdigest(),
                            instance=instance, task_id=task_id, uploaded_by=uploaded_by)
    try:
        with transaction.atomic():
            attachment.file.save(name, content, save=False)  # File.chunks() reads from the start again
            attachment.save()
            audit.record("attachment.uploaded", instance=instance, task_id=task_id, actor=uploaded_by, data={
                "id": str(attachment.pk), "name": attachment.name, "size": size, "sha256": attachment.sha256})
    except Exception:
        if attachment.file:
            attachment.file.delete(save=False)  # no stored file without its row
        raise
    return attachment
