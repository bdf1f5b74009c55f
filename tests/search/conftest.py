"""Fixtures for the search tests: a per-test index directory and a small varied catalogue."""

from __future__ import annotations

import pytest

from navette.catalogue.models import ItemStatus
from tests.catalogue.factories import make_item, make_record


@pytest.fixture
def index_dir(settings, tmp_path):
    """Each test gets its own index directory; the outbox is applied inline after commit."""
    settings.NAVETTE_SEARCH_INDEX_DIR = tmp_path / "index"
    settings.NAVETTE_SEARCH_UPDATES = "inline"
    settings.NAVETTE_SEARCH_BUILD_THREADS = 1
    return tmp_path / "index"


@pytest.fixture
def catalogue(relire, index_dir):
    """About fifteen records of every kind, with copies in Lens, Harnes and Vimy (variables lens, arras, lievin)."""
    lens, arras, lievin = relire["lens"], relire["harnes"], relire["vimy"]
    r = {}
    r["etoile"] = make_record(
        title="L'Étoile mystérieuse", authors=["Hergé"], doc_type="comic", year=1942,
        subjects=["Aventure", "Bande dessinée"], audience="children", isbns=["2-203-00109-7"],
        publisher="Casterman", series=["Les aventures de Tintin"],
        summary="Une météorite tombe dans l'océan Arctique.",
    )  # fmt: skip
    make_item(record=r["etoile"], library=lens, call_number="BD HER")
    make_item(record=r["etoile"], library=arras, status=ItemStatus.ON_LOAN, call_number="BD HER")
    r["etoiles"] = make_record(
        title="Les étoiles filantes", authors=["Jeanne Martin"], year=2015,
        subjects=["Astronomie"], audience="adults", isbns=["9782070612758"],
    )  # fmt: skip
    make_item(record=r["etoiles"], library=arras, status=ItemStatus.ON_LOAN)
    r["chevaux"] = make_record(
        title="Le cheval de Troie", authors=["Homère"], year=1998, subjects=["Mythologie"],
        audience="young_adults",
    )  # fmt: skip
    make_item(record=r["chevaux"], library=lievin)
    r["journaux"] = make_record(title="Les journaux de guerre", authors=["Paul Dubois"], year=2003,
                                subjects=["Histoire", "Guerre mondiale, 1939-1945"])  # fmt: skip
    make_item(record=r["journaux"], library=lens)
    make_item(record=r["journaux"], library=lievin, status=ItemStatus.IN_TRANSIT)
    r["stories"] = make_record(title="Ghost story", authors=["Peter Straub"], languages=["eng"],
                               year=1979, subjects=["Fantastique"])  # fmt: skip
    make_item(record=r["stories"], library=arras)
    r["guerre_paix"] = make_record(title="Guerre et paix", authors=["Léon Tolstoï"], year=1869,
                                   subjects=["Histoire"], summary="La paix revient après la guerre.")  # fmt: skip
    make_item(record=r["guerre_paix"], library=lens)
    r["paix_guerre"] = make_record(title="La paix et la guerre", authors=["Raymond Aron"], year=1962,
                                   subjects=["Relations internationales"])  # fmt: skip
    make_item(record=r["paix_guerre"], library=arras, status=ItemStatus.ON_HOLD_SHELF)
    r["film"] = make_record(title="Le Seigneur des anneaux", authors=["Peter Jackson"], doc_type="video",
                            year=2001, languages=["eng", "fre"], subjects=["Fantastique"])  # fmt: skip
    make_item(record=r["film"], library=lens)
    make_item(record=r["film"], library=arras)
    make_item(record=r["film"], library=lievin, status=ItemStatus.LOST)
    r["hugo_by"] = make_record(title="Victor Hugo, une vie", authors=["Alain Decaux"], year=1984,
                               subjects=["Hugo, Victor"])  # fmt: skip
    make_item(record=r["hugo_by"], library=lens, status=ItemStatus.ON_LOAN)
    r["hugo"] = make_record(title="Les Misérables", authors=["Victor Hugo"], year=1862,
                            subjects=["Roman français"], isbns=["978-2-07-040850-4"])  # fmt: skip
    make_item(record=r["hugo"], library=lens)
    make_item(record=r["hugo"], library=lievin)
    r["music"] = make_record(title="Boxes and churches", authors=["The Stories"], doc_type="music",
                             languages=["eng"], year=2011)  # fmt: skip
    make_item(record=r["music"], library=arras)
    r["game"] = make_record(title="Zelda : Tears of the kingdom", authors=["Nintendo"], doc_type="video_game",
                            year=2023, audience="young_adults")  # fmt: skip
    make_item(record=r["game"], library=lens, doc_type_override="video_game")
    r["nocopy"] = make_record(title="Œuvres complètes", authors=["Arthur Rimbaud"], year=1972)
    return r
