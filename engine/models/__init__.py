from .attachments import Attachment
from .audit import AuditEvent
from .calendar import CalendarDay, CalendarYear, RegionalHoliday
from .comments import Comment, CommentMention
from .definitions import DefinitionFile, DefinitionVersion, ProcessDefinition, TenantPin
from .drafts import TaskDraft
from .instances import InstanceState, ProcessInstance
from .messages import Message, MessageSubscription
from .migration_jobs import MigrationItem, MigrationJob
from .tasks import Delegation, HumanTask, TaskState, is_overdue, overdue_condition
from .timers import ScheduledStart, Timer

__all__ = [
    "Attachment",
    "AuditEvent",
    "CalendarDay",
    "Comment",
    "CommentMention",
    "CalendarYear",
    "RegionalHoliday",
    "DefinitionFile",
    "DefinitionVersion",
    "ProcessDefinition",
    "TenantPin",
    "ProcessInstance",
    "InstanceState",
    "Message",
    "MessageSubscription",
    "MigrationItem",
    "MigrationJob",
    "Delegation",
    "HumanTask",
    "TaskDraft",
    "TaskState",
    "is_overdue",
    "overdue_condition",
    "Timer", "ScheduledStart",
]
