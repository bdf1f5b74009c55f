"""Staff pages of the portal's contents: librarians write news, pages and selections for
their libraries, network administrators also for the whole network and write the legal
pages. Rights are checked by the services (``navette.editorial.services``); these views
only offer what the account may choose."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from navette.core import clock
from navette.core.actors import Actor
from navette.core.errors import DomainError
from navette.desk.identifiers import record_by_id
from navette.editorial import selectors, services
from navette.editorial.models import (
    AccessibilityCompliance,
    Article,
    ArticleKind,
    LegalPageKey,
    PublicationStatus,
    Selection,
    SelectionEntry,
)
from navette.network.models import Library
from navette.network.scope import staff_libraries, user_may_act_at
from navette.network.selectors import in_french_order
from navette.staff.permissions import librarian_required, network_admin_required

_DT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
_DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MARKDOWN_HELP = gettext_lazy(
    "Mise en forme Markdown : **gras**, *italique*, [texte du lien](https://…), "
    "listes avec « - » en début de ligne, intertitres avec « ## ». Le HTML n'est pas repris."
)


class PublicationForm(forms.Form):
    """The fields news, pages and selections share: library and publication."""

    library = forms.ChoiceField(label=gettext_lazy("Bibliothèque"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("État"), choices=PublicationStatus.choices,
        help_text=gettext_lazy("Un brouillon n'est pas montré sur le portail."),
    )  # fmt: skip
    publish_from = forms.DateTimeField(
        label=gettext_lazy("Publier à partir du"), required=False, widget=_DT,
        input_formats=_DT_FORMATS, help_text=gettext_lazy("Vide : dès l'enregistrement."),
    )  # fmt: skip
    publish_until = forms.DateTimeField(
        label=gettext_lazy("Publier jusqu'au"), required=False, widget=_DT,
        input_formats=_DT_FORMATS, help_text=gettext_lazy("Vide : sans date de fin."),
    )  # fmt: skip

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["library"])
        libraries = in_french_order(staff_libraries(user))
        choices = [(str(lib.pk), f"{lib.commune} — {lib.name}") for lib in libraries]
        if user.is_network_admin:
            choices.insert(0, ("", _("Tout le réseau")))
        else:
            field.required = True
        field.choices = choices

    def clean_library(self) -> Library | None:
        value = self.cleaned_data["library"]
        return Library.objects.get(pk=int(value)) if value else None


class ArticleForm(PublicationForm):
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=ArticleKind.choices)
    title = forms.CharField(label=gettext_lazy("Titre"), max_length=200)
    summary = forms.CharField(
        label=gettext_lazy("Chapô"), max_length=300, required=False,
        help_text=gettext_lazy("Une ou deux phrases, montrées dans les listes."),
    )  # fmt: skip
    body = forms.CharField(
        label=gettext_lazy("Texte"), required=False, help_text=MARKDOWN_HELP,
        widget=forms.Textarea(attrs={"rows": 14}),
    )  # fmt: skip

    image = forms.FileField(
        label=gettext_lazy("Image"), required=False,
        help_text=gettext_lazy("Facultative : une photo JPEG, PNG ou WebP."),
    )  # fmt: skip
    image_alt = forms.CharField(
        label=gettext_lazy("Texte alternatif de l'image"), max_length=250, required=False,
        help_text=gettext_lazy("Ce que montre l'image, pour qui ne la voit pas."),
    )  # fmt: skip
    image_clear = forms.BooleanField(label=gettext_lazy("Retirer l'image"), required=False)

    field_order = ["kind", "title", "summary", "body", "image", "image_alt", "image_clear",
                   "library", "status", "publish_from", "publish_until"]  # fmt: skip

    def fields_for_service(self) -> dict[str, Any]:
        """The cleaned fields as the service takes them: no image kept as it is."""
        fields = dict(self.cleaned_data)
        clear = fields.pop("image_clear", False)
        if clear:
            fields["image"], fields["image_alt"] = "", ""
        elif not fields.get("image"):
            fields.pop("image", None)
        return fields


class SelectionForm(PublicationForm):
    title = forms.CharField(label=gettext_lazy("Titre"), max_length=200)
    intro = forms.CharField(label=gettext_lazy("Présentation"), max_length=400, required=False)

    field_order = ["title", "intro", "library", "status", "publish_from", "publish_until"]


class EntryForm(forms.Form):
    record = forms.CharField(
        label=gettext_lazy("Numéro de notice"), max_length=20,
        help_text=gettext_lazy("Le numéro affiché sur la notice du catalogue."),
    )  # fmt: skip
    comment = forms.CharField(
        label=gettext_lazy("Commentaire"), max_length=500, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip

    def clean_record(self) -> Any:
        record = record_by_id(self.cleaned_data["record"])
        if record is None:
            raise forms.ValidationError(_("Aucune notice ne porte ce numéro."))
        return record


def _initial(obj: Article | Selection, names: list[str]) -> dict[str, Any]:
    initial = {name: getattr(obj, name) for name in names}
    initial["library"] = str(obj.library_id or "")
    return initial


def _library_ids(request: HttpRequest) -> list[int] | None:
    user: Any = request.user
    if user.is_network_admin:
        return None
    return list(staff_libraries(user).values_list("pk", flat=True))


def _in_scope(request: HttpRequest, library_id: int | None) -> None:
    if not user_may_act_at(request.user, library_id):
        raise PermissionDenied


@librarian_required
def contents(request: HttpRequest) -> HttpResponse:
    ids = _library_ids(request)
    return render(
        request,
        "staff/editorial/contents.html",
        {
            "articles": selectors.staff_articles(ids)[:200],
            "selections": selectors.staff_selections(ids)[:100],
        },
    )


@librarian_required
def article_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Write a news item or a page (create when ``pk`` is None)."""
    article = get_object_or_404(Article.objects.select_related("library"), pk=pk) if pk else None
    if article is not None:
        _in_scope(request, article.library_id)
    names = ["kind", "title", "summary", "body", "image_alt", "status", "publish_from",
             "publish_until"]  # fmt: skip
    if article is not None:
        initial = _initial(article, names)
    else:
        kind = request.GET.get("type", ArticleKind.NEWS)
        initial = {"kind": kind if kind in ArticleKind.values else ArticleKind.NEWS}
    form = ArticleForm(
        request.POST or None, request.FILES or None, initial=initial, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.article_save(
                article=article, fields=form.fields_for_service(),
                actor=Actor.staff(request.user), now=clock.now(),
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            done = (
                _("Actualité enregistrée.")
                if saved.kind == ArticleKind.NEWS
                else _("Page enregistrée.")
            )
            messages.success(request, done)
            return redirect("staff:article_edit", pk=saved.pk)
    return render(request, "staff/editorial/article_form.html", {"form": form, "article": article})


@librarian_required
@require_POST
def article_delete(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    _in_scope(request, article.library_id)
    services.article_delete(article=article, actor=Actor.staff(request.user), now=clock.now())
    done = (
        _("Actualité supprimée : « %(title)s ».")
        if article.kind == ArticleKind.NEWS
        else _("Page supprimée : « %(title)s ».")
    )
    messages.success(request, done % {"title": article.title})
    return redirect("staff:contents")


@librarian_required
def selection_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """A selection's title, presentation and publication, and its records."""
    selection = selectors.selection_for_staff(pk) if pk else None
    if pk and selection is None:
        raise Http404
    if selection is not None:
        _in_scope(request, selection.library_id)
    names = ["title", "intro", "status", "publish_from", "publish_until"]
    initial = _initial(selection, names) if selection is not None else {}
    posted = request.POST if request.method == "POST" and "save" in request.POST else None
    form = SelectionForm(posted, initial=initial, user=request.user)
    entry_form = EntryForm(request.POST if request.method == "POST" and "add" in request.POST
                           else None)  # fmt: skip
    actor = Actor.staff(request.user)
    if posted is not None and form.is_valid():
        try:
            saved = services.selection_save(
                selection=selection, fields=dict(form.cleaned_data), actor=actor, now=clock.now()
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Sélection enregistrée."))
            return redirect("staff:selection_edit", pk=saved.pk)
    if selection is not None and entry_form.is_bound and entry_form.is_valid():
        try:
            services.selection_entry_add(
                selection=selection, record=entry_form.cleaned_data["record"],
                comment=entry_form.cleaned_data["comment"], actor=actor, now=clock.now(),
            )  # fmt: skip
        except DomainError as exc:
            entry_form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Ajouté à la sélection : « %(title)s ».")
                % {"title": entry_form.cleaned_data["record"].title},
            )
            return redirect("staff:selection_edit", pk=selection.pk)
    invalid = (form.is_bound and form.errors) or (entry_form.is_bound and entry_form.errors)
    return render(
        request,
        "staff/editorial/selection_form.html",
        {"form": form, "entry_form": entry_form, "selection": selection},
        status=400 if invalid else 200,
    )


@librarian_required
@require_POST
def selection_entry_remove(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    entry = get_object_or_404(
        SelectionEntry.objects.select_related("selection", "record"), pk=entry_pk, selection_id=pk
    )
    _in_scope(request, entry.selection.library_id)
    services.selection_entry_remove(entry=entry, actor=Actor.staff(request.user), now=clock.now())
    messages.success(
        request, _("Retiré de la sélection : « %(title)s ».") % {"title": entry.record.title}
    )
    return redirect("staff:selection_edit", pk=pk)


@librarian_required
@require_POST
def selection_delete(request: HttpRequest, pk: int) -> HttpResponse:
    selection = get_object_or_404(Selection, pk=pk)
    _in_scope(request, selection.library_id)
    services.selection_delete(selection=selection, actor=Actor.staff(request.user), now=clock.now())
    messages.success(request, _("Sélection « %(title)s » supprimée.") % {"title": selection.title})
    return redirect("staff:contents")


class LegalPageForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Texte"), required=False, help_text=MARKDOWN_HELP,
        widget=forms.Textarea(attrs={"rows": 18}),
    )  # fmt: skip
    compliance = forms.ChoiceField(
        label=gettext_lazy("État de conformité (RGAA)"),
        choices=[("", "—"), *AccessibilityCompliance.choices],
        help_text=gettext_lazy("Montré en bas de chaque page du portail."),
    )  # fmt: skip

    def __init__(self, *args: Any, key: LegalPageKey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if key != LegalPageKey.ACCESSIBILITY:
            del self.fields["compliance"]


@network_admin_required
def legal_pages(request: HttpRequest) -> HttpResponse:
    written = selectors.legal_pages()
    pages = [(key, written.get(key.value)) for key in LegalPageKey]
    return render(request, "staff/editorial/legal_pages.html", {"pages": pages})


@network_admin_required
def legal_page_edit(request: HttpRequest, key: str) -> HttpResponse:
    if key not in LegalPageKey.values:
        raise Http404
    page_key = LegalPageKey(key)
    page = selectors.legal_page(page_key)
    initial = {"body": page.body, "compliance": page.compliance} if page is not None else {}
    form = LegalPageForm(request.POST or None, initial=initial, key=page_key)
    if request.method == "POST" and form.is_valid():
        try:
            services.legal_page_save(
                key=page_key, body=form.cleaned_data["body"],
                compliance=form.cleaned_data.get("compliance", ""),
                actor=Actor.staff(request.user), now=clock.now(),
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Page « %(title)s » enregistrée.") % {"title": page_key.label}
            )
            return redirect("staff:legal_pages")
    return render(
        request, "staff/editorial/legal_form.html", {"form": form, "key": page_key, "page": page}
    )
