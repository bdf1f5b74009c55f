"""Online resources, vendor single sign-on, the token ledger and usage facts.

Token amounts are stored as integers counting half-tokens (``*_halves``):
a film at 1.5 tokens costs 3, the default allowance of 4 tokens is 8.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from navette.digital.formats import format_tokens

#: The longest access window a resource may give (four weeks): shorter than the shortest
#: retention of the token ledger, which the window is read from.
MAX_ACCESS_HOURS = 24 * 28


class ResourceKind(models.TextChoices):
    PRESS = "presse", _("Presse")
    VOD = "vod", _("Vidéo à la demande")
    COURSES = "autoformation", _("Autoformation")
    MUSIC = "musique", _("Musique")
    EBOOKS = "livres_numeriques", _("Livres numériques")


class Vendor(models.Model):
    """A platform the network subscribes to (Arte VOD, UniversCiné, a press kiosk...)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    website = models.URLField(_("site web"), blank=True)
    contact_email = models.EmailField(_("courriel du contact"), blank=True)

    class Meta:
        verbose_name = _("fournisseur")
        verbose_name_plural = _("fournisseurs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceProtocol(models.TextChoices):
    CAS = "cas", "CAS"
    OIDC = "oidc", "OpenID Connect"


class ServiceRegistration(models.Model):
    """A vendor application allowed to ask the portal who the patron is.

    CAS: ``service_url`` is compared exactly (scheme, host, port and path; the
    query string, where vendors put the title to open, is never matched).
    OpenID Connect: ``client_id`` plus ``redirect_uris``, each compared exactly;
    ``client_secret_hash`` is a Django password hash (blank for a public client,
    which must then rely on PKCE alone).
    """

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="services")
    name = models.CharField(_("nom"), max_length=200)
    protocol = models.CharField(_("protocole"), max_length=10, choices=ServiceProtocol.choices)
    service_url = models.URLField(_("URL de service CAS"), max_length=500, blank=True)
    client_id = models.CharField(_("identifiant client OIDC"), max_length=100, blank=True)
    client_secret_hash = models.CharField(_("secret client (haché)"), max_length=200, blank=True)
    redirect_uris = models.JSONField(_("URI de redirection OIDC"), default=list, blank=True)
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("service enregistré")
        verbose_name_plural = _("services enregistrés")
        constraints = [
            models.UniqueConstraint(
                fields=["client_id"], condition=~Q(client_id=""), name="service_client_id_unique"
            ),
            models.CheckConstraint(
                condition=(Q(protocol="cas") & ~Q(service_url=""))
                | (Q(protocol="oidc") & ~Q(client_id="")),
                name="service_has_identifier",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_protocol_display()})"


class Resource(models.Model):
    """An online resource shown on /mediatheque-en-ligne/.

    ``access_url`` is where a patron lands (``{ref}`` is replaced by the
    vendor's title reference when a title is started; a CAS service URL whose
    query names a title the same way is recognised as a launch of that title).
    ``sso_service`` is how the vendor recognises the patron: with CAS, the patron
    arrives with a service ticket; with OpenID Connect, the vendor sends the
    patron to /oidc/authorize. Every way in is decided by
    ``navette.digital.services.access_decide``.
    """

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="resources")
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=ResourceKind.choices)
    description = models.TextField(_("description"), blank=True)
    how_to_connect = models.TextField(_("comment se connecter"), blank=True)
    access_url = models.URLField(_("modèle d'URL d'accès"), max_length=500)
    sso_service = models.ForeignKey(
        ServiceRegistration, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="resources", verbose_name=_("service de connexion unique"),
        help_text=_("Le service CAS ou OpenID Connect par lequel le fournisseur reconnaît "
                    "le lecteur."),
    )  # fmt: skip
    allowed_categories = models.ManyToManyField(
        "patrons.PatronCategory", blank=True, related_name="+",
        verbose_name=_("catégories autorisées"),
        help_text=_("Vide : toutes les catégories."),
    )  # fmt: skip
    minimum_age = models.PositiveSmallIntegerField(_("âge minimum"), default=0)
    uses_tokens = models.BooleanField(
        _("titres payés en jetons"), default=False,
        help_text=_("Chaque titre lancé débite le solde mensuel du lecteur."),
    )  # fmt: skip
    access_hours = models.PositiveSmallIntegerField(
        _("durée d'accès (heures)"), default=48, validators=[MaxValueValidator(MAX_ACCESS_HOURS)],
        help_text=_("Un titre relancé dans ce délai après son paiement ne coûte rien de plus."),
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("ressource en ligne")
        verbose_name_plural = _("ressources en ligne")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class VendorTitle(models.Model):
    """One title of a vendor's catalogue, linked to its catalogue record.

    The catalogue record (doc_type ``online``) is what search finds; this row
    says where it lives and what it costs.
    """

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="titles")
    record = models.OneToOneField(
        "catalogue.Record", on_delete=models.CASCADE, related_name="vendor_title"
    )
    vendor_ref = models.CharField(_("référence fournisseur"), max_length=100)
    title = models.CharField(_("titre"), max_length=500)
    release_year = models.SmallIntegerField(_("année de sortie"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(_("durée (minutes)"), null=True, blank=True)
    people = models.JSONField(_("réalisateurs ou auteurs"), default=list, blank=True)
    is_active = models.BooleanField(_("disponible"), default=True)

    class Meta:
        verbose_name = _("titre en ligne")
        verbose_name_plural = _("titres en ligne")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "vendor_ref"], name="vendor_title_ref_once")
        ]

    def __str__(self) -> str:
        return self.title


# --- single sign-on ------------------------------------------------------------------------


class CasTicket(models.Model):
    """A CAS service ticket: single use, short-lived, bound to one exact service URL.

    It says what the patron was granted: the resource, the title (none for a
    resource's home page) and the cost quoted when it was issued. The title is
    charged when the vendor validates the ticket (``entry``: the ledger line that
    paid for it, possibly an earlier one whose access window is still open).
    """

    ticket = models.CharField(max_length=80, unique=True)
    registration = models.ForeignKey(
        ServiceRegistration, on_delete=models.CASCADE, related_name="+"
    )
    service = models.URLField(max_length=1000)
    patron = models.ForeignKey("patrons.Patron", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)
    resource = models.ForeignKey(
        "Resource", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.ForeignKey(
        "VendorTitle", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cost_halves = models.IntegerField(default=0)
    entry = models.ForeignKey(
        "TokenEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]


class OidcCode(models.Model):
    """An OpenID Connect authorization code (stored as a SHA-256 digest).

    Like a CAS ticket, it says what was granted (resource, title, cost quoted);
    the title is charged when the vendor exchanges the code (``entry``).
    """

    code_digest = models.CharField(max_length=64, unique=True)
    registration = models.ForeignKey(
        ServiceRegistration, on_delete=models.CASCADE, related_name="+"
    )
    patron = models.ForeignKey("patrons.Patron", on_delete=models.CASCADE, related_name="+")
    redirect_uri = models.URLField(max_length=1000)
    scope = models.CharField(max_length=300)
    nonce = models.CharField(max_length=300, blank=True)
    code_challenge = models.CharField(max_length=128)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)
    resource = models.ForeignKey(
        "Resource", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.ForeignKey(
        "VendorTitle", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cost_halves = models.IntegerField(default=0)
    entry = models.ForeignKey(
        "TokenEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]


class OidcAccessToken(models.Model):
    """A bearer token for /oidc/userinfo (stored as a SHA-256 digest)."""

    token_digest = models.CharField(max_length=64, unique=True)
    registration = models.ForeignKey(
        ServiceRegistration, on_delete=models.CASCADE, related_name="+"
    )
    patron = models.ForeignKey("patrons.Patron", on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=300)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]


# --- tokens --------------------------------------------------------------------------------


class TokenSettings(models.Model):
    """The network's token rules (one row per network).

    ``cost_bands`` is the cost rule: ``[[max_years_since_release, cost_halves], ...]``
    in increasing order of years; a title older than the last band costs
    ``oldest_cost_halves``. Caps of 0 mean no cap.
    """

    network = models.OneToOneField(
        "network.Network", on_delete=models.CASCADE, related_name="token_settings"
    )
    monthly_allowance_halves = models.PositiveIntegerField(
        _("jetons par mois et par lecteur (demi-jetons)"), default=8
    )
    cost_bands = models.JSONField(_("barème"), default=list, blank=True)
    oldest_cost_halves = models.PositiveSmallIntegerField(_("coût des titres anciens"), default=1)
    monthly_cap_halves = models.PositiveIntegerField(_("plafond mensuel du réseau"), default=0)
    yearly_cap_halves = models.PositiveIntegerField(_("plafond annuel du réseau"), default=0)
    alert_percent = models.PositiveSmallIntegerField(_("seuil d'alerte (%)"), default=80)

    class Meta:
        verbose_name = _("règles des jetons")
        verbose_name_plural = _("règles des jetons")


class CategoryAllowance(models.Model):
    """A monthly allowance for one patron category, overriding the network's."""

    settings = models.ForeignKey(TokenSettings, on_delete=models.CASCADE, related_name="categories")
    category = models.ForeignKey(
        "patrons.PatronCategory", on_delete=models.CASCADE, related_name="+"
    )
    allowance_halves = models.PositiveIntegerField(_("jetons par mois (demi-jetons)"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["settings", "category"], name="category_allowance_once")
        ]


class PatronTokenMonth(models.Model):
    """What a patron spent in one month (``YYYY-MM``, Paris time).

    A new month is a new row, so the allowance renews on the 1st with no job.
    ``spent_halves`` only moves through a conditional UPDATE.
    """

    patron = models.ForeignKey("patrons.Patron", on_delete=models.CASCADE, related_name="+")
    month = models.CharField(max_length=7)
    spent_halves = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patron", "month"], name="patron_token_month_once"),
            models.CheckConstraint(
                condition=Q(spent_halves__gte=0), name="patron_spent_not_negative"
            ),
        ]


class CapPeriod(models.TextChoices):
    MONTH = "month", _("mois")
    YEAR = "year", _("année")


class NetworkTokenPeriod(models.Model):
    """What the whole network spent in one month (``YYYY-MM``) or year (``YYYY``).

    ``alerted_at`` is set once, by a conditional UPDATE, when the alert is sent.
    """

    network = models.ForeignKey("network.Network", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=5, choices=CapPeriod.choices)
    key = models.CharField(max_length=7)
    spent_halves = models.IntegerField(default=0)
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["network", "period", "key"], name="network_token_period_once"
            ),
            models.CheckConstraint(
                condition=Q(spent_halves__gte=0), name="network_spent_not_negative"
            ),
        ]


class EntryKind(models.TextChoices):
    SPEND = "spend", _("Débit")
    REFUND = "refund", _("Remboursement")


class TokenEntry(models.Model):
    """The ledger: one line per spend or refund. Never updated, never deleted.

    The patron link is cleared when a patron is deleted; the amounts stay.
    """

    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    at = models.DateTimeField(db_index=True)
    month = models.CharField(max_length=7, db_index=True)
    patron = models.ForeignKey(
        "patrons.Patron", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.ForeignKey(VendorTitle, null=True, on_delete=models.SET_NULL, related_name="+")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="+")
    #: copied from the patron at the spend, for statistics that outlive the patron
    library = models.ForeignKey(
        "network.Library", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    category_code = models.CharField(max_length=30, blank=True)
    amount_halves = models.IntegerField(
        help_text=_("Positif pour un débit, négatif pour un remboursement.")
    )
    refund_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="refund"
    )
    reason = models.CharField(_("motif"), max_length=300, blank=True)
    actor_label = models.CharField(max_length=150)

    class Meta:
        verbose_name = _("mouvement de jetons")
        verbose_name_plural = _("mouvements de jetons")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="spend") & Q(amount_halves__gt=0) & Q(refund_of__isnull=True))
                | (Q(kind="refund") & Q(amount_halves__lt=0) & Q(refund_of__isnull=False)),
                name="token_entry_sign_matches_kind",
            )
        ]

    @property
    def amount_display(self) -> str:
        return format_tokens(abs(self.amount_halves))


class UsageFact(models.Model):
    """One launch (or refund) for statistics, with no link to the patron.

    Only what the statistics need is copied (home library, category, age
    band), so counts survive the patron's anonymisation or deletion.
    """

    at = models.DateTimeField()
    month = models.CharField(max_length=7, db_index=True)
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="+")
    title = models.ForeignKey(
        VendorTitle, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    library = models.ForeignKey(
        "network.Library", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    category_code = models.CharField(max_length=30, blank=True)
    age_band = models.CharField(max_length=10, blank=True)
    launches = models.SmallIntegerField(default=1)
    tokens_halves = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["month", "resource"])]
