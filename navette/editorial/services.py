"""Writes of the portal's contents: news and pages, selections, legal pages.

A librarian publishes for the libraries of their account only; a network administrator
also for the whole network (no library). The right is checked here, by ``scope_check``,
both for the library an item belongs to and for the one it is moved to; a refusal is
audited and raises ``OutOfScope``. Legal pages are the network's: administrators only.
Each change appends an audit event in its transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from navette.catalogue.models import Record
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.audit import audit_record
from navette.editorial.errors import ContentInvalid
from navette.editorial.markup import MAX_BODY_CHARS, render_markdown
from navette.editorial.models import (
    AccessibilityCompliance,
    Article,
    LegalPage,
    LegalPageKey,
    Selection,
    SelectionEntry,
)
from navette.editorial.selectors import forget_footer_compliance
from navette.events import images
from navette.events.errors import EventInvalid
from navette.network.models import Library
from navette.network.scope import scope_check

ARTICLE_FIELDS = (
    "kind", "title", "summary", "body", "library", "status", "publish_from", "publish_until",
    "image", "image_alt",
)  # fmt: skip
SELECTION_FIELDS = ("title", "intro", "library", "status", "publish_from", "publish_until")


def _library_id(library: Library | None) -> int | None:
    return library.pk if library is not None else None


def _check_fields(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")


def _check_publication(title: str, start: dt.datetime | None, end: dt.datetime | None) -> None:
    if not title.strip():
        raise ContentInvalid(code="content_title_missing")
    if start is not None and end is not None and end <= start:
        raise ContentInvalid(code="publication_window_reversed")


def _check_body(body: str) -> None:
    if len(body) > MAX_BODY_CHARS:
        raise ContentInvalid(code="content_body_too_long", max=MAX_BODY_CHARS)


def _scope(
    actor: Actor, now: dt.datetime, action: str, obj: Any, before: int | None, after: int | None
) -> None:
    """The actor must act at the item's library before the change and at its new one."""
    scope_check(actor=actor, library_ids=[before], action=action, now=now, obj=obj)
    if after != before:
        scope_check(actor=actor, library_ids=[after], action=action, now=now, obj=obj)


def article_save(
    *, article: Article | None, fields: dict[str, Any], actor: Actor, now: dt.datetime
) -> Article:
    """Create (``article`` None) or change a news item or page. ``fields`` are model fields
    from ``ARTICLE_FIELDS``; the body is rendered to sanitised HTML, a new image decoded and
    re-encoded (the agenda's rules: JPEG, PNG or WebP, with a text alternative). Raises
    ``ContentInvalid`` (title, body length, publication window, image) and ``OutOfScope``."""
    _check_fields(fields, ARTICLE_FIELDS)
    creating = article is None
    target = Article(created_at=now) if article is None else article
    before = None if creating else target.library_id
    after = _library_id(fields["library"]) if "library" in fields else before
    if creating:
        scope_check(actor=actor, library_ids=[after], action="article.create", now=now)
    else:
        _scope(actor, now, "article.update", target, before, after)
    for name, value in fields.items():
        if name == "image" and images.is_new_upload(value):
            try:
                value = images.reencoded(value)
            except EventInvalid:
                raise ContentInvalid(code="image_refused") from None
        setattr(target, name, value)
    _check_publication(target.title, target.publish_from, target.publish_until)
    _check_body(target.body)
    if target.image and not target.image_alt.strip():
        raise ContentInvalid(code="event_image_alt_missing")
    target.title = target.title.strip()
    target.body_html = render_markdown(target.body)
    target.updated_at = now
    with transaction.atomic():
        target.save()
        audit_record(
            actor=actor,
            action=AuditAction.ARTICLE_CREATE if creating else AuditAction.ARTICLE_UPDATE,
            now=now, library_id=target.library_id, obj=target,
            data={"kind": target.kind, "status": target.status},
        )  # fmt: skip
    return target


def article_delete(*, article: Article, actor: Actor, now: dt.datetime) -> None:
    """Delete a news item or page. Raises ``OutOfScope``."""
    scope_check(actor=actor, library_ids=[article.library_id], action="article.delete",
                now=now, obj=article)  # fmt: skip
    with transaction.atomic():
        audit_record(actor=actor, action=AuditAction.ARTICLE_DELETE, now=now,
                     library_id=article.library_id, obj=article,
                     data={"kind": article.kind, "title": article.title})  # fmt: skip
        article.delete()


def selection_save(
    *, selection: Selection | None, fields: dict[str, Any], actor: Actor, now: dt.datetime
) -> Selection:
    """Create (``selection`` None) or change a selection's title, presentation, library and
    publication. Raises ``ContentInvalid`` and ``OutOfScope``."""
    _check_fields(fields, SELECTION_FIELDS)
    creating = selection is None
    target = Selection(created_at=now) if selection is None else selection
    before = None if creating else target.library_id
    after = _library_id(fields["library"]) if "library" in fields else before
    if creating:
        scope_check(actor=actor, library_ids=[after], action="selection.create", now=now)
    else:
        _scope(actor, now, "selection.update", target, before, after)
    for name, value in fields.items():
        setattr(target, name, value)
    _check_publication(target.title, target.publish_from, target.publish_until)
    target.title = target.title.strip()
    target.updated_at = now
    with transaction.atomic():
        target.save()
        audit_record(
            actor=actor,
            action=AuditAction.SELECTION_CREATE if creating else AuditAction.SELECTION_UPDATE,
            now=now, library_id=target.library_id, obj=target, data={"status": target.status},
        )  # fmt: skip
    return target


def selection_entry_add(
    *, selection: Selection, record: Record, comment: str, actor: Actor, now: dt.datetime
) -> SelectionEntry:
    """Add a record at the end of a selection, with a comment. Raises ``ContentInvalid``
    (``selection_record_twice``) and ``OutOfScope``."""
    scope_check(actor=actor, library_ids=[selection.library_id], action="selection.update",
                now=now, obj=selection)  # fmt: skip
    with transaction.atomic():
        # the selection's row is locked: two additions at once take two positions
        Selection.objects.select_for_update().filter(pk=selection.pk).first()
        last = selection.entries.aggregate(last=Max("position"))["last"]
        try:
            with transaction.atomic():
                entry = SelectionEntry.objects.create(
                    selection=selection, record=record, comment=comment.strip()[:500],
                    position=(last or 0) + 1,
                )  # fmt: skip
        except IntegrityError:
            raise ContentInvalid(code="selection_record_twice", title=record.title) from None
        Selection.objects.filter(pk=selection.pk).update(updated_at=now)
        audit_record(actor=actor, action=AuditAction.SELECTION_UPDATE, now=now,
                     library_id=selection.library_id, obj=selection,
                     data={"added": record.pk})  # fmt: skip
    return entry


def selection_entry_remove(*, entry: SelectionEntry, actor: Actor, now: dt.datetime) -> None:
    """Take a record out of its selection. Raises ``OutOfScope``."""
    selection = entry.selection
    scope_check(actor=actor, library_ids=[selection.library_id], action="selection.update",
                now=now, obj=selection)  # fmt: skip
    with transaction.atomic():
        entry.delete()
        Selection.objects.filter(pk=selection.pk).update(updated_at=now)
        audit_record(actor=actor, action=AuditAction.SELECTION_UPDATE, now=now,
                     library_id=selection.library_id, obj=selection,
                     data={"removed": entry.record_id})  # fmt: skip


def selection_delete(*, selection: Selection, actor: Actor, now: dt.datetime) -> None:
    """Delete a selection and its entries. Raises ``OutOfScope``."""
    scope_check(actor=actor, library_ids=[selection.library_id], action="selection.delete",
                now=now, obj=selection)  # fmt: skip
    with transaction.atomic():
        audit_record(actor=actor, action=AuditAction.SELECTION_DELETE, now=now,
                     library_id=selection.library_id, obj=selection,
                     data={"title": selection.title})  # fmt: skip
        selection.delete()


def legal_page_save(
    *, key: LegalPageKey, body: str, compliance: str = "", actor: Actor, now: dt.datetime
) -> LegalPage:
    """Write one of the network's legal pages (network administrators only: ``OutOfScope``
    otherwise). The accessibility statement needs its compliance status
    (``ContentInvalid``: ``compliance_missing``); the other pages have none."""
    key = LegalPageKey(key)
    scope_check(actor=actor, library_ids=[None], action="legal_page.update", now=now)
    _check_body(body)
    if key == LegalPageKey.ACCESSIBILITY:
        if compliance not in AccessibilityCompliance.values:
            raise ContentInvalid(code="compliance_missing")
    else:
        compliance = ""
    with transaction.atomic():
        page, _created = LegalPage.objects.select_for_update().get_or_create(
            key=key, defaults={"updated_at": now}
        )
        page.body = body
        page.body_html = render_markdown(body)
        page.compliance = compliance
        page.updated_at = now
        page.save()
        audit_record(actor=actor, action=AuditAction.LEGAL_PAGE_UPDATE, now=now, obj=page,
                     data={"key": str(key), "compliance": compliance})  # fmt: skip
    # read again by this process's next page (the others within COMPLIANCE_TTL)
    forget_footer_compliance()
    return page
