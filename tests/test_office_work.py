"""Work goes on when a person is away: a task delegated to a colleague comes back to the delegator to confirm,
a substitute does the absent person's tasks under their own name on their behalf, and comments with
@mentions of people and offices reach them. Everything is named in the history."""
from datetime import date, datetime, timezone

import pytest

from engine import api
from engine.api import clock
from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.models import AuditEvent, HumanTask, TaskDraft
from workflows.models import Membership, Office
from workflows.substitutes import end_substitution, set_substitute
from workflows.visibility import can_work_on

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
COUNTY = "520102"


@pytest.fixture
def review(deploy_bpmn, offices):
    clock.set_time(MONDAY)
    deploy_bpmn("county_review.bpmn")
    instance = api.start("county_review", data={"county": COUNTY}).instance
    return HumanTask.objects.get(instance=instance, bpmn_id="review")


def actions(task):
    return list(AuditEvent.objects.filter(task_id=task.pk).order_by("at", "id").values_list("action", "actor"))


def test_a_delegated_task_comes_back_to_the_delegator_who_confirms_it(review, offices):
    head, clerk = offices[COUNTY], offices["520102-b"]
    api.claim(review.id, actor=head)
    with pytest.raises(InvalidInput) as refused:
        api.delegate(review.id, "5201", actor=head)  # the prefecture's user works in another office
    assert refused.value.errors == {"delegate": "5201 不能办理单位 520102 的任务"}
    row = api.delegate(review.id, "520102-b", actor=head, note="请先核对预算")
    assert (row.assignee, row.delegated_by, row.delegation) == ("520102-b", COUNTY, "pending")
    assert [t.pk for t in api.inbox(clerk, "claimed")] == [review.pk], "in the delegate's inbox"
    with pytest.raises(Conflict, match="已委派给 520102-b"):
        api.complete_task(review.id, {"background": "b", "budget": 1}, actor=head)
    with pytest.raises(Conflict, match="请填写后交回委派人确认"):
        api.complete_task(review.id, {"background": "b", "budget": 1}, actor=clerk)
    with pytest.raises(InvalidInput) as refused:
        api.resolve_task(review.id, {"budget": -1}, actor=clerk)
    assert set(refused.value.errors) == {"background", "budget"}, "handed back only with a valid form"
    row = api.resolve_task(review.id, {"background": "已核对", "budget": 1200}, actor=clerk, note="预算无误")
    assert (row.assignee, row.delegation) == (COUNTY, "resolved")
    assert TaskDraft.objects.get(task=row, user=COUNTY).data == {"background": "已核对", "budget": "1200.00"}
    result = api.complete_task(review.id, {"background": "已核对，同意", "budget": 1200}, actor=head)
    assert result.task.completed_by == COUNTY
    assert actions(review) == [("task.created", "system"), ("task.claim", COUNTY), ("task.delegate", COUNTY), ("task.resolve", "520102-b"),
                               ("task.complete", COUNTY)]
    delegated = AuditEvent.objects.get(task_id=review.pk, action="task.delegate")
    assert delegated.data == {"to": "520102-b", "note": "请先核对预算"}


def test_a_substitute_sees_and_does_the_absent_persons_tasks_on_their_behalf(review, offices, django_user_model):
    head = offices[COUNTY]
    api.claim(review.id, actor=head)
    prefecture_clerk = django_user_model.objects.create_user("5201-b", password="pw")
    Membership.objects.create(user=prefecture_clerk, office=Office.objects.get(code="5201"))
    zunyi = offices["520302"]
    with pytest.raises(PermissionDenied):
        set_substitute(COUNTY, "5201-b", "2026-03-02", "2026-03-13", actor=offices["520102-b"])  # not a supervisor
    with pytest.raises(InvalidInput) as refused:
        set_substitute(COUNTY, "520302", "2026-03-02", "2026-03-13", actor=head)
    assert "不在 520102 所在单位或其上级单位" in refused.value.errors["substitute"]
    assert not list(api.inbox(prefecture_clerk, "mine"))
    set_substitute(COUNTY, "5201-b", date(2026, 3, 2), date(2026, 3, 13), reason="休假", actor=head)
    assert api.working_offices(prefecture_clerk) == (["5201", COUNTY], [COUNTY])
    assert [t.pk for t in api.inbox(prefecture_clerk, "claimed")] == [review.pk]
    assert can_work_on(prefecture_clerk, HumanTask.objects.get(pk=review.pk))
    with pytest.raises(PermissionDenied):
        api.complete_task(review.id, {"background": "b", "budget": 1}, actor=zunyi)
    result = api.complete_task(review.id, {"background": "代为审核", "budget": 10}, actor=prefecture_clerk)
    assert result.task.completed_by == "5201-b"
    completed = AuditEvent.objects.get(task_id=review.pk, action="task.complete")
    assert completed.actor == "5201-b" and completed.data["on_behalf_of"] == COUNTY
    assert AuditEvent.objects.filter(action="substitution.set", actor=COUNTY).exists()


def test_a_substitution_holds_only_on_its_days_and_ends_when_ended(review, offices, django_user_model):
    head, clerk = offices[COUNTY], offices["520102-b"]
    api.claim(review.id, actor=head)
    row = set_substitute(COUNTY, "520102-b", "2026-03-04", "2026-03-06", actor=head)
    assert not list(api.inbox(clerk, "claimed")), "not before its first day"
    clock.set_time(datetime(2026, 3, 4, 2, tzinfo=timezone.utc))
    clerk = django_user_model.objects.get(pk=clerk.pk)  # a new request
    assert [t.pk for t in api.inbox(clerk, "claimed")] == [review.pk]
    end_substitution(row.pk, actor=clerk)
    clerk = django_user_model.objects.get(pk=clerk.pk)
    clock.set_time(datetime(2026, 3, 5, 2, tzinfo=timezone.utc))
    assert not list(api.inbox(clerk, "claimed"))
    with pytest.raises(InvalidInput):
        set_substitute(COUNTY, "520102-b", "2026-03-06", "2026-03-05", actor=head)


def test_comments_mention_people_and_offices_and_are_in_the_history(review, offices):
    instance = review.instance
    assert api.mentioned("请@贵阳市民政局核实，抄送 @520102-b 和@不存在的单位") == [
        {"kind": "office", "code": "5201", "label": "贵阳市民政局"},
        {"kind": "user", "code": "520102-b", "label": "520102-b"}]
    comment = api.add_comment(instance.pk, "请@贵阳市民政局核实预算", actor=offices[COUNTY], task_id=review.pk)
    assert [m.code for m in comment.mentions.all()] == ["5201"]
    assert list(api.mentions_of("5201", ["5201"])) == [comment]
    assert list(api.mentions_of("520302", ["520302"])) == []
    assert list(api.comments_on(instance, review)) == [comment]
    event = AuditEvent.objects.get(action="comment.added")
    assert event.actor == COUNTY and event.data == {"comment": "请@贵阳市民政局核实预算", "mentions": ["贵阳市民政局"]}
    with pytest.raises(InvalidInput):
        api.add_comment(instance.pk, "  ", actor=offices[COUNTY])
    with pytest.raises(InvalidInput):
        api.add_comment(instance.pk, "长" * 2001, actor=offices[COUNTY])
