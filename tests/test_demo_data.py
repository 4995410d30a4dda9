"""The demonstration offices loaded by `manage.py loaddemo`: counts, tree, regions, accounts, idempotence."""
from functools import partial

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.test import RequestFactory

from engine.extensions import get_directory
from workflows.models import Membership, Office, OfficeKind
from workflows.sample_data import PROVINCE_CODE

from .steps import command_output

pytestmark = pytest.mark.django_db

K = OfficeKind


loaddemo = partial(command_output, "loaddemo")


@pytest.fixture
def demo():
    return loaddemo()


def count(kind):
    return Office.objects.filter(kind=kind).count()


def test_the_first_wave_of_the_programme(demo):
    assert (count(K.PREFECTURE_BUREAU), count(K.COUNTY_BUREAU), count(K.STATION)) == (8, 40, 64)
    assert count(K.PROVINCE_CIVIL_AFFAIRS) == count(K.PROVINCE_FINANCE) == 1
    assert 5 <= count(K.SOCIAL_ORG) <= 8
    assert 1 <= count(K.EVALUATOR) <= 2
    assert not Office.objects.filter(is_sample=False).exists()
    assert Office.objects.exclude(name_en="").count() == Office.objects.count()


def test_tree_province_prefectures_counties_stations(demo):
    province = Office.objects.get(kind=K.PROVINCE_CIVIL_AFFAIRS)
    assert province.name == "贵州省民政厅" and province.parent is None
    for prefecture in Office.objects.filter(kind=K.PREFECTURE_BUREAU):
        assert prefecture.parent == province
        assert prefecture.children.exists()
        assert all(child.kind == K.COUNTY_BUREAU and child.code.startswith(prefecture.code)
                   for child in prefecture.children.all())
    for county in Office.objects.filter(kind=K.COUNTY_BUREAU):
        stations = list(county.children.all())
        assert stations and all(s.kind == K.STATION and s.code.startswith(county.code + "-") for s in stations)
    for kind in (K.SOCIAL_ORG, K.EVALUATOR, K.PROVINCE_FINANCE):
        assert not Office.objects.filter(kind=kind, parent__isnull=False).exists()
    bijie = Office.objects.get(code="5205")
    assert bijie.name == "毕节市民政局"
    assert Office.objects.get(code="520526-wuligang").parent.parent == bijie
    # The directory routes a station's county work to the county and its review to the prefecture.
    directory = get_directory()
    assert directory.office_for(K.PREFECTURE_BUREAU, {"county": "520526"}) == "5205"
    assert directory.office_for(K.PROVINCE_CIVIL_AFFAIRS, {}) == PROVINCE_CODE


def test_autonomous_prefectures_keep_their_region(demo):
    for prefecture, region in (("5223", "522300"), ("5226", "522600"), ("5227", "522700")):
        offices = Office.objects.filter(code__startswith=prefecture)
        assert offices.count() > 3
        assert set(offices.values_list("region", flat=True)) == {region}, prefecture
    # Elsewhere a county keeps its own division and its stations the county's.
    assert Office.objects.get(code="5205").region == "520500"
    assert Office.objects.get(code="520526").region == "520526"
    assert Office.objects.get(code="520526-wuligang").region == "520526"
    assert Office.objects.get(code=PROVINCE_CODE).region == "520000"


def test_one_supervising_account_per_office_with_the_printed_password(demo, settings):
    password = (settings.VAR_DIR / "demo-password").read_text().strip()
    assert f"password of every account below: {password}" in demo
    assert "  520526-wuligang" in demo
    User = get_user_model()
    assert User.objects.count() == Office.objects.count()
    assert Membership.objects.filter(is_supervisor=True).count() == Office.objects.count()
    assert list(Membership.objects.filter(is_process_owner=True).values_list("user__username", flat=True)) == [
        PROVINCE_CODE]
    # A login needs its request: the throttle counts failures by account and by address.
    user = authenticate(RequestFactory().post("/accounts/login/"), username="522632-guzhou", password=password)
    assert user is not None
    assert get_directory().offices_of(user) == ["522632-guzhou"]


def test_second_run_changes_nothing_and_says_so(demo, settings):
    password = (settings.VAR_DIR / "demo-password").read_text().strip()
    before = sorted(Office.objects.values_list("code", "name", "parent__code", "region"))
    hashes = dict(get_user_model().objects.values_list("username", "password"))
    again = loaddemo()
    assert "nothing changed" in again and password in again
    assert sorted(Office.objects.values_list("code", "name", "parent__code", "region")) == before
    assert dict(get_user_model().objects.values_list("username", "password")) == hashes


def test_each_account_is_named_after_its_office_and_older_databases_get_the_names(demo):
    names = dict(get_user_model().objects.values_list("username", "first_name"))
    assert names[PROVINCE_CODE] == "省民政厅管理员"
    assert names["520526"] == "威宁县民政局管理员" and names["5226"] == "黔东南州民政局管理员"
    assert names["520526-wuligang"] == "威宁县五里岗街道社工站联络员"
    assert names["org-yangguang"] == "贵州阳光社工中心联络员"
    assert len(set(names.values())) == len(names), "no two accounts share a name"
    get_user_model().objects.update(first_name="")  # as loaded before accounts had names
    assert "0 accounts created, %d named" % len(names) in loaddemo()
    assert get_user_model().objects.get(username="520526").get_full_name() == "威宁县民政局管理员"
    assert "nothing changed" in loaddemo()


def test_repairs_a_changed_office_and_sets_a_given_password(demo):
    Office.objects.filter(code="5226").update(name="改错的名字", region="")
    Membership.objects.filter(user__username=PROVINCE_CODE).update(is_process_owner=False)
    out = loaddemo("--password", "new-secret")
    assert "1 updated" in out and "1 memberships" in out and "passwords set" in out
    assert Office.objects.get(code="5226").name == "黔东南苗族侗族自治州民政局"
    assert authenticate(RequestFactory().post("/accounts/login/"), username="5226", password="new-secret") is not None
    assert Membership.objects.get(user__username=PROVINCE_CODE).is_process_owner
    assert "nothing changed" in loaddemo("--password", "new-secret")
    assert "nothing changed" in loaddemo(), "the given password is kept for later runs"
