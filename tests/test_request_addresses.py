"""A request whose address holds a NUL is refused alike on both databases, before any view looks it up."""
import pytest

pytestmark = pytest.mark.django_db

REFUSED = ["/modeler/%00/history/", "/modeler/a%00b/v1/", "/dashboard/?prefecture=%00", "/offices/search/?kind=station&q=%00",
           "/?tab=overdue&process=%00", "/instances/?county=a%00b", "/?%00=1"]


@pytest.mark.parametrize("url", REFUSED)
def test_an_address_with_a_nul_is_refused_before_any_lookup(url, owner, client, django_assert_num_queries):
    client.force_login(owner)
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.status_code == 400
    assert response.content.decode() == "请求的地址含有无法处理的字符（如空字符 \\x00）。"
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400 and b"cannot be handled (such as a NUL" in english.content


@pytest.mark.parametrize("url", ["/api/v1/definitions/%00/versions/", "/api/v1/instances/?business_key=%00"])
def test_the_rest_api_refuses_a_nul_in_its_own_format(url, owner, client):
    client.force_login(owner)
    response = client.get(url)
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "请求的地址含有无法处理的字符（如空字符 \\x00）。"


def test_the_same_addresses_without_the_nul_are_answered(owner, client):
    client.force_login(owner)
    assert client.get("/dashboard/?prefecture=5201").status_code == 200
    assert client.get("/offices/search/?kind=station&q=52").status_code == 200
    assert client.get("/modeler/nosuch/history/").status_code == 404
