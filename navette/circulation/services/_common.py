"""Helpers shared by the circulation services. Never open transactions.

Loan rules, circulation settings and library schedules change rarely and are
read by every loan: they are kept in a small in-process cache
(``NAVETTE_CIRCULATION_CACHE_SECONDS``, 1 s by default, 0 disables it). Saving
or deleting a rule, a settings row, an opening period or a closure clears it at
once in this process (and again when the change commits); other processes see
the change within that many seconds.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from navette.catalogue.models import Item
from navette.circulation import store
from navette.circulation.models import (
    CirculationSettings,
    LibraryCirculationSettings,
    LoanRule,
    PenaltyKind,
    ReturnPolicy,
)
from navette.circulation.policies import PatronFacts, Rule, RuleRow, resolve_rule
from navette.core import clock
from navette.core.rows import append as append_row
from navette.network.hours import Schedule
from navette.network.models import Closure, Library, OpeningPeriod
from navette.network.selectors import schedules_for
from navette.patrons.models import Patron
from navette.patrons.pseudonyms import patron_pseudonym
from navette.stats.models import CirculationAction, CirculationFact

T = TypeVar("T")

_cache: dict[tuple[Any, ...], tuple[float, Any]] = {}
_cache_lock = threading.Lock()


def _cache_seconds() -> float:
    return float(django_settings.NAVETTE_CIRCULATION_CACHE_SECONDS)


#: keys being loaded again by some thread (the others keep the value they had meanwhile)
_loading: set[tuple[Any, ...]] = set()


def cached(key: tuple[Any, ...], load: Callable[[], T]) -> T:
    """``load()``, remembered for ``NAVETTE_CIRCULATION_CACHE_SECONDS`` under ``key``.

    When a value expires, one thread loads it again while the process's other threads go
    on with the value it replaces (at most one load at a time per key, not one per thread).
    """
    ttl = _cache_seconds()
    if ttl <= 0:
        return load()
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return cast(T, hit[1])
    if hit is not None:
        with _cache_lock:
            if key in _loading:
                return cast(T, hit[1])
            _loading.add(key)
    try:
        value = load()
        with _cache_lock:
            _cache[key] = (now + ttl, value)
    finally:
        if hit is not None:
            with _cache_lock:
                _loading.discard(key)
    return value


def clear_cache() -> None:
    """Forget cached rules, settings and schedules (this process)."""
    with _cache_lock:
        _cache.clear()
        _loading.clear()


def _changed(**kwargs: Any) -> None:
    clear_cache()
    transaction.on_commit(clear_cache, using=kwargs.get("using"))


for _model in (LoanRule, CirculationSettings, LibraryCirculationSettings, OpeningPeriod, Closure):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"circulation-cache-{_model.__name__}")
    post_delete.connect(
        _changed, sender=_model, dispatch_uid=f"circulation-cache-del-{_model.__name__}"
    )


def network_settings(network_id: int) -> CirculationSettings:
    """The network's settings row (created with defaults when missing); cached: do not modify it."""

    def load() -> CirculationSettings:
        row = CirculationSettings.objects.filter(network_id=network_id).first()
        if row is None:
            row, _ = CirculationSettings.objects.get_or_create(network_id=network_id)
        return row

    return cached(("settings", network_id), load)


def return_policy(library: Library, settings: CirculationSettings) -> str:
    overrides = cached(
        ("return_policies",),
        lambda: dict(
            LibraryCirculationSettings.objects.exclude(return_policy="").values_list(
                "library_id", "return_policy"
            )
        ),
    )
    return overrides.get(library.pk) or settings.return_policy or ReturnPolicy.HOME


def library_schedule(library: Library, today: dt.date) -> Schedule:
    """The library's opening hours and closures from ``today`` on.

    Cached for the whole network at once (three queries), so that a loan at any
    library finds its schedule in the cache.
    """
    if _cache_seconds() <= 0:
        return schedules_for([library], today)[library.pk]

    def load() -> dict[int, Schedule]:
        return schedules_for(list(Library.objects.only("pk")), today)

    schedule = cached(("schedules", today), load).get(library.pk)
    if schedule is None:  # a library created since the cache was filled
        schedule = schedules_for([library], today)[library.pk]
    return schedule


def rule_rows(library_ids: Iterable[int | None]) -> list[RuleRow]:
    """Network rules and the rules of ``library_ids`` (all rules are cached together)."""
    ids = {i for i in library_ids if i is not None}
    return [
        r for r in cached(("rules",), _rule_rows) if r.library_id is None or r.library_id in ids
    ]


def _rule_rows() -> list[RuleRow]:
    rows = LoanRule.objects.all()
    return [
        RuleRow(
            library_id=r.library_id,
            category_id=r.patron_category_id,
            doc_type=r.doc_type,
            loan_days=r.loan_days,
            max_renewals=r.max_renewals,
            renew_when_waiting=r.renew_when_waiting,
            max_loans=r.max_loans,
            holds_allowed=r.holds_allowed,
            max_holds=r.max_holds,
            hold_shelf_days=r.hold_shelf_days,
        )
        for r in rows
    ]


def rule_for(
    rows: list[RuleRow], library_id: int | None, category_id: int | None, doc_type: str
) -> Rule:
    return resolve_rule(rows, library_id=library_id, category_id=category_id, doc_type=doc_type)


@dataclass
class PatronSnapshot:
    facts: PatronFacts
    #: open loans by document type (when asked for)
    open_loans: dict[str, int]
    #: how many holds matched the ``holds`` query (when given)
    holds: int
    #: open loans due before ``overdue_before`` (when given)
    overdue: int = 0
    #: unpaid fines, whatever the network's penalty (when ``fines`` is asked for)
    unpaid_fines_cents: int = 0


def patron_snapshot(
    patron: Patron, settings: CirculationSettings, *, loans: bool = False,
    checkout_item: int | None = None, ready_holds: bool = False,
    overdue_before: dt.date | None = None, fines: bool = False,
) -> PatronSnapshot:  # fmt: skip
    """What the rules need to know about ``patron``, in ONE query (a UNION ALL).

    Open blocks (in the order they were set), unpaid fines when the network fines
    (or ``fines``), and on request the open loans counted by document type, the
    open loans due before ``overdue_before``, and the number of holds that concern
    a check-out of the copy ``checkout_item`` (its trap, whoever it is for, or this
    patron's waiting hold on its title, read in the query) or the patron's holds on the hold shelf
    (``ready_holds``). Call it after taking the locks: it reads the rows the locks
    protect. The query is the circulation store's (``navette.circulation.store``), built
    from the QuerySets once per process.
    """
    found = store.current().patron_snapshot_rows(
        patron.pk, settings, loans=loans, checkout_item=checkout_item, ready_holds=ready_holds,
        overdue_before=overdue_before, fines=fines,
    )  # fmt: skip
    return snapshot_from_rows(patron, settings, found)


def snapshot_from_rows(
    patron: Patron, settings: CirculationSettings, found: list[tuple[Any, ...]]
) -> PatronSnapshot:
    fining = settings.penalty == PenaltyKind.FINE
    blocks = sorted((n, t) for k, t, n in found if k == "b")
    unpaid = sum(n for k, _t, n in found if k == "f")
    return PatronSnapshot(
        facts=PatronFacts(
            membership_expires_on=patron.membership_expires_on,
            suspended_until=patron.suspended_until,
            block_reasons=tuple(t for _n, t in blocks),
            fines_cents=unpaid if fining else 0,
            fines_block_cents=settings.fines_block_cents,
        ),
        open_loans={t: n for k, t, n in found if k == "l"},
        holds=sum(1 for k, *_rest in found if k == "h"),
        overdue=sum(n for k, _t, n in found if k == "o"),
        unpaid_fines_cents=unpaid,
    )


def patron_facts(patron: Patron, settings: CirculationSettings) -> PatronFacts:
    return patron_snapshot(patron, settings).facts


def make_fact(
    *, action: CirculationAction, now: dt.datetime, library_id: int | None, item: Item | None = None,
    doc_type: str = "", patron: Patron | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One anonymous statistics fact, not saved, as ``CirculationFact`` field values: no
    patron, no copy identity; the patron's pseudonym of the year (a keyed hash,
    navette.patrons.pseudonyms) counts distinct borrowers."""
    today = clock.today(now)
    return {
        "day": today,
        "action": action,
        "library_id": library_id,
        "owning_library_id": item.owning_library_id if item is not None else None,
        "doc_type": doc_type or (item.doc_type if item is not None else ""),
        "patron_category": patron.category.code if patron is not None else "",
        "age_band": patron.age_band(today) if patron is not None else "",
        "home_library_id": patron.home_library_id if patron is not None else None,
        "residence": patron.residence if patron is not None else "",
        "borrower": patron_pseudonym(patron.pk if patron is not None else None, today),
    }


def record_fact(
    *, action: CirculationAction, now: dt.datetime, library_id: int | None, item: Item | None = None,
    doc_type: str = "", patron: Patron | None = None,
) -> None:  # fmt: skip
    """Append one anonymous statistics fact: no patron, no copy identity."""
    append_row(
        CirculationFact,
        make_fact(action=action, now=now, library_id=library_id, item=item, doc_type=doc_type,
                  patron=patron),
    )  # fmt: skip
