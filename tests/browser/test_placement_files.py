"""The organisation picks certificate scans in the placement form: they are uploaded at once, kept through a
reload beside what was typed, and submitted with the form; the form is the page's one place to upload."""
import pytest

from engine.models import HumanTask

from ..test_station_service import service, start  # noqa: F401 - `service` is a fixture
from .test_plan_filing import choose, submit

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_picked_files_survive_a_reload_and_are_submitted_with_the_form(signed_in, live_server, service, offices,
                                                                       tmp_path, screenshot):
    instance = start(service)
    task = HumanTask.objects.get(instance=instance, bpmn_id="place_workers")
    page = signed_in(offices["org1"])
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    page.wait_for_selector("#task-form .fjs-container")
    assert page.locator("#attachment-upload").is_hidden(), "the form's filepicker is the one place to upload"

    page.get_by_label("姓名").fill("张敏")
    choose(page, "职业资格", "暂无职业资格")
    scan = tmp_path / "张敏证书.pdf"
    scan.write_bytes(b"%PDF-1.4 scan")
    page.set_input_files("input[type=file]", str(scan))
    page.locator("#attachment-list a", has_text="张敏证书.pdf").wait_for()  # uploaded when picked
    page.locator(".kept-files", has_text="张敏证书.pdf").wait_for()
    page.wait_for_timeout(1200)  # the draft is kept shortly after the last change

    page.reload()
    page.wait_for_selector("#task-form .fjs-container")
    assert page.get_by_label("姓名").input_value() == "张敏"
    assert "已上传：张敏证书.pdf" in page.locator(".kept-files").inner_text()
    screenshot(page, "placement-files-kept")
    page.get_by_label("到岗日期").fill("2025-12-12")
    page.keyboard.press("Escape")
    submit(page)
    task.refresh_from_db()
    assert task.state == "completed"
    placed = instance.tasks.get(bpmn_id="place_workers").instance
    certificates = [a.name for a in placed.attachments.all()]
    assert certificates == ["张敏证书.pdf"], "uploaded once, when picked"
