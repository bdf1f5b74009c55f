"""The network and its libraries: addresses, opening hours, closures."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from navette.network.connectors.sip2 import Sip2Endpoint


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


class AuthMethod(models.TextChoices):
    """How a member library's patrons prove who they are."""

    SIP2 = "sip2", _("SIP2 (carte et code)")
    OIDC = "oidc", _("OpenID Connect (connexion de la bibliothèque)")
    CAS = "cas", _("CAS (connexion de la bibliothèque)")
    PATRON_FILE = "patron_file", _("fichier des lecteurs déposé")


def validate_auth_order(value: str) -> None:
    """``sip2,patron_file``: known methods, each once, at least one."""
    methods = [m.strip() for m in value.split(",") if m.strip()]
    unknown = [m for m in methods if m not in AuthMethod.values]
    if not methods or unknown or len(set(methods)) != len(methods):
        raise ValidationError(
            _("Méthodes possibles, dans l'ordre, séparées par des virgules : %(known)s."),
            params={"known": ", ".join(AuthMethod.values)},
            code="auth_order",
        )


class MemberSystem(models.Model):
    """A library of the network that runs another library system, attached through a
    connector (a library without one is served by Navette).

    The network's administrators say which system it runs, how its patrons log in (the
    methods tried in order) and how Navette reaches it. The SIP2 password is the kiosk
    account's the member created for Navette: Navette sends it, so it is kept as given.
    """

    library = models.OneToOneField(
        Library, on_delete=models.CASCADE, related_name="member_system",
        verbose_name=_("bibliothèque"),
    )  # fmt: skip
    system_name = models.CharField(
        _("système de la bibliothèque"), max_length=100,
        help_text=_("Koha, Orphée, Aloès, Décalog, Syracuse, PMB…"),
    )  # fmt: skip
    auth_order = models.CharField(
        _("authentification des lecteurs"), max_length=100, default=AuthMethod.SIP2,
        validators=[validate_auth_order],
        help_text=_("Méthodes essayées dans l'ordre, séparées par des virgules : "
                    "sip2, oidc, cas, patron_file."),
    )  # fmt: skip
    card_prefixes = models.CharField(
        _("préfixes des cartes"), max_length=200, blank=True,
        help_text=_("Débuts des numéros de carte de cette bibliothèque, séparés par des "
                    "virgules : une carte encore inconnue de Navette est vérifiée ici."),
    )  # fmt: skip
    offline_grace_hours = models.PositiveIntegerField(
        _("connexion sans le système (heures)"), default=72,
        help_text=_("Quand le système de la bibliothèque ne répond pas, un lecteur confirmé "
                    "depuis moins longtemps se connecte encore."),
    )  # fmt: skip
    account_url = models.URLField(
        _("compte lecteur de la bibliothèque"), blank=True,
        help_text=_("La page où les lecteurs voient leurs prêts dans le système de la "
                    "bibliothèque."),
    )  # fmt: skip
    default_category = models.CharField(
        _("catégorie par défaut"), max_length=30, default="adulte",
        help_text=_("Code de catégorie Navette des lecteurs dont le système ne donne pas la "
                    "catégorie, ou une catégorie inconnue de Navette."),
    )  # fmt: skip
    sip2_host = models.CharField(_("serveur SIP2"), max_length=200, blank=True)
    sip2_port = models.PositiveIntegerField(_("port SIP2"), null=True, blank=True)
    sip2_tls = models.BooleanField(_("SIP2 chiffré (TLS)"), default=False)
    sip2_ca_file = models.CharField(
        _("certificat d'autorité (fichier)"), max_length=300, blank=True
    )
    sip2_login = models.CharField(_("identifiant SIP2 de Navette"), max_length=100, blank=True)
    sip2_password = models.CharField(_("mot de passe SIP2 de Navette"), max_length=100, blank=True)
    sip2_location = models.CharField(_("localisation SIP2 (CP)"), max_length=100, blank=True)
    sip2_institution = models.CharField(_("institution SIP2 (AO)"), max_length=100, blank=True)
    sip2_connect_timeout = models.FloatField(_("délai de connexion (s)"), default=3.0)
    sip2_read_timeout = models.FloatField(_("délai de réponse (s)"), default=5.0)
    sip2_pool_size = models.PositiveSmallIntegerField(_("connexions SIP2 gardées"), default=4)
    oidc_issuer = models.URLField(_("émetteur OpenID Connect"), blank=True)
    oidc_client_id = models.CharField(_("client OpenID Connect"), max_length=200, blank=True)
    oidc_client_secret = models.CharField(_("secret OpenID Connect"), max_length=200, blank=True)
    cas_server_url = models.URLField(_("serveur CAS"), blank=True)
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("bibliothèque sous un autre système")
        verbose_name_plural = _("bibliothèques sous un autre système")
        constraints = [
            models.CheckConstraint(
                condition=Q(sip2_connect_timeout__gt=0) & Q(sip2_read_timeout__gt=0),
                name="member_system_timeouts_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.library} — {self.system_name}"

    @property
    def prefixes(self) -> list[str]:
        return [p.strip() for p in self.card_prefixes.split(",") if p.strip()]

    @property
    def auth_methods(self) -> list[str]:
        return [m.strip() for m in self.auth_order.split(",") if m.strip()]

    def clean(self) -> None:
        if AuthMethod.SIP2 in self.auth_methods and not (self.sip2_host and self.sip2_port):
            raise ValidationError(
                {"sip2_host": _("Le serveur et le port SIP2 sont nécessaires pour SIP2.")}
            )
        if AuthMethod.OIDC in self.auth_methods and not (self.oidc_issuer and self.oidc_client_id):
            raise ValidationError(
                {"oidc_issuer": _("L'émetteur et le client sont nécessaires pour OpenID Connect.")}
            )
        if AuthMethod.CAS in self.auth_methods and not self.cas_server_url:
            raise ValidationError({"cas_server_url": _("Le serveur CAS est nécessaire pour CAS.")})

    def sip2_endpoint(self) -> Sip2Endpoint:
        return Sip2Endpoint(
            host=self.sip2_host, port=self.sip2_port or 0, login_user=self.sip2_login,
            login_password=self.sip2_password, location=self.sip2_location,
            institution=self.sip2_institution, tls=self.sip2_tls, tls_ca_file=self.sip2_ca_file,
            connect_timeout=self.sip2_connect_timeout, read_timeout=self.sip2_read_timeout,
            pool_size=self.sip2_pool_size,
        )  # fmt: skip
