"""Copy cataloguing against real servers on the loopback: Debian's yaz-ztest for Z39.50,
Navette's own SRU interface served by a live HTTP server for SRU 1.2 and 2.0."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.catalogue import copycat, editing
from navette.catalogue.marc.rules import template_record
from navette.catalogue.models import RemoteTarget
from navette.core.actors import Actor
from navette.core.models import Role, User
from navette.search.index import rebuild_index

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def test_cql_and_pqf_queries_quote_the_term():
    """A term's quotes and backslashes are escaped; an ISBN loses its hyphens."""
    target = RemoteTarget(name="t", protocol="sru", address="http://x", isbn_index="bib.isbn",
                          title_index="bib.title")  # fmt: skip
    assert copycat.cql_query(target, "isbn", "978-2-07-0") == 'bib.isbn = "9782070"'
    assert (
        copycat.cql_query(target, "title", ' le "grand"  \\ ')
        == 'bib.title all "le \\"grand\\" \\\\"'
    )
    assert copycat.pqf_query("author", 'Hugo "V"') == '@attr 1=1003 "Hugo \\"V\\""'
    with pytest.raises(copycat.RemoteSearchFailed):
        copycat.pqf_query("title", "   ")


@pytest.mark.django_db
def test_z3950_search_reads_marc21_records_from_yaz_ztest(ztest_server):
    """A title search on yaz-ztest returns its hit count and MARC21 records read through
    zoomsh, with title, author and control number; none is in the local catalogue."""
    target = RemoteTarget(name="ztest", protocol="z3950", address=ztest_server,
                          database="Default", record_syntax="marc21", charset="utf-8")  # fmt: skip
    result = copycat.remote_search(target=target, kind="title", term="computer", limit=3)
    assert result.total > 0
    assert len(result.records) == 3
    first = result.records[0]
    assert first.flavour == "marc21"
    assert first.title == "How to program a computer"
    assert first.authors == ["Jack Collins"]
    assert first.control_source == "DLC" and first.control_number
    assert copycat.local_matches(result.records) == [None, None, None]


@pytest.mark.django_db
def test_z3950_unreachable_target_says_so():
    """A port where nothing listens gives an 'unreachable' failure, not an empty list."""
    target = RemoteTarget(name="nowhere", protocol="z3950", address="127.0.0.1:9",
                          database="Default", timeout=3)  # fmt: skip
    with pytest.raises(copycat.RemoteSearchFailed) as failed:
        copycat.remote_search(target=target, kind="title", term="x")
    assert failed.value.code == "unreachable"


@pytest.fixture
def sru_records(relire, settings, tmp_path):
    settings.NAVETTE_SEARCH_INDEX_DIR = tmp_path / "index"
    settings.NAVETTE_SEARCH_UPDATES = "inline"
    actor = Actor.staff(User.objects.create_user("cat", password="x", role=Role.LIBRARIAN))
    made = {}
    for flavour, tag, isbn_tag, title, isbn in (
        ("marc21", "245", "020", "Le phare des oiseaux", "9782070612758"),
        ("unimarc", "200", "010", "La baleine bleue", "9782203001091"),
    ):
        marc = template_record(flavour, "book", today="20260302")
        for f in marc["fields"]:
            if tag in f:
                f[tag]["subfields"][0]["a"] = title
            if isbn_tag in f:
                f[isbn_tag]["subfields"][0]["a"] = isbn
        made[flavour] = editing.record_create(
            marc=marc, flavour=flavour, actor=actor, now=NOW
        ).record
    rebuild_index()
    return made


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("version", "schema", "kind", "term", "flavour"), [
    ("1.2", "marcxml", "isbn", "978-2-07-061275-8", "marc21"),
    ("2.0", "unimarc", "title", "baleine bleue", "unimarc"),
])  # fmt: skip
def test_sru_search_against_navette_own_sru_server(live_server, sru_records, version, schema,
                                                   kind, term, flavour):  # fmt: skip
    """Navette's /sru, served over HTTP on the loopback, answers the copy-cataloguing
    client in SRU 1.2 (MARCXML) and 2.0 (UNIMARC as MarcXchange): the record comes back
    whole, in its format, and is matched with the local record it came from."""
    target = RemoteTarget(name="navette", protocol="sru", address=f"{live_server.url}/sru",
                          sru_version=version, record_schema=schema, record_syntax=flavour,
                          isbn_index="bath.isbn", title_index="dc.title")  # fmt: skip
    result = copycat.remote_search(target=target, kind=kind, term=term)
    assert result.total == 1
    (found,) = result.records
    local = sru_records[flavour]
    assert found.flavour == flavour and found.title == local.title
    assert [f for f in found.marc["fields"] if "995" not in f and "852" not in f] == local.marc[
        "fields"
    ]
    assert copycat.local_matches(result.records) == [local]


@pytest.mark.django_db(transaction=True)
def test_sru_diagnostic_is_reported(live_server, sru_records):
    """An index the server does not know comes back as the server's diagnostic."""
    target = RemoteTarget(name="navette", protocol="sru", address=f"{live_server.url}/sru",
                          title_index="nowhere.nothing")  # fmt: skip
    with pytest.raises(copycat.RemoteSearchFailed) as failed:
        copycat.remote_search(target=target, kind="title", term="baleine")
    assert failed.value.code == "diagnostic"
    assert failed.value.context["detail"]
