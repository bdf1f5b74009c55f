"""Patrons: one card for the whole network."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from navette.network.models import AuthMethod


class PatronCategory(models.Model):
    """A patron category (adulte, jeune, étudiant, collectivité...). Loan rules key on it."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    label = models.CharField(_("libellé"), max_length=100)
    membership_months = models.PositiveSmallIntegerField(_("durée d'adhésion (mois)"), default=12)

    class Meta:
        verbose_name = _("catégorie de lecteur")
        verbose_name_plural = _("catégories de lecteurs")
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class Patron(models.Model):
    """A registered patron. The card number is unique across the network.

    ``pin_hash`` holds a Django password hash: PINs are never stored in clear.
    """

    card_number = models.CharField(_("numéro de carte"), max_length=32, unique=True)
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    email = models.EmailField(_("courriel"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=40, blank=True)
    street = models.CharField(_("adresse"), max_length=200, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    category = models.ForeignKey(
        PatronCategory, on_delete=models.PROTECT, related_name="patrons",
        verbose_name=_("catégorie"),
    )  # fmt: skip
    home_library = models.ForeignKey(
        "network.Library", on_delete=models.PROTECT, related_name="patrons",
        verbose_name=_("bibliothèque d'inscription"),
    )  # fmt: skip
    membership_expires_on = models.DateField(_("fin d'adhésion"))
    suspended_until = models.DateField(
        _("suspendu jusqu'au"), null=True, blank=True,
        help_text=_("Suspension du droit d'emprunt (retards)."),
    )  # fmt: skip
    pin_hash = models.CharField(_("code PIN (haché)"), max_length=200, blank=True)
    failed_logins = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    history_opt_in = models.BooleanField(_("conserver mon historique de lecture"), default=False)
    preferred_language = models.CharField(_("langue"), max_length=5, default="fr")
    notify_by_email = models.BooleanField(_("avis par courriel"), default=True)
    created_at = models.DateTimeField(_("inscrit le"), auto_now_add=True)
    last_activity_at = models.DateTimeField(_("dernière activité"), null=True, blank=True)

    class Meta:
        verbose_name = _("lecteur")
        verbose_name_plural = _("lecteurs")
        indexes = [models.Index(fields=["last_name", "first_name", "birth_date"])]
        constraints = [
            models.CheckConstraint(condition=~Q(card_number=""), name="patron_card_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.card_number})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: dt.date) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    @property
    def residence(self) -> str:
        """The commune of residence as the statistics count it: postcode and city, upper
        case, spaces collapsed ("62300 LENS")."""
        return " ".join(f"{self.postcode} {self.city}".upper().split())[:120]

    def age_band(self, day: dt.date) -> str:
        """An age band for anonymous statistics and vendors: never the birth date."""
        age = self.age_on(day)
        if age is None:
            # a member library's patron (kept without name or birth date, see
            # patrons.federation): the band their system last gave. A named patron is
            # local: no lookup of a federation in every loan's statistics
            if self.last_name:
                return "inconnu"
            federation = getattr(self, "federation", None)
            return federation.age_band if federation is not None else "inconnu"
        return age_band_of(age)


def age_band_of(age: int) -> str:
    """The statistics' age band of an age in years."""
    for upper, band in ((6, "0-5"), (12, "6-11"), (15, "12-14"), (18, "15-17"),
                        (26, "18-25"), (40, "26-39"), (65, "40-64")):  # fmt: skip
        if age < upper:
            return band
    return "65+"


class PatronBlock(models.Model):
    """A manual block on a card (lost card, dispute...). Lifted, it stays as history."""

    patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="blocks")
    reason = models.CharField(_("motif"), max_length=200)
    created_at = models.DateTimeField(_("posé le"))
    created_by = models.CharField(_("posé par"), max_length=150, blank=True)
    #: placed by a self-service machine (SIP2 01), which may lift it again (SIP2 25)
    by_machine = models.BooleanField(_("posé par un automate"), default=False)
    lifted_at = models.DateTimeField(_("levé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("blocage")
        verbose_name_plural = _("blocages")
        indexes = [models.Index(fields=["patron", "lifted_at"])]

    def __str__(self) -> str:
        return self.reason


class PatronCard(models.Model):
    """Every card a patron has held. Replacing a card closes the old row and
    opens a new one, so loans and history stay with the patron, not the card.

    A number is never given to a second patron, even after its card is replaced.

    An alias (``is_alias``) is another card of the same person, kept when two patrons were
    merged (at go-live, the same person registered in two libraries): it works at the desk
    and at kiosks like the current card until it is replaced.
    """

    patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="cards")
    number = models.CharField(_("numéro de carte"), max_length=32, unique=True)
    issued_at = models.DateTimeField(_("délivrée le"))
    replaced_at = models.DateTimeField(_("remplacée le"), null=True, blank=True)
    reason = models.CharField(_("motif du remplacement"), max_length=200, blank=True)
    is_alias = models.BooleanField(_("carte d'un lecteur fusionné"), default=False)

    class Meta:
        verbose_name = _("carte")
        verbose_name_plural = _("cartes")
        ordering = ["issued_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patron"], condition=Q(replaced_at__isnull=True, is_alias=False),
                name="patroncard_one_current_per_patron",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.number


class LoginAttempt(models.Model):
    """One portal login attempt, kept briefly for the per-address rate limit.

    Stored in the database (not in process memory) so that every worker of a
    multi-process server counts the same attempts. Purged by a scheduled job.
    """

    ip = models.CharField(_("adresse"), max_length=45)
    at = models.DateTimeField(_("date"))
    succeeded = models.BooleanField(default=False)
    #: a keyed hash of an unknown card number tried (never the number), so that unknown
    #: numbers lock like real cards; empty for real cards
    card_digest = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        verbose_name = _("tentative de connexion")
        verbose_name_plural = _("tentatives de connexion")
        indexes = [
            models.Index(fields=["ip", "at"]),
            models.Index(fields=["card_digest", "at"], condition=~models.Q(card_digest=""),
                         name="loginattempt_card_digest"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.ip} {self.at:%Y-%m-%d %H:%M}"


class PseudonymKey(models.Model):
    """The secret key of one calendar year's borrower pseudonyms (``navette.patrons.pseudonyms``).

    Kept here, with the patrons' identities, never with the statistics facts that carry the
    pseudonyms: the facts alone cannot be linked back to a patron. ``key`` is emptied (and
    ``destroyed_at`` set) when the year's report is closed; the row stays so that no key is
    ever drawn again for that year.
    """

    year = models.PositiveSmallIntegerField(_("année"), unique=True)
    key = models.BinaryField(_("clé"), null=True, editable=False)
    created_at = models.DateTimeField(_("créée le"))
    destroyed_at = models.DateTimeField(_("détruite le"), null=True, blank=True)

    class Meta:
        verbose_name = _("clé de pseudonymes")
        verbose_name_plural = _("clés de pseudonymes")
        constraints = [
            models.CheckConstraint(
                condition=Q(key__isnull=True) | Q(destroyed_at__isnull=True),
                name="pseudonym_key_gone_once_destroyed",
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)


class FederatedPatron(models.Model):
    """A patron of a member library running another system, as far as Navette knows them.

    Only what the portal's services need is kept (CNIL): the card (on ``patron``, whose
    name, birth date and contact details stay blank), the member library, the category,
    an age band, the validity and when the member's system last confirmed it. Each login
    through the member's system refreshes it. ``offline_secret`` is a hash of the PIN the
    member's system last accepted, so that a login still works for a while when that
    system is down.
    """

    patron = models.OneToOneField(Patron, on_delete=models.CASCADE, related_name="federation")
    library = models.ForeignKey(
        "network.Library", on_delete=models.CASCADE, related_name="federated_patrons",
        verbose_name=_("bibliothèque"),
    )  # fmt: skip
    remote_category = models.CharField(_("catégorie dans le système"), max_length=60, blank=True)
    age_band = models.CharField(_("tranche d'âge"), max_length=10, default="inconnu")
    valid = models.BooleanField(_("carte valide"), default=True)
    method = models.CharField(_("confirmée par"), max_length=20, choices=AuthMethod.choices)
    confirmed_at = models.DateTimeField(_("confirmée le"))
    offline_secret = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("lecteur d'une bibliothèque membre")
        verbose_name_plural = _("lecteurs des bibliothèques membres")

    def __str__(self) -> str:
        return f"{self.patron.card_number} ({self.library.code})"


class PatronFileEntry(models.Model):
    """One card of the patron file a member library deposits (a system without any online
    interface). Keeps the card, validity, category and birth year; the birth date only as
    a keyed digest, to check the first login."""

    library = models.ForeignKey(
        "network.Library", on_delete=models.CASCADE, related_name="patron_file_entries"
    )
    card_number = models.CharField(_("numéro de carte"), max_length=32)
    category = models.CharField(_("catégorie"), max_length=60, blank=True)
    expires_on = models.DateField(_("fin d'adhésion"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("année de naissance"), null=True, blank=True)
    birth_date_digest = models.CharField(max_length=64, blank=True)
    loaded_at = models.DateTimeField(_("déposé le"))

    class Meta:
        verbose_name = _("carte du fichier déposé")
        verbose_name_plural = _("fichiers des lecteurs déposés")
        constraints = [
            models.UniqueConstraint(
                fields=["library", "card_number"], name="patron_file_entry_unique_card"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.card_number} ({self.library_id})"


class RegisteredYear(models.Model):
    """How far the patrons registered in ``year`` are counted (``RegisteredCount``): on
    ``counted_on``, by the nightly job (``patrons-registered``), until the year is closed
    (``close_statistics_year``), which counts it one last time (``final``)."""

    year = models.PositiveSmallIntegerField(_("année"), primary_key=True)
    counted_on = models.DateField(_("compté le"))
    final = models.BooleanField(_("définitif"), default=False)

    class Meta:
        verbose_name = _("année d'inscrits comptée")
        verbose_name_plural = _("années d'inscrits comptées")


#: ``RegisteredCount.library_id`` of the counts of the whole network
NETWORK = 0


class RegisteredCount(models.Model):
    """Patrons registered in ``year`` (registered by its 31 December, membership running on
    one of its days), per home library (``library_id``; ``NETWORK``: every library), in all
    (``dimension`` "") and by ``birth_year`` (the year, "" when unknown) or ``residence``
    (``Patron.residence``): what the annual report reads instead of the patrons
    (``navette.patrons.rollups``)."""

    year = models.PositiveSmallIntegerField(_("année"))
    library_id = models.IntegerField(_("bibliothèque (0 : le réseau)"))
    dimension = models.CharField(_("critère"), max_length=20, blank=True)
    key = models.CharField(_("valeur"), max_length=120, blank=True)
    n = models.IntegerField(_("nombre"))

    class Meta:
        verbose_name = _("compte d'inscrits")
        verbose_name_plural = _("comptes d'inscrits")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "library_id", "dimension", "key"], name="patrons_registered_once"
            )
        ]
