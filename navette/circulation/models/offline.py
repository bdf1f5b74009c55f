"""Transactions recorded while a machine or a desk was off the network, replayed later."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OfflineKind(models.TextChoices):
    CHECKOUT = "checkout", _("Prêt")
    CHECKIN = "checkin", _("Retour")


class OfflineSource(models.TextChoices):
    KIOSK = "kiosk", _("Automate (SIP2, sans blocage)")
    UPLOAD = "upload", _("Fichier de prêt hors ligne")


class OfflineOutcome(models.TextChoices):
    APPLIED = "applied", _("Appliqué")
    SKIPPED = "skipped", _("Sans objet")
    CONFLICT = "conflict", _("Conflit à traiter")


class OfflineTransaction(models.Model):
    """One transaction made off the network, as replayed: what, when it happened, where,
    by whom, and how it ended (applied; without object, e.g. a return already recorded;
    or a conflict staff must settle, with its code)."""

    kind = models.CharField(_("opération"), max_length=10, choices=OfflineKind.choices)
    source = models.CharField(_("origine"), max_length=10, choices=OfflineSource.choices)
    library = models.ForeignKey(
        "network.Library", on_delete=models.PROTECT, related_name="+",
        verbose_name=_("bibliothèque"),
    )  # fmt: skip
    actor_label = models.CharField(_("par"), max_length=150)
    card_number = models.CharField(_("carte"), max_length=64, blank=True)
    barcode = models.CharField(_("code-barres"), max_length=64)
    happened_at = models.DateTimeField(_("date de l'opération"))
    replayed_at = models.DateTimeField(_("rejoué le"))
    outcome = models.CharField(_("résultat"), max_length=10, choices=OfflineOutcome.choices)
    code = models.CharField(_("motif"), max_length=60, blank=True)
    loan = models.ForeignKey(
        "circulation.Loan", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("opération hors ligne")
        verbose_name_plural = _("opérations hors ligne")
        indexes = [
            models.Index(
                fields=["library", "replayed_at"], condition=models.Q(outcome="conflict"),
                name="offline_conflicts",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.kind} {self.barcode} {self.happened_at:%Y-%m-%d %H:%M}"
