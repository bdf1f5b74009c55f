"""The record editor and copy cataloguing pages.

The editor is a plain server-rendered form: the leader and the coded field (MARC21 008,
UNIMARC 100$a) edited position by position, then one fieldset per field with its tag,
indicators and subfields. Adding, removing and moving fields and subfields are submit
buttons (``op``): without JavaScript the page comes back with the change, with htmx only
the form is swapped; nothing is saved until "Enregistrer". Saving calls the catalogue's
editing services; their problems (codes and places) are said here, at the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from navette.catalogue import copycat, editing
from navette.catalogue.marc.extract import extract
from navette.catalogue.marc.rules import (
    TEMPLATE_DOC_TYPES,
    FormatRules,
    Position,
    Problem,
    check_record,
    fixed_value,
    format_rules,
    is_control_tag,
    template_record,
)
from navette.catalogue.models import DocType, MarcFlavour, Record, RemoteTarget
from navette.catalogue.selectors import marc_lines
from navette.core import clock
from navette.core.actors import Actor
from navette.network.scope import NotCataloguer
from navette.staff.permissions import librarian_required

#: the fields of copies: edited on the copy pages, kept as they are by the editor
HOLDINGS_TAGS = editing.HOLDINGS_TAGS
MAX_FIELDS = 500
MAX_SUBFIELDS = 100


# --- the draft: what the form holds -----------------------------------------------------


@dataclass
class Row:
    """One field of the form: a control field has ``value``, a data field ``subs``."""

    tag: str
    ind1: str = " "
    ind2: str = " "
    value: str | None = None
    subs: list[list[str]] = field(default_factory=list)  # [code, text]

    @property
    def control(self) -> bool:
        return self.value is not None


@dataclass
class Draft:
    flavour: str
    leader: str
    fixed: str
    rows: list[Row]
    fixed_indicators: tuple[str, str] = (" ", " ")
    fixed_other: list[list[str]] = field(default_factory=list)


def draft_from_marc(marc: dict[str, Any], flavour: str) -> Draft:
    rules = format_rules(flavour)
    fixed = fixed_value(marc, rules)
    if fixed is None:  # a copied record without one: the book template's, dated today
        fixed = fixed_value(template_record(flavour, "book", today=_today()), rules) or ""
    draft = Draft(flavour=flavour, leader=(marc.get("leader") or "").ljust(24)[:24],
                  fixed=fixed, rows=[])  # fmt: skip
    seen_fixed = False
    for f in marc.get("fields", []):
        ((tag, value),) = f.items()
        if tag in HOLDINGS_TAGS:
            continue
        if tag == rules.fixed.tag and not seen_fixed:
            seen_fixed = True
            if isinstance(value, dict):
                draft.fixed_indicators = (value.get("ind1", " "), value.get("ind2", " "))
                draft.fixed_other = [[c, t] for s in value["subfields"] for c, t in s.items()
                                     if c != rules.fixed.subfield]  # fmt: skip
            continue
        if isinstance(value, str):
            draft.rows.append(Row(tag=tag, value=value))
        else:
            draft.rows.append(Row(tag=tag, ind1=value.get("ind1") or " ", ind2=value.get("ind2") or " ",
                                  subs=[[c, t] for s in value["subfields"] for c, t in s.items()]))  # fmt: skip
    return draft


def _today() -> str:
    return timezone.localdate(clock.now()).strftime("%Y%m%d")


def _one_char(text: str) -> str:
    return (text or " ")[:1]


def _join_positions(base: str, positions: tuple[Position, ...], data: QueryDict,
                    prefix: str, length: int) -> str:  # fmt: skip
    chars = list(base.ljust(length)[:length])
    for pos in positions:
        if pos.computed:
            continue
        raw = data.get(f"{prefix}-{pos.start}")
        if raw is None:
            continue
        raw = raw.replace("\r", "").replace("\n", "")
        chars[pos.start : pos.end] = list(raw.ljust(pos.length)[: pos.length])
    return "".join(chars)


def draft_from_post(data: QueryDict, flavour: str) -> Draft:
    rules = format_rules(flavour)
    leader = _join_positions(data.get("leader", ""), rules.leader, data, "leader", 24)
    fixed = _join_positions(data.get("fixed", ""), rules.fixed.positions, data, "fixed",
                            rules.fixed.length)  # fmt: skip
    rows = []
    count = min(int(data.get("n") or 0) if (data.get("n") or "0").isdigit() else 0, MAX_FIELDS)
    for i in range(count):
        tag = (data.get(f"f{i}-tag") or "").strip()
        if f"f{i}-tag" not in data:
            continue
        if f"f{i}-value" in data:
            rows.append(Row(tag=tag, value=data.get(f"f{i}-value", "")))
            continue
        subs = []
        ns = data.get(f"f{i}-ns") or "0"
        for j in range(min(int(ns) if ns.isdigit() else 0, MAX_SUBFIELDS)):
            if f"f{i}-s{j}-c" in data:
                subs.append(
                    [(data.get(f"f{i}-s{j}-c") or "").strip(), data.get(f"f{i}-s{j}-v", "")]
                )
        rows.append(Row(tag=tag, ind1=_one_char(data.get(f"f{i}-ind1", " ")),
                        ind2=_one_char(data.get(f"f{i}-ind2", " ")), subs=subs))  # fmt: skip
    fixed_other = json.loads(data.get("fixed_other") or "[]")
    return Draft(flavour=flavour, leader=leader, fixed=fixed, rows=rows,
                 fixed_indicators=(_one_char(data.get("fixed_ind1", " ")),
                                   _one_char(data.get("fixed_ind2", " "))),
                 fixed_other=[[str(c), str(t)] for c, t in fixed_other])  # fmt: skip


def marc_from_draft(draft: Draft) -> tuple[dict[str, Any], list[int | str]]:
    """The MARC the draft says (subfields without text and fields left empty dropped, the
    coded field put back in tag order) and, per field, the form row it came from."""
    rules = format_rules(draft.flavour)
    fields: list[dict[str, Any]] = []
    origin: list[int | str] = []
    for i, row in enumerate(draft.rows):
        if row.control:
            fields.append({row.tag: row.value or ""})
        else:
            subs = [{c: t} for c, t in row.subs if t.strip()]
            if not subs:
                continue
            fields.append({row.tag: {"ind1": row.ind1, "ind2": row.ind2, "subfields": subs}})
        origin.append(i)
    tag = rules.fixed.tag
    if rules.fixed.subfield is None:
        fixed_field: dict[str, Any] = {tag: draft.fixed}
    else:
        subs = [{rules.fixed.subfield: draft.fixed}] + [
            {c: t} for c, t in draft.fixed_other if t.strip()
        ]
        fixed_field = {tag: {"ind1": draft.fixed_indicators[0], "ind2": draft.fixed_indicators[1],
                             "subfields": subs}}  # fmt: skip
    at = next((k for k, f in enumerate(fields) if next(iter(f)) > tag), len(fields))
    fields.insert(at, fixed_field)
    origin.insert(at, "fixed")
    return {"leader": draft.leader, "fields": fields}, origin


def apply_op(draft: Draft, op: str, data: QueryDict) -> str:
    """Change the draft as the button ``op`` says; returns the id of the control to focus."""
    name, _sep, rest = op.partition("-")
    args = [int(a) for a in rest.split("-") if a.isdigit()]
    rows = draft.rows
    if name == "add":
        tag = (data.get("new-tag") or "").strip()
        if not tag:
            return "new-tag"
        row = Row(tag=tag, value="") if is_control_tag(tag) else Row(tag=tag, subs=[["a", ""]])
        at = next((k for k, r in enumerate(rows) if r.tag > tag), len(rows))
        rows.insert(at, row)
        return f"f{at}-value" if row.control else f"f{at}-s0-v"
    if not args or args[0] >= len(rows):
        return ""
    i = args[0]
    if name == "del":
        rows.pop(i)
        return f"f{min(i, len(rows) - 1)}-tag" if rows else "new-tag"
    if name == "up" and i > 0:
        rows[i - 1], rows[i] = rows[i], rows[i - 1]
        return f"f{i - 1}-up" if i - 1 > 0 else f"f{i - 1}-down"
    if name == "down" and i < len(rows) - 1:
        rows[i + 1], rows[i] = rows[i], rows[i + 1]
        return f"f{i + 1}-down" if i + 1 < len(rows) - 1 else f"f{i + 1}-up"
    if name == "addsub" and not rows[i].control:
        rows[i].subs.append(["", ""])
        return f"f{i}-s{len(rows[i].subs) - 1}-c"
    if name == "delsub" and len(args) == 2 and args[1] < len(rows[i].subs):
        rows[i].subs.pop(args[1])
        return f"f{i}-addsub"
    return ""


# --- what the page shows ------------------------------------------------------------------

PROBLEM_MESSAGES = {
    "leader_length": gettext_lazy("Le label doit compter 24 caractères."),
    "leader_value": gettext_lazy("Valeur « %(value)s » non permise à cette position du label."),
    "fixed_value": gettext_lazy("Valeur « %(value)s » non permise à cette position."),
    "fixed_pattern": gettext_lazy("Valeur « %(value)s » de forme incorrecte à cette position."),
    "fixed_length": gettext_lazy(
        "Les données codées comptent %(length)s caractères au lieu de %(expected)s."
    ),
    "control_length": gettext_lazy(
        "Cette zone compte %(length)s caractères au lieu de %(expected)s."
    ),
    "tag_invalid": gettext_lazy("Une étiquette de zone compte trois chiffres ou lettres."),
    "tag_unknown": gettext_lazy(
        "Zone non décrite dans les règles de Navette : son contenu n'est pas vérifié."
    ),
    "field_not_repeatable": gettext_lazy("Cette zone n'est pas répétable."),
    "field_missing": gettext_lazy("La zone %(tag)s est obligatoire."),
    "control_has_subfields": gettext_lazy("Une zone de contrôle n'a pas de sous-champs."),
    "control_empty": gettext_lazy("Cette zone de contrôle est vide."),
    "data_without_subfields": gettext_lazy("Cette zone demande des sous-champs."),
    "ind1_invalid": gettext_lazy("Premier indicateur « %(value)s » non permis."),
    "ind2_invalid": gettext_lazy("Second indicateur « %(value)s » non permis."),
    "no_subfields": gettext_lazy("Cette zone n'a aucun sous-champ rempli."),
    "subfield_code_invalid": gettext_lazy(
        "Code de sous-champ « %(code)s » incorrect : une lettre minuscule ou un chiffre."
    ),
    "subfield_unknown": gettext_lazy("Le sous-champ $%(code)s n'existe pas dans cette zone."),
    "subfield_not_repeatable": gettext_lazy("Le sous-champ $%(code)s n'est pas répétable."),
    "subfield_required": gettext_lazy("Le sous-champ $%(code)s est obligatoire dans cette zone."),
    "record_too_long": gettext_lazy("La notice est trop longue pour le format ISO 2709."),
    "flavour_unknown": gettext_lazy("Format MARC inconnu."),
    "flavour_mismatch": gettext_lazy(
        "La notice distante n'est pas dans le format de la notice locale."
    ),
}
REMOTE_FAILURES = {
    "unreachable": gettext_lazy("Le catalogue %(target)s ne répond pas (%(detail)s)."),
    "diagnostic": gettext_lazy("Le catalogue %(target)s refuse la recherche : %(detail)s"),
    "bad_response": gettext_lazy(
        "Le catalogue %(target)s a répondu dans une forme illisible (%(detail)s)."
    ),
    "bad_query": gettext_lazy("Saisissez ce que vous cherchez."),
}


def problem_text(problem: Problem) -> str:
    template = PROBLEM_MESSAGES.get(problem.code, problem.code)
    return str(template) % {"tag": problem.tag, **problem.params}


@dataclass
class Shown:
    """A problem as the page shows it: its text and the id of the control it is about."""

    text: str
    target: str
    severity: str


def _place(
    problems: list[Problem], origin: list[int | str], draft: Draft
) -> dict[str, list[Shown]]:
    """Problems grouped by where they are shown: "leader", "fixed", "f<i>" or "record"."""
    rules = format_rules(draft.flavour)
    placed: dict[str, list[Shown]] = {}
    for p in problems:
        text = problem_text(p)
        if p.field is None:
            key = "leader" if p.code.startswith("leader") else "record"
            target = f"leader-{p.position}" if p.position is not None else "record"
        else:
            row = origin[p.field] if p.field < len(origin) else "record"
            if row == "fixed" or (isinstance(row, int) and p.tag == rules.fixed.tag and
                                  rules.fixed.subfield is None):  # fmt: skip
                key = "fixed"
                target = f"fixed-{p.position}" if p.position is not None else "fixed-0"
            elif isinstance(row, int):
                key = f"f{row}"
                if p.subfield is not None:
                    # the n-th subfield kept is not always the n-th of the form (empty ones)
                    kept = [j for j, (_c, t) in enumerate(draft.rows[row].subs) if t.strip()]
                    j = kept[p.subfield] if p.subfield < len(kept) else p.subfield
                    target = (
                        f"f{row}-s{j}-{'c' if 'code' in p.code or 'unknown' in p.code else 'v'}"
                    )
                elif p.code.startswith("ind1"):
                    target = f"f{row}-ind1"
                elif p.code.startswith("ind2"):
                    target = f"f{row}-ind2"
                elif p.code.startswith("control"):
                    target = f"f{row}-value"
                else:
                    target = f"f{row}-tag"
            else:
                key, target = "record", "record"
        placed.setdefault(key, []).append(Shown(text, target, p.severity))
    return placed


def _position_rows(positions: tuple[Position, ...], text: str, prefix: str,
                   placed: list[Shown], language: str) -> list[dict[str, Any]]:  # fmt: skip
    by_target = {s.target: s for s in placed}
    out = []
    for pos in positions:
        if pos.computed:
            continue
        value = text[pos.start : pos.end].ljust(pos.length)
        choices = [(code, f"{code.replace(' ', '#')} — {labels[1] if language.startswith('en') else labels[0]}")
                   for code, labels in pos.values.items()]  # fmt: skip
        if choices and value not in pos.values:
            choices.append((value, f"{value.replace(' ', '#')} — ?"))
        out.append({"id": f"{prefix}-{pos.start}", "label": pos.label(language),
                    "start": pos.start, "end": pos.end - 1, "length": pos.length,
                    "value": value, "choices": choices,
                    "problem": by_target.get(f"{prefix}-{pos.start}")})  # fmt: skip
    return out


def _row_view(
    i: int, row: Row, rules: FormatRules, shown: list[Shown], language: str
) -> dict[str, Any]:
    rule = rules.field_rule(row.tag)
    by_target: dict[str, list[Shown]] = {}
    for s in shown:
        by_target.setdefault(s.target, []).append(s)
    view: dict[str, Any] = {
        "i": i, "row": row, "name": rule.label(language) if rule else "",
        "problems": shown, "tag_problem": by_target.get(f"f{i}-tag"),
        "value_problem": by_target.get(f"f{i}-value"), "subs": [],
        "ids": {k: f"f{i}-{k}" for k in ("tag", "value", "addsub", "up", "down")},
    }  # fmt: skip
    for which in ("ind1", "ind2"):
        ind = getattr(rule, which) if rule else None
        value = getattr(row, which)
        choices = None
        if ind is not None:
            choices = [(c, c.replace(" ", "#")) for c in ind.values]
            if value not in ind.values:
                choices.append((value, value.replace(" ", "#")))
        view[which] = {"id": f"f{i}-{which}", "value": value, "choices": choices,
                       "label": (ind.en if language.startswith("en") else ind.fr) if ind else "",
                       "problem": by_target.get(f"f{i}-{which}")}  # fmt: skip
    for j, (code, text) in enumerate(row.subs):
        srule = rule.subfields.get(code) if rule else None
        view["subs"].append({
            "j": j, "code": code, "text": text, "cid": f"f{i}-s{j}-c", "vid": f"f{i}-s{j}-v",
            "name": (srule.en if language.startswith("en") else srule.fr) if srule else "",
            "problem": (by_target.get(f"f{i}-s{j}-v") or []) + (by_target.get(f"f{i}-s{j}-c") or []),
        })  # fmt: skip
    return view


def _preview(marc: dict[str, Any], flavour: str) -> dict[str, Any]:
    try:
        x = extract(marc, flavour)
    except Exception:  # a half-typed record must not break the page  # noqa: BLE001
        return {}
    return {"title": x.title, "subtitle": x.subtitle, "responsibility": x.responsibility,
            "authors": x.authors, "publisher": x.publisher, "year": x.year, "isbns": x.isbns,
            "subjects": x.subjects, "doc_type": DocType(x.doc_type).label if x.doc_type in DocType.values else x.doc_type}  # fmt: skip


def _render_editor(request: HttpRequest, draft: Draft, *, record: Record | None,
                   problems: list[Problem] | None = None, focus: str = "",
                   expected_hash: str = "", source: str = "", status: int = 200,
                   action: str = "") -> HttpResponse:  # fmt: skip
    language = get_language() or "fr"
    rules = format_rules(draft.flavour)
    marc, origin = marc_from_draft(draft)
    if problems is None:
        problems = [p for p in check_record(marc, draft.flavour) if p.severity == "warning"]
    placed = _place(problems, origin, draft)
    summary = [s for group in placed.values() for s in group if s.severity == "error"]
    context = {
        "record": record, "draft": draft, "rules": rules,
        "flavour_label": MarcFlavour(draft.flavour).label,
        "leader_rows": _position_rows(rules.leader, draft.leader, "leader", placed.get("leader", []), language),
        "fixed_rows": _position_rows(rules.fixed.positions, draft.fixed, "fixed", placed.get("fixed", []), language),
        "fixed_label": rules.fixed.en if language.startswith("en") else rules.fixed.fr,
        "fixed_problems": placed.get("fixed", []),
        "leader_problems": placed.get("leader", []),
        "record_problems": placed.get("record", []),
        "rows": [_row_view(i, r, rules, placed.get(f"f{i}", []), language) for i, r in enumerate(draft.rows)],
        "summary": summary, "focus": focus, "expected_hash": expected_hash, "source": source,
        "fixed_other": json.dumps(draft.fixed_other), "marc_lines": marc_lines(marc),
        "preview": _preview(marc, draft.flavour),
        "action": action or request.path,
    }  # fmt: skip
    return render(request, "staff/catalogue/editor.html", context, status=status)


def _actor(request: HttpRequest) -> Actor:
    return Actor.staff(request.user)


def _handle_post(request: HttpRequest, *, record: Record | None) -> HttpResponse:
    flavour = record.flavour if record else request.POST.get("flavour", "")
    if flavour not in MarcFlavour.values:
        messages.error(request, _("Format MARC inconnu."))
        return redirect("staff:catalogue_record_new")
    draft = draft_from_post(request.POST, flavour)
    op = request.POST.get("op", "")
    expected = request.POST.get("expected_hash", "")
    source = request.POST.get("source", "")[:255]
    if op and op != "save":
        focus = apply_op(draft, op, request.POST)
        return _render_editor(request, draft, record=record, focus=focus,
                              expected_hash=expected, source=source)  # fmt: skip
    marc, _origin = marc_from_draft(draft)
    try:
        if record is None:
            saved = editing.record_create(marc=marc, flavour=flavour, actor=_actor(request),
                                          now=clock.now(), source=source)  # fmt: skip
        else:
            saved = editing.record_update(record=record, marc=marc, actor=_actor(request),
                                          now=clock.now(), expected_hash=expected or None)  # fmt: skip
    except editing.RecordInvalid as exc:
        return _render_editor(request, draft, record=record, problems=exc.problems,
                              focus="summary", expected_hash=expected, source=source, status=400)  # fmt: skip
    except editing.RecordEditConflict:
        messages.error(request, _("Quelqu'un a enregistré cette notice pendant que vous la modifiiez : "
                                  "vos changements n'ont pas été enregistrés. Voici la notice à jour."))  # fmt: skip
        return redirect("staff:catalogue_record_edit", pk=record.pk if record else 0)
    except NotCataloguer as exc:
        messages.error(request, exc.message)
        return redirect("staff:catalogue_search")
    if record is None:
        messages.success(request, _("Notice « %(title)s » créée.") % {"title": saved.record.title})
    else:
        messages.success(
            request, _("Notice enregistrée (version %(n)s).") % {"n": saved.version.number}
        )
    for warning in saved.warnings:
        messages.warning(request, f"{warning.tag} : {problem_text(warning)}")
    return redirect("staff:catalogue_record", pk=saved.record.pk)


class NewRecordForm(forms.Form):
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=MarcFlavour.choices)
    type = forms.ChoiceField(
        label=gettext_lazy("Type de document"),
        choices=[(t, DocType(t).label) for t in TEMPLATE_DOC_TYPES],
    )


@librarian_required
def record_new(request: HttpRequest) -> HttpResponse:
    """A new record: first the format and document type, then the editor on that template."""
    if request.method == "POST":
        return _handle_post(request, record=None)
    form = NewRecordForm(request.GET or None)
    if request.GET and form.is_valid():
        flavour, doc_type = form.cleaned_data["format"], form.cleaned_data["type"]
        draft = draft_from_marc(template_record(flavour, doc_type, today=_today()), flavour)
        return _render_editor(request, draft, record=None, focus="")
    return render(request, "staff/catalogue/record_new.html", {"form": form},
                  status=400 if form.errors else 200)  # fmt: skip


@librarian_required
def record_edit(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(Record, pk=pk)
    if request.method == "POST":
        return _handle_post(request, record=record)
    return _render_editor(request, draft_from_marc(record.marc, record.flavour), record=record,
                          expected_hash=record.marc_hash)  # fmt: skip


@librarian_required
def record_history(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(Record, pk=pk)
    versions = editing.record_versions(record)
    shown = None
    number = request.GET.get("version", "")
    if number.isdigit():
        shown = next((v for v in versions if v.number == int(number)), None)
    return render(request, "staff/catalogue/history.html", {
        "record": record, "versions": versions, "shown": shown,
        "shown_lines": marc_lines(shown.marc) if shown else [],
    })  # fmt: skip


@librarian_required
@require_POST
def record_restore(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(Record, pk=pk)
    number = request.POST.get("version", "")
    try:
        saved = editing.record_restore(record=record, number=int(number) if number.isdigit() else 0,
                                       actor=_actor(request), now=clock.now())  # fmt: skip
    except editing.VersionNotFound:
        messages.error(request, _("Cette version n'existe pas."))
    except editing.RecordInvalid as exc:
        messages.error(request, _("Cette version ne respecte plus les règles du format : %(problems)s")
                       % {"problems": " ; ".join(problem_text(p) for p in exc.problems)})  # fmt: skip
    except NotCataloguer as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Version %(old)s restaurée (nouvelle version %(new)s).")
                         % {"old": number, "new": saved.version.number})  # fmt: skip
    return redirect("staff:catalogue_record_history", pk=record.pk)


# --- copy cataloguing -----------------------------------------------------------------------


class RemoteSearchForm(forms.Form):
    target = forms.ModelChoiceField(label=gettext_lazy("Catalogue"), empty_label=None,
                                    queryset=RemoteTarget.objects.filter(is_active=True))  # fmt: skip
    kind = forms.ChoiceField(label=gettext_lazy("Chercher par"), choices=[
        ("isbn", gettext_lazy("ISBN ou EAN")), ("title", gettext_lazy("Titre")),
        ("author", gettext_lazy("Auteur"))])  # fmt: skip
    q = forms.CharField(label=gettext_lazy("Recherche"), max_length=200)


@librarian_required
def copy_search(request: HttpRequest) -> HttpResponse:
    """Search a remote catalogue; each result shows beside it the local record it matches."""
    form = RemoteSearchForm(request.GET or None)
    results: list[dict[str, Any]] = []
    failure = ""
    total = None
    if request.GET and form.is_valid():
        target = form.cleaned_data["target"]
        try:
            found = copycat.remote_search(target=target, kind=form.cleaned_data["kind"],
                                          term=form.cleaned_data["q"])  # fmt: skip
        except copycat.RemoteSearchFailed as exc:
            failure = str(REMOTE_FAILURES.get(exc.code, REMOTE_FAILURES["unreachable"])) % {
                "target": target.name, "detail": exc.context.get("detail", "")}  # fmt: skip
        else:
            total = found.total
            for n, (remote, local) in enumerate(
                zip(found.records, copycat.local_matches(found.records), strict=True)
            ):
                results.append({"n": n + 1, "remote": remote, "local": local,
                                "remote_lines": marc_lines(remote.marc),
                                "local_lines": marc_lines(local.marc) if local else [],
                                "marc_json": json.dumps(remote.marc, ensure_ascii=False),
                                "source": target.name})  # fmt: skip
    return render(request, "staff/catalogue/copy_search.html", {
        "form": form, "results": results, "failure": failure, "total": total,
        "has_targets": RemoteTarget.objects.filter(is_active=True).exists(),
    }, status=400 if form.errors or failure else 200)  # fmt: skip


def _well_formed(marc: Any) -> bool:
    """Whether posted JSON has the MARC-in-JSON shape (the editor trusts nothing else)."""
    if not isinstance(marc, dict) or not isinstance(marc.get("leader"), str):
        return False
    fields = marc.get("fields")
    if not isinstance(fields, list) or len(fields) > MAX_FIELDS:
        return False
    for f in fields:
        if not isinstance(f, dict) or len(f) != 1:
            return False
        ((tag, value),) = f.items()
        if not isinstance(tag, str) or isinstance(value, str):
            continue
        if not isinstance(value, dict) or not isinstance(value.get("subfields"), list):
            return False
        if not all(isinstance(value.get(k, " "), str) for k in ("ind1", "ind2")):
            return False
        for sub in value["subfields"]:
            if not isinstance(sub, dict) or len(sub) != 1:
                return False
            ((code, text),) = sub.items()
            if not isinstance(code, str) or not isinstance(text, str):
                return False
    return True


def _posted_marc(request: HttpRequest) -> tuple[dict[str, Any], str] | None:
    try:
        marc = json.loads(request.POST.get("marc", ""))
    except ValueError:
        return None
    if not _well_formed(marc):
        return None
    flavour = request.POST.get("flavour", "")
    if flavour not in MarcFlavour.values:
        return None
    return marc, flavour


@librarian_required
@require_POST
def copy_to_editor(request: HttpRequest) -> HttpResponse:
    """Open a remote record in the editor as a new record (saved only by "Enregistrer")."""
    posted = _posted_marc(request)
    if posted is None:
        messages.error(request, _("Notice distante illisible."))
        return redirect("staff:catalogue_copy")
    marc, flavour = posted
    return _render_editor(request, draft_from_marc(marc, flavour), record=None,
                          source=request.POST.get("source", "")[:255],
                          action=reverse("staff:catalogue_record_new"))  # fmt: skip


@librarian_required
@require_POST
def record_overlay(request: HttpRequest, pk: int) -> HttpResponse:
    """Replace the local record's description by the remote one; its copies stay."""
    record = get_object_or_404(Record, pk=pk)
    posted = _posted_marc(request)
    if posted is None:
        messages.error(request, _("Notice distante illisible."))
        return redirect("staff:catalogue_record", pk=record.pk)
    marc, flavour = posted
    try:
        saved = editing.record_overlay(record=record, marc=marc, flavour=flavour,
                                       source=request.POST.get("source", "")[:255],
                                       actor=_actor(request), now=clock.now())  # fmt: skip
    except editing.RecordInvalid as exc:
        messages.error(request, _("La notice distante ne peut pas remplacer celle-ci : %(problems)s")
                       % {"problems": " ; ".join(f"{p.tag} {problem_text(p)}" for p in exc.problems)})  # fmt: skip
        return redirect("staff:catalogue_record", pk=record.pk)
    except NotCataloguer as exc:
        messages.error(request, exc.message)
        return redirect("staff:catalogue_record", pk=record.pk)
    messages.success(request, _("Notice remplacée par celle de %(source)s ; ses exemplaires sont gardés (version %(n)s).")
                     % {"source": saved.version.source, "n": saved.version.number})  # fmt: skip
    return redirect("staff:catalogue_record", pk=record.pk)
