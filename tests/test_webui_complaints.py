"""Complaints (投诉) from the web: the challenger files one about the answer within its window and follows the
decision; the procurement's and the complaint's pages show it."""
import pytest

from engine.api import clock
from workflows.procurement.models import Complaint

from .steps import move_clock_to
from .test_complaints import accept, awarded, challenged, decide  # noqa: F401 - awarded is a fixture
from .test_procurement import MINUTE, world  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_the_challenger_files_a_complaint_once_answered_and_reads_the_decision(client, awarded):
    users, _counties, instance = awarded
    answered, unanswered = challenged(users), challenged(users, "org3", answer=False)
    client.force_login(users["org2"])
    assert 'href="/complaints/"' in client.get("/").content.decode()  # in the menu
    listing = client.get("/complaints/").content.decode()
    assert f'href="/complaints/challenges/{answered.pk}/"' in listing and "经复核，业绩证明属实" in listing
    assert f"/complaints/challenges/{unanswered.pk}/" not in listing, "another organisation's challenge"
    response = client.post(f"/complaints/challenges/{answered.pk}/", {"grounds": " "})
    assert response.status_code == 400 and response.context["form"].errors["grounds"] == ["请写明投诉事项和理由"]
    response = client.post(f"/complaints/challenges/{answered.pk}/", {"grounds": "答复未回应业绩造假问题"})
    assert response.status_code == 302 and response["Location"] == "/complaints/"
    complaint = Complaint.objects.get()
    assert (complaint.challenge, complaint.filed_by.code) == (answered, "org2")
    page = client.get("/complaints/").content.decode()
    assert "投诉已提交" in page and "答复未回应业绩造假问题" in page and "待处理" in page and "已投诉" in page

    accept(complaint, users, suspend=True)
    assert "暂停采购活动，至迟于" in client.get("/complaints/").content.decode()
    decide(complaint, users, "dismissed", "经调查，第一名业绩证明属实")
    page = client.get("/complaints/").content.decode()
    assert "投诉事项不成立，驳回投诉" in page and "经调查，第一名业绩证明属实" in page
    assert "答复未回应业绩造假问题" in client.get(f"/instances/{complaint.process_instance_id}/").content.decode()
    client.force_login(users["gz"])
    assert "投诉事项不成立，驳回投诉" in client.get(f"/instances/{instance.pk}/").content.decode()


def test_outside_its_window_a_complaint_is_refused_with_the_reason(client, awarded):
    users, _counties, _instance = awarded
    unanswered = challenged(users, "org3", answer=False)
    client.force_login(users["org3"])
    listing = client.get("/complaints/").content.decode()
    assert "答复期满后开始" in listing and f'href="/complaints/challenges/{unanswered.pk}/"' not in listing
    response = client.post(f"/complaints/challenges/{unanswered.pk}/", {"grounds": "采购人未答复"})
    assert response.status_code == 400
    expected = (f"质疑的答复期至 {unanswered.answer_due_at.astimezone(clock.CHINA):%Y-%m-%d %H:%M} 届满："
                "采购人答复后或答复期满后方可投诉")
    assert response.context["form"].non_field_errors() == [expected] and expected in response.content.decode()
    move_clock_to(unanswered.complaint_window_closes_at + MINUTE)
    response = client.post(f"/complaints/challenges/{unanswered.pk}/", {"grounds": "采购人未答复"})
    assert response.status_code == 400 and "投诉期已于" in response.content.decode()
    assert not Complaint.objects.exists()


def test_only_the_challenger_may_complain(client, awarded):
    users, _counties, _instance = awarded
    challenge = challenged(users)
    client.force_login(users["org3"])
    assert client.get(f"/complaints/challenges/{challenge.pk}/").status_code == 404
    assert client.post(f"/complaints/challenges/{challenge.pk}/", {"grounds": "评分有误"}).status_code == 404
    client.force_login(users["520102"])  # not a supplier at all
    assert client.get("/complaints/").status_code == 403
    assert 'href="/complaints/"' not in client.get("/").content.decode()
    assert not Complaint.objects.exists()


def test_the_complaint_page_in_english(client, awarded):
    users, _counties, _instance = awarded
    challenge = challenged(users)
    client.cookies["django_language"] = "en"
    client.force_login(users["org2"])
    client.post(f"/complaints/challenges/{challenge.pk}/", {"grounds": "答复未回应业绩造假问题"})
    page = client.get("/complaints/").content.decode()
    assert "<h1>Complaints</h1>" in page and "Complaint period" in page and "awaiting decision" in page
    assert "Complaint filed: the provincial finance department decides within 30 working days" in page
    assert ">Filed<" in page  # the record's state, from the project's catalog
