"""The ministry's annual report (the SCRIB / NeoScrib survey of municipal and intercommunal
libraries): the figures Navette can compute, per site ("lieu de lecture") and for the network
("unité administrative"), in the survey's order, each with how it was computed; the figures
nobody but a librarian knows (staff, budget, visits, surface...) listed as to be typed by hand.

Sections follow the survey's themes in its order (docs/statistics.md cites the public
sources): access and opening hours, collections, budget, staff, users and uses (registered
and active borrowers, loans, holds, navette, online resources), cultural action. The codes
(A1, B2...) are Navette's, stable, to find a figure; they are not the ministry's numbering.

Figures are numbers or tables of numbers; labels and methods are translatable strings,
worded by the interfaces' language.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from navette.catalogue.models import DocType
from navette.catalogue.rollups import collection_counts
from navette.digital.models import UsageFact
from navette.events.models import Audience, Event, EventStatus, Registration
from navette.network.models import Library, OpeningPeriod
from navette.patrons.models import Patron
from navette.patrons.rollups import registered_counts
from navette.stats import selectors
from navette.stats.models import CirculationAction

#: the survey's age groups, in its order
AGE_GROUPS = ("0-14", "15-64", "65+", "inconnu")


@dataclass(frozen=True)
class Figure:
    """One answer of the form: a number, or rows of (label, number) for a breakdown."""

    code: str
    label: str | Promise
    how: str | Promise
    value: int | None = None
    rows: tuple[tuple[str, int], ...] = ()
    #: a figure the system cannot know: typed by hand in the survey
    manual: bool = False

    @property
    def total(self) -> int | None:
        return sum(n for _k, n in self.rows) if self.rows else self.value


@dataclass(frozen=True)
class Section:
    code: str
    title: str | Promise
    figures: tuple[Figure, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Report:
    year: int
    library: Library | None
    sections: tuple[Section, ...]

    def figure(self, code: str) -> Figure:
        for section in self.sections:
            for figure in section.figures:
                if figure.code == code:
                    return figure
        raise KeyError(code)

    @property
    def manual(self) -> list[Figure]:
        return [f for s in self.sections for f in s.figures if f.manual]


def _rows(
    counts: dict[str, int], order: tuple[str, ...] | None = None
) -> tuple[tuple[str, int], ...]:
    keys = list(order) if order else sorted(counts, key=lambda k: (-counts[k], k))
    keys += [k for k in sorted(counts) if k not in keys]
    return tuple((k, counts.get(k, 0)) for k in keys if counts.get(k, 0) or order)


def _manual(code: str, label: str | Promise, why: str | Promise) -> Figure:
    return Figure(code=code, label=label, how=why, manual=True)


def _weekly_minutes(library_ids: list[int]) -> dict[int, int]:
    minutes: dict[int, int] = defaultdict(int)
    for library_id, opens, closes in OpeningPeriod.objects.filter(
        library_id__in=library_ids
    ).values_list("library_id", "opens", "closes"):
        span = (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute)
        minutes[library_id] += max(span, 0)
    return minutes


def _band_at(age: int) -> str:
    """The statistics' age band of an age (as ``Patron.age_band``)."""
    return Patron(birth_date=dt.date(2000, 1, 1)).age_band(dt.date(2000 + age, 1, 1))


def annual_report(year: int, library: Library | None = None) -> Report:
    """The report of ``year`` for ``library`` (a site), or for the whole network."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    libraries = [library] if library is not None else list(Library.objects.order_by("commune"))
    ids = [lib.pk for lib in libraries]
    doc_labels = {str(k): str(v) for k, v in DocType.choices}

    # A. access
    minutes = _weekly_minutes(ids)
    hours_rows = tuple((str(lib), round(minutes.get(lib.pk, 0) / 60)) for lib in libraries)
    access = Section("A", _("Accès et installations"), (
        Figure("A1", _("Lieux de lecture"), _("Bibliothèques du réseau (ou ce site)."),
               value=len(libraries)),
        Figure("A2", _("Heures d'ouverture hebdomadaires (par site)"),
               _("Somme des plages des horaires d'ouverture de la semaine type, arrondie à "
                 "l'heure ; les fermetures exceptionnelles ne sont pas déduites."),
               rows=hours_rows),
        _manual("A3", _("Surface (m²)"), _("Non connue du système : à saisir.")),
    ))  # fmt: skip

    # B. collections
    # counted by the nightly job (navette.catalogue.rollups)
    site = library.pk if library is not None else None
    by_kind = collection_counts(year, "held", site)
    new_by_kind = collection_counts(year, "acquired", site)
    periodicals = collection_counts(year, "periodicals", site).get("", 0)
    collections = Section("B", _("Collections"), (
        Figure("B1", _("Documents au 31 décembre, par support"),
               _("Exemplaires possédés, acquis au plus tard le 31 décembre (ou créés avant si "
                 "la date d'acquisition manque), ni retirés ni perdus au dernier compte (chaque "
                 "nuit, une dernière fois à la clôture de l'année)."),
               rows=tuple((doc_labels.get(k, k), n) for k, n in _rows(by_kind))),
        Figure("B2", _("Acquisitions de l'année, par support"),
               _("Exemplaires dont la date d'acquisition est dans l'année."),
               rows=tuple((doc_labels.get(k, k), n) for k, n in _rows(new_by_kind))),
        Figure("B3", _("Titres de périodiques reçus dans l'année"),
               _("Notices de type revue dont un exemplaire a été acquis dans l'année."),
               value=periodicals),
        _manual("B4", _("Dépenses d'acquisition (€)"),
                _("Les exemplaires ne portent pas de prix dans Navette : à saisir.")),
    ))  # fmt: skip

    budget = Section("C", _("Budget"), (
        _manual("C1", _("Dépenses de fonctionnement (€)"), _("Données financières : à saisir.")),
        _manual("C2", _("Dépenses d'investissement (€)"), _("Données financières : à saisir.")),
    ))  # fmt: skip
    staff = Section("D", _("Personnel"), (
        _manual("D1", _("Personnel (équivalents temps plein)"), _("À saisir.")),
        _manual("D2", _("Bénévoles"), _("À saisir.")),
    ))  # fmt: skip

    # E. users and uses
    # counted by the nightly job (navette.patrons.rollups); age on 31 December is the year
    # minus the year of birth: counted by year of birth
    registered_age: dict[str, int] = defaultdict(int)
    for born, n in registered_counts(year, "birth_year", site).items():
        band = "inconnu" if not born else _band_at(year - int(born))
        registered_age[selectors.age_group(band)] += n
    registered_commune: dict[str, int] = defaultdict(int)
    for place, n in registered_counts(year, "residence", site).items():
        registered_commune[place or "—"] += n
    active_age = selectors.active_borrowers(year, "age_group", library)
    active_commune = selectors.active_borrowers(year, "residence", library)
    loans_by_kind = {
        k[0]: n
        for k, n in selectors.tally(start, end, ["doc_type"], library=library,
                                    actions=[CirculationAction.CHECKOUT]).items()
    }  # fmt: skip
    acts = {k[0]: n for k, n in selectors.tally(start, end, ["action"], library=library).items()}
    loans_by_library = {
        k[0]: n
        for k, n in selectors.tally(start, end, ["library_id"],
                                    actions=[CirculationAction.CHECKOUT]).items()
    }  # fmt: skip
    names = {lib.pk: str(lib) for lib in libraries}
    uses = UsageFact.objects.filter(month__startswith=f"{year}-")
    if library is not None:
        uses = uses.filter(library_id=library.pk)
    online = {
        r["resource__name"]: r["n"]
        for r in uses.values("resource__name").annotate(n=Sum("launches")).order_by()
    }
    users = Section("E", _("Publics et usages"), (
        Figure("E1", _("Inscrits dans l'année, par âge"),
               _("Lecteurs inscrits à ce site (ou au réseau) dont l'adhésion a couru pendant "
                 "l'année, âge au 31 décembre ; comptés chaque nuit dans la base des lecteurs, "
                 "une dernière fois à la clôture de l'année (les lecteurs supprimés ensuite y "
                 "restent comptés)."),
               rows=_rows(dict(registered_age), AGE_GROUPS)),
        Figure("E2", _("Inscrits dans l'année, par commune de résidence"),
               _("Mêmes lecteurs, par code postal et commune."),
               rows=_rows(dict(registered_commune))),
        _manual("E3", _("Inscrits par sexe"), _("Le sexe n'est pas enregistré : à saisir.")),
        Figure("E4", _("Emprunteurs actifs, par âge"),
               _("Personnes distinctes ayant emprunté au moins une fois dans l'année (pseudonyme "
                 "annuel), âge à leur premier prêt de l'année."),
               rows=_rows(active_age, AGE_GROUPS)),
        Figure("E5", _("Emprunteurs actifs, par commune de résidence"),
               _("Mêmes personnes, par commune à leur premier prêt de l'année."),
               rows=_rows(active_commune)),
        Figure("E6", _("Prêts, par support"),
               _("Prêts enregistrés dans l'année (hors prolongations)."),
               rows=tuple((doc_labels.get(k, k), n) for k, n in _rows(loans_by_kind))),
        Figure("E7", _("Prêts, par bibliothèque"),
               _("Prêts enregistrés dans l'année à chaque site."),
               rows=tuple((names[i], loans_by_library.get(i, 0)) for i in ids)),
        Figure("E8", _("Prolongations"), _("Prolongations accordées dans l'année."),
               value=acts.get(CirculationAction.RENEW, 0)),
        Figure("E9", _("Réservations"), _("Réservations posées dans l'année."),
               value=acts.get(CirculationAction.HOLD_PLACE, 0)),
        Figure("E10", _("Documents envoyés par la navette"),
               _("Envois en navette vers un autre site dans l'année."),
               value=acts.get(CirculationAction.TRANSIT_SEND, 0)),
        Figure("E11", _("Documents reçus par la navette"),
               _("Réceptions de navette dans l'année."),
               value=acts.get(CirculationAction.TRANSIT_RECEIVE, 0)),
        Figure("E12", _("Consultations des ressources en ligne, par ressource"),
               _("Lancements des ressources numériques dans l'année (retours déduits)."),
               rows=_rows(online)),
        _manual("E13", _("Entrées (fréquentation)"),
                _("Les entrées ne sont pas comptées par Navette : à saisir.")),
    ))  # fmt: skip

    # F. cultural action
    events = Event.objects.filter(
        starts_at__date__gte=start,
        starts_at__date__lte=end,
    ).exclude(status__in=[EventStatus.CANCELLED, EventStatus.DRAFT])
    if library is not None:
        events = events.filter(Q(library=library) | Q(other_libraries=library)).distinct()
    audience = {str(k): str(v) for k, v in Audience.choices}
    by_audience = {
        audience.get(r["audience"], r["audience"]): r["n"]
        for r in events.values("audience").annotate(n=Count("id", distinct=True)).order_by()
    }
    attended = Registration.objects.filter(event__in=events.values("pk"), attended=True)
    present = attended.aggregate(n=Sum("seats"))["n"] or 0
    culture = Section("F", _("Action culturelle"), (
        Figure("F1", _("Animations, par public"),
               _("Événements publiés ayant eu lieu dans l'année (annulés exclus)."),
               rows=_rows(by_audience)),
        Figure("F2", _("Participants relevés"),
               _("Places des inscriptions marquées présentes ; les animations sans inscription "
                 "ne sont pas comptées."), value=present),
        _manual("F3", _("Participants aux animations sans inscription"), _("À saisir.")),
    ))  # fmt: skip
    return Report(year, library, (access, collections, budget, staff, users, culture))
