"""Anonymous statistics facts: what happened where, never to whom.

A fact keeps the library, the document type, the patron's category, age band and commune
of residence, and the borrower's pseudonym of the year (``navette.patrons.pseudonyms``: a
keyed hash whose key is kept apart and destroyed when the year is closed); no patron, no
copy, no date of birth: it survives anonymisation and purges.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from navette.core.actions import AuditAction


class CirculationAction(models.TextChoices):
    """What a fact counts, named as the audit journal names the same event."""

    CHECKOUT = AuditAction.LOAN_CHECKOUT.value, _("Prêt")
    CHECKIN = AuditAction.LOAN_CHECKIN.value, _("Retour")
    RENEW = AuditAction.LOAN_RENEW.value, _("Prolongation")
    HOLD_PLACE = AuditAction.HOLD_PLACE.value, _("Réservation")
    HOLD_FULFIL = AuditAction.HOLD_FULFIL.value, _("Réservation satisfaite")
    HOLD_CANCEL = AuditAction.HOLD_CANCEL.value, _("Réservation annulée")
    HOLD_EXPIRE = AuditAction.HOLD_EXPIRE.value, _("Réservation expirée")
    TRANSIT_SEND = AuditAction.TRANSIT_SEND.value, _("Envoi en navette")
    TRANSIT_RECEIVE = AuditAction.TRANSIT_RECEIVE.value, _("Réception de navette")
    TRANSIT_LOST = AuditAction.TRANSIT_LOST.value, _("Perte en transit")


class CirculationFact(models.Model):
    day = models.DateField(_("jour"), db_index=True)
    action = models.CharField(_("action"), max_length=20, choices=CirculationAction.choices)
    # no foreign key constraints on the libraries: facts are appended by every loan and
    # return and are history (SET_NULL is applied by Django should a library be deleted);
    # no index of its own either: the (library, day, action) index below leads with it
    library = models.ForeignKey(
        "network.Library", on_delete=models.SET_NULL, null=True, related_name="+",
        db_index=False, db_constraint=False,
    )  # fmt: skip
    # facts are counted by day and library (the index below), never searched by these two
    owning_library = models.ForeignKey(
        "network.Library", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        db_index=False, db_constraint=False,
    )  # fmt: skip
    doc_type = models.CharField(_("type de document"), max_length=20, blank=True)
    patron_category = models.CharField(_("catégorie de lecteur"), max_length=30, blank=True)
    age_band = models.CharField(_("tranche d'âge"), max_length=10, blank=True)
    home_library = models.ForeignKey(
        "network.Library", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        db_index=False, db_constraint=False,
    )  # fmt: skip
    #: the patron's commune of residence ("59300 VALENCIENNES"), as the survey counts it
    residence = models.CharField(_("commune de résidence"), max_length=120, blank=True)
    #: the patron's pseudonym of the fact's calendar year (None: no patron, or key destroyed)
    borrower = models.UUIDField(_("pseudonyme de l'emprunteur"), null=True, blank=True)

    class Meta:
        verbose_name = _("fait de circulation")
        verbose_name_plural = _("faits de circulation")
        indexes = [models.Index(fields=["library", "day", "action"])]


class MonthlyCount(models.Model):
    """Facts counted by month and by all their dimensions but the borrower: what the pages
    read instead of the facts (``navette.stats.rollups``). A month's rows count its days up
    to ``RollupState.through_day``; the later days are read from the facts."""

    month = models.DateField(_("mois"))  # its first day
    action = models.CharField(_("action"), max_length=20, choices=CirculationAction.choices)
    library_id = models.IntegerField(_("bibliothèque"), null=True)
    owning_library_id = models.IntegerField(_("bibliothèque propriétaire"), null=True)
    home_library_id = models.IntegerField(_("bibliothèque du lecteur"), null=True)
    doc_type = models.CharField(_("type de document"), max_length=20, blank=True)
    patron_category = models.CharField(_("catégorie de lecteur"), max_length=30, blank=True)
    age_band = models.CharField(_("tranche d'âge"), max_length=10, blank=True)
    n = models.IntegerField(_("nombre"))

    class Meta:
        verbose_name = _("compte mensuel")
        verbose_name_plural = _("comptes mensuels")
        indexes = [models.Index(fields=["month", "library_id"], name="stats_monthly_month_library")]


#: ``ActiveBorrower.library_id`` of a borrower counted for the whole network (and
#: ``MonthlySlice.library_id`` of the counts of every library together)
NETWORK = 0

#: what ``MonthlySlice`` counts by, besides the month, the library and the action; "visitor"
#: is "1" for a fact of a borrower registered at another library of the network, else "0"
SLICES = ("doc_type", "patron_category", "age_band", "home_library_id", "owning_library_id",
          "visitor")  # fmt: skip


class MonthlySlice(models.Model):
    """``MonthlyCount`` by month, library (``NETWORK``: every library together) and action,
    in all (``dimension`` "") or by one more of its dimensions (``SLICES``, the value as
    text in ``key``, "" for none): what the pages read, a few thousand rows a month where
    ``MonthlyCount``, crossing every dimension, has as many as a third of the facts."""

    month = models.DateField(_("mois"))
    library_id = models.IntegerField(_("bibliothèque (0 : le réseau)"), null=True)
    action = models.CharField(_("action"), max_length=20, choices=CirculationAction.choices)
    dimension = models.CharField(_("critère"), max_length=20, blank=True)
    key = models.CharField(_("valeur"), max_length=30, blank=True)
    n = models.IntegerField(_("nombre"))

    class Meta:
        verbose_name = _("compte mensuel par critère")
        verbose_name_plural = _("comptes mensuels par critère")
        indexes = [
            models.Index(fields=["dimension", "library_id", "month"], name="stats_slice_key")
        ]


class ActiveBorrower(models.Model):
    """A borrower (by the year's pseudonym) who borrowed at least once in the year, at one
    library or (``library_id = NETWORK``) anywhere in the network, with the age band,
    category and commune of their first loan of the year there: one row per borrower, so
    that the groups add up to the total."""

    year = models.PositiveSmallIntegerField(_("année"))
    library_id = models.IntegerField(_("bibliothèque (0 : le réseau)"))
    borrower = models.UUIDField(_("pseudonyme de l'emprunteur"))
    first_day = models.DateField(_("premier prêt de l'année"))
    age_band = models.CharField(_("tranche d'âge"), max_length=10, blank=True)
    patron_category = models.CharField(_("catégorie de lecteur"), max_length=30, blank=True)
    residence = models.CharField(_("commune de résidence"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("emprunteur actif")
        verbose_name_plural = _("emprunteurs actifs")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "library_id", "borrower"], name="stats_active_borrower_once"
            )
        ]


class RollupState(models.Model):
    """How far the rollups go: every day up to ``through_day`` (included) is rolled up."""

    name = models.CharField(max_length=30, primary_key=True)
    through_day = models.DateField()


class ActiveBorrowerCount(models.Model):
    """``ActiveBorrower`` counted, per year and library (0: the network), in all (``dimension``
    "") and by ``age_band``, ``patron_category``, ``residence`` or ``month`` (of the first
    loan, "2025-03"): what the pages read, recounted with each rollup of the year."""

    year = models.PositiveSmallIntegerField(_("année"))
    library_id = models.IntegerField(_("bibliothèque (0 : le réseau)"))
    dimension = models.CharField(_("critère"), max_length=20, blank=True)
    key = models.CharField(_("valeur"), max_length=120, blank=True)
    n = models.IntegerField(_("nombre"))

    class Meta:
        verbose_name = _("compte d'emprunteurs actifs")
        verbose_name_plural = _("comptes d'emprunteurs actifs")
        indexes = [
            models.Index(
                fields=["year", "library_id", "dimension"], name="stats_borrower_count_key"
            )
        ]
