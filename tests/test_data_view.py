"""Process data as the pages show it: every list bounded, however many rows the data holds."""
import pytest

from engine import api
from webui.data_view import SHOWN_ROWS, render_data


def test_a_long_list_shows_its_first_rows_and_how_many_more():
    suppliers = [{"label": f"社工中心{n}", "value": f"org-{n}"} for n in range(1400)]
    html = str(render_data({"suppliers": suppliers, "codes": [f"c{n}" for n in range(SHOWN_ROWS + 3)],
                            "lots": suppliers[:3]}))
    assert html.count("<tr>") == SHOWN_ROWS + 1 + 3 + 1  # rows and heading of each table
    assert f"社工中心{SHOWN_ROWS - 1}<" in html and f"社工中心{SHOWN_ROWS}<" not in html
    assert f"另有 {1400 - SHOWN_ROWS} 项未显示（共 1400 项）" in html
    assert f"c{SHOWN_ROWS - 1}" in html and f"c{SHOWN_ROWS}<" not in html and "另有 3 项未显示" in html
    assert len(html) < 20000


@pytest.mark.django_db
def test_an_instance_page_sends_long_raw_data_on_its_own(client, offices, deploy_bpmn):
    deploy_bpmn("office_work.bpmn")
    rows = [{"label": f"社工中心{n}", "value": f"org-{n}"} for n in range(1400)]
    big = api.start("county_work", "big", {"county": "520102", "suppliers": rows}).instance
    small = api.start("county_work", "small", {"county": "520102", "note": "小"}).instance
    client.force_login(offices["520102"])
    page = client.get(f"/instances/{big.pk}/").content.decode()
    assert f'href="/api/v1/instances/{big.pk}/"' in page and "org-1399" not in page and len(page) < 60000
    assert client.get(f"/api/v1/instances/{big.pk}/").json()["data"]["suppliers"][-1]["value"] == "org-1399"
    page = client.get(f"/instances/{small.pk}/").content.decode()
    assert '<details class="raw-data">' in page and "&quot;note&quot;: &quot;小&quot;" in page
