"""Settings and start-up checks: secret key, SQLite WAL, misconfiguration caught."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.checks import run_checks
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


def run_check(home: Path, **env: str) -> subprocess.CompletedProcess:
    return run_python(
        "import sys; from django.core.management import execute_from_command_line; execute_from_command_line(['navette', 'check'])",
        home,
        **env,
    )


def test_search_update_settings_are_read_from_the_environment(tmp_path):
    """The settings module reads the variables; code reads django.conf.settings."""
    code = "import django; django.setup(); from django.conf import settings; print(settings.NAVETTE_SEARCH_UPDATES, settings.NAVETTE_SEARCH_FOLLOW_EVERY)"
    assert run_python(code, tmp_path).stdout.split() == ["background", "0.2"]
    ok = run_python(
        code, tmp_path, NAVETTE_SEARCH_UPDATES="deferred", NAVETTE_SEARCH_FOLLOW_EVERY="1.5"
    )
    assert ok.stdout.split() == ["deferred", "1.5"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NAVETTE_SEARCH_UPDATES": "later"},
         "NAVETTE_SEARCH_UPDATES='later': expected background, deferred or inline"),
        ({"NAVETTE_SEARCH_FOLLOW_EVERY": "soon"},
         "NAVETTE_SEARCH_FOLLOW_EVERY must be a number, got 'soon'"),
        ({"NAVETTE_SEARCH_FOLLOW_EVERY": "0"},
         "NAVETTE_SEARCH_FOLLOW_EVERY must be at least 0.01, got '0'"),
        ({"NAVETTE_SMTP_PORT": "vingt-cinq"}, "NAVETTE_SMTP_PORT must be an integer, got 'vingt-cinq'"),
        ({"NAVETTE_SECURE_COOKIES": "peut-être"},
         "NAVETTE_SECURE_COOKIES must be 1/true/yes/on or 0/false/no/off, got 'peut-être'"),
        ({"NAVETTE_LOCKOUT_ATTEMPTS": "0"}, "NAVETTE_LOCKOUT_ATTEMPTS must be at least 1, got '0'"),
        ({"NAVETTE_OVERDUE_REMINDER_DAYS": "1,huit,15"},
         "NAVETTE_OVERDUE_REMINDER_DAYS must be integers separated by commas, got '1,huit,15'"),
        ({"NAVETTE_SMTP_STARTTLS": "1", "NAVETTE_SMTP_SSL": "1"},
         "NAVETTE_SMTP_STARTTLS and NAVETTE_SMTP_SSL: choose one of the two"),
    ],
)  # fmt: skip
def test_unreadable_environment_is_refused_by_the_checks_with_its_name(tmp_path, env, message):
    """A variable that cannot be read stops `navette check` (and so `navette serve`) with an
    error naming it and what was given (navette.E010)."""
    result = run_check(tmp_path, **env)
    assert result.returncode != 0
    assert "navette.E010" in result.stderr and message in result.stderr


def test_the_default_environment_passes_the_checks(tmp_path):
    """Nothing set: the embedded defaults pass every check."""
    result = run_check(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "code", "message"),
    [
        ({"NAVETTE_PUBLIC_URL": "portail.example.org"}, "navette.E011",
         "NAVETTE_PUBLIC_URL='portail.example.org' is not an absolute web address"),
        ({"DEFAULT_FROM_EMAIL": "Relire <pas-une-adresse>"}, "navette.E012",
         "NAVETTE_MAIL_FROM='Relire <pas-une-adresse>' holds no valid e-mail address"),
        ({"NAVETTE_SEARCH_UPDATES": "later"}, "navette.E013", "NAVETTE_SEARCH_UPDATES='later'"),
        ({"NAVETTE_OVERDUE_REMINDER_DAYS": [0, 8, 15]}, "navette.E014",
         "three positive day counts, e.g. 1,8,15; got 0,8,15"),
        ({"NAVETTE_OVERDUE_REMINDER_DAYS": [8, 15]}, "navette.E014", "got 8,15"),
        ({"NAVETTE_SETTINGS_PROBLEMS": ("NAVETTE_PORT must be an integer, got 'x'",)},
         "navette.E010", "Environment: NAVETTE_PORT must be an integer, got 'x'."),
    ],
)  # fmt: skip
def test_checks_name_the_misconfigured_setting(settings, overrides, code, message):
    """Values that parse but make no sense are errors of the system checks, each saying which
    setting is wrong and why."""
    for name, value in overrides.items():
        setattr(settings, name, value)
    errors = [e for e in run_checks() if e.id == code]
    assert len(errors) == 1 and message in errors[0].msg
    assert errors[0].is_serious()


def test_checks_pass_with_the_test_settings():
    """The configuration the tests run with has no error of Navette's checks."""
    assert [e for e in run_checks() if e.id.startswith("navette.") and e.is_serious()] == []


def test_code_reads_settings_one_way():
    """Only the settings modules read the environment; the code reads django.conf.settings
    by attribute (no getattr with a default that would hide a missing setting). The entry
    points only name the settings module, and `navette serve` hands its environment on to
    the processes it starts."""
    allowed = {
        "navette/cli.py": 'os.environ.setdefault("DJANGO_SETTINGS_MODULE"',
        "navette/asgi.py": 'os.environ.setdefault("DJANGO_SETTINGS_MODULE"',
        "navette/wsgi.py": 'os.environ.setdefault("DJANGO_SETTINGS_MODULE"',
        "navette/core/management/commands/serve.py": "env = dict(os.environ)",
    }
    pattern = re.compile(
        r"os\.environ|os\.getenv|getattr\(\s*(django_)?settings\s*,[^,()]+,|settings\.env\b"
    )
    found = []
    for path in sorted((REPO / "navette").rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        if relative.startswith("navette/settings/"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if pattern.search(line) and allowed.get(relative, "\0") not in line:
                found.append(f"{relative}:{number}: {line.strip()}")
    assert found == []
