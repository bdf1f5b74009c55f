"""Anonymous statistics facts: what happened where, never to whom.

A fact keeps the library, the document type, the patron's category and age
band; no patron, no copy, no date of birth: it survives anonymisation.
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

    class Meta:
        verbose_name = _("fait de circulation")
        verbose_name_plural = _("faits de circulation")
        indexes = [models.Index(fields=["library", "day", "action"])]
