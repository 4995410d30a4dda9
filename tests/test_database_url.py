"""DATABASE_URL: PostgreSQL or a SQLite file anywhere; any other database is refused with a clear message."""
import os
import subprocess
import sys

from .conftest import BPMN_DIR

ROOT = BPMN_DIR.parent.parent


def manage(*args, url, tmp_path):
    env = {**os.environ, "DATABASE_URL": url, "VAR_DIR": str(tmp_path)}
    env.pop("REDIS_URL", None)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_a_sqlite_url_migrates_and_runs(tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}"
    migrated = manage("migrate", "-v0", url=url, tmp_path=tmp_path)
    assert migrated.returncode == 0 and "WARNINGS" not in migrated.stderr, migrated.stderr
    listed = manage("bpmn", "list", url=url, tmp_path=tmp_path)
    assert listed.returncode == 0 and listed.stdout.strip() == "no process definitions deployed"
    assert (tmp_path / "elsewhere.sqlite3").exists()


def test_a_database_the_engine_cannot_lock_is_refused(tmp_path):
    refused = manage("check", url="mysql://root@127.0.0.1/test", tmp_path=tmp_path)
    assert refused.returncode != 0
    assert "DATABASE_URL names a django.db.backends.mysql database; use PostgreSQL or SQLite" in refused.stderr
