"""The catalogue's headings (browse, change everywhere, undo) and a record's cover."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from navette.catalogue import covers, headings
from navette.catalogue.models import Cover, Heading, HeadingChange, HeadingKind, Record
from navette.core import clock
from navette.core.actors import Actor
from navette.core.errors import DomainError
from navette.staff.permissions import cataloguer_required, librarian_required

PER_PAGE = 50


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() else 1


@cataloguer_required
def heading_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("nature", "")
    kind = kind if kind in HeadingKind.values else ""
    prefix = request.GET.get("debut", "").strip()[:100]
    page = _page_number(request)
    found = headings.headings_browse(kind=kind, prefix=prefix, offset=(page - 1) * PER_PAGE,
                                     limit=PER_PAGE)  # fmt: skip
    pages = max(1, -(-found.total // PER_PAGE))
    base = f"?nature={kind}&debut={prefix}"
    return render(request, "staff/catalogue/headings.html", {
        "headings": found.headings, "total": found.total, "kind": kind, "prefix": prefix,
        "kinds": HeadingKind.choices, "page": page, "pages": pages, "base": base,
        "previous": page - 1 if page > 1 else None, "next": page + 1 if page < pages else None,
        "changes": headings.recent_heading_changes(),
    })  # fmt: skip


@cataloguer_required
def heading_change(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the change form with the records it will reach; POST: apply it."""
    heading = get_object_or_404(Heading, pk=pk)
    new_label = request.POST.get("forme", "") if request.method == "POST" else heading.label
    error = ""
    if request.method == "POST":
        try:
            change = headings.heading_change(heading=heading, new_label=new_label,
                                             actor=Actor.staff(request.user), now=clock.now())  # fmt: skip
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, ngettext(
                "« %(old)s » devient « %(new)s » dans %(n)d notice.",
                "« %(old)s » devient « %(new)s » dans %(n)d notices.", len(change.records)) % {
                "old": change.old_label, "new": change.new_label, "n": len(change.records)})  # fmt: skip
            return redirect("staff:catalogue_headings")
    return render(request, "staff/catalogue/heading_change.html", {
        "heading": heading, "new_label": new_label, "error": error,
        "records": headings.heading_records(heading),
    }, status=400 if error else 200)  # fmt: skip


@cataloguer_required
@require_POST
def heading_change_undo(request: HttpRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(HeadingChange, pk=pk)
    try:
        headings.heading_change_undo(change=change, actor=Actor.staff(request.user),
                                     now=clock.now())  # fmt: skip
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Changement annulé : « %(old)s » est rétablie.") % {
            "old": change.old_label})  # fmt: skip
    return redirect("staff:catalogue_headings")


@librarian_required
def record_cover(request: HttpRequest, pk: int) -> HttpResponse:
    """A record's cover: upload an image, fetch it by ISBN, or remove it."""
    record = get_object_or_404(Record, pk=pk)
    error = ""
    if request.method == "POST":
        actor, now = Actor.staff(request.user), clock.now()
        action = request.POST.get("action", "")
        try:
            if action == "fetch":
                covers.cover_fetch(record=record, actor=actor, now=now)
            elif action == "remove":
                covers.cover_remove(record=record, actor=actor, now=now)
            else:
                upload = request.FILES.get("image")
                if upload is None:
                    raise covers.CoverRefused(code="cover_not_an_image")
                covers.cover_set(record=record, data=upload.read(covers.MAX_BYTES + 1),
                                 actor=actor, now=now)  # fmt: skip
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Couverture enregistrée.") if action != "remove"
                             else _("Couverture retirée."))  # fmt: skip
            return redirect("staff:catalogue_record_cover", pk=record.pk)
    cover = Cover.objects.filter(record=record).first()
    return render(request, "staff/catalogue/cover.html", {
        "record": record, "cover": cover, "error": error,
        "src": covers_src(cover) if cover else "",
    }, status=400 if error else 200)  # fmt: skip


def covers_src(cover: Cover) -> str:
    return reverse("portal:cover", args=["moyenne", cover.name.removesuffix(".jpg")])
