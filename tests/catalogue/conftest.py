"""Catalogue test helpers: fixture files, a fixed clock, MARC records built in the tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from navette.catalogue.marc.iso2709 import write_record
from tests.circulation.conftest import libs, make_patron  # noqa: F401  (shared fixtures)

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def now() -> dt.datetime:
    return NOW


def sub(tag: str, ind: str = "  ", **subfields: str) -> dict[str, Any]:
    return {
        tag: {
            "ind1": ind[0],
            "ind2": ind[1],
            "subfields": [{k.lstrip("_"): v} for k, v in subfields.items()],
        }
    }


def unimarc_record(
    title: str, *, ppn: str, copies: list[tuple[str, str]] = (), isbn: str = ""
) -> bytes:  # type: ignore[assignment]
    """A UTF-8 UNIMARC book (100$a/26-27 = '50') with 995 copies (library code, barcode)."""
    fields: list[dict[str, Any]] = [{"001": ppn}, {"003": "TEST"}] if ppn else []
    fields += [
        sub("100", _a="20240101d2021    m  y0frey50      ba"),
        sub("101", "0 ", _a="fre"),
        sub("200", "1 ", _a=title, _b="Texte imprimé", _e="roman", _f="Anne Autrice"),
        sub("210", _a="Paris", _c="Éditions du Nord", _d="2021"),
        sub("700", " 1", _a="Autrice", _b="Anne", _4="070"),
        sub("606", _a="Oiseaux", _x="Mythologie"),
    ]
    if isbn:
        fields.insert(len(fields) - 6, sub("010", _a=isbn))
    for lib, barcode in copies:
        fields.append(sub("995", _b=lib, _c=lib, _f=barcode, _k="R AUT", _r="LIV"))
    data = write_record({"leader": "00000nam  2200000   4500", "fields": fields}, utf8_leader=False)
    return data


@pytest.fixture
def unimarc():
    """Build a UTF-8 UNIMARC record: ``unimarc(title, ppn=..., copies=[(lib, barcode)])``."""
    return unimarc_record


@pytest.fixture
def import_bytes(tmp_path, now):
    """Import bytes as a file; returns the report. Rejects go to tmp_path/rejets.mrc."""
    from navette.catalogue.importer import import_marc_files

    counter = [0]

    def run(data: bytes, name: str = "lot.mrc", **kwargs: Any):
        counter[0] += 1
        path = tmp_path / f"{counter[0]}-{name}"
        path.write_bytes(data)
        kwargs.setdefault("rejects_path", tmp_path / f"rejets-{counter[0]}.mrc")
        kwargs.setdefault("workers", 0)
        return import_marc_files([path], now=now, **kwargs)

    return run


@pytest.fixture
def import_paths(tmp_path, now):
    from navette.catalogue.importer import import_marc_files

    def run(paths: list[Path], **kwargs: Any):
        kwargs.setdefault("rejects_path", tmp_path / "rejets.mrc")
        kwargs.setdefault("workers", 0)
        return import_marc_files(paths, now=now, **kwargs)

    return run


@pytest.fixture(autouse=True)
def _no_background_indexing(settings):
    """The catalogue tests check the outbox rows; the index itself is the search app's."""
    settings.NAVETTE_SEARCH_UPDATES = "deferred"


@pytest.fixture
def record(db):
    from navette.catalogue.models import Record

    return Record.objects.create(
        flavour="marc21",
        title="Le Phénix",
        marc={
            "leader": "00000nam a2200000 a 4500",
            "fields": [{"001": "R1"}, sub("245", "10", _a="Le Phénix /", _c="Anne Autrice.")],
        },
    )


@pytest.fixture
def librarian(relire):
    """A librarian working at Lens (copies are managed where one works)."""
    from navette.core.models import User

    user = User.objects.create_user("biblio", password="motdepasse-long-42", role="librarian")
    user.libraries.add(relire["lens"])
    return user
