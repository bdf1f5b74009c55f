"""API keys given to third parties (discovery layers, a town's website, partner systems)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    """What a key may do; each API endpoint requires one scope."""

    CATALOGUE_READ = "catalogue_read", _("Lecture du catalogue")
    AVAILABILITY = "availability", _("Disponibilité des exemplaires")
    PATRON_AUTH = "patron_auth", _("Authentification des lecteurs")
    CIRCULATION = "circulation", _("Circulation pour un système partenaire")
    EVENTS_READ = "events_read", _("Lecture de l'agenda")


class ApiKey(models.Model):
    """A key: a public ``prefix`` and a secret stored only as its SHA-256 (the secret is 32
    random bytes, so a fast hash is enough: nothing to guess from a dictionary)."""

    name = models.CharField(_("nom du partenaire"), max_length=200)
    prefix = models.CharField(_("identifiant public"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("droits"), default=list)
    rate_per_minute = models.PositiveIntegerField(_("appels par minute"), default=60)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("créée par"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("créée le"))
    #: where a circulation partner lends and takes back (its desk); required by that scope
    library = models.ForeignKey(
        "network.Library", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("bibliothèque (circulation)"),
        help_text=_("Le prêt et le retour par cette clé se font dans cette bibliothèque."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("clé d'API")
        verbose_name_plural = _("clés d'API")
        constraints = [
            models.CheckConstraint(
                condition=Q(rate_per_minute__gte=1), name="api_key_rate_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class ApiKeyWindow(models.Model):
    """Calls made with a key in one minute: the rate limit is a conditional update of ``calls``."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "minute"], name="api_key_window_once")
        ]
