"""Files uploaded for a task, as the task page uploads them before its form is submitted."""
import hashlib

from django.core.files.base import ContentFile

from engine.models import Attachment


def uploaded(task, *names, instance_only=False):
    """Attachment references (what a form's file field submits) of files uploaded for `task`, a HumanTask row
    (with `instance_only`, for its instance as a whole, as a record's own files are)."""
    references = []
    for name in names:
        content = f"{name}\n".encode()
        attachment = Attachment(name=name, content_type="application/octet-stream", size=len(content),
                                sha256=hashlib.sha256(content).hexdigest(), instance=task.instance,
                                task_id=None if instance_only else task.pk,
                                uploaded_by=task.office or "test")
        attachment.file.save(name, ContentFile(content), save=False)
        attachment.save()
        references.append({"id": str(attachment.pk), "name": name})
    return references
