"""Who is concerned: the people of an office, or a person, and whoever stands in for them today."""
from django.contrib.auth import get_user_model
from django.db.models import Q

from engine.api import clock


def _with_substitutes(people):
    """`people` (a user QuerySet) and the active users who stand in for one of them today (workflows'
    Substitution): a substitute sees and does the absent person's work, so is told of it too."""
    today = clock.today_in_china()
    users = get_user_model().objects.filter(is_active=True)
    return users.filter(Q(pk__in=people.values("pk")) | Q(
        stands_in_for__absent__in=people.values("pk"), stands_in_for__starts_on__lte=today,
        stands_in_for__ends_on__gte=today)).distinct().order_by("pk")


def people(usernames):
    """The active users named, and their substitutes."""
    return _with_substitutes(get_user_model().objects.filter(username__in=list(usernames), is_active=True))


def office_people(codes):
    """The active members of the offices, and their substitutes."""
    return _with_substitutes(get_user_model().objects.filter(memberships__office__code__in=list(codes),
                                                             is_active=True))


def for_task(task):
    """Who works on an open task: its assignee when claimed (or delegated), else its office's people."""
    if task.assignee:
        return people([task.assignee])
    return office_people([task.office]) if task.office else get_user_model().objects.none()
