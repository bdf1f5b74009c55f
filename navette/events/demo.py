"""Demo part of the agenda: the 'Nuits des bibliothèques' across the 27 libraries
over three days, and a few weeks of regular events (weekly storytimes, clubs).

Idempotent: a second run finds the programme and the series and adds nothing.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import ngettext

from navette.core import clock
from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.events.models import Audience, Event, EventSeries, Programme, Theme
from navette.events.services import event_create, event_series_create, registration_create
from navette.network.models import Library

ACTOR = Actor.system("demo")
THEMES = {
    "conte": "Conte", "lecture": "Lecture", "musique": "Musique", "jeux": "Jeux",
    "numerique": "Numérique", "cinema": "Cinéma", "patrimoine": "Patrimoine",
}  # fmt: skip
#: (title, theme, audience, start hour, minutes, registration seats or None)
NIGHT_IDEAS = [
    ("Lecture aux flambeaux", "lecture", Audience.EVERYONE, 19, 90, None),
    ("Pyjama-party contes", "conte", Audience.CHILDREN, 18, 60, 20),
    ("Escape game dans les rayons", "jeux", Audience.TEENS, 20, 90, 12),
    ("Concert acoustique", "musique", Audience.EVERYONE, 21, 60, None),
    ("Ciné-plein-air", "cinema", Audience.FAMILY, 21, 120, None),
    ("Visite des réserves à la lampe", "patrimoine", Audience.ADULTS, 20, 60, 15),
    ("Tournoi de jeux vidéo rétro", "numerique", Audience.TEENS, 19, 120, 16),
    ("Blind test musical", "musique", Audience.FAMILY, 20, 90, None),
    ("Lectures dessinées", "lecture", Audience.ADULTS, 19, 75, 25),
]
ADDRESS_ACCESS = "Accès de plain-pied ; boucle magnétique à l'accueil."


def _next_weekday(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def load(ctx) -> None:
    now = clock.now()
    libraries = list(Library.objects.filter(is_active=True).order_by("commune", "name"))
    if not libraries:
        ctx.log("Agenda : aucune bibliothèque, rien à faire.")
        return
    themes = {
        code: Theme.objects.get_or_create(code=code, defaults={"label": label})[0]
        for code, label in THEMES.items()
    }
    friday = _next_weekday(clock.today(now) + dt.timedelta(days=14), 4)
    programme, created = Programme.objects.get_or_create(
        slug="nuits-des-bibliotheques",
        defaults={
            "title": "Nuits des bibliothèques",
            "description": (
                "Trois soirées où les 27 bibliothèques du réseau restent ouvertes tard : "
                "lectures, jeux, concerts et visites insolites. Gratuit, pour tous."
            ),
            "starts_on": friday,
            "ends_on": friday + dt.timedelta(days=2),
        },
    )
    made = 0
    if created or not programme.events.exists():
        for n, library in enumerate(libraries):
            for k in range(3):  # three events per library over the three nights
                title, theme, audience, hour, minutes, seats = NIGHT_IDEAS[
                    (n + k * 4) % len(NIGHT_IDEAS)
                ]
                day = programme.starts_on + dt.timedelta(days=(n + k) % 3)
                start = dt.datetime.combine(day, dt.time(hour, 0), PARIS)
                event_create(
                    fields={
                        "title": title, "library": library, "programme": programme,
                        "theme": themes[theme], "audience": audience,
                        "starts_at": start, "ends_at": start + dt.timedelta(minutes=minutes),
                        "description": f"{title} à {library.name}, dans le cadre des Nuits des bibliothèques.",
                        "accessibility": ADDRESS_ACCESS,
                        "registration_required": seats is not None, "capacity": seats,
                    },
                    actor=ACTOR, now=now,
                )  # fmt: skip
                made += 1
    series_made = 0
    for n, library in enumerate(libraries[:8]):
        title = "Heure du conte" if n % 2 == 0 else "Bébés lecteurs"
        if EventSeries.objects.filter(title=f"{title} — {library.commune}").exists():
            continue
        wednesday = _next_weekday(clock.today(now) + dt.timedelta(days=1), 2)
        start = dt.datetime.combine(wednesday, dt.time(10, 30) if n % 2 else dt.time(15, 0), PARIS)
        events = event_series_create(
            fields={
                "title": title, "library": library, "theme": themes["conte"],
                "audience": Audience.CHILDREN if n % 2 == 0 else Audience.FAMILY,
                "starts_at": start, "ends_at": start + dt.timedelta(minutes=45),
                "description": "Histoires, comptines et albums, chaque semaine.",
                "registration_required": n % 2 == 1, "capacity": 10 if n % 2 == 1 else None,
            },
            until=wednesday + dt.timedelta(weeks=5), actor=ACTOR, now=now,
        )  # fmt: skip
        EventSeries.objects.filter(events=events[0]).update(title=f"{title} — {library.commune}")
        series_made += 1
        if n == 1:  # a full storytime with a waiting list, to show the attendee list
            for i in range(12):
                registration_create(
                    event=events[0], guest_name=f"Famille Démo {i + 1}",
                    guest_email=f"famille{i + 1}@example.org", actor=ACTOR, now=now,
                )  # fmt: skip
    club_made = 0
    for library in libraries[:27:3]:
        if Event.objects.filter(library=library, title="Club lecture").exists():
            continue
        day = _next_weekday(clock.today(now) + dt.timedelta(days=3), 5)
        start = dt.datetime.combine(day, dt.time(10, 0), PARIS)
        event_create(
            fields={
                "title": "Club lecture", "library": library, "theme": themes["lecture"],
                "audience": Audience.ADULTS, "starts_at": start,
                "ends_at": start + dt.timedelta(hours=2),
                "description": "On échange nos coups de cœur autour d'un café.",
            },
            actor=ACTOR, now=now,
        )  # fmt: skip
        club_made += 1
    ctx.log(
        "Agenda : "
        + ngettext("%(n)d événement", "%(n)d événements", made) % {"n": made}
        + f" pour « {programme.title} », "
        + ngettext("%(n)d série hebdomadaire", "%(n)d séries hebdomadaires", series_made)
        % {"n": series_made}
        + ", "
        + ngettext("%(n)d club lecture.", "%(n)d clubs lecture.", club_made) % {"n": club_made}
    )
