"""The agenda: events, programmes that group them, weekly series, registrations.

Times are stored in UTC and shown in Europe/Paris. Seats are counted on the
event row (``seats_taken``) and changed only through a conditional UPDATE, so
the database itself refuses to go over capacity (see services.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Audience(models.TextChoices):
    CHILDREN = "enfants", _("Enfants")
    TEENS = "ados", _("Adolescents")
    ADULTS = "adultes", _("Adultes")
    FAMILY = "famille", _("Famille")
    EVERYONE = "tout_public", _("Tout public")


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publié")
    CANCELLED = "cancelled", _("Annulé")


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmée")
    WAITING = "waiting", _("Liste d'attente")
    CANCELLED = "cancelled", _("Annulée")


class Theme(models.Model):
    """A theme of the agenda (conte, numérique, musique...)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    label = models.CharField(_("libellé"), max_length=100)

    class Meta:
        verbose_name = _("thème")
        verbose_name_plural = _("thèmes")
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class Programme(models.Model):
    """A programme grouping events across libraries (e.g. 'Nuits des bibliothèques')."""

    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)
    title = models.CharField(_("titre"), max_length=200)
    description = models.TextField(_("présentation"), blank=True)
    starts_on = models.DateField(_("du"))
    ends_on = models.DateField(_("au"))
    is_published = models.BooleanField(_("publié"), default=True)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["-starts_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="programme_end_not_before_start"
            )
        ]

    def __str__(self) -> str:
        return self.title


class EventSeries(models.Model):
    """A recurring event (a weekly storytime): its occurrences are Event rows.

    Occurrences are materialised so that the agenda, the feeds and the
    registrations treat each date as an ordinary event.
    """

    title = models.CharField(_("titre"), max_length=200)
    interval_weeks = models.PositiveSmallIntegerField(_("toutes les N semaines"), default=1)
    until = models.DateField(_("jusqu'au"))

    class Meta:
        verbose_name = _("série d'événements")
        verbose_name_plural = _("séries d'événements")

    def __str__(self) -> str:
        return self.title


class Event(models.Model):
    """One event at one library (or several, or an outside place)."""

    title = models.CharField(_("titre"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    image = models.FileField(_("image"), upload_to="events/", blank=True)
    image_alt = models.CharField(_("texte alternatif de l'image"), max_length=250, blank=True)
    library = models.ForeignKey(
        "network.Library", on_delete=models.PROTECT, null=True, blank=True,
        related_name="events", verbose_name=_("bibliothèque"),
    )  # fmt: skip
    other_libraries = models.ManyToManyField(
        "network.Library", blank=True, related_name="shared_events",
        verbose_name=_("autres bibliothèques"),
    )  # fmt: skip
    place_name = models.CharField(_("lieu"), max_length=200, blank=True)
    place_address = models.CharField(_("adresse du lieu"), max_length=250, blank=True)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    audience = models.CharField(
        _("public"), max_length=12, choices=Audience.choices, default=Audience.EVERYONE
    )
    theme = models.ForeignKey(
        Theme, on_delete=models.SET_NULL, null=True, blank=True, related_name="events",
        verbose_name=_("thème"),
    )  # fmt: skip
    programme = models.ForeignKey(
        Programme, on_delete=models.SET_NULL, null=True, blank=True, related_name="events",
        verbose_name=_("programme"),
    )  # fmt: skip
    series = models.ForeignKey(
        EventSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    is_free = models.BooleanField(_("gratuit"), default=True)
    price = models.CharField(_("tarif"), max_length=100, blank=True)
    accessibility = models.TextField(_("accessibilité"), blank=True)
    registration_required = models.BooleanField(_("sur inscription"), default=False)
    capacity = models.PositiveIntegerField(_("nombre de places"), null=True, blank=True)
    registration_opens_at = models.DateTimeField(
        _("inscriptions à partir du"), null=True, blank=True
    )
    registration_closes_at = models.DateTimeField(_("inscriptions jusqu'au"), null=True, blank=True)
    #: Confirmed seats. Changed only by conditional UPDATEs in services.py.
    seats_taken = models.PositiveIntegerField(_("places réservées"), default=0, editable=False)
    status = models.CharField(
        _("état"), max_length=10, choices=EventStatus.choices, default=EventStatus.PUBLISHED
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("événement")
        verbose_name_plural = _("événements")
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["status", "starts_at"]),
            models.Index(fields=["library", "starts_at"]),
            models.Index(fields=["programme", "starts_at"]),
            # The agenda's "not over yet" bound, and the cache key's next expiry.
            models.Index(fields=["ends_at"], name="events_event_ends_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("starts_at")), name="event_end_not_before_start"
            ),
            # The last line of defence: no code path can confirm more seats than exist.
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(seats_taken__lte=F("capacity")),
                name="event_seats_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(registration_required=False) | Q(capacity__isnull=False),
                name="event_registration_needs_capacity",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def seats_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(0, self.capacity - self.seats_taken)

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED


class Registration(models.Model):
    """Seats booked by a patron (logged in) or a guest (name and e-mail).

    After the event, the personal data is erased by the anonymisation job;
    the number of seats and attendance stay for statistics.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="event_registrations",
    )  # fmt: skip
    #: the patron's library when registering, kept after the anonymisation (usage figures
    #: by member library and commune); none for a guest
    home_library = models.ForeignKey(
        "network.Library", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("bibliothèque du lecteur"),
    )  # fmt: skip
    guest_name = models.CharField(_("nom"), max_length=150, blank=True)
    guest_email = models.EmailField(_("courriel"), blank=True)
    seats = models.PositiveSmallIntegerField(_("places"), default=1)
    status = models.CharField(
        _("état"), max_length=10, choices=RegistrationStatus.choices,
        default=RegistrationStatus.CONFIRMED,
    )  # fmt: skip
    created_at = models.DateTimeField(_("inscrit le"))
    confirmed_at = models.DateTimeField(_("confirmée le"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    attended = models.BooleanField(_("présent"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymisée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["event", "status", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="registration_seats_positive"),
            models.UniqueConstraint(
                fields=["event", "patron"],
                condition=Q(status__in=["confirmed", "waiting"]) & Q(patron__isnull=False),
                name="registration_one_active_per_patron",
            ),
            models.UniqueConstraint(
                "event",
                Lower("guest_email"),
                condition=Q(status__in=["confirmed", "waiting"]) & ~Q(guest_email=""),
                name="registration_one_active_per_guest_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} — {self.display_name}"

    @property
    def display_name(self) -> str:
        if self.patron_id is not None and self.patron is not None:
            return self.patron.full_name
        return self.guest_name or str(_("(anonymisé)"))

    @property
    def email(self) -> str:
        if self.patron_id is not None and self.patron is not None:
            return self.patron.email
        return self.guest_email


class AgendaVersion(models.Model):
    """One row whose token changes whenever something the public agenda shows
    changes (events, seats, registrations, themes, programmes, libraries).

    Cached agenda fragments are keyed by this token (see agenda_cache.py). The
    token is random, not a counter, so that a rolled-back transaction can never
    make an old token, and its cached pages, current again.
    """

    token = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("version de l'agenda")
        verbose_name_plural = _("versions de l'agenda")

    def __str__(self) -> str:
        return self.token


def anonymise_after_days() -> int:
    return int(settings.NAVETTE_EVENTS_ANONYMISE_DAYS)


class GuestRequest(models.Model):
    """One guest registration request from the portal, kept a day for the rate limits
    (per address and per e-mail). The e-mail is kept as a keyed hash, never in clear."""

    ip = models.CharField(_("adresse"), max_length=45)
    email_digest = models.CharField(max_length=32)
    at = models.DateTimeField(_("date"))

    class Meta:
        verbose_name = _("demande d'inscription d'un invité")
        verbose_name_plural = _("demandes d'inscription d'invités")
        indexes = [
            models.Index(fields=["ip", "at"], name="guestrequest_ip_at"),
            models.Index(fields=["email_digest", "at"], name="guestrequest_email_at"),
        ]
