"""Schemathesis (from PyPI) fuzzes /api/v1 from its own OpenAPI schema against a live server:
no server error, no response outside the schema, bounded examples per operation."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from navette.core.actors import Actor
from navette.core.models import Role, User
from navette.partners.models import Scope
from navette.partners.services import api_key_create
from tests.catalogue.factories import make_item, make_record

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def test_schemathesis_finds_no_error_in_the_partner_api(live_server, relire, settings, tmp_path):
    """Every operation of the published schema, fuzzed with a key holding every scope."""
    settings.NAVETTE_SEARCH_INDEX_DIR = tmp_path / "index"
    record = make_record(title="Germinal", authors=["Émile Zola"])
    make_item(record=record, library=relire["lens"])
    admin = User.objects.create_user("admin", role=Role.NETWORK_ADMIN)
    _key, token = api_key_create(
        name="fuzz", scopes=list(Scope.values), rate_per_minute=100_000,
        actor=Actor.staff(admin), user_id=admin.pk, is_network_admin=True,
        now=dt.datetime.now(dt.UTC), library_id=relire["lens"].pk,
    )  # fmt: skip
    done = subprocess.run(
        [
            str(SCHEMATHESIS), "run", f"{live_server.url}/api/v1/openapi.json",
            "--url", live_server.url,
            "-H", f"Authorization: Bearer {token}",
            "--checks", "not_a_server_error,status_code_conformance,response_schema_conformance",
            "--max-examples", "25", "--seed", "2026", "--workers", "1",
            "--suppress-health-check", "all", "--no-color",
        ],
        capture_output=True, text=True, timeout=500, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "passed" in done.stdout.lower()
