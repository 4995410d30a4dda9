"""The read-only operator pages open and show the engine's rows."""
import pytest

from engine import api

pytestmark = pytest.mark.django_db


def test_admin_lists_instances_and_tasks(client, deploy_bpmn, offices, django_user_model):
    deploy_bpmn("review.bpmn")
    instance = api.start("review", "plan-520102", {"county": "520102", "revisions": 0}).instance
    admin_user = django_user_model.objects.create_superuser("root", password="pw")
    client.force_login(admin_user)
    for url in ("/admin/engine/processinstance/", "/admin/engine/humantask/", "/admin/engine/auditevent/",
                "/admin/engine/definitionversion/", "/admin/engine/timer/", "/admin/engine/message/"):
        assert client.get(url).status_code == 200, url
    page = client.get(f"/admin/engine/processinstance/{instance.pk}/change/").content.decode()
    assert "plan-520102" in page
    assert "编写年度计划" in client.get("/admin/engine/humantask/").content.decode()
    assert client.get("/admin/engine/processinstance/add/").status_code == 403
