"""What the API reads and answers. Input serializers check a request's shape; the engine checks the rest
(form fields, variable names, lengths) and its InvalidInput names the field the same way."""
from datetime import date

from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from engine.api import calendar
from engine.models import InstanceState, TaskState
from webui.views.inbox import TABS

# A business key, a message or signal name, an office code: no longer than their columns.
KEY_LENGTH = 200


class JSONObject(serializers.DictField):
    """A JSON object of any values (instance data, a form's submission, a message's payload)."""


# Answers

class ValidationProblemSerializer(serializers.Serializer):
    file = serializers.CharField()
    line = serializers.IntegerField(allow_null=True)
    message = serializers.CharField()
    element = serializers.CharField(allow_null=True)
    severity = serializers.ChoiceField(choices=["error", "warning"])


class DefinitionSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    latest_version = serializers.IntegerField()
    pinned_version = serializers.IntegerField(source="pinned_number", allow_null=True,
                                              help_text="new instances start on it rather than the latest")


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    note = serializers.CharField()
    deployed_by = serializers.CharField()
    deployed_at = serializers.DateTimeField()
    content_hash = serializers.CharField()
    tenant = serializers.CharField(help_text="whose own version it is (a province's division code); blank: shared")
    tenant_label = serializers.CharField()
    is_latest = serializers.BooleanField()
    is_pinned = serializers.BooleanField(help_text="for the tenant asked about (the caller's own, if bound to one)")
    is_current = serializers.BooleanField(help_text="new instances (of that tenant) start on it")
    instances = serializers.DictField(child=serializers.IntegerField(), help_text="instances on it by state, and total")


class ValidationSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    processes = serializers.ListField(child=serializers.CharField(), help_text="the executable processes")
    problems = ValidationProblemSerializer(many=True,
                                           help_text="errors, and lint warnings that do not stop a deployment")


class DeployedVersionSerializer(serializers.Serializer):
    key = serializers.CharField(source="definition.key")
    version = serializers.IntegerField(source="number")
    tenant = serializers.CharField(help_text="whose own version it is; blank: shared")


class DeploySerializer(serializers.Serializer):
    created = DeployedVersionSerializer(many=True)
    unchanged = DeployedVersionSerializer(many=True, help_text="versions that already hold the content")


class TaskSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    bpmn_id = serializers.CharField()
    instance = serializers.UUIDField(source="instance_id")
    process = serializers.CharField(source="instance.version.definition.key")
    business_key = serializers.CharField(source="instance.business_key")
    office = serializers.CharField()
    lane = serializers.CharField()
    assignee = serializers.CharField()
    state = serializers.ChoiceField(choices=TaskState.CHOICES)
    delegation = serializers.CharField(help_text="pending: delegated, to come back; resolved: back, to confirm")
    delegated_by = serializers.CharField()
    form_id = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    due_provisional = serializers.BooleanField()
    is_overdue = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    completed_by = serializers.CharField()


class TaskDetailSerializer(TaskSerializer):
    instructions = serializers.CharField()


class InstanceSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    process = serializers.CharField(source="version.definition.key")
    version = serializers.IntegerField(source="version.number")
    business_key = serializers.CharField()
    state = serializers.ChoiceField(choices=InstanceState.CHOICES)
    started_by = serializers.CharField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    parent = serializers.UUIDField(source="parent_id", allow_null=True)
    current_elements = serializers.ListField(child=serializers.CharField(),
                                             help_text="BPMN ids of the elements it waits at")


class InstanceDetailSerializer(InstanceSerializer):
    data = JSONObject()
    completed_elements = serializers.ListField(child=serializers.CharField())
    error = serializers.CharField()
    error_element = serializers.CharField()
    open_tasks = TaskSerializer(many=True)


class StepSerializer(serializers.Serializer):
    """What a step did: the instance as it stands after it, and the human tasks it opened."""

    instance = InstanceSerializer()
    open_tasks = TaskSerializer(many=True)
    task = TaskSerializer(allow_null=True, required=False, help_text="the task completed")


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.CharField()
    action = serializers.CharField()
    task_id = serializers.UUIDField(allow_null=True)
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    data = JSONObject()


class MentionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["user", "office"])
    code = serializers.CharField()
    label = serializers.CharField()


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField()
    text = serializers.CharField()
    task = serializers.UUIDField(source="task_id", allow_null=True)
    created_at = serializers.DateTimeField()
    mentions = MentionSerializer(many=True, source="mentions.all")


class AttachmentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    task_id = serializers.UUIDField(allow_null=True)
    uploaded_by = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


class TaskFormSerializer(serializers.Serializer):
    schema = JSONObject(allow_null=True, help_text="the form-js schema; null when the task has no form")
    data = JSONObject(help_text="what the form is filled over")
    not_before = serializers.DateTimeField(allow_null=True, help_text="it may not be completed sooner")


class MigrationPlanSerializer(serializers.Serializer):
    instance = serializers.CharField()
    business_key = serializers.CharField()
    state = serializers.CharField()
    from_version = serializers.IntegerField()
    to_version = serializers.IntegerField()
    safe = serializers.BooleanField()
    reasons = serializers.ListField(child=JSONObject())
    error = serializers.CharField(allow_null=True, required=False)


class SentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class SignalSentSerializer(SentSerializer):
    tenant = serializers.CharField(allow_null=True, help_text="whose instances catch it (a province's division "
                                                              "code; blank: Guizhou's); null: every province's")


class WorkdaySerializer(serializers.Serializer):
    date = serializers.DateField()
    region = serializers.CharField(allow_null=True)
    is_workday = serializers.BooleanField()
    provisional = serializers.BooleanField(help_text="the year's holiday notice is not loaded yet")


class DueSerializer(serializers.Serializer):
    start = serializers.DateField()
    days = serializers.IntegerField()
    region = serializers.CharField(allow_null=True)
    due = serializers.DateTimeField(help_text="24:00 China time of the last day")
    last_day = serializers.DateField()
    provisional = serializers.BooleanField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    offices = serializers.ListField(child=serializers.CharField())
    is_process_owner = serializers.BooleanField()


# Requests

class FilesField(serializers.DictField):
    """{file name: text}, each name plain (no folder) and ending in one of `suffixes`."""

    def __init__(self, suffixes, **kwargs):
        self.suffixes = suffixes
        super().__init__(child=serializers.CharField(allow_blank=True, trim_whitespace=False), **kwargs)

    def to_internal_value(self, data):
        files = super().to_internal_value(data)
        bad = [name for name in files if not plain_name(name, self.suffixes)]
        if bad:
            raise serializers.ValidationError(_("文件名必须以 %(suffixes)s 结尾、不含路径：%(names)s") % {
                "suffixes": "、".join(self.suffixes), "names": "、".join(bad)})
        return files


def plain_name(name, suffixes):
    return (0 < len(name) <= 255 and name.endswith(suffixes) and name not in suffixes and "/" not in name
            and "\\" not in name and "\x00" not in name)


DIAGRAM_SUFFIXES = (".bpmn", ".dmn")
FORM_SUFFIXES = (".form",)
MAX_FILES = 100


class DefinitionFilesSerializer(serializers.Serializer):
    files = FilesField(DIAGRAM_SUFFIXES, help_text="BPMN and DMN files: {name: text}")
    forms = FilesField(FORM_SUFFIXES, required=False, default=dict, help_text="form-js forms: {name: JSON text}")

    def validate(self, attrs):
        if not attrs["files"]:
            raise serializers.ValidationError({"files": _("至少需要一个 BPMN 文件。")})
        if len(attrs["files"]) + len(attrs["forms"]) > MAX_FILES:
            raise serializers.ValidationError({"files": _("一次至多 %(n)s 个文件。") % {"n": MAX_FILES}})
        return attrs


def tenant_field():
    return serializers.CharField(
        max_length=100, required=False, allow_blank=True, allow_null=True, default=None,
        help_text="deploy as this tenant's own version (a province's division code); a process owner bound to one "
                  "(a province's) deploys for it without saying so; blank: shared")


class DeployRequestSerializer(DefinitionFilesSerializer):
    note = serializers.CharField(max_length=2000, help_text="what changed, for the version history")
    tenant = tenant_field()


class DeployUploadSerializer(serializers.Serializer):
    """The same as multipart/form-data: each file a part named `files` (.bpmn, .dmn or .form)."""

    files = serializers.ListField(child=serializers.FileField())
    note = serializers.CharField(max_length=2000)
    tenant = tenant_field()


class StartSerializer(serializers.Serializer):
    process = serializers.CharField(max_length=KEY_LENGTH, help_text="the definition's key")
    business_key = serializers.CharField(max_length=KEY_LENGTH, required=False, default="", allow_blank=True)
    data = JSONObject(required=False, default=dict)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class MigrateSerializer(serializers.Serializer):
    to_version = serializers.IntegerField(min_value=1)
    dry_run = serializers.BooleanField(required=False, default=False, help_text="only say what it would do")


class AssigneeSerializer(serializers.Serializer):
    assignee = serializers.CharField(max_length=150)


class DelegateSerializer(serializers.Serializer):
    delegate = serializers.CharField(max_length=150)
    note = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class SubmissionSerializer(serializers.Serializer):
    data = JSONObject(required=False, default=dict, help_text="the form's fields")


class ResolveSerializer(SubmissionSerializer):
    note = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class CommentRequestSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class MessageRequestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=KEY_LENGTH)
    correlation = JSONObject(required=False, default=dict, help_text="the values it is matched on")
    payload = JSONObject(required=False, default=dict)


class SignalRequestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=KEY_LENGTH)
    payload = JSONObject(required=False, default=dict)


# Query parameters

class InstanceFilterSerializer(serializers.Serializer):
    process = serializers.CharField(required=False, max_length=KEY_LENGTH)
    state = serializers.ChoiceField(required=False, choices=InstanceState.CHOICES)
    county = serializers.CharField(required=False, max_length=64)
    station = serializers.CharField(required=False, max_length=64)
    year = serializers.IntegerField(required=False, min_value=calendar.YEARS[0], max_value=calendar.YEARS[-1])
    business_key = serializers.CharField(required=False, max_length=KEY_LENGTH)


class InboxFilterSerializer(serializers.Serializer):
    tab = serializers.ChoiceField(required=False, default="mine", choices=[key for key, _label in TABS])
    process = serializers.CharField(required=False, max_length=KEY_LENGTH)
    county = serializers.CharField(required=False, max_length=64)
    station = serializers.CharField(required=False, max_length=64)
    year = serializers.IntegerField(required=False, min_value=calendar.YEARS[0], max_value=calendar.YEARS[-1])


# The days the pages' filters take: those of the calendar's years.
FIRST_DAY, LAST_DAY = date(calendar.YEARS[0], 1, 1), date(calendar.YEARS[-1], 12, 31)


def calendar_day(**kwargs):
    return serializers.DateField(validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)], **kwargs)


class WorkdayQuerySerializer(serializers.Serializer):
    date = calendar_day()
    region = serializers.CharField(required=False, max_length=32)


class AddWorkdaysQuerySerializer(serializers.Serializer):
    start = calendar_day(help_text="not counted itself")
    days = serializers.IntegerField(min_value=0)
    region = serializers.CharField(required=False, max_length=32)
