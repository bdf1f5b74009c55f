"""The network and its libraries: addresses, opening hours, closures."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Network(models.Model):
    """The network itself. One row; created by the first ``load-network``."""

    name = models.CharField(_("nom"), max_length=200)
    time_zone = models.CharField(_("fuseau horaire"), max_length=64, default="Europe/Paris")

    class Meta:
        verbose_name = _("réseau")
        verbose_name_plural = _("réseau")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> Network:
        network = cls.objects.order_by("pk").first()
        if network is None:
            network = cls.objects.create(name="Réseau de bibliothèques")
        return network


class Library(models.Model):
    """A library (branch) of the network."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="libraries")
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    commune = models.CharField(_("commune"), max_length=100)
    street = models.CharField(_("adresse"), max_length=200, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    phone = models.CharField(_("téléphone"), max_length=40, blank=True)
    phone_alt = models.CharField(_("autre téléphone"), max_length=40, blank=True)
    email = models.EmailField(_("courriel"), blank=True)
    website = models.URLField(_("site web"), blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    hours_are_examples = models.BooleanField(
        _("horaires d'exemple"),
        default=False,
        help_text=_("Les horaires affichés sont des exemples, pas les horaires réels."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bibliothèque")
        verbose_name_plural = _("bibliothèques")
        ordering = ["commune", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.commune})"

    @property
    def short_name(self) -> str:
        """How a library is named in short messages: its commune ('navette vers Lens')."""
        return self.commune


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("lundi")
    TUESDAY = 1, _("mardi")
    WEDNESDAY = 2, _("mercredi")
    THURSDAY = 3, _("jeudi")
    FRIDAY = 4, _("vendredi")
    SATURDAY = 5, _("samedi")
    SUNDAY = 6, _("dimanche")


class OpeningPeriod(models.Model):
    """One opening range on a weekday (a day may have several: 10-12, 14-18)."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="opening_periods")
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    opens = models.TimeField(_("ouverture"))
    closes = models.TimeField(_("fermeture"))

    class Meta:
        verbose_name = _("plage d'ouverture")
        verbose_name_plural = _("horaires d'ouverture")
        ordering = ["library", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=models.F("opens")),
                name="opening_period_closes_after_opens",
            ),
            models.UniqueConstraint(
                fields=["library", "weekday", "opens"], name="opening_period_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Closure(models.Model):
    """Days a library (or, without library, the whole network) is closed.

    Covers exceptional closures (works, inventory) and closed days (public
    holidays), from ``start_date`` to ``end_date`` inclusive.
    """

    library = models.ForeignKey(
        Library,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        help_text=_("Vide : fermeture de tout le réseau."),
    )
    start_date = models.DateField(_("du"))
    end_date = models.DateField(_("au"))
    reason = models.CharField(_("motif"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("fermeture")
        verbose_name_plural = _("fermetures et jours fériés")
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="closure_end_not_before_start",
            )
        ]
        indexes = [models.Index(fields=["end_date", "start_date"])]

    def __str__(self) -> str:
        where = self.library.commune if self.library is not None else _("tout le réseau")
        return f"{where} : {self.start_date} → {self.end_date} {self.reason}"
