"""Staff catalogue pages: find a record, read it (human form and MARC), manage its copies."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from navette.catalogue import selectors, services
from navette.catalogue.batches import copy_history
from navette.catalogue.models import DocType, Item, ItemStatus, Location, Record
from navette.catalogue.shelfmarks import call_number_suggest
from navette.circulation.selectors import record_hold_queue
from navette.core import clock
from navette.core.actors import Actor
from navette.core.collation import sorted_by
from navette.core.errors import DomainError
from navette.desk.copies import desk_copy_update, desk_copy_withdraw
from navette.desk.holds import desk_hold_place
from navette.network.models import Library
from navette.network.selectors import active_libraries
from navette.search import engine
from navette.search.index import index_exists
from navette.staff.outcomes import say, text
from navette.staff.permissions import librarian_required
from navette.staff.views.circulation import SESSION_LIBRARY, desk_library, posted_patron


class ItemForm(forms.Form):
    barcode = forms.CharField(label=_("Code-barres"), max_length=64)
    owning_library = forms.ModelChoiceField(
        label=_("Bibliothèque propriétaire"), queryset=Library.objects.filter(is_active=True)
    )
    call_number = forms.CharField(label=_("Cote"), max_length=100, required=False)
    location = forms.ModelChoiceField(
        label=_("Emplacement"), queryset=Location.objects.filter(is_active=True), required=False
    )
    shelving_location = forms.CharField(
        label=_("Emplacement (texte libre, sans liste)"), max_length=100, required=False
    )
    doc_type_override = forms.ChoiceField(
        label=_("Type de document (si différent de la notice)"),
        choices=[("", "—"), *DocType.choices],
        required=False,
    )
    circulates = forms.BooleanField(label=_("Empruntable"), required=False, initial=True)
    acquired_on = forms.DateField(
        label=_("Date d'acquisition"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    price = forms.DecimalField(
        label=_("Prix (€)"), required=False, min_value=0, max_digits=9, decimal_places=2
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locations = Location.objects.filter(is_active=True).select_related("library")
        self.fields["location"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (loc.pk, f"{loc.library.commune} — {loc.name}")
            for loc in sorted_by(locations, lambda loc: loc.library.commune, lambda loc: loc.name)
        ]


class ItemEditForm(ItemForm):
    status = forms.ChoiceField(
        label=_("Statut"),
        choices=[(s.value, s.label) for s in ItemStatus if s in services.STAFF_STATUSES],
    )


def _actor(request: HttpRequest) -> Actor:
    return Actor.staff(request.user)


STAFF_RESULTS = 50


@librarian_required
def record_search(request: HttpRequest) -> HttpResponse:
    """A copy's barcode or a record number finds its record at once; other words go to the
    catalogue's search index (keywords, titre:, auteur:, isbn:... as on the portal), best
    first. Without an index (being rebuilt), titles containing the words are listed."""
    q = request.GET.get("q", "").strip()
    records: list[Record] = []
    total = 0
    if q:
        records = list(
            Record.objects.filter(Q(items__barcode=q) | Q(control_number=q)).distinct()[:10]
        )
        found = None
        if index_exists():
            found = engine.search(engine.SearchParams(q=q, per_page=STAFF_RESULTS, facets=False))
        if found is not None:
            total = found.total
            by_id = Record.objects.in_bulk(found.record_ids)
            seen = {r.pk for r in records}
            records += [by_id[i] for i in found.record_ids if i in by_id and i not in seen]
        else:
            records += list(
                Record.objects.filter(title__icontains=q).exclude(pk__in=[r.pk for r in records])
                .order_by("title")[:STAFF_RESULTS]
            )  # fmt: skip
        total = max(total, len(records))
    return render(
        request, "staff/catalogue/search.html", {"q": q, "records": records, "total": total}
    )


@librarian_required
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(Record, pk=pk)
    desk = desk_library(request)
    form = ItemForm(initial={
        "circulates": True, "owning_library": desk,
        "call_number": call_number_suggest(record=record, library=desk),
    })  # fmt: skip
    if request.method == "POST":
        form = ItemForm(request.POST)
        if form.is_valid():
            try:
                item = services.item_add(
                    record=record, actor=_actor(request), now=clock.now(), **form.cleaned_data
                )
            except DomainError as exc:
                form.add_error("barcode" if "barcode" in exc.code else None, exc.message)
            else:
                messages.success(request, _("Exemplaire %(b)s ajouté.") % {"b": item.barcode})
                return redirect("staff:catalogue_record", pk=record.pk)

    return render(
        request,
        "staff/catalogue/record.html",
        {
            "record": record,
            "items": selectors.record_items(record),
            "marc_lines": selectors.marc_lines(record.marc),
            "form": form,
            "holds": record_hold_queue(record),
            "pickup_libraries": active_libraries(),
            "desk_library_id": request.session.get(SESSION_LIBRARY),
        },
        status=400 if form.errors else 200,
    )


@librarian_required
@require_POST
def record_hold(request: HttpRequest, pk: int) -> HttpResponse:
    """Place a hold on this title (or on one copy) for a patron, e.g. asked by phone; the same
    rules as on the portal, the refusal's reason shown."""
    record = get_object_or_404(Record, pk=pk)
    patron = posted_patron(request)  # says when the card is unknown
    pickup = Library.objects.filter(pk=request.POST.get("retrait") or 0, is_active=True).first()
    item_id = request.POST.get("exemplaire") or None
    item = Item.objects.filter(pk=item_id, record=record).first() if item_id else None
    back = redirect("staff:catalogue_record", pk=record.pk)
    if patron is None:
        return back
    if pickup is None:
        messages.error(request, _("Choisissez la bibliothèque de retrait."))
        return back
    say(request, desk_hold_place(
        patron=patron, record=record, item=item, pickup_library=pickup,
        actor=_actor(request), now=clock.now(), library=desk_library(request),
    ))  # fmt: skip
    return back


@librarian_required
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Item.objects.select_related("record"), pk=pk)
    fields = ["barcode", "owning_library", "call_number", "location", "shelving_location",
              "doc_type_override", "circulates", "acquired_on", "price", "notes", "status"]  # fmt: skip
    if request.method == "POST":
        form = ItemEditForm(request.POST)
        if item.status not in services.STAFF_STATUSES:
            form.fields["status"].choices = [(item.status, item.get_status_display())]  # type: ignore[attr-defined]
        if form.is_valid():
            changes = {k: v for k, v in form.cleaned_data.items() if getattr(item, k) != v}
            outcome = desk_copy_update(item=item, actor=_actor(request), now=clock.now(), **changes)
            if not outcome.ok:
                form.add_error(outcome.data.get("field"), text(outcome))
            else:
                say(request, outcome)
                return redirect("staff:catalogue_record", pk=item.record_id)
    else:
        form = ItemEditForm(initial={f: getattr(item, f) for f in fields})
        if item.status not in services.STAFF_STATUSES:
            form.fields["status"].choices = [(item.status, item.get_status_display())]  # type: ignore[attr-defined]
    return render(request, "staff/catalogue/item_edit.html",
                  {"item": item, "form": form, "history": copy_history(item)},
                  status=400 if form.errors else 200)  # fmt: skip


@librarian_required
@require_POST
def item_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Item, pk=pk)
    say(request, desk_copy_withdraw(item=item, actor=_actor(request), now=clock.now(),
                                    reason=request.POST.get("reason", "")))  # fmt: skip
    return redirect("staff:catalogue_record", pk=item.record_id)
