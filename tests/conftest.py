from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import translation

from engine import clock, workcalendar
from engine.runtime import loading, timers

BPMN_DIR = Path(__file__).parent / "bpmn"


@pytest.fixture(autouse=True)
def _release_clock_and_calendar():
    yield
    clock.release()
    # Calendar, versions and specs are cached per process; a test's rolled-back rows must not outlive it.
    workcalendar.invalidate()
    loading.forget()
    timers.forget()
    cache.clear()  # counters kept in the cache, such as the modeler's validations per minute


@pytest.fixture(autouse=True)
def _default_language(settings):
    """Each test starts in the site's language: a page asked for in English leaves English active in the
    thread (LocaleMiddleware activates a request's language and never resets it)."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _files_in_tmp_path(settings, tmp_path):
    """Uploaded attachments and what commands keep in VAR_DIR (the demonstration password) go to the test's own
    directory, never to the project's var/."""
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = settings.VAR_DIR / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _celery_in_process(request):
    """Run Celery tasks inline, as the embedded mode does, except where a test starts a real worker."""
    from config.celery import app

    eager = request.node.get_closest_marker("celery_worker") is None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager or previous
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def offices(db, django_user_model):
    """A small office tree with one user per office (username = office code)."""
    from workflows.models import Membership, Office, OfficeKind

    province = Office.objects.create(code="gz", name="贵州省民政厅", kind=OfficeKind.PROVINCE_CIVIL_AFFAIRS)
    Office.objects.create(code="gz-fin", name="贵州省财政厅", kind=OfficeKind.PROVINCE_FINANCE)
    guiyang = Office.objects.create(code="5201", name="贵阳市民政局", kind=OfficeKind.PREFECTURE_BUREAU,
                                    parent=province)
    zunyi = Office.objects.create(code="5203", name="遵义市民政局", kind=OfficeKind.PREFECTURE_BUREAU, parent=province)
    Office.objects.create(code="520102", name="南明区民政局", kind=OfficeKind.COUNTY_BUREAU, parent=guiyang)
    Office.objects.create(code="520302", name="红花岗区民政局", kind=OfficeKind.COUNTY_BUREAU, parent=zunyi)
    Office.objects.create(code="org1", name="贵州阳光社会工作服务中心", kind=OfficeKind.SOCIAL_ORG)
    users = {}
    for office in Office.objects.all():
        user = django_user_model.objects.create_user(office.code, password="pw")
        Membership.objects.create(user=user, office=office, is_supervisor=True)
        users[office.code] = user
    colleague = django_user_model.objects.create_user("520102-b", password="pw")
    Membership.objects.create(user=colleague, office=Office.objects.get(code="520102"))
    users["520102-b"] = colleague
    return users


@pytest.fixture
def owner(offices):
    """The provincial department's user, made a process owner."""
    from workflows.models import Membership

    Membership.objects.filter(user=offices["gz"]).update(is_process_owner=True)
    return offices["gz"]


@pytest.fixture
def deploy_bpmn(db):
    from engine.deployment import deploy, read_files

    def _deploy(*names, note=""):
        bpmn, forms = read_files([BPMN_DIR / name for name in names])
        return deploy(bpmn, forms, note=note)

    return _deploy
