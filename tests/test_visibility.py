"""Who sees which instances and tasks, on a real office tree with instances started through the engine."""
from importlib import import_module

import pytest
from django.apps import apps

from engine import api
from engine.models import HumanTask, ProcessInstance
from workflows.models import InstanceOffice, InstanceRoot, Membership, Office, OfficeKind
from workflows.visibility import can_see_instance, can_work_on, instances_visible_to, named_offices, tasks_visible_to
from workflows.visibility import visible_scope

pytestmark = pytest.mark.django_db

K = OfficeKind


@pytest.fixture
def users(db, django_user_model):
    """Province, two prefectures with counties and stations, two social organisations, an evaluator."""
    def office(code, kind, parent=None):
        return Office.objects.create(code=code, name=code, kind=kind, parent=parent)

    province = office("gz", K.PROVINCE_CIVIL_AFFAIRS)
    office("gz-fin", K.PROVINCE_FINANCE)
    guiyang = office("5201", K.PREFECTURE_BUREAU, province)
    zunyi = office("5203", K.PREFECTURE_BUREAU, province)
    nanming = office("520102", K.COUNTY_BUREAU, guiyang)
    yunyan = office("520103", K.COUNTY_BUREAU, guiyang)
    honghuagang = office("520302", K.COUNTY_BUREAU, zunyi)
    office("s1", K.STATION, nanming)
    office("s2", K.STATION, nanming)
    office("s3", K.STATION, yunyan)
    office("s4", K.STATION, honghuagang)
    office("org1", K.SOCIAL_ORG)
    office("org2", K.SOCIAL_ORG)
    office("eval1", K.EVALUATOR)
    users = {}
    for each in Office.objects.all():
        user = django_user_model.objects.create_user(each.code, password="pw")
        Membership.objects.create(user=user, office=each)
        users[each.code] = user
    users["nobody"] = django_user_model.objects.create_user("nobody", password="pw")
    users["admin"] = django_user_model.objects.create_superuser("admin", password="pw")
    return users


@pytest.fixture
def instances(users, deploy_bpmn):
    deploy_bpmn("office_work.bpmn")
    return {
        "nanming_s1": api.start("county_work", "a", {"county": "520102", "station": "s1", "social_org": "org1"}).instance,
        "honghuagang": api.start("county_work", "b", {"county": "520302", "social_org": "org2",
                                                      "evaluator": "eval1"}).instance,
        "procurement": api.start("province_work", "c", {"year": 2026}).instance,
        "yunyan_s3": api.start("station_work", "d", {"county": "520103", "station": "s3"}).instance,
    }


def visible(user, instances):
    seen = set(instances_visible_to(user, ProcessInstance.objects.all()).values_list("pk", flat=True))
    return {name for name, instance in instances.items() if instance.pk in seen}


EXPECTED = {
    "gz": {"nanming_s1", "honghuagang", "procurement", "yunyan_s3"},
    "gz-fin": {"nanming_s1", "honghuagang", "procurement", "yunyan_s3"},
    "admin": {"nanming_s1", "honghuagang", "procurement", "yunyan_s3"},
    "5201": {"nanming_s1", "procurement", "yunyan_s3"},
    "5203": {"honghuagang", "procurement"},
    "520102": {"nanming_s1", "procurement"},
    "520103": {"yunyan_s3", "procurement"},
    "s1": {"nanming_s1"},
    "s2": set(),
    "s3": {"yunyan_s3"},
    "org1": {"nanming_s1"},
    "org2": {"honghuagang"},
    "eval1": {"honghuagang"},
    "nobody": set(),
}


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_each_office_sees_its_own_part_of_the_tree(users, instances, username):
    user = users[username]
    assert visible(user, instances) == EXPECTED[username]
    for name, instance in instances.items():
        assert can_see_instance(user, instance) == (name in EXPECTED[username]), name


def test_scope_names_the_offices_below_a_bureau(users):
    province = visible_scope(users["gz"])
    assert not province.all and province.province_level and province.provinces == {"gz"}
    assert province.offices == {"gz", "5201", "5203", "520102", "520103", "520302", "s1", "s2", "s3", "s4"}
    finance = visible_scope(users["gz-fin"])
    assert finance.offices == province.offices | {"gz-fin"} and finance.subtrees == {"/gz/"}
    assert visible_scope(users["admin"]).all
    prefecture = visible_scope(users["5201"])
    assert not prefecture.all and prefecture.provinces == {"gz"} and not prefecture.province_level
    assert prefecture.offices == {"5201", "520102", "520103", "s1", "s2", "s3"}
    assert "s3" in prefecture and "s4" not in prefecture
    county = visible_scope(users["520102"])
    assert county.offices == {"520102", "s1", "s2"}
    organisation = visible_scope(users["org1"])
    assert organisation.offices == {"org1"} and not organisation.provinces
    assert not visible_scope(users["nobody"]).offices


def test_anonymous_sees_nothing(instances):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert not instances_visible_to(anonymous, ProcessInstance.objects.all()).exists()
    assert not tasks_visible_to(anonymous, HumanTask.objects.all()).exists()
    assert not can_see_instance(anonymous, instances["procurement"])


def test_tasks_follow_their_instance_or_their_office(users, instances):
    # A task given explicitly to an office is visible to it even where its instance is not.
    handed_over = api.start("province_work", "e", {"year": 2026, "offices": {"province_civil_affairs": "eval1"}}).instance

    def task_offices(username):
        rows = tasks_visible_to(users[username], HumanTask.objects.all())
        return sorted(rows.values_list("instance__business_key", "office"))

    assert task_offices("gz") == [("a", "520102"), ("b", "520302"), ("c", "gz"), ("d", "s3"), ("e", "eval1")]
    assert task_offices("520102") == [("a", "520102"), ("c", "gz"), ("e", "eval1")]
    assert task_offices("s3") == [("d", "s3")]
    assert task_offices("org1") == [("a", "520102")]
    assert task_offices("eval1") == [("b", "520302"), ("e", "eval1")]
    assert not can_see_instance(users["eval1"], handed_over)


def test_tasks_of_offices_the_user_sees_are_not_tested_again_by_instance(users, instances):
    """An inbox lists its own offices' tasks, each seen as a task of its office: the query stays as it is, without
    the union over the instances' links. Offices outside the user's view still get the test."""
    api.start("province_work", "e", {"year": 2026, "offices": {"province_civil_affairs": "eval1"}})
    own = HumanTask.objects.filter(office="eval1")
    shown = tasks_visible_to(users["eval1"], own, of_offices=["eval1"])
    assert "workflows_instanceoffice" not in str(shown.query)
    assert sorted(shown.values_list("instance__business_key", flat=True)) == ["e"]
    wider = HumanTask.objects.filter(office__in=["eval1", "520102"])
    shown = tasks_visible_to(users["eval1"], wider, of_offices=["eval1", "520102"])
    assert "workflows_instanceoffice" in str(shown.query)
    assert sorted(shown.values_list("instance__business_key", flat=True)) == ["e"]  # not Nanming's "a"
    assert sorted(tasks_visible_to(users["5201"], HumanTask.objects.filter(office__in=["520102", "s3"]),
                                   of_offices=["520102", "s3"]).values_list("office", flat=True)) == ["520102", "s3"]


def test_only_members_of_the_task_office_work_on_an_open_task(users, instances):
    task = HumanTask.objects.get(instance=instances["nanming_s1"])
    assert can_work_on(users["520102"], task)
    assert not can_work_on(users["5201"], task), "the prefecture sees the task but does not do the county's work"
    assert not can_work_on(users["gz"], task)
    assert not can_work_on(users["admin"], task)
    api.complete_task(task.id, {}, actor=users["520102"])
    task.refresh_from_db()
    assert not can_work_on(users["520102"], task)


def links():
    return sorted(InstanceOffice.objects.values_list("instance__business_key", "key", "office", "path"))


def test_the_offices_an_instance_names_follow_the_data_its_steps_write(users, instances):
    for instance in ProcessInstance.objects.all():
        assert dict(InstanceOffice.objects.filter(instance=instance).values_list("key", "office")) == \
            named_offices(instance.data)
    assert ("a", "station", "s1", "/gz/5201/520102/s1/") in links()
    unnamed = api.start("county_work", "f", {"year": 2026}).instance
    assert ("f", "", "", "") in links()
    assert visible(users["5203"], {"f": unnamed}) == {"f"} and not visible(users["s4"], {"f": unnamed})
    # The county's step names a county and a station: the instance leaves the province-wide ones.
    api.complete_task(HumanTask.objects.get(instance=unnamed).id, {"county": "520302", "station": "s4"})
    assert [row for row in links() if row[0] == "f"] == [
        ("f", "county", "520302", "/gz/5203/520302/"), ("f", "station", "s4", "/gz/5203/520302/s4/")]
    assert visible(users["s4"], {"f": unnamed}) == {"f"} and not visible(users["5201"], {"f": unnamed})


def test_an_office_moved_in_the_tree_takes_its_stations_and_instances_along(users, instances):
    yunyan = Office.objects.get(code="520103")
    yunyan.parent = Office.objects.get(code="5203")
    yunyan.save()
    assert Office.objects.get(code="s3").path == "/gz/5203/520103/s3/"
    assert ("d", "station", "s3", "/gz/5203/520103/s3/") in links()
    assert "yunyan_s3" in visible(users["5203"], instances)
    assert "yunyan_s3" not in visible(users["5201"], instances)


def test_the_migration_fills_the_links_of_existing_instances(instances):
    before = links()
    InstanceOffice.objects.all().delete()
    import_module("workflows.migrations.0005_instance_offices").fill(apps, None)
    assert links() == before and len(before) == 9


def roots():
    return sorted(InstanceRoot.objects.values_list("instance__business_key", "root", "started_at"))


def latest_first(user):
    return list(instances_visible_to(user, ProcessInstance.objects.all(), latest_first=True).values_list(
        "business_key", flat=True))


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_each_office_sees_its_instances_latest_first(users, instances, username):
    order = list(ProcessInstance.objects.order_by("-started_at", "pk").values_list("business_key", flat=True))
    expected = [key for key in order if key in {instances[name].business_key for name in EXPECTED[username]}]
    assert latest_first(users[username]) == expected
    # A province's civil-affairs department reads its root's rows; its finance department, which the data may
    # name apart from the tree, the links.
    if username != "nobody":  # whose query is known to be empty without a statement
        sql = str(instances_visible_to(users[username], ProcessInstance.objects.all(), latest_first=True).query)
        assert ("workflows_instanceroot" in sql) == (username == "gz"), sql


def test_the_roots_of_an_instance_follow_its_data_and_its_offices(users, instances, django_user_model):
    qz = Office.objects.create(code="qz", name="qz", kind=K.PROVINCE_CIVIL_AFFAIRS, region="450000")
    prefecture = Office.objects.create(code="4501", name="4501", kind=K.PREFECTURE_BUREAU, parent=qz)
    Office.objects.create(code="450102", name="450102", kind=K.COUNTY_BUREAU, parent=prefecture)
    qz_user = django_user_model.objects.create_user("qz", password="pw")
    Membership.objects.create(user=qz_user, office=qz)
    assert [(key, root) for key, root, _at in roots() if key in "abcd"] == [
        ("a", "gz"), ("a", "org1"), ("b", "eval1"), ("b", "gz"), ("b", "org2"), ("c", "gz"), ("d", "gz")]
    assert all(at == ProcessInstance.objects.get(business_key=key).started_at for key, _root, at in roots())
    # A step hands an instance naming no office (the home province's) to a county of another province.
    moving = api.start("county_work", "f", {"year": 2026}).instance
    assert ("f", "gz") in [(key, root) for key, root, _at in roots()]
    api.complete_task(HumanTask.objects.get(instance=moving).id, {"county": "450102"})
    assert [(key, root) for key, root, _at in roots() if key == "f"] == [("f", "qz")]
    assert latest_first(qz_user) == ["f"] and "f" not in latest_first(users["gz"])
    # A prefecture moved to the other province takes its instances' roots along.
    zunyi = Office.objects.get(code="5203")
    zunyi.parent = qz
    zunyi.save()
    assert [(key, root) for key, root, _at in roots() if key == "b"] == [("b", "eval1"), ("b", "org2"), ("b", "qz")]
    assert latest_first(qz_user) == ["f", "b"] and "b" not in latest_first(users["gz"])
    assert latest_first(users["gz"]) == [key for key in latest_first(users["admin"]) if key in "acd"]


def test_the_migration_fills_the_roots_of_existing_instances(instances):
    before = roots()
    InstanceRoot.objects.all().delete()
    import_module("workflows.migrations.0011_instance_roots").fill(apps, None)
    assert roots() == before and len(before) == 7
