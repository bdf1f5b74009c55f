"""Settings and start-up checks: secret key, SQLite WAL, misconfiguration caught."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parents[2]
# Built from parts so that this file does not match itself.
PRIVATE_KEY_MARKERS = ["-----BEGIN " + kind + "PRIVATE KEY-----" for kind in ("", "RSA ", "EC ")]
HARDCODED_SECRET = re.compile(r"^\s*SECRET_" + r"KEY\s*=\s*['\"]", re.M)


def run_python(code: str, home: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "NAVETTE_SECRET_KEY"}
    }
    environment.update(
        {"NAVETTE_HOME": str(home), "DJANGO_SETTINGS_MODULE": "navette.settings.base", **env}
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=120
    )


def test_secret_key_is_generated_into_the_data_directory_once(tmp_path):
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    first = run_python(code, tmp_path)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "secret_key"
    assert key_file.exists()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert first.stdout.strip() == key_file.read_text().strip()
    assert len(first.stdout.strip()) >= 50
    second = run_python(code, tmp_path)
    assert second.stdout == first.stdout


def test_debug_is_off_unless_asked(tmp_path):
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    assert run_python(code, tmp_path).stdout.strip() == "False"
    assert run_python(code, tmp_path, NAVETTE_DEBUG="1").stdout.strip() == "True"


def test_unsupported_database_is_refused_at_start_up(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "navette", "check"],
        env={
            **os.environ,
            "NAVETTE_HOME": str(tmp_path),
            "DATABASE_URL": "mysql://root@127.0.0.1/x",
            "DJANGO_SETTINGS_MODULE": "navette.settings.base",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DATABASE_URL: unsupported database 'mysql'" in result.stderr


def test_short_secret_key_is_caught(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "navette", "check"],
        env={
            **os.environ,
            "NAVETTE_HOME": str(tmp_path),
            "NAVETTE_SECRET_KEY": "court",
            "DJANGO_SETTINGS_MODULE": "navette.settings.base",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "navette.E003" in result.stderr


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_and_postgres_in_read_committed():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
        else:
            cursor.execute("SHOW default_transaction_isolation")
            assert cursor.fetchone()[0] == "read committed"


@pytest.mark.django_db
def test_database_engine_follows_database_url():
    expected = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    assert connection.vendor == expected
    assert settings.TIME_ZONE == "Europe/Paris"


def test_no_secret_in_the_repository():
    """No secret key, password or private key is committed."""
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True
    ).stdout.split()
    names = {Path(p).name for p in tracked}
    assert "secret_key" not in names and "demo-accounts.json" not in names
    for path in tracked:
        if (
            path.endswith((".py", ".toml", ".cfg", ".env", ".json", ".txt", ".md"))
            and (REPO / path).is_file()
        ):
            text = (REPO / path).read_text(errors="ignore")
            for marker in PRIVATE_KEY_MARKERS:
                assert marker not in text, f"{path} holds a private key"
            assert not HARDCODED_SECRET.search(text), f"{path} assigns a literal secret key"


def test_search_update_settings_are_checked_at_start_up(tmp_path):
    """A mistyped indexing mode or look interval is refused with the variable's name."""
    code = "import django; django.setup(); from django.conf import settings; print(settings.NAVETTE_SEARCH_UPDATES, settings.NAVETTE_SEARCH_FOLLOW_EVERY)"
    assert run_python(code, tmp_path).stdout.split() == ["background", "0.2"]
    ok = run_python(
        code, tmp_path, NAVETTE_SEARCH_UPDATES="deferred", NAVETTE_SEARCH_FOLLOW_EVERY="1.5"
    )
    assert ok.stdout.split() == ["deferred", "1.5"]
    bad = run_python(code, tmp_path, NAVETTE_SEARCH_UPDATES="later")
    assert bad.returncode != 0 and "NAVETTE_SEARCH_UPDATES='later'" in bad.stderr
    bad = run_python(code, tmp_path, NAVETTE_SEARCH_FOLLOW_EVERY="soon")
    assert bad.returncode != 0 and "NAVETTE_SEARCH_FOLLOW_EVERY must be a number" in bad.stderr
    bad = run_python(code, tmp_path, NAVETTE_SEARCH_FOLLOW_EVERY="0")
    assert bad.returncode != 0 and "NAVETTE_SEARCH_FOLLOW_EVERY must be at least 0.01" in bad.stderr
