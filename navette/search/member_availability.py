"""Member libraries' copies on the shelf or not, asked of the member's own system.

A member library whose catalogue is harvested (``catalogue.HarvestSource``) with live
availability answers SIP2 Item Information (17) for each copy's barcode. Asking takes
network time a results page must never wait for, so:

- ``known_states`` reads only what was asked in the last
  ``NAVETTE_MEMBER_AVAILABILITY_CACHE_SECONDS`` (no I/O): the results page and the record
  page render with it at once;
- ``live_states`` asks what is missing, one task per member and connection of its pool, on
  a bounded thread pool, each
  answer within ``NAVETTE_MEMBER_AVAILABILITY_TIMEOUT``, the whole within
  ``NAVETTE_MEMBER_AVAILABILITY_BUDGET``; what has not come by then is "unknown" (the page
  links to the member's catalogue), and a late answer still fills the cache for the next
  page. A member that did not answer is left alone for ``NAVETTE_MEMBER_DOWN_SECONDS``.

The portal fetches the live part with htmx after the page is shown. States are codes
(``CopyState``); the portal words them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings

from navette.catalogue.selectors import MemberCopy
from navette.core import clock
from navette.network.connectors.sip2 import (
    CirculationStatus,
    ItemAnswer,
    Sip2Endpoint,
    Sip2Error,
    Sip2Failure,
    client_for,
)
from navette.network.models import MemberSystem

log = logging.getLogger("navette.search.members")


class CopyState(StrEnum):
    AVAILABLE = "available"
    ON_LOAN = "on_loan"
    UNAVAILABLE = "unavailable"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class LiveState:
    state: CopyState
    due_on: dt.date | None = None


UNKNOWN = LiveState(CopyState.UNKNOWN)


class MemberUnreachable(OSError):
    """The member's system cannot be reached (down, refusing, too slow)."""


#: member libraries (ids) -> how to reach their SIP2 servers (those that have one)
EndpointLookup = Callable[[set[int]], dict[int, Sip2Endpoint]]


def member_endpoints(library_ids: set[int]) -> dict[int, Sip2Endpoint]:
    """The SIP2 servers of these member libraries, from their connector settings (one
    query)."""
    systems = MemberSystem.objects.filter(
        library_id__in=library_ids, is_active=True, sip2_port__isnull=False
    ).exclude(sip2_host="")
    return {system.library_id: system.sip2_endpoint() for system in systems}


_lookup: list[EndpointLookup] = [member_endpoints]


def set_endpoint_lookup(lookup: EndpointLookup | None) -> None:
    """Say where member libraries' SIP2 servers are (tests; None: their connector
    settings)."""
    _lookup[:] = [lookup or member_endpoints]


#: SIP2 circulation statuses that mean "on loan" (the due date in AH)
ON_LOAN_STATUSES = frozenset({CirculationStatus.CHARGED, CirculationStatus.CHARGED_RECALLED,
                              CirculationStatus.RECALLED})  # fmt: skip
#: failures that say the member is not there (others concern one copy)
UNREACHABLE = frozenset({Sip2Failure.DOWN, Sip2Failure.REFUSED, Sip2Failure.LOGIN_REFUSED,
                         Sip2Failure.TIMEOUT})  # fmt: skip


def state_of(answer: ItemAnswer) -> LiveState:
    """A SIP2 Item Information answer as a copy state."""
    if not answer.known:
        return UNKNOWN
    if answer.status == CirculationStatus.AVAILABLE:
        return LiveState(CopyState.AVAILABLE)
    if answer.status in ON_LOAN_STATUSES:
        return LiveState(CopyState.ON_LOAN, answer.due_on)
    return LiveState(CopyState.UNAVAILABLE)


def sip2_states(
    library_id: int, endpoint: Sip2Endpoint, barcodes: list[str], timeout: float
) -> dict[str, LiveState]:
    """Ask a member's SIP2 server (Item Information, 17) about each barcode, on a pool of
    connections of its own (not the one patron logins use), every wait within ``timeout``.
    Raises ``MemberUnreachable`` when the member cannot be reached; stops early (what was
    answered is returned) when its connections are all busy."""
    endpoint = dataclasses.replace(
        endpoint,
        connect_timeout=min(endpoint.connect_timeout, timeout),
        read_timeout=min(endpoint.read_timeout, timeout),
    )
    client = client_for(f"availability:{library_id}", endpoint)
    out: dict[str, LiveState] = {}
    now = clock.now()
    for barcode in barcodes:
        try:
            out[barcode] = state_of(client.item_information(barcode, now=now))
        except Sip2Error as exc:
            if exc.failure in UNREACHABLE:
                raise MemberUnreachable(str(exc)) from exc
            if exc.failure == Sip2Failure.BUSY:
                break
            out[barcode] = UNKNOWN
    return out


class _Cache:
    """(library id, barcode) -> state, for a while; and members that did not answer."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.states: dict[tuple[int, str], tuple[float, LiveState]] = {}
        self.down: dict[int, float] = {}

    def get(self, library_id: int, barcode: str, now: float) -> LiveState | None:
        with self.lock:
            found = self.states.get((library_id, barcode))
        if found is None or found[0] < now:
            return None
        return found[1]

    def put(self, library_id: int, answers: dict[str, LiveState], now: float) -> None:
        until = now + settings.NAVETTE_MEMBER_AVAILABILITY_CACHE_SECONDS
        with self.lock:
            for barcode, state in answers.items():
                self.states[(library_id, barcode)] = (until, state)
            if len(self.states) > 100_000:  # never grows without bound: drop the expired
                self.states = {k: v for k, v in self.states.items() if v[0] >= now}

    def mark_down(self, library_id: int, now: float) -> None:
        with self.lock:
            self.down[library_id] = now + settings.NAVETTE_MEMBER_DOWN_SECONDS

    def is_down(self, library_id: int, now: float) -> bool:
        with self.lock:
            return self.down.get(library_id, 0.0) > now

    def clear(self) -> None:
        with self.lock:
            self.states.clear()
            self.down.clear()


_cache = _Cache()
_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="navette-member-availability")
#: (library id, barcodes) being asked now: a second page asking the same waits for that task
_inflight: dict[tuple[int, tuple[str, ...]], Future[dict[str, LiveState]]] = {}
_inflight_lock = threading.Lock()


def forget() -> None:
    """Empty the cache (tests; a restart does it too)."""
    _cache.clear()


def known_states(copies: Iterable[MemberCopy]) -> dict[int, LiveState | None]:
    """Holding id -> the state asked recently, or None when it is to be asked (a member with
    live availability) ; UNKNOWN for copies of members that are not asked. No I/O."""
    now = time.monotonic()
    out: dict[int, LiveState | None] = {}
    for copy in copies:
        if not copy.live or not copy.barcode:
            out[copy.holding_id] = UNKNOWN
        else:
            out[copy.holding_id] = _cache.get(copy.library.pk, copy.barcode, now)
    return out


def needs_asking(copies: Iterable[MemberCopy]) -> bool:
    return any(state is None for state in known_states(copies).values())


def _ask(
    library_id: int, barcodes: tuple[str, ...], endpoint: Sip2Endpoint
) -> dict[str, LiveState]:
    """One member asked (in a pool thread, which never touches the database); answers
    cached; the member marked down when it cannot be reached."""
    try:
        answers = sip2_states(
            library_id, endpoint, list(barcodes), settings.NAVETTE_MEMBER_AVAILABILITY_TIMEOUT
        )
        _cache.put(library_id, answers, time.monotonic())
        return answers
    except OSError as exc:
        log.info("member library %s did not answer: %s", library_id, exc)
        _cache.mark_down(library_id, time.monotonic())
        return {}
    finally:
        with _inflight_lock:
            _inflight.pop((library_id, barcodes), None)


def live_states(copies: list[MemberCopy], budget: float | None = None) -> dict[int, LiveState]:
    """Holding id -> state: from the cache, else asked of the members in parallel within
    ``budget`` seconds (``NAVETTE_MEMBER_AVAILABILITY_BUDGET``); UNKNOWN for what has not
    come by then (it keeps coming in the background, for the next page)."""
    budget = settings.NAVETTE_MEMBER_AVAILABILITY_BUDGET if budget is None else budget
    now = time.monotonic()
    known = known_states(copies)
    missing: dict[int, set[str]] = defaultdict(set)
    for copy in copies:
        if known[copy.holding_id] is None and not _cache.is_down(copy.library.pk, now):
            missing[copy.library.pk].add(copy.barcode)
    # one task per member and connection of its pool (SIP2 asks one copy at a time on a
    # connection): a member's copies are asked over its connections side by side
    futures: dict[int, list[Future[dict[str, LiveState]]]] = defaultdict(list)
    endpoints = _lookup[0](set(missing)) if missing else {}
    for library_id, barcodes in missing.items():
        endpoint = endpoints.get(library_id)
        if endpoint is None:
            continue  # no SIP2 server known for this member: not known
        ordered = sorted(barcodes)
        lanes = max(1, min(endpoint.pool_size, len(ordered)))
        for lane in range(lanes):
            key = (library_id, tuple(ordered[lane::lanes]))
            with _inflight_lock:
                future = _inflight.get(key)
                if future is None:
                    future = _inflight[key] = _pool.submit(_ask, *key, endpoint)
            futures[library_id].append(future)
    if futures:
        wait([f for fs in futures.values() for f in fs], timeout=budget)
    answers: dict[int, dict[str, LiveState]] = defaultdict(dict)
    for library_id, fs in futures.items():
        for future in fs:
            if future.done() and not future.cancelled():
                answers[library_id].update(future.result())
    out: dict[int, LiveState] = {}
    for copy in copies:
        state = known[copy.holding_id] or answers[copy.library.pk].get(copy.barcode)
        out[copy.holding_id] = state or UNKNOWN
    return out


def library_state(states: Iterable[LiveState]) -> LiveState:
    """What a member library's copies of a record say together: available if one is, else
    on loan (the earliest return) if one is, else unavailable if one is known, else
    unknown."""
    states = list(states)
    if any(s.state == CopyState.AVAILABLE for s in states):
        return LiveState(CopyState.AVAILABLE)
    loans = [s for s in states if s.state == CopyState.ON_LOAN]
    if loans:
        dues = [s.due_on for s in loans if s.due_on is not None]
        return LiveState(CopyState.ON_LOAN, min(dues) if dues else None)
    if any(s.state == CopyState.UNAVAILABLE for s in states):
        return LiveState(CopyState.UNAVAILABLE)
    return UNKNOWN
