"""Going live, for network administrators: the runs of ``navette import-network``, their
progress, what they would do or did, the conflicts to clear and the possible duplicate
patrons, merged or kept apart on the administrator's decision."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from navette.core import clock
from navette.core.actors import Actor
from navette.core.csvexport import csv_writer
from navette.core.errors import DomainError
from navette.golive import selectors
from navette.golive.models import ImportIssue, ImportRun, IssueKind
from navette.golive.services import merge_decide, patron_merge
from navette.staff.permissions import network_admin_required

KINDS = ("libraries", "categories", "patrons", "copies", "loans", "holds", "fines", "history")
OUTCOMES = ("created", "updated", "merged", "matched", "unchanged", "rejected")
SHOWN = 200


def kind_labels() -> dict[str, str]:
    return {
        "libraries": _("Bibliothèques"), "categories": _("Catégories de lecteurs"),
        "patrons": _("Lecteurs"), "copies": _("Exemplaires"), "loans": _("Prêts en cours"),
        "holds": _("Réservations"), "fines": _("Amendes"), "history": _("Historique anonyme"),
    }  # fmt: skip


def phase_label(phase: str) -> str:
    """A step of a running import, in words (its batches are named by the file kind)."""
    steps = {
        "merges": _("Lecteurs inscrits deux fois"), "updates": _("Lecteurs mis à jour"),
        "copies-matched": _("Exemplaires retrouvés"), "loans-updated": _("Prêts mis à jour"),
    }  # fmt: skip
    return steps.get(phase) or kind_labels().get(phase, phase)


def outcome_labels() -> list[str]:
    return [_("créés"), _("mis à jour"), _("fusionnés"), _("retrouvés"), _("inchangés"),
            _("rejetés")]  # fmt: skip


def reason_labels() -> dict[str, str]:
    """The stable reason codes of the report, in words (the CSV keeps the codes)."""
    return {
        "missing_value": _("valeur obligatoire absente"),
        "bad_date": _("date illisible"),
        "bad_email": _("courriel invalide"),
        "bad_boolean": _("valeur oui/non illisible"),
        "bad_number": _("nombre illisible"),
        "bad_amount": _("montant illisible ou nul"),
        "bad_record": _("numéro de notice illisible"),
        "unknown_category": _("catégorie inconnue"),
        "unknown_library": _("bibliothèque inconnue"),
        "unknown_status": _("état inconnu"),
        "unknown_action": _("action inconnue"),
        "duplicate_row": _("ligne en double"),
        "card_too_long": _("numéro de carte trop long"),
        "card_in_two_sources": _("même carte dans deux sources"),
        "patron_two_cards": _("un lecteur avec deux cartes"),
        "same_patron_two_sources": _("même lecteur dans deux sources"),
        "possible_same_patron": _("peut-être le même lecteur"),
        "barcode_in_two_libraries": _("même code-barres dans deux bibliothèques"),
        "copy_missing": _("exemplaire introuvable"),
        "copy_without_record": _("exemplaire sans notice"),
        "record_missing": _("notice introuvable"),
        "patron_missing": _("lecteur introuvable"),
        "copy_already_on_loan": _("exemplaire déjà en prêt"),
        "due_before_loan": _("retour prévu avant le prêt"),
        "hold_duplicate": _("réservation en double"),
        "ready_hold_without_copy": _("réservation disponible sans exemplaire"),
        "ready_hold_copy_taken": _("exemplaire de la réservation déjà pris"),
    }


def _table(run: ImportRun) -> list[tuple[str, list[int]]]:
    labels = kind_labels()
    rows = []
    for kind in KINDS:
        values = [int(run.counts.get(f"{kind}.{o}", 0)) for o in OUTCOMES]
        if any(values):
            rows.append((labels[kind], values))
    return rows


@network_admin_required
def runs(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/golive/runs.html", {"runs": selectors.recent_runs()})


def _labelled(issues: Iterable[ImportIssue]) -> list[ImportIssue]:
    reasons = reason_labels()
    result = list(issues)
    for issue in result:
        issue.label = reasons.get(issue.code, issue.code)  # type: ignore[attr-defined]
    return result


@network_admin_required
def run(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(ImportRun, pk=pk)
    item.phase_label = phase_label(item.phase)  # type: ignore[attr-defined]
    candidates = selectors.run_candidates(item, SHOWN)
    _labelled(c.issue for c in candidates)
    return render(request, "staff/golive/run.html", {
        "run": item, "table": _table(item), "outcomes": outcome_labels(),
        "phases": kind_labels(), "issue_counts": selectors.run_issue_counts(item),
        "conflicts": _labelled(selectors.run_issues(item, IssueKind.CONFLICT)[:SHOWN]),
        "rejects": _labelled(selectors.run_issues(item, IssueKind.REJECT)[:SHOWN]),
        "candidates": candidates, "shown": SHOWN,
    })  # fmt: skip


@network_admin_required
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress of a run, polled by the run's page while it runs."""
    item = get_object_or_404(ImportRun, pk=pk)
    item.phase_label = phase_label(item.phase)  # type: ignore[attr-defined]
    return render(request, "staff/golive/_progress.html", {"run": item})


@network_admin_required
def run_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    item = get_object_or_404(ImportRun, pk=pk)

    class Echo:
        def write(self, value: str) -> str:
            return value

    out = csv_writer(Echo())
    labels = dict(IssueKind.choices)

    def lines() -> Iterator[str]:
        yield out.writerow([_("type"), _("fichier"), _("ligne"), _("motif"), _("détail")])
        for issue in item.issues.all().iterator(chunk_size=2000):
            yield out.writerow([labels.get(issue.kind, issue.kind), issue.file, issue.line,
                                issue.code, issue.detail])  # fmt: skip

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-reseau-{item.pk}.csv"'
    return response


@require_POST
@network_admin_required
def decide(request: HttpRequest, pk: int, issue_pk: int) -> HttpResponse:
    """Merge the two patrons of a possible duplicate (at once when both are in, else at
    the next apply) or keep them apart."""
    issue = get_object_or_404(ImportIssue, pk=issue_pk, run_id=pk, kind=IssueKind.CANDIDATE)
    merge = request.POST.get("decision") == "merge"
    actor, now = Actor.staff(request.user), clock.now()
    d = issue.data
    try:
        merge_decide(source_a=d["source_a"], card_a=d["card_a"], source_b=d["source_b"],
                     card_b=d["card_b"], merge=merge, actor=actor, now=now)  # fmt: skip
        candidate = next(
            (c for c in selectors.run_candidates(issue.run) if c.issue.pk == issue.pk), None
        )
        if merge and candidate is not None and candidate.both_in:
            assert candidate.patron_a is not None and candidate.patron_b is not None
            patron_merge(keep=candidate.patron_a, other=candidate.patron_b, actor=actor, now=now)
            messages.success(request, _("Lecteurs fusionnés : la carte %(card)s reste valable.")
                             % {"card": d["card_b"]})  # fmt: skip
        elif merge:
            messages.success(request, _("Ces deux cartes seront fusionnées à la prochaine "
                                        "application de l'import."))  # fmt: skip
        else:
            messages.success(request, _("Ces deux lecteurs resteront distincts."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("staff:golive_run", pk=pk)
