"""Option lists a form names by `valuesKey` and the domain gives by name (engine.extensions.form_options): shown
and checked as they stand at that moment, never kept in the instance's data."""
import pytest

from engine import api
from engine.errors import InvalidInput
from engine.extensions import form_options
from engine.models import AuditEvent

from .steps import open_task

pytestmark = pytest.mark.django_db

REGISTERED = [{"label": "阳光社工", "value": "org-a"}, {"label": "同心社工", "value": "org-b"}]
ORGS = []  # what the list gives: each test sets it, and may change it as organisations register or leave
form_options("test_registered_orgs")(lambda: list(ORGS))


@pytest.fixture
def registered(deploy_bpmn):
    ORGS[:] = REGISTERED
    deploy_bpmn("pick_org.bpmn")
    return ORGS


def test_a_named_list_is_shown_with_the_form_and_not_kept_in_the_data(registered, offices):
    instance = api.start("pick_org", "pick-1", {"county": "520102"}).instance
    form = api.task_form(open_task(instance, "pick"))
    assert form.data["test_registered_orgs"] == REGISTERED
    assert "colours" not in form.data, "a list nobody registered is the data's, as before"
    registered.append({"label": "新登记社工", "value": "org-new"})  # registered while the task waits
    assert api.task_form(open_task(instance, "pick")).data["test_registered_orgs"][-1]["value"] == "org-new"
    task = open_task(instance, "pick")
    api.complete_task(task.pk, {"lead": "org-new", "partners": [{"org": "org-a"}]}, actor=offices["520102"])
    instance.refresh_from_db()
    assert instance.state == "completed"
    assert instance.data["lead"] == "org-new" and "test_registered_orgs" not in instance.data
    # The completed task's page still shows the choices, for the label of what was chosen.
    assert api.task_form(task).data["test_registered_orgs"][-1]["label"] == "新登记社工"
    completed = AuditEvent.objects.get(task_id=task.pk, action="task.complete")
    assert "test_registered_orgs" not in completed.data["data"]


def test_a_value_outside_the_list_is_refused_at_the_top_and_in_a_list(registered, offices):
    instance = api.start("pick_org", "pick-2", {"county": "520102"}).instance
    task = open_task(instance, "pick")
    with pytest.raises(InvalidInput) as refused:
        api.complete_task(task.pk, {"lead": "org-gone", "partners": [{"org": "org-b"}]}, actor=offices["520102"])
    assert set(refused.value.errors) == {"lead"}
    with pytest.raises(InvalidInput) as refused:
        api.complete_task(task.pk, {"lead": "org-a", "partners": [{"org": "org-a"}, {"org": "x"}]},
                          actor=offices["520102"])
    assert set(refused.value.errors) == {"partners[1].org"}
    registered.pop(0)  # org-a deregistered before the submission
    with pytest.raises(InvalidInput):
        api.complete_task(task.pk, {"lead": "org-a"}, actor=offices["520102"])
    api.complete_task(task.pk, {"lead": "org-b"}, actor=offices["520102"])


def test_the_instances_own_list_does_not_widen_a_registered_one(registered, offices):
    # Data from before the list was given by name (or from a payload) holds a list of its own: the
    # registered list is the one shown and checked.
    instance = api.start("pick_org", "pick-3", {
        "county": "520102", "test_registered_orgs": [{"label": "旧", "value": "org-old"}]}).instance
    task = open_task(instance, "pick")
    assert api.task_form(task).data["test_registered_orgs"] == REGISTERED
    with pytest.raises(InvalidInput):
        api.complete_task(task.pk, {"lead": "org-old"}, actor=offices["520102"])
