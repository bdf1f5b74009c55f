"""What the staff pages read of the go-live runs."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from navette.golive.models import ImportIssue, ImportRun, IssueKind, MergeDecision, SourceKey
from navette.patrons.models import Patron


def recent_runs(limit: int = 20) -> list[ImportRun]:
    return list(ImportRun.objects.all()[:limit])


def run_issue_counts(run: ImportRun) -> dict[str, int]:
    return dict(run.issues.values("kind").annotate(n=Count("pk")).values_list("kind", "n"))


def run_issues(run: ImportRun, kind: str) -> QuerySet[ImportIssue]:
    return run.issues.filter(kind=kind)


@dataclass(frozen=True)
class Candidate:
    """Two cards that may be one person, with what is known of each and any decision."""

    issue: ImportIssue
    patron_a: Patron | None
    patron_b: Patron | None
    decision: bool | None

    @property
    def both_in(self) -> bool:
        return (self.patron_a is not None and self.patron_b is not None
                and self.patron_a.pk != self.patron_b.pk)  # fmt: skip

    @property
    def merged(self) -> bool:
        return self.patron_a is not None and self.patron_a == self.patron_b


def _patron(source: str, card: str) -> Patron | None:
    target = (SourceKey.objects.filter(source=source, kind="patron", key=card)
              .values_list("target_id", flat=True).first())  # fmt: skip
    if target is None:
        return None
    return Patron.objects.filter(pk=target).first()


def run_candidates(run: ImportRun, limit: int = 200) -> list[Candidate]:
    """The possible duplicates a run found, each with the patrons the two cards are now
    (both None before an apply) and the decision recorded for them."""
    result = []
    for issue in run.issues.filter(kind=IssueKind.CANDIDATE)[:limit]:
        d = issue.data
        if not d.get("card_a") or not d.get("card_b"):
            continue
        decision = (
            MergeDecision.objects.filter(source_a=d["source_a"], card_a=d["card_a"],
                                         source_b=d["source_b"], card_b=d["card_b"])
            .values_list("merge", flat=True).first()
        )  # fmt: skip
        result.append(Candidate(issue, _patron(d["source_a"], d["card_a"]),
                                _patron(d["source_b"], d["card_b"]), decision))  # fmt: skip
    return result
