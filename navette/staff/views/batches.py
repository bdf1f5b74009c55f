"""Staff pages for batch changes: choose copies (barcodes scanned or a file, a shelf range,
a saved search), choose the change, read the preview, apply, undo."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from navette.catalogue import batches
from navette.catalogue.locations import copy_search_save
from navette.catalogue.models import (
    Batch,
    BatchAction,
    DocType,
    ItemStatus,
    Location,
    SavedCopySearch,
)
from navette.catalogue.services import STAFF_STATUSES
from navette.core import clock
from navette.core.actors import Actor
from navette.core.errors import ValidationFailed
from navette.desk.batches import (
    desk_batch_apply,
    desk_batch_preview,
    desk_batch_undo,
    desk_records_delete_apply,
    desk_records_delete_preview,
)
from navette.desk.outcomes import refused as refused_outcome
from navette.network.models import Library
from navette.network.scope import staff_libraries
from navette.network.selectors import in_french_order
from navette.staff.outcomes import say, text
from navette.staff.permissions import librarian_required

#: changed copies listed on the preview (all are counted)
SHOWN = 100


class LibraryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.commune} — {obj.name}"


class LocationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.library.commune} — {obj.name}"


class BatchForm(forms.Form):
    by = forms.ChoiceField(
        label=_("Choisir les exemplaires par"),
        choices=[
            ("barcodes", _("une liste de codes-barres")),
            ("range", _("un rayon (plage de cotes)")),
            ("search", _("une recherche enregistrée")),
        ],  # fmt: skip
        widget=forms.RadioSelect,
        initial="barcodes",
    )
    barcodes = forms.CharField(
        label=_("Codes-barres, un par ligne (douchette)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "autocomplete": "off", "spellcheck": "false"}),
    )
    file = forms.FileField(label=_("ou un fichier texte, un code-barres par ligne"), required=False)
    range_library = LibraryChoice(
        label=_("Bibliothèque du rayon"), queryset=Library.objects.none(), required=False
    )
    range_first = forms.CharField(label=_("De la cote"), max_length=100, required=False)
    range_last = forms.CharField(label=_("à la cote (incluse)"), max_length=100, required=False)
    saved_search = forms.ModelChoiceField(
        label=_("Recherche enregistrée"), queryset=SavedCopySearch.objects.all(), required=False
    )
    action = forms.ChoiceField(label=_("Modification"), choices=BatchAction.choices)
    status = forms.ChoiceField(
        label=_("Nouveau statut"),
        choices=[("", "—"), *((s.value, s.label) for s in ItemStatus if s in STAFF_STATUSES)],
        required=False,
    )
    library = LibraryChoice(
        label=_("Nouvelle bibliothèque"), queryset=Library.objects.none(), required=False
    )
    location = LocationChoice(
        label=_("Nouvel emplacement"), queryset=Location.objects.none(), required=False
    )
    doc_type = forms.ChoiceField(
        label=_("Nouvelle catégorie de prêt"),
        choices=[("", _("Celle de la notice")), *DocType.choices],
        required=False,
    )
    call_number = forms.CharField(label=_("Nouvelle cote"), max_length=100, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        mine = staff_libraries(user).filter(is_active=True)
        self.fields["range_library"].queryset = mine  # type: ignore[attr-defined]
        self.fields["range_library"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (lib.pk, f"{lib.commune} — {lib.name}") for lib in in_french_order(mine)
        ]
        active = Library.objects.filter(is_active=True)
        self.fields["library"].queryset = active  # type: ignore[attr-defined]
        self.fields["library"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (lib.pk, f"{lib.commune} — {lib.name}") for lib in in_french_order(active)
        ]
        self.fields["location"].queryset = (  # type: ignore[attr-defined]
            Location.objects.filter(library__in=mine, is_active=True)
            .select_related("library").order_by("library__commune", "name")
        )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        by = data.get("by")
        if by == "barcodes":
            upload = data.get("file")
            content = data.get("barcodes") or ""
            if upload:
                try:
                    content += "\n" + upload.read().decode("utf-8-sig")
                except UnicodeDecodeError:
                    self.add_error("file", _("Le fichier doit être un texte en UTF-8."))
            if not content.strip() and not self.errors:
                self.add_error("barcodes", _("Scannez ou collez au moins un code-barres."))
            data["barcodes"] = content.strip("\n")
        elif by == "range" and not data.get("range_library"):
            self.add_error("range_library", _("Choisissez la bibliothèque du rayon."))
        elif by == "search" and not data.get("saved_search"):
            self.add_error("saved_search", _("Choisissez une recherche enregistrée."))
        action = data.get("action")
        if action == BatchAction.STATUS and not data.get("status"):
            self.add_error("status", _("Choisissez le nouveau statut."))
        if action == BatchAction.LIBRARY and not data.get("library"):
            self.add_error("library", _("Choisissez la bibliothèque de destination."))
        if action == BatchAction.CALL_NUMBER and not (data.get("call_number") or "").strip():
            self.add_error("call_number", _("Indiquez la nouvelle cote."))
        return data


class CopySearchForm(forms.Form):
    name = forms.CharField(label=_("Nom de la recherche"), max_length=100)
    library = LibraryChoice(label=_("Bibliothèque"), queryset=Library.objects.none(),
                            required=False)  # fmt: skip
    status = forms.ChoiceField(label=_("Statut"), choices=[("", "—"), *ItemStatus.choices],
                               required=False)  # fmt: skip
    doc_type = forms.ChoiceField(label=_("Type de document"), choices=[("", "—"), *DocType.choices],
                                 required=False)  # fmt: skip
    title = forms.CharField(label=_("Titre contenant"), max_length=100, required=False)
    call_number_from = forms.CharField(label=_("De la cote"), max_length=100, required=False)
    call_number_to = forms.CharField(label=_("à la cote (incluse)"), max_length=100,
                                     required=False)  # fmt: skip
    acquired_before = forms.DateField(label=_("Acquis avant le"), required=False,
                                      widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            self.fields[name].widget.attrs.setdefault("id", f"search_{name}")
        active = Library.objects.filter(is_active=True)
        self.fields["library"].queryset = active  # type: ignore[attr-defined]
        self.fields["library"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (lib.pk, f"{lib.commune} — {lib.name}") for lib in in_french_order(active)
        ]


def _actor(request: HttpRequest) -> Actor:
    return Actor.staff(request.user)


def _selection(form: BatchForm) -> batches.Selection:
    data = form.cleaned_data
    if data["by"] == "range":
        return batches.select_shelf_range(library=data["range_library"],
                                          first=data["range_first"], last=data["range_last"])  # fmt: skip
    if data["by"] == "search":
        return batches.select_saved_search(data["saved_search"])
    return batches.select_by_barcodes(data["barcodes"])


def _change(form: BatchForm) -> batches.Change:
    d = form.cleaned_data
    return batches.Change(action=d["action"], status=d.get("status") or "",
                          library=d.get("library"), location=d.get("location"),
                          doc_type=d.get("doc_type") or "",
                          call_number=d.get("call_number") or "")  # fmt: skip


def _recent(request: HttpRequest) -> list[Batch]:
    return list(Batch.objects.order_by("-applied_at", "-pk")[:20])


def _form_page(request: HttpRequest, form: BatchForm, status: int = 200,
               search_form: CopySearchForm | None = None) -> HttpResponse:  # fmt: skip
    return render(request, "staff/catalogue/batches.html",
                  {"form": form, "batches": _recent(request),
                   "search_form": search_form or CopySearchForm()}, status=status)  # fmt: skip


class _Labels:
    """Values of a copy's fields as a librarian reads them (libraries, locations, statuses)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        libs = {v for r in rows for k, v in r.items() if k.endswith("library_id") and v}
        locs = {r["location_id"] for r in rows if r.get("location_id")}
        self.libraries = {lib.pk: f"{lib.commune} — {lib.name}"
                          for lib in Library.objects.filter(pk__in=libs)}  # fmt: skip
        self.locations = dict(Location.objects.filter(pk__in=locs).values_list("pk", "name"))

    def changes(self, before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, str]]:
        names = {"status": _("Statut"), "owning_library_id": _("Bibliothèque"),
                 "current_library_id": _("Localisation actuelle"),
                 "location_id": _("Emplacement"), "shelving_location": _("Emplacement (texte)"),
                 "doc_type_override": _("Catégorie de prêt"), "call_number": _("Cote")}  # fmt: skip
        out = []
        for key, label in names.items():
            if before.get(key) != after.get(key):
                out.append((str(label), self.word(key, before.get(key)),
                            self.word(key, after.get(key))))  # fmt: skip
        return out

    def word(self, key: str, value: Any) -> str:
        if value in (None, ""):
            return "—"
        if key == "status":
            return str(ItemStatus(value).label)
        if key.endswith("library_id"):
            return self.libraries.get(value, str(value))
        if key == "location_id":
            return self.locations.get(value, str(value))
        if key == "doc_type_override":
            return str(DocType(value).label)
        return str(value)


@librarian_required
def batch_start(request: HttpRequest) -> HttpResponse:
    """The batch form and the latest batches."""
    return _form_page(request, BatchForm(user=request.user))


@librarian_required
@require_POST
def batch_preview(request: HttpRequest) -> HttpResponse:
    """What the batch would do: the copies changed (the first ones listed), those refused
    and why, the unknown barcodes with their line; a button applies it."""
    form = BatchForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    actor, now = _actor(request), clock.now()
    try:
        selection = _selection(form)
    except ValidationFailed as exc:
        form.add_error(None, exc.message)
        return _form_page(request, form, status=400)
    context: dict[str, Any] = {"form": form, "selection": selection,
                               "action": BatchAction(form.cleaned_data["action"])}  # fmt: skip
    if form.cleaned_data["action"] == BatchAction.DELETE_RECORDS:
        outcome = desk_records_delete_preview(record_ids=batches.records_of(selection),
                                              actor=actor, now=now)  # fmt: skip
        context["records"] = outcome.data["preview"]
        context["refused"] = [(r.data, refusal_text(r.code, r.data))
                              for r in outcome.data["preview"].refused]  # fmt: skip
    else:
        outcome = desk_batch_preview(selection=selection, change=_change(form), actor=actor,
                                     now=now)  # fmt: skip
        if not outcome.ok:
            form.add_error(None, text(outcome))
            return _form_page(request, form, status=400)
        preview = outcome.data["preview"]
        labels = _Labels([p.before for p in preview.planned[:SHOWN]]
                         + [p.after for p in preview.planned[:SHOWN]])  # fmt: skip
        context["preview"] = preview
        context["refused"] = [(r.data, refusal_text(r.code, r.data)) for r in preview.refused]
        context["shown"] = [(p, labels.changes(p.before, p.after))
                            for p in preview.planned[:SHOWN]]  # fmt: skip
    context["hidden"] = _hidden(form)
    return render(request, "staff/catalogue/batch_preview.html", context)


def _hidden(form: BatchForm) -> list[tuple[str, str]]:
    """The form's values, carried to the apply button (a file's barcodes as text)."""
    d = form.cleaned_data
    pairs = [("by", d["by"]), ("action", d["action"])]
    if d["by"] == "barcodes":
        pairs.append(("barcodes", d["barcodes"]))
    elif d["by"] == "range":
        pairs += [("range_library", str(d["range_library"].pk)),
                  ("range_first", d["range_first"]), ("range_last", d["range_last"])]  # fmt: skip
    else:
        pairs.append(("saved_search", str(d["saved_search"].pk)))
    for key in ("status", "doc_type", "call_number"):
        if d.get(key):
            pairs.append((key, d[key]))
    for key in ("library", "location"):
        if d.get(key) is not None:
            pairs.append((key, str(d[key].pk)))
    return pairs


@librarian_required
@require_POST
def batch_apply(request: HttpRequest) -> HttpResponse:
    """Apply the previewed batch (planned again under lock) and show it."""
    form = BatchForm(request.POST, user=request.user)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    actor, now = _actor(request), clock.now()
    try:
        selection = _selection(form)
    except ValidationFailed as exc:
        form.add_error(None, exc.message)
        return _form_page(request, form, status=400)
    if form.cleaned_data["action"] == BatchAction.DELETE_RECORDS:
        outcome = desk_records_delete_apply(record_ids=batches.records_of(selection),
                                            actor=actor, now=now)  # fmt: skip
    else:
        outcome = desk_batch_apply(selection=selection, change=_change(form), actor=actor,
                                   now=now)  # fmt: skip
    say(request, outcome)
    if not outcome.ok:
        return _form_page(request, form, status=400)
    return redirect("staff:catalogue_batch", pk=outcome.data["batch"].pk)


@librarian_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A batch: what it changed (each copy before and after), what it refused, its undo."""
    batch = get_object_or_404(Batch, pk=pk)
    lines = list(batch.lines.order_by("pk")[:SHOWN])
    labels = _Labels([line.before for line in lines] + [line.after for line in lines])
    shown = [(line, labels.changes(line.before, line.after)) for line in lines
             if batch.action != BatchAction.DELETE_RECORDS]  # fmt: skip
    records = [(line.record_id, line.before["rows"][0]["fields"].get("title", ""),
                line.after.get("copies", 0)) for line in lines
               if batch.action == BatchAction.DELETE_RECORDS]  # fmt: skip
    refused = [(r, refusal_text(r["code"], r)) for r in batch.refused]
    return render(request, "staff/catalogue/batch.html",
                  {"batch": batch, "shown": shown, "records": records, "refused": refused,
                   "action": BatchAction(batch.action)})  # fmt: skip


@librarian_required
@require_POST
def batch_undo(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(Batch, pk=pk)
    outcome = desk_batch_undo(batch=batch, actor=_actor(request), now=clock.now())
    say(request, outcome)
    return redirect("staff:catalogue_batch", pk=batch.pk)


def refusal_text(code: str, data: dict[str, Any]) -> str:
    """Why a batch leaves a copy or a record alone, in the librarian's language."""
    return text(refused_outcome(code, **{k: v for k, v in data.items() if k != "code"}),
                about=False)  # fmt: skip


@librarian_required
@require_POST
def copy_search_new(request: HttpRequest) -> HttpResponse:
    """Save copy search criteria under a name, to select copies by it later."""
    form = CopySearchForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        name = data.pop("name")
        if data.get("library") is not None:
            data["library"] = data["library"].pk
        try:
            search = copy_search_save(name=name, criteria=data, actor=_actor(request),
                                      now=clock.now())  # fmt: skip
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Recherche « %(name)s » enregistrée.")
                             % {"name": search.name})  # fmt: skip
            return redirect("staff:catalogue_batches")
    return _form_page(request, BatchForm(user=request.user), status=400, search_form=form)
