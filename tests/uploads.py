"""Files uploaded for a task, as the task page uploads them before its form is submitted."""
from engine import api


def uploaded(task, *names, instance_only=False):
    """Attachment references (what a form's file field submits) of files uploaded for `task`, a HumanTask row
    (with `instance_only`, for its instance as a whole, as a record's own files are)."""
    references = []
    for name in names:
        attachment = api.upload_attachment(f"{name}\n".encode(), name, "application/octet-stream",
                                           instance=task.instance, task_id=None if instance_only else task.pk,
                                           actor=task.office or "test")
        references.append({"id": str(attachment.pk), "name": name})
    return references
