"""Kiosk accounts: the self-service machines allowed to speak SIP2 to Navette."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
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


class PinRule(models.TextChoices):
    """When a kiosk must send the patron's PIN (AD) for an operation."""

    ALWAYS = "always", _("Toujours (refusé sans code)")
    IF_SENT = "if_sent", _("Seulement si l'automate l'envoie")
    NEVER = "never", _("Jamais (code ignoré)")


class LanguageRule(models.TextChoices):
    HONOUR = "honour", _("Celle demandée par l'automate")
    FIXED = "fixed", _("Toujours la même")


#: the SIP2 language codes Navette speaks, and the Django language of each
SIP2_LANGUAGES = {"001": "en", "002": "fr"}


class ExtensionField(models.TextChoices):
    """Fields outside the SIP2 2.00 specification that some machines read (3M's extensions,
    as Koha and Evergreen send them); each sent only when the kiosk's profile asks for it."""

    #: PA, PB, PC in the answers to patron status (24) and information (64), to an
    #: identified patron only: card expiry and birth date (YYYYMMDD), category code
    PATRON_EXPIRY = "patron_expiry", _("date d'expiration de la carte (PA)")
    PATRON_BIRTH = "patron_birth", _("date de naissance (PB)")
    PATRON_CATEGORY = "patron_category", _("catégorie du lecteur (PC)")
    #: for sorters, in the answers to check-in (10) and item information (18): CS call
    #: number, CR shelving location; in check-in also CV alert type and CT destination
    SORTING = (
        "sorting",
        _("tri : cote (CS), emplacement (CR), type d'alerte (CV), destination (CT)"),
    )
    #: CY and DA in a check-in that sets the copy aside for a hold: the card and name of the
    #: patron it waits for (hold-shelf slips printed by the machine)
    HOLD_PATRON = "hold_patron", _("lecteur de la réservation au retour (CY, DA)")


def valid_extension_fields(value: object) -> None:
    known = set(ExtensionField.values)
    if not isinstance(value, list) or any(v not in known for v in value):
        raise ValidationError(
            _("Champs d'extension inconnus : %(values)s."), params={"values": value},
            code="unknown_extension_field",
        )  # fmt: skip


class KioskProfile(models.Model):
    """How Navette answers a make of machine: set by the network administrator, shared by
    the kiosk accounts that point to it (an account without a profile gets the defaults,
    chosen to accept the common machines; docs/kiosks.md explains each option)."""

    name = models.CharField(_("nom"), max_length=100, unique=True)
    pin_for_checkout = models.CharField(
        _("code PIN pour le prêt et les réservations"), max_length=10, choices=PinRule.choices,
        default=PinRule.IF_SENT,
    )  # fmt: skip
    pin_for_renew = models.CharField(
        _("code PIN pour la prolongation"), max_length=10, choices=PinRule.choices,
        default=PinRule.IF_SENT,
    )  # fmt: skip
    pin_for_patron_info = models.CharField(
        _("code PIN pour le compte du lecteur"), max_length=10, choices=PinRule.choices,
        default=PinRule.IF_SENT,
    )  # fmt: skip
    name_without_pin = models.BooleanField(
        _("nom du lecteur sans code PIN"), default=True,
        help_text=_("Renvoyer le nom (AE) d'une carte connue même sans code ou avec un code faux."),
    )  # fmt: skip
    checkin_not_on_loan_ok = models.BooleanField(
        _("retour d'un document non prêté accepté (ok=1)"), default=True
    )
    language = models.CharField(
        _("langue des réponses"), max_length=10, choices=LanguageRule.choices,
        default=LanguageRule.HONOUR,
    )  # fmt: skip
    fixed_language = models.CharField(
        _("langue fixe"), max_length=3, default="002",
        choices=[("000", _("Langue du réseau")), ("001", "English"), ("002", "Français")],
    )  # fmt: skip
    checkin_patron = models.BooleanField(_("carte du lecteur (AA) au retour"), default=True)
    counts_as_zero = models.BooleanField(
        _("compteurs à 0000 pour une carte inconnue ou non identifiée"), default=True
    )
    queue_position = models.BooleanField(_("rang dans la file de réservation (BR)"), default=True)
    media_type = models.BooleanField(_("type de support (CK)"), default=True)
    extension_fields = models.JSONField(
        _("champs d'extension"), default=list, blank=True, validators=[valid_extension_fields],
        help_text=_("Champs hors de la norme 2.00 que certains automates lisent (docs/kiosks.md)."),
    )  # fmt: skip
    works_from = models.TimeField(_("en service à partir de"), null=True, blank=True)
    works_until = models.TimeField(_("en service jusqu'à"), null=True, blank=True)

    class Meta:
        verbose_name = _("profil d'automate")
        verbose_name_plural = _("profils d'automate")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def sends(self, field: str) -> bool:
        """Whether the profile asks for this extension field (``ExtensionField``)."""
        return field in (self.extension_fields or [])

    def pin_rule(self, operation: str) -> str:
        """The PIN rule of a kiosk operation (holds and payments follow the loans')."""
        if operation == KioskOperation.RENEW:
            return self.pin_for_renew
        if operation in (KioskOperation.PATRON_STATUS, KioskOperation.PATRON_ENABLE):
            return self.pin_for_patron_info
        return self.pin_for_checkout

    def works_at(self, local_time: dt.time) -> bool:
        """Whether the machine may lend at this local time (no window: any time; a window
        across midnight, from 20:00 until 02:00, is understood as such)."""
        start, end = self.works_from, self.works_until
        if start is None and end is None:
            return True
        start = start or dt.time.min
        end = end or dt.time.max
        if start <= end:
            return start <= local_time <= end
        return local_time >= start or local_time <= end


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
    profile = models.ForeignKey(
        KioskProfile, on_delete=models.PROTECT, null=True, blank=True, related_name="kiosks",
        verbose_name=_("profil"), help_text=_("Vide : le profil par défaut (docs/kiosks.md)."),
    )  # fmt: skip
    is_active = models.BooleanField(_("actif"), default=True)
    last_login_at = models.DateTimeField(_("dernière connexion"), null=True, blank=True)
    #: wrong passwords in a row; ``NAVETTE_SIP2_LOCKOUT_ATTEMPTS`` lock the account
    failed_logins = models.PositiveIntegerField(_("échecs de connexion"), default=0)
    locked_until = models.DateTimeField(_("connexion bloquée jusqu'à"), null=True, blank=True)
    #: the last silence and the last day of refusals its library was told of by e-mail
    silence_reported_at = models.DateTimeField(null=True, blank=True, editable=False)
    refusals_reported_on = models.DateField(null=True, blank=True, editable=False)

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

    def effective_profile(self) -> KioskProfile:
        """The account's profile, or an unsaved one with the defaults."""
        return self.profile if self.profile is not None else KioskProfile(name="")


class KioskActivity(models.Model):
    """What a kiosk asked today, counted per message and outcome ("ok" or the refusal's
    code): one row per (kiosk, day, message, outcome), incremented by one statement per
    SIP2 request. The kiosk monitor reads it (last seen, transactions by type, refusal
    rate, top refusal reasons)."""

    kiosk = models.ForeignKey(Kiosk, on_delete=models.CASCADE, related_name="activity")
    day = models.DateField(_("jour"))
    message = models.CharField(_("message"), max_length=2)
    outcome = models.CharField(_("résultat"), max_length=60)
    count = models.PositiveIntegerField(_("nombre"), default=0)
    last_at = models.DateTimeField(_("dernière fois"))

    class Meta:
        verbose_name = _("activité d'automate")
        verbose_name_plural = _("activité des automates")
        constraints = [
            models.UniqueConstraint(
                fields=["kiosk", "day", "message", "outcome"], name="kiosk_activity_one_row"
            )
        ]
