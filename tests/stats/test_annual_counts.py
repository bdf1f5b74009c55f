"""Registered patrons and collections counted by year (``navette.patrons.rollups``,
``navette.catalogue.rollups``): the annual report reads the counts, not the patrons nor the
copies; the nightly jobs count this year and last year once a day; the close counts the
year for good, so that patrons deleted and copies withdrawn afterwards still count; and every
statistics page and report, once the days are rolled up, reads neither the patrons, nor the
copies, nor the loans, nor the raw facts."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from navette.catalogue.models import CollectionYear, Item, ItemStatus
from navette.catalogue.rollups import collection_counts, collection_rollup, collections_job
from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.core.models import Role, User
from navette.patrons.models import Patron, RegisteredCount, RegisteredYear
from navette.patrons.privacy import patrons_purge
from navette.patrons.rollups import registered_counts, registered_job, registered_rollup
from navette.reports.annual import annual_report
from navette.reports.services import statistics_year_close
from navette.stats.rollups import stats_rollup

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 2, 1)
NOW = dt.datetime(2026, 2, 1, 3, tzinfo=PARIS)


@pytest.fixture
def registered(year_2025):
    """The four borrowers of 2025, registered in January 2025: the child and the adult
    (born 2015, 1980; Lens) until 2027, the pensioner (1950; Avion) and the visitor (1990;
    Arras) until April 2025; plus a patron registered in 2026 (not counted in 2025)."""
    Patron.objects.update(created_at=dt.datetime(2025, 1, 5, tzinfo=PARIS))
    late = Patron.objects.get(pk=year_2025["adult"].pk)
    late.pk, late.card_number = None, "LATE-1"
    late.created_at = dt.datetime(2026, 1, 10, tzinfo=PARIS)
    late.save()
    Patron.objects.filter(pk=late.pk).update(created_at=dt.datetime(2026, 1, 10, tzinfo=PARIS))
    return year_2025


def _figures(library=None):  # type: ignore[no-untyped-def]
    site = library.pk if library is not None else None
    return {d: registered_counts(2025, d, site) for d in ("", "birth_year", "residence")}


HAND_COUNT = {
    "": {"": 4},
    "birth_year": {"2015": 1, "1980": 1, "1950": 1, "1990": 1},
    "residence": {"62300 LENS": 2, "62210 AVION": 1, "62000 ARRAS": 1},
}


def test_counts_equal_a_hand_count_before_and_after_the_rollup(registered, libs):
    """Never counted, the year is read from the patrons; counted, from the rollup: the
    same figures, for the network and per home library (every patron's is Lens here)."""
    assert _figures() == HAND_COUNT
    assert _figures(libs["Lens"]) == HAND_COUNT
    assert registered_rollup(2025, today=TODAY) is True
    assert _figures() == HAND_COUNT
    assert _figures(libs["Lens"]) == HAND_COUNT
    assert _figures(libs["Avion"]) == {"": {}, "birth_year": {}, "residence": {}}
    report = annual_report(2025)
    assert dict(report.figure("E1").rows) == {"0-14": 1, "15-64": 2, "65+": 1, "inconnu": 0}
    assert dict(report.figure("E2").rows) == {"62300 LENS": 2, "62210 AVION": 1,
                                              "62000 ARRAS": 1}  # fmt: skip
    # counted again: replaced, not added
    registered_rollup(2025, today=TODAY)
    assert _figures() == HAND_COUNT
    assert RegisteredCount.objects.filter(year=2025, library_id=0, dimension="").get().n == 4


def test_the_report_reads_the_count_until_the_next_one(registered, libs):
    """A patron registered since the last count appears with the next count, not before:
    the report reads the rollup."""
    registered_rollup(2025, today=TODAY)
    Patron.objects.filter(card_number="LATE-1").update(
        created_at=dt.datetime(2025, 6, 1, tzinfo=PARIS)
    )
    assert registered_counts(2025, "") == {"": 4}
    registered_rollup(2025, today=TODAY + dt.timedelta(days=1))
    assert registered_counts(2025, "") == {"": 5}
    assert registered_counts(2025, "birth_year")["1980"] == 2


def test_the_nightly_job_counts_this_year_and_last_once_a_day(registered, libs):
    assert registered_job(NOW) == "2 années d'inscrits comptées"
    assert dict(RegisteredYear.objects.values_list("year", "counted_on")) == {
        2025: TODAY,
        2026: TODAY,
    }
    assert registered_counts(2026, "") == {"": 3}  # the child, the adult, the late one
    assert registered_job(NOW + dt.timedelta(hours=5)) == "0 année d'inscrits comptée"
    assert registered_job(NOW + dt.timedelta(days=1)) == "2 années d'inscrits comptées"


def test_the_close_counts_the_year_for_good(registered, libs):
    """Closed, 2025 keeps its count: the patrons purged afterwards (the two whose cards
    expired in April 2025) still count in it, and neither the job nor a second close
    counts it again."""
    registered_rollup(2025, today=TODAY)
    statistics_year_close(year=2025, actor=Actor.system("tests"), now=NOW)
    assert RegisteredYear.objects.get(year=2025).final
    purged = patrons_purge(now=dt.datetime(2028, 6, 1, tzinfo=PARIS))
    assert purged >= 2 and not Patron.objects.filter(city="Arras").exists()
    assert registered_job(NOW + dt.timedelta(days=1)) == "1 année d'inscrits comptée"  # 2026
    statistics_year_close(year=2025, actor=Actor.system("tests"), now=NOW)
    assert registered_rollup(2025, today=TODAY) is False
    assert _figures() == HAND_COUNT
    assert dict(annual_report(2025).figure("E1").rows)["65+"] == 1


def test_a_close_that_fails_counts_nothing(registered, libs):
    """The current year cannot be closed: nothing is counted for good."""
    from navette.patrons.pseudonyms import YearNotOver

    with pytest.raises(YearNotOver):
        statistics_year_close(year=2026, actor=Actor.system("tests"), now=NOW)
    assert not RegisteredYear.objects.filter(final=True).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_counts_of_a_year_do_not_add_up(registered, libs):
    """Two processes counting the same year at once (the job on two nodes): one waits for
    the other, the counts are written once."""
    registered_rollup(2025, today=TODAY)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def count() -> None:
        try:
            barrier.wait()
            registered_rollup(2025, today=TODAY + dt.timedelta(days=1))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=count) for _n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _figures() == HAND_COUNT


def test_pages_and_reports_read_only_rollups_and_small_tables(registered, libs, client):
    """Once the days are rolled up and the patrons counted, the statistics page, the annual
    report (page and ODS, network and site) read neither the patrons, nor the loans, nor
    the raw circulation facts."""
    stats_rollup(until=dt.date(2025, 12, 31))
    registered_rollup(2025, today=TODAY)
    collection_rollup(2025, today=TODAY)
    user = User.objects.create_user("stat", password="x", role=Role.STATISTICIAN)
    client.force_login(user)
    lens = libs["Lens"].code
    urls = [
        "/personnel/statistiques/?de=2025-01&a=2025-12",
        f"/personnel/statistiques/?de=2025-01&a=2025-12&bibliotheque={lens}",
        "/personnel/statistiques/rapport-annuel/?annee=2025",
        f"/personnel/statistiques/rapport-annuel/?annee=2025&bibliotheque={lens}",
        "/personnel/statistiques/rapport-annuel.ods?annee=2025",
        "/personnel/statistiques/tableaux.ods?de=2025-01&a=2025-12",
    ]
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        tables = " ".join(q["sql"] for q in queries.captured_queries)
        for table in ("patrons_patron", "catalogue_item", "circulation_loan",
                      "stats_circulationfact"):  # fmt: skip
            assert f'"{table}"' not in tables, (url, table)
        assert '"patrons_registeredcount"' in tables or "statistiques/?" in url or "tableaux" in url


@pytest.fixture
def collections(libs, make_item, make_record):
    """2025 at Lens: two books bought in February, a film bought in 2024, a book without an
    acquisition date created in 2024, a book lost; the same magazine bought at Lens and at
    Avion; a book bought in 2026 (not counted). At Avion also a book bought in June, since
    withdrawn."""
    magazine = make_record(title="Revue", doc_type="magazine")
    make_item(owner="Lens", acquired_on=dt.date(2025, 2, 1))
    make_item(owner="Lens", acquired_on=dt.date(2025, 2, 1))
    make_item(owner="Lens", doc_type="video", acquired_on=dt.date(2024, 5, 1))
    undated = make_item(owner="Lens")
    Item.objects.filter(pk=undated.pk).update(created_at=dt.datetime(2024, 3, 1, tzinfo=PARIS))
    make_item(owner="Lens", acquired_on=dt.date(2025, 3, 1), status=ItemStatus.LOST)
    make_item(owner="Lens", record=magazine, acquired_on=dt.date(2025, 4, 1))
    make_item(owner="Avion", record=magazine, acquired_on=dt.date(2025, 4, 2))
    make_item(owner="Lens", acquired_on=dt.date(2026, 1, 2))
    make_item(owner="Avion", acquired_on=dt.date(2025, 6, 1), status=ItemStatus.WITHDRAWN)
    return libs


COLLECTIONS = {
    None: {"held": {"book": 3, "video": 1, "magazine": 2},
           "acquired": {"book": 4, "magazine": 2}, "periodicals": {"": 1}},
    "Lens": {"held": {"book": 3, "video": 1, "magazine": 1},
             "acquired": {"book": 3, "magazine": 1}, "periodicals": {"": 1}},
    "Avion": {"held": {"magazine": 1}, "acquired": {"book": 1, "magazine": 1},
              "periodicals": {"": 1}},
}  # fmt: skip


def _collections(libs):  # type: ignore[no-untyped-def]
    return {
        where: {
            d: collection_counts(2025, d, libs[where].pk if where else None)
            for d in ("held", "acquired", "periodicals")
        }
        for where in (None, "Lens", "Avion")
    }


def test_collections_equal_a_hand_count_before_and_after_the_rollup(collections):
    """A magazine title bought at two sites is one title for the network."""
    assert _collections(collections) == COLLECTIONS
    assert collection_rollup(2025, today=TODAY) is True
    assert _collections(collections) == COLLECTIONS
    report = annual_report(2025)
    assert dict(report.figure("B1").rows) == {"Livre": 3, "DVD ou Blu-ray": 1, "Revue": 2}
    assert report.figure("B3").value == 1


def test_collections_counted_once_a_day_and_for_good_at_the_close(collections):
    """The job counts 2025 and 2026 once a day; after the close, a copy withdrawn does not
    change 2025 (counted for good) but does change 2026 at the next count."""
    assert collections_job(NOW) == "2 années de collections comptées"
    assert collections_job(NOW + dt.timedelta(hours=5)) == "0 année de collections comptée"
    statistics_year_close(year=2025, actor=Actor.system("tests"), now=NOW)
    assert CollectionYear.objects.get(year=2025).final
    bought = Item.objects.filter(
        owning_library=collections["Lens"], acquired_on=dt.date(2025, 2, 1)
    )
    bought.update(status=ItemStatus.WITHDRAWN)
    assert collections_job(NOW + dt.timedelta(days=1)) == "1 année de collections comptée"
    assert collection_counts(2025, "held")["book"] == 3
    assert collection_counts(2026, "held")["book"] == 2  # undated and 2026's; two withdrawn
