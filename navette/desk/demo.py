"""Demo: a year of life at the desks of the network, so that statistics, the staff home and
the patrons' histories look lived-in.

Every day of the last twelve months (Sundays closed), through the services and with the
clock moved to that day: new patrons register, patrons borrow, renew and return (some
late), place holds on titles out on loan, collect them from the hold shelf (the navette
bringing them from library to library), watch films paid in tokens, and storytimes are
held with families registered. No row is written directly. Then the statistics are rolled
up to yesterday.

Runs after every other demo step (the desk's day at Lens included: copies and titles it
uses are left alone). Idempotent: a database that already has loans from a year ago is
left as it is. ``NAVETTE_DEMO_DAILY_LOANS`` sets the pace (the quick-start test lowers it).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from navette.catalogue.models import Item, ItemStatus
from navette.circulation.models import Hold, Loan, Transit
from navette.circulation.models.loans import ACTIVE_HOLD_STATUSES, HoldStatus, TransitStatus
from navette.circulation.services import (
    hold_cancel,
    hold_expire,
    hold_place,
    loan_checkin,
    loan_checkout,
    loan_renew,
)
from navette.circulation.services.transits import transit_receive
from navette.core import clock
from navette.core.actors import Actor
from navette.core.errors import DomainError
from navette.digital.models import VendorTitle
from navette.digital.services import tokens_spend
from navette.events.models import Audience, Theme
from navette.events.services import event_create, registration_create
from navette.network.models import Library
from navette.patrons.models import Patron, PatronCategory
from navette.patrons.pseudonyms import pseudonym_keys_prepare
from navette.patrons.services import ContactDetails, patron_register
from navette.search.updater import process_outbox
from navette.stats.rollups import stats_rollup

ACTOR = Actor.system("demo")
DAYS = 365
#: the copies the year draws from (available demo copies, titles nobody holds)
POOL = 4000
#: patrons registered before the year starts (at least; four per daily loan), then about
#: one every few days
FIRST_PATRONS = 40
#: a month's share of the year's loans (French public libraries: quiet in August, busy in
#: the autumn and the winter)
SEASON = {1: 1.1, 2: 1.0, 3: 1.1, 4: 1.0, 5: 0.9, 6: 0.9, 7: 0.8, 8: 0.6, 9: 1.0, 10: 1.15,
          11: 1.15, 12: 1.0}  # fmt: skip
FIRST_NAMES = (
    "Camille Léa Manon Chloé Inès Jade Louise Zoé Alice Lina Rose Anna Julie Nathalie Sophie "
    "Isabelle Martine Sylvie Nadia Fatima Yasmine Lucas Hugo Louis Gabriel Jules Arthur Adam "
    "Nathan Raphaël Théo Thomas Nicolas Julien Olivier Philippe Patrick Mehdi Karim Rayan "
    "Stéphane Didier Bernard Jean-Pierre Marie-Thérèse"
).split()
LAST_NAMES = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
    "Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard Lefèvre Mercier "
    "Dupont Lambert Bonnet François Martinez Legrand Caron Delattre Lemaire Dumont Wojcik "
    "Kaczmarek Benali Haddad Duhamel Vasseur Delcroix Hennebert Carpentier Deprez"
).split()


@dataclass
class Year:
    """The simulation's own bookkeeping (what the services wrote is in the database)."""

    rng: random.Random
    libraries: list[Library]
    patrons: list[Patron] = field(default_factory=list)
    categories: dict[str, PatronCategory] = field(default_factory=dict)
    #: available copies by library id
    shelves: dict[int, list[Item]] = field(default_factory=lambda: defaultdict(list))
    #: loan id -> (loan, day it comes back, day it is renewed or None)
    out: dict[int, tuple[Loan, dt.date, dt.date | None]] = field(default_factory=dict)
    holds: set[int] = field(default_factory=set)
    untouched_transits: set[int] = field(default_factory=set)
    done: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: refusals by "what:code" (a patron over their limit, a card expired...)
    refused: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def attempt(self, what: str, action: Any) -> Any:
        try:
            result = action()
        except DomainError as exc:
            self.refused[f"{what}:{exc.code}"] += 1
            return None
        self.done[what] += 1
        return result


def load(ctx: Any) -> None:
    now = clock.now()
    year_ago = now - dt.timedelta(days=DAYS - 20)
    if Loan.objects.filter(loaned_at__lt=year_ago).exists():
        ctx.log("Activité : l'année de démonstration est déjà là")
        return
    libraries = list(Library.objects.filter(is_active=True).order_by("pk"))
    if not libraries or not Item.objects.filter(is_demo=True).exists():
        return
    started = time.perf_counter()
    year = Year(rng=random.Random(2026), libraries=libraries)
    first_day = clock.today(now) - dt.timedelta(days=DAYS)
    pseudonym_keys_prepare(years=sorted({first_day.year, clock.today(now).year}), now=now)
    year.categories = {c.code: c for c in PatronCategory.objects.all()}
    year.patrons = list(Patron.objects.order_by("pk"))
    year.untouched_transits = set(Transit.objects.values_list("pk", flat=True))
    _fill_shelves(year)
    films = list(VendorTitle.objects.filter(resource__uses_tokens=True))
    themes = {t.code: t for t in Theme.objects.all()}
    daily = int(settings.NAVETTE_DEMO_DAILY_LOANS)
    _register(year, max(FIRST_PATRONS, 4 * daily), clock.paris_datetime(first_day, dt.time(9, 0)))
    previous, updates = clock.frozen, settings.NAVETTE_SEARCH_UPDATES
    # the index takes the year's changes once, at the end, not after each of its commits
    settings.NAVETTE_SEARCH_UPDATES = "deferred"
    try:
        for n in range(DAYS):
            day = first_day + dt.timedelta(days=n)
            if day.weekday() == 6:  # Sunday: closed
                continue
            morning = clock.paris_datetime(day, dt.time(10, 0))
            clock.frozen = morning
            _day(year, day, morning, daily, films, themes)
    finally:
        clock.frozen, settings.NAVETTE_SEARCH_UPDATES = previous, updates
    reindexed = process_outbox()
    rolled = stats_rollup(until=clock.today(now) - dt.timedelta(days=1))
    seconds = time.perf_counter() - started
    done = year.done
    ctx.log(
        f"Activité : une année au réseau en {seconds:.0f} s — {done['checkout']} prêts, "
        f"{done['checkin']} retours, {done['renew']} prolongations, {done['hold']} "
        f"réservations ({done['pickup']} retirées), {done['tokens']} films en jetons, "
        f"{done['patron']} inscriptions, {done['event']} animations, {sum(year.refused.values())} refus ; "
        f"statistiques consolidées sur {rolled} jours, {reindexed} notices réindexées"
    )
    if year.refused:
        common = sorted(year.refused.items(), key=lambda kv: -kv[1])[:4]
        ctx.log("  refus les plus fréquents : " + ", ".join(f"{k} ({n})" for k, n in common))


def _fill_shelves(year: Year) -> None:
    held = Hold.objects.filter(status__in=ACTIVE_HOLD_STATUSES).values("record_id")
    copies = (
        Item.objects.filter(is_demo=True, status=ItemStatus.AVAILABLE, circulates=True)
        .exclude(record_id__in=held)
        .select_related("record")
        .order_by("?")[:POOL]
    )
    for item in copies:
        year.shelves[item.current_library_id].append(item)


def _register(year: Year, count: int, at: dt.datetime) -> None:
    rng = year.rng
    weights = [3 if lib.commune in ("Lens", "Liévin", "Avion", "Harnes") else 1
               for lib in year.libraries]  # fmt: skip
    for _ in range(count):
        number = 1001 + len(year.patrons)
        library = rng.choices(year.libraries, weights)[0]
        young = rng.random() < 0.3
        born = at.date().replace(year=at.year - (rng.randint(7, 17) if young else rng.randint(18, 85)),
                                 day=min(at.day, 28))  # fmt: skip
        category = year.categories.get("jeune" if young else "adulte")
        if category is None:
            return
        patron = year.attempt("patron", lambda library=library, born=born, category=category,
                                              number=number: patron_register(
            first_name=rng.choice(FIRST_NAMES), last_name=rng.choice(LAST_NAMES),
            birth_date=born, contact=ContactDetails(
                email=f"lecteur-2998{number:04d}@example.org", street="1 place de la Mairie",
                postcode="62300", city=library.commune),
            category=category, home_library=library, card_number=f"2998{number:04d}",
            actor=ACTOR, now=at, allow_duplicate=True))  # fmt: skip
        if patron is not None:
            year.patrons.append(patron)


def _at(morning: dt.datetime, minutes: int) -> dt.datetime:
    """An instant in the day's opening hours (10:00 to 17:59)."""
    return morning + dt.timedelta(minutes=minutes % 480)


def _day(year: Year, day: dt.date, morning: dt.datetime, daily: int, films: list[VendorTitle],
         themes: dict[str, Theme]) -> None:  # fmt: skip
    rng = year.rng
    tick = iter(range(0, 100_000, 3))
    _receive_navette(year, morning)
    _collect_holds(year, day, morning, tick)
    _returns_and_renewals(year, day, morning, tick)
    loans = round(daily * SEASON[day.month] * (1.4 if day.weekday() in (2, 5) else 1.0))
    for _ in range(loans):
        _lend(year, day, _at(morning, next(tick)))
    # holds and films keep pace with the loans (one of each for every ten loans a day)
    for _ in range(max(1, daily // 10)):
        if rng.random() < 0.6 and year.out:
            _hold(year, _at(morning, next(tick)))
        if films and rng.random() < 0.7:
            patron = rng.choice(year.patrons)
            film = rng.choice(films)
            year.attempt("tokens", lambda patron=patron, film=film: tokens_spend(
                patron=patron, title=film, actor=ACTOR, now=_at(morning, next(tick))))  # fmt: skip
    if rng.random() < 0.3:
        _register(year, 1, _at(morning, next(tick)))
    if day.weekday() == 2 and "conte" in themes:
        _storytime(year, day, morning, themes["conte"])


def _lend(year: Year, day: dt.date, at: dt.datetime) -> None:
    rng = year.rng
    patron = rng.choice(year.patrons)
    # most borrow at home, some wherever they are that day
    library_id = patron.home_library_id if rng.random() < 0.8 else rng.choice(year.libraries).pk
    shelf = year.shelves.get(library_id) or year.shelves[rng.choice(list(year.shelves))]
    if not shelf:
        return
    item = shelf.pop(rng.randrange(len(shelf)))
    library = next(lib for lib in year.libraries if lib.pk == item.current_library_id)
    loan = year.attempt("checkout", lambda: loan_checkout(item=item, patron=patron,
                                                          library=library, actor=ACTOR, now=at))  # fmt: skip
    if loan is None:
        shelf.append(item)
        return
    roll = rng.random()
    if roll < 0.04:  # late (the patron is then suspended for a while: see the loan rules)
        back, renew = loan.due_on + dt.timedelta(days=rng.randint(1, 10)), None
    elif roll < 0.25:  # renewed two days before it is due, kept a while longer
        renew = loan.due_on - dt.timedelta(days=2)
        back = loan.due_on + dt.timedelta(days=rng.randint(3, 18))
    else:
        back, renew = day + dt.timedelta(days=rng.randint(2, 21)), None
    year.out[loan.pk] = (loan, back, renew)


def _returns_and_renewals(year: Year, day: dt.date, morning: dt.datetime, tick: Any) -> None:
    for loan_id, (loan, back, renew) in list(year.out.items()):
        if renew == day:
            renewed = year.attempt("renew", lambda loan=loan: loan_renew(
                loan=loan, actor=ACTOR, now=_at(morning, next(tick))))  # fmt: skip
            if renewed is not None:
                year.out[loan_id] = (renewed, max(back, renewed.due_on - dt.timedelta(days=3)),
                                     None)  # fmt: skip
            else:  # refused (someone waits): back on time
                year.out[loan_id] = (loan, min(back, loan.due_on), None)
        if back > day:
            continue
        del year.out[loan_id]
        library = next(lib for lib in year.libraries if lib.pk == loan.library_id)
        result = year.attempt("checkin", lambda loan=loan, library=library: loan_checkin(
            item=loan.item, library=library, actor=ACTOR, now=_at(morning, next(tick))))  # fmt: skip
        if result is not None and result.hold is None and result.destination is None:
            year.shelves[library.pk].append(Item.objects.get(pk=loan.item_id))


def _hold(year: Year, at: dt.datetime) -> None:
    """A patron asks for a title that is out on loan, to collect at their library."""
    rng = year.rng
    loan, _back, _renew = year.out[rng.choice(list(year.out))]
    patron = rng.choice(year.patrons)
    if patron.pk == loan.patron_id:
        return
    hold = year.attempt("hold", lambda: hold_place(
        patron=patron, record=loan.item.record, pickup_library=patron.home_library,
        actor=ACTOR, now=at))  # fmt: skip
    if hold is not None:
        year.holds.add(hold.pk)


def _receive_navette(year: Year, morning: dt.datetime) -> None:
    """Yesterday's navette arrives: each copy is received where it was sent."""
    arriving = Transit.objects.filter(status=TransitStatus.IN_TRANSIT, item__is_demo=True,
                                      sent_at__lt=morning).exclude(pk__in=year.untouched_transits)  # fmt: skip
    for transit in arriving.select_related("item", "to_library"):
        result = year.attempt("navette", lambda transit=transit: transit_receive(
            item=transit.item, library=transit.to_library, actor=ACTOR, now=morning))  # fmt: skip
        if result is not None and result.hold is None and result.destination is None:
            year.shelves[transit.to_library_id].append(transit.item)


def _collect_holds(year: Year, day: dt.date, morning: dt.datetime, tick: Any) -> None:
    """Patrons collect their holds from the shelf; one in eight never comes and the hold
    expires after the shelf days; a few are cancelled while waiting."""
    rng = year.rng
    ready = Hold.objects.filter(pk__in=year.holds, status__in=ACTIVE_HOLD_STATUSES)
    for hold in ready.select_related("patron", "trapped_item", "pickup_library", "record"):
        at = _at(morning, next(tick))
        if hold.status == HoldStatus.READY and hold.trapped_at and hold.trapped_at < morning:
            waited = (day - clock.today(hold.trapped_at)).days
            if waited > 7:
                year.attempt("hold_expire", lambda hold=hold, at=at: hold_expire(hold=hold, actor=ACTOR,
                                                                          now=at))  # fmt: skip
                year.holds.discard(hold.pk)
            elif hold.pk % 8 and rng.random() < 0.6:
                item = hold.trapped_item
                assert item is not None and hold.patron is not None
                loan = year.attempt("checkout", lambda hold=hold, item=item, at=at: loan_checkout(
                    item=item, patron=hold.patron, library=hold.pickup_library, actor=ACTOR,
                    now=at))  # fmt: skip
                if loan is not None:
                    year.done["pickup"] += 1
                    year.holds.discard(hold.pk)
                    year.out[loan.pk] = (loan, day + dt.timedelta(days=rng.randint(5, 20)), None)
        elif hold.status == HoldStatus.WAITING and rng.random() < 0.004:
            year.attempt("hold_cancel", lambda hold=hold, at=at: hold_cancel(hold=hold, actor=ACTOR,
                                                                      now=at))  # fmt: skip
            year.holds.discard(hold.pk)


def _storytime(year: Year, day: dt.date, morning: dt.datetime, theme: Theme) -> None:
    """On Wednesdays, a storytime at one of the larger libraries, announced a week ahead,
    with families registering on the day it is announced."""
    rng = year.rng
    big = [lib for lib in year.libraries if lib.commune in ("Lens", "Liévin", "Avion", "Harnes")]
    library = big[(day.toordinal() // 7) % len(big)] if big else year.libraries[0]
    start = clock.paris_datetime(day + dt.timedelta(days=7), dt.time(15, 0))
    event = year.attempt("event", lambda: event_create(
        fields={"title": "Heure du conte", "library": library, "theme": theme,
                "audience": Audience.CHILDREN, "starts_at": start,
                "ends_at": start + dt.timedelta(minutes=45),
                "description": "Histoires, comptines et albums pour les 3-6 ans.",
                "registration_required": True, "capacity": 12},
        actor=ACTOR, now=morning))  # fmt: skip
    if event is None:
        return
    for i in range(rng.randint(4, 12)):
        at = morning + dt.timedelta(minutes=30 + 17 * i)
        year.attempt("registration", lambda at=at, i=i: registration_create(
            event=event, guest_name=f"Famille {rng.choice(LAST_NAMES)}",
            guest_email=f"famille{i + 1}@example.org", actor=ACTOR, now=at))  # fmt: skip
