"""Challenges (质疑) from the web: a bidder files one within the window; the answers show on the procurement."""
from datetime import timedelta

import pytest

from engine.api import clock
from engine.api import dispatch_due_timers
from workflows.procurement.launch import start_procurement
from workflows.procurement.models import Challenge, ProcurementProject

from .steps import move_clock_to
from .test_procurement import MINUTE, NANMING, YEAR, complete, first_round, lot, world  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def awarded(world):  # noqa: F811
    """The first round awarded and its notices issued: lot 1 (南明区) went to org1; org2 and org3 bid on it too."""
    users, _counties = world
    instance = start_procurement(YEAR, actor=users["gz"])
    first_round(instance, users)
    complete(instance, "confirm_winners", users, {"confirmed": True})
    complete(instance, "publish_award", users, {"award_url": "http://x/zbgg"}, files=["award_notices"])
    dispatch_due_timers()
    return users, instance


def test_a_bidder_files_a_challenge_and_the_procurement_page_shows_it_with_its_answer(client, awarded):
    users, instance = awarded
    nanming = lot(NANMING)
    client.force_login(users["org2"])
    listing = client.get("/challenges/").content.decode()
    assert f'href="/challenges/lots/{nanming.pk}/"' in listing and "贵州阳光社会工作服务中心" in listing
    assert 'href="/challenges/"' in client.get("/").content.decode()  # in the menu
    response = client.post(f"/challenges/lots/{nanming.pk}/", {"grounds": " "})
    assert response.status_code == 400 and response.context["form"].errors["grounds"] == ["请写明质疑事项和理由"]

    response = client.post(f"/challenges/lots/{nanming.pk}/", {"grounds": "第一名的业绩证明不实"})
    assert response.status_code == 302 and response["Location"] == "/challenges/"
    challenge = Challenge.objects.get()
    assert (challenge.lot, challenge.filed_by.code, challenge.grounds) == (nanming, "org2", "第一名的业绩证明不实")
    page = client.get("/challenges/").content.decode()
    assert "质疑已提交" in page and "第一名的业绩证明不实" in page and "待答复" in page

    handling = challenge.process_instance
    complete(handling, "assess_challenge", users, {"may_change_result": True, "assessment": "涉及评分，暂停签约"})
    complete(handling, "answer_challenge", users, {"answer": "经复核，第一名业绩不实，中标结果改为第二名",
                                                   "result_changed": True, "new_winner": "org2"})
    client.force_login(users["gz"])
    for shown in (instance, handling):  # the procurement's page and the challenge's own
        page = client.get(f"/instances/{shown.pk}/").content.decode()
        assert "第一名的业绩证明不实" in page and "贵州同心社工中心" in page
        assert "经复核，第一名业绩不实，中标结果改为第二名" in page and "中标结果已变更" in page
    client.force_login(users["org2"])
    assert "经复核，第一名业绩不实" in client.get("/challenges/").content.decode()
    assert "第一名的业绩证明不实" in client.get(f"/instances/{handling.pk}/").content.decode()


def test_after_the_window_the_challenge_is_refused_with_the_reason(client, awarded):
    users, _instance = awarded
    nanming = lot(NANMING)
    closes = ProcurementProject.objects.get(year=YEAR).challenge_window_closes_at
    move_clock_to(closes + MINUTE)
    client.force_login(users["org3"])
    assert f'href="/challenges/lots/{nanming.pk}/"' not in client.get("/challenges/").content.decode()
    response = client.post(f"/challenges/lots/{nanming.pk}/", {"grounds": "评分有误"})
    assert response.status_code == 400
    expected = f"第 1 标段的质疑期已于 {closes.astimezone(clock.CHINA):%Y-%m-%d %H:%M} 届满"
    assert response.context["form"].non_field_errors() == [expected]
    assert expected in response.content.decode()
    assert not Challenge.objects.exists()


def test_only_organisations_that_bid_on_the_lot_may_challenge_it(client, awarded):
    users, _instance = awarded
    move_clock_to(clock.now() + timedelta(hours=1))
    nanming, honghuagang = lot(NANMING), lot("520302")
    client.force_login(users["org4"])  # bid on lot 2 only (over its budget)
    assert client.get(f"/challenges/lots/{nanming.pk}/").status_code == 404
    assert client.post(f"/challenges/lots/{nanming.pk}/", {"grounds": "评分有误"}).status_code == 404
    listing = client.get("/challenges/").content.decode()  # its own lot failed: nothing to challenge
    assert "红花岗区民政局" in listing and "废标" in listing and "南明区民政局" not in listing
    assert f"/challenges/lots/{honghuagang.pk}/" not in listing
    client.force_login(users["520102"])  # not a supplier at all
    assert client.get("/challenges/").status_code == 403
    assert client.get(f"/challenges/lots/{nanming.pk}/").status_code == 403
    assert 'href="/challenges/"' not in client.get("/").content.decode()
    assert not Challenge.objects.exists()
