"""Kiosk accounts: the self-service machines allowed to speak SIP2 to Navette."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.utils.translation import gettext_lazy as _


class KioskOperation(models.TextChoices):
    """What a machine may do. A security gate only asks item information; a kiosk lends."""

    PATRON_STATUS = "patron_status", _("Statut et informations lecteur")
    CHECKOUT = "checkout", _("Prêt")
    CHECKIN = "checkin", _("Retour")
    RENEW = "renew", _("Prolongation")
    HOLD = "hold", _("Réservation")
    ITEM_INFORMATION = "item_information", _("Informations exemplaire")
    ITEM_STATUS_UPDATE = "item_status_update", _("Mise à jour d'exemplaire")
    BLOCK_PATRON = "block_patron", _("Blocage de carte")
    PATRON_ENABLE = "patron_enable", _("Réactivation de carte")
    FEE_PAID = "fee_paid", _("Paiement")


class KioskEncoding(models.TextChoices):
    UTF8 = "utf-8", "UTF-8"
    CP850 = "cp850", "CP850 (IBM PC)"
    CP1252 = "cp1252", "Windows-1252"
    LATIN1 = "latin-1", "ISO-8859-1"


def all_operations() -> list[str]:
    return [op.value for op in KioskOperation if op != KioskOperation.FEE_PAID]


class Kiosk(models.Model):
    """A SIP2 account: login (CN), password (CO, hashed), the library it stands in.

    Loans made at a kiosk are made at its library, by the actor ``Actor.kiosk``.
    """

    login = models.CharField(_("identifiant"), max_length=64, unique=True)
    password_hash = models.CharField(_("mot de passe (haché)"), max_length=200)
    name = models.CharField(_("nom"), max_length=200, blank=True)
    library = models.ForeignKey(
        "network.Library", on_delete=models.PROTECT, related_name="kiosks",
        verbose_name=_("bibliothèque"),
    )  # fmt: skip
    allowed_operations = models.JSONField(
        _("opérations permises"), default=all_operations, blank=True
    )
    encoding = models.CharField(
        _("encodage des caractères"), max_length=10, choices=KioskEncoding.choices,
        default=KioskEncoding.UTF8,
    )  # fmt: skip
    is_active = models.BooleanField(_("actif"), default=True)
    last_login_at = models.DateTimeField(_("dernière connexion"), null=True, blank=True)

    class Meta:
        verbose_name = _("automate SIP2")
        verbose_name_plural = _("automates SIP2")
        ordering = ["login"]

    def __str__(self) -> str:
        return self.name or self.login

    def set_password(self, raw: str) -> None:
        self.password_hash = make_password(raw)

    def check_password(self, raw: str) -> bool:
        return bool(self.password_hash) and check_password(raw, self.password_hash)

    def may(self, operation: str) -> bool:
        return operation in (self.allowed_operations or [])
