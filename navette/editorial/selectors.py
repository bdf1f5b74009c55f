"""Reads of the portal's contents: what a reader sees now, what staff may edit."""

from __future__ import annotations

import datetime as dt
import time

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce

from navette.editorial.models import (
    AccessibilityCompliance,
    Article,
    ArticleKind,
    LegalPage,
    LegalPageKey,
    Selection,
    SelectionEntry,
)
from navette.network.models import Library


def _shown_since() -> Coalesce:
    """When an item shows to readers: the start of publication, else its creation."""
    return Coalesce("publish_from", "created_at")


def _newest_first(qs: QuerySet[Article]) -> QuerySet[Article]:
    return qs.select_related("library").order_by(_shown_since().desc(), "-pk")


def visible_news(
    *, now: dt.datetime, library: Library | None = None, with_network: bool = True
) -> QuerySet[Article]:
    """News a reader sees at ``now``, newest first: every library's and the network's, or
    (``library`` given) that library's, with the network's unless ``with_network`` is off."""
    qs = Article.objects.visible(now).filter(kind=ArticleKind.NEWS)
    if library is not None:
        where = Q(library=library) | Q(library__isnull=True) if with_network else Q(library=library)
        qs = qs.filter(where)
    return _newest_first(qs)


def visible_pages(*, now: dt.datetime, library: Library | None = None) -> QuerySet[Article]:
    """Pages a reader sees at ``now``: the network's (``library`` None) or one library's."""
    qs = Article.objects.visible(now).filter(kind=ArticleKind.PAGE, library=library)
    return qs.select_related("library").order_by("title", "pk")


def visible_article(pk: int, *, now: dt.datetime) -> Article | None:
    """A news item or page as a reader sees it at ``now``; None when it is not shown."""
    return Article.objects.visible(now).select_related("library").filter(pk=pk).first()


def staff_articles(library_ids: list[int] | None) -> QuerySet[Article]:
    """News and pages of these libraries (all, and the network's, when None), newest first."""
    qs = Article.objects.all()
    if library_ids is not None:
        qs = qs.filter(library_id__in=library_ids)
    return qs.select_related("library").order_by("-updated_at", "-pk")


def _with_entries(qs: QuerySet[Selection]) -> QuerySet[Selection]:
    entries = SelectionEntry.objects.select_related("record").order_by("position", "pk")
    return qs.select_related("library").prefetch_related(Prefetch("entries", queryset=entries))


def visible_selections(
    *, now: dt.datetime, library: Library | None = None, limit: int = 4
) -> list[Selection]:
    """Selections a reader sees at ``now`` that hold at least one record, newest first: the
    network's and every library's, or (``library`` given) that library's and the network's.
    Their entries (with records) are prefetched in position order."""
    qs = Selection.objects.visible(now).filter(entries__isnull=False).distinct()
    if library is not None:
        qs = qs.filter(Q(library=library) | Q(library__isnull=True))
    return list(_with_entries(qs).order_by(_shown_since().desc(), "-pk")[:limit])


def staff_selections(library_ids: list[int] | None) -> QuerySet[Selection]:
    """Selections of these libraries (all, and the network's, when None), newest first."""
    qs = Selection.objects.all()
    if library_ids is not None:
        qs = qs.filter(library_id__in=library_ids)
    return qs.select_related("library").order_by("-updated_at", "-pk")


def selection_for_staff(pk: int) -> Selection | None:
    return _with_entries(Selection.objects.filter(pk=pk)).first()


def legal_page(key: LegalPageKey) -> LegalPage | None:
    return LegalPage.objects.filter(key=key).first()


def legal_pages() -> dict[str, LegalPage]:
    """The legal pages written so far, by key."""
    return {page.key: page for page in LegalPage.objects.all()}


def accessibility_compliance() -> AccessibilityCompliance | None:
    """The compliance status of the accessibility statement; None before one is written."""
    value = (
        LegalPage.objects.filter(key=LegalPageKey.ACCESSIBILITY)
        .values_list("compliance", flat=True)
        .first()
    )
    return AccessibilityCompliance(value) if value else None


# The footer of every portal page states the compliance status: read at most every
# COMPLIANCE_TTL seconds per process, and forgotten at once by the process that changes it.
COMPLIANCE_TTL = 30.0
_compliance: tuple[float, AccessibilityCompliance | None] | None = None


def footer_compliance() -> AccessibilityCompliance | None:
    """``accessibility_compliance()``, cached per process for ``COMPLIANCE_TTL`` seconds."""
    global _compliance
    now = time.monotonic()
    if _compliance is None or now - _compliance[0] > COMPLIANCE_TTL:
        _compliance = (now, accessibility_compliance())
    return _compliance[1]


def forget_footer_compliance() -> None:
    global _compliance
    _compliance = None
