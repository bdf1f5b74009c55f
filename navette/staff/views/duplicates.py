"""The shared catalogue's duplicates: the review list, two records side by side, merge,
"not a duplicate", and the recent merges with their undo."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from navette.catalogue import selectors
from navette.catalogue.models import DuplicateKeyKind, Record, RecordMerge
from navette.circulation.selectors import record_hold_queue
from navette.core import clock
from navette.core.actors import Actor
from navette.desk.records import (
    desk_duplicates_scan,
    desk_record_merge,
    desk_record_merge_undo,
    desk_records_distinct,
)
from navette.staff.outcomes import say
from navette.staff.permissions import cataloguer_required

PER_PAGE = 25


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() else 1


@cataloguer_required
def duplicates(request: HttpRequest) -> HttpResponse:
    page = _page_number(request)
    pairs, total = selectors.duplicate_pairs(offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    records = Record.objects.only("title", "year", "authors", "doc_type").in_bulk(
        {p.first_id for p in pairs} | {p.second_id for p in pairs}
    )
    labels = dict(DuplicateKeyKind.choices)
    rows = [
        {"pair": p, "first": records[p.first_id], "second": records[p.second_id],
         "kinds": [labels.get(k, k) for k in p.kinds]}
        for p in pairs if p.first_id in records and p.second_id in records
    ]  # fmt: skip
    pages = max(1, -(-total // PER_PAGE))
    return render(request, "staff/catalogue/duplicates.html", {
        "rows": rows, "total": total, "page": page, "pages": pages,
        "previous": page - 1 if page > 1 else None, "next": page + 1 if page < pages else None,
        "merges": selectors.recent_merges(10), "scan": selectors.last_duplicates_scan(),
    })  # fmt: skip


@cataloguer_required
@require_POST
def duplicates_scan(request: HttpRequest) -> HttpResponse:
    say(request, desk_duplicates_scan(actor=Actor.staff(request.user), now=clock.now()))
    return redirect("staff:catalogue_duplicates")


@cataloguer_required
def duplicate_pair(request: HttpRequest, first: int, second: int) -> HttpResponse:
    sides = selectors.duplicate_pair_sides(first, second)
    if request.method == "POST":
        actor, now = Actor.staff(request.user), clock.now()
        if sides is None:
            raise Http404
        by_id = {s.record.pk: s.record for s in sides}
        if request.POST.get("action") == "distinct":
            say(request, desk_records_distinct(first=by_id[first], second=by_id[second],
                                               actor=actor, now=now))  # fmt: skip
            return redirect("staff:catalogue_duplicates")
        keep = request.POST.get("garder", "")
        if not keep.isdigit() or int(keep) not in by_id:
            raise Http404
        kept = by_id[int(keep)]
        merged = by_id[second if kept.pk == first else first]
        outcome = desk_record_merge(kept=kept, merged=merged, actor=actor, now=now)
        say(request, outcome)
        if outcome.ok:
            return redirect("staff:catalogue_duplicates")
        return redirect("staff:catalogue_duplicate_pair", first=first, second=second)
    if sides is None:
        raise Http404
    return render(request, "staff/catalogue/duplicate_pair.html", {
        "sides": [{"side": s, "holds": record_hold_queue(s.record)} for s in sides],
        "first": first, "second": second,
    })  # fmt: skip


@cataloguer_required
@require_POST
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    merge = get_object_or_404(RecordMerge, pk=pk)
    say(request, desk_record_merge_undo(merge=merge, actor=Actor.staff(request.user),
                                        now=clock.now()))  # fmt: skip
    return redirect("staff:catalogue_duplicates")
