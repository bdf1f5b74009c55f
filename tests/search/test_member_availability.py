"""Member libraries' copies asked live over SIP2 (Item Information), against real SIP2 peers
on the loopback: a slow member never holds a page past the budget and its late answers fill
the cache; a member that is down is left alone for a while; the answers' codes map to
states."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest

from navette.catalogue.selectors import MemberCopy
from navette.network.connectors.sip2 import ItemAnswer, Sip2Endpoint, close_all_clients
from navette.search import member_availability as members
from navette.search.member_availability import CopyState, LiveState
from tests.network.factories import make_library
from tests.network.sip2_peers import Peer, framed, free_port, login_then, sequence_of

T = "20261206    101500"


def item_reply(frame: bytes) -> bytes:
    """18: barcodes ending in 1 on the shelf, in 2 on loan until 15 January 2027, in 3 lost,
    others unknown."""
    barcode = frame.split(b"|AB", 1)[1].split(b"|", 1)[0].decode()
    status = {"1": "03", "2": "04", "3": "12"}.get(barcode[-1], "01")
    due = "|AH20270115    235900" if status == "04" else ""
    title = "" if status == "01" else "Un titre"  # a barcode the member does not hold
    return framed(f"18{status}0201{T}|AB{barcode}|AJ{title}{due}|", sequence_of(frame))


@pytest.fixture
def library(db):
    return make_library(code="lys", name="Médiathèque", commune="Lys-lez-Lannoy")


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    members.forget()
    yield
    members.set_endpoint_lookup(None)
    members.forget()
    close_all_clients()


def copies(library, barcodes: list[str]) -> list[MemberCopy]:
    return [
        MemberCopy(n, 1, library, 1, b, "R", "", True, "https://lys.example/1")
        for n, b in enumerate(barcodes)
    ]


def use(port: int, pool_size: int = 2) -> None:
    endpoint = Sip2Endpoint(host="127.0.0.1", port=port, login_user="portail",
                            login_password="x", pool_size=pool_size)  # fmt: skip
    members.set_endpoint_lookup(lambda ids: dict.fromkeys(ids, endpoint))


def test_answers_mapped_and_cached(library, settings):
    """Available, on loan with its return date, lost (unavailable), unknown barcode; asked
    once: the second read comes from the cache without asking the member."""
    asked: list[bytes] = []

    def reply(frame: bytes) -> bytes:
        asked.append(frame)
        return item_reply(frame)

    with Peer(login_then(reply)) as peer:
        use(peer.port)
        held = copies(library, ["A1", "A2", "A3", "A9"])
        assert members.known_states(held) == dict.fromkeys(range(4))
        states = members.live_states(held, budget=5)
        assert states == {
            0: LiveState(CopyState.AVAILABLE),
            1: LiveState(CopyState.ON_LOAN, dt.date(2027, 1, 15)),
            2: LiveState(CopyState.UNAVAILABLE),
            3: members.UNKNOWN,
        }
        assert len(asked) == 4
        assert members.live_states(held, budget=5) == states
        assert len(asked) == 4
        assert members.known_states(held) == states


def test_slow_member_bounded_by_the_budget_and_late_answers_cached(library, settings):
    """Each answer 0.4 s late, six copies over two connections (1.2 s): the call returns
    within the 0.5 s budget with what came (not everything), and the answers that come after
    fill the cache for the next page."""
    settings.NAVETTE_MEMBER_AVAILABILITY_TIMEOUT = 2.0
    with Peer(login_then(item_reply, delay=0.4)) as peer:
        use(peer.port, pool_size=2)
        held = copies(library, [f"S{n}1" for n in range(6)])
        started = time.monotonic()
        states = members.live_states(held, budget=0.5)
        assert time.monotonic() - started < 0.9
        assert list(states.values()).count(members.UNKNOWN) >= 2
        deadline = time.monotonic() + 5
        while None in members.known_states(held).values() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert set(members.known_states(held).values()) == {LiveState(CopyState.AVAILABLE)}


def test_member_down_is_left_alone(library, settings):
    """A member whose port does not answer: unknown at once, and not tried again for
    NAVETTE_MEMBER_DOWN_SECONDS (no connection attempted: the next call is immediate)."""
    settings.NAVETTE_MEMBER_DOWN_SECONDS = 30
    use(free_port())
    held = copies(library, ["D1", "D2"])
    assert set(members.live_states(held, budget=2).values()) == {members.UNKNOWN}
    tried: list[set[int]] = []
    members.set_endpoint_lookup(lambda ids: tried.append(ids) or {})
    assert set(members.live_states(held, budget=2).values()) == {members.UNKNOWN}
    assert tried == []  # the member is down: not even looked up


def test_copies_of_members_without_live_availability_are_never_asked(library):
    """A member shown by a link only (no live availability): unknown, no request."""
    members.set_endpoint_lookup(lambda ids: pytest.fail("asked"))  # type: ignore[arg-type,return-value]
    held = [MemberCopy(1, 1, library, 1, "X1", "", "", False, "https://lys.example/1")]
    assert members.known_states(held) == {1: members.UNKNOWN}
    assert members.live_states(held) == {1: members.UNKNOWN}


@pytest.mark.parametrize(
    ("status", "known", "expected"),
    [
        ("03", True, CopyState.AVAILABLE),
        ("04", True, CopyState.ON_LOAN),
        ("05", True, CopyState.ON_LOAN),
        ("07", True, CopyState.ON_LOAN),
        ("08", True, CopyState.UNAVAILABLE),
        ("10", True, CopyState.UNAVAILABLE),
        ("13", True, CopyState.UNAVAILABLE),
        ("03", False, CopyState.UNKNOWN),
    ],
)
def test_circulation_status_to_state(status, known, expected):
    answer = ItemAnswer(barcode="B", known=known, status=status)
    assert members.state_of(answer).state == expected
