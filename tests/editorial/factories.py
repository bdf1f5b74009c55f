"""Test data for the portal's contents: a home page's worth of news, selections, new
arrivals, events and hours, made through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.editorial.models import ArticleKind, PublicationStatus, Selection
from navette.editorial.services import article_save, selection_entry_add, selection_save
from navette.events.services import event_create
from navette.network.models import Library
from navette.network.services import library_set_week
from tests.catalogue.factories import make_item, make_record

ACTOR = Actor.system("tests")
#: Tuesday 8 December 2026, 15:00 in Paris
NOW = dt.datetime(2026, 12, 8, 15, 0, tzinfo=PARIS)
PUBLISHED = PublicationStatus.PUBLISHED


def make_news(title: str, library: Library | None = None, *, now: dt.datetime = NOW,
              **fields: Any):  # fmt: skip
    values = {"kind": ArticleKind.NEWS, "title": title, "library": library,
              "status": PUBLISHED, "body": f"Texte de « {title} »", **fields}  # fmt: skip
    return article_save(article=None, fields=values, actor=ACTOR, now=now)


def make_home_contents(relire: dict[str, Library], now: dt.datetime = NOW,
                       selection_size: int = 1) -> Selection:  # fmt: skip
    """Lens open Tuesday 14-18, Harnes Wednesday 10-12, the others never; visible news (one
    network-wide, one at Lens), a draft, a scheduled and an expired item, a page; a
    selection of ``selection_size`` records ("Le Phénix" first); three copies (two new);
    an event in two days and one in twenty."""
    library_set_week(relire["lens"], {1: [(dt.time(14), dt.time(18))]}, examples=False)
    library_set_week(relire["harnes"], {2: [(dt.time(10), dt.time(12))]}, examples=False)
    make_news("Nouvelles liseuses", summary="Dix liseuses à emprunter.", now=now)
    make_news("Atelier tablette", relire["lens"], now=now)
    make_news("Brouillon secret", status=PublicationStatus.DRAFT, now=now)
    make_news("Pas encore", publish_from=now + dt.timedelta(days=3), now=now)
    make_news("Périmée", publish_from=now - dt.timedelta(days=9),
              publish_until=now - dt.timedelta(days=1), now=now)  # fmt: skip
    article_save(article=None, fields={"kind": ArticleKind.PAGE, "title": "S'inscrire",
                                       "status": PUBLISHED, "library": None},
                 actor=ACTOR, now=now)  # fmt: skip
    selection = selection_save(
        selection=None, fields={"title": "Coups de cœur", "intro": "Nos lectures de l'hiver",
                                "library": None, "status": PUBLISHED}, actor=ACTOR, now=now,
    )  # fmt: skip
    selection_entry_add(selection=selection, record=make_record(title="Le Phénix"),
                        comment="Bouleversant.", actor=ACTOR, now=now)  # fmt: skip
    for n in range(1, selection_size):
        selection_entry_add(selection=selection, record=make_record(title=f"Roman n° {n}"),
                            comment=f"Coup de cœur n° {n}", actor=ACTOR, now=now)  # fmt: skip
    make_item(library=relire["lens"], title="Nouveau roman", acquired_on=dt.date(2026, 12, 1))
    make_item(library=relire["harnes"], title="Nouveau film", doc_type="video",
              acquired_on=dt.date(2026, 11, 20))  # fmt: skip
    make_item(library=relire["lens"], title="Vieux livre", acquired_on=dt.date(2020, 1, 1))
    for title, days in (("Heure du conte", 2), ("Club lecture", 20)):
        start = now + dt.timedelta(days=days)
        event_create(fields={"title": title, "library": relire["lens"], "starts_at": start,
                             "ends_at": start + dt.timedelta(hours=1)}, actor=ACTOR, now=now)  # fmt: skip
    return selection
