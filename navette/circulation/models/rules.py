"""Loan rules and circulation settings, as data editable by network administrators.

Precedence (see ``policies.resolve_rule``): for each parameter, the first rule
that sets it wins, rules being ordered by
1. library rule before network rule (``library`` set beats ``library`` empty),
2. then document type given before any document type,
3. then patron category given before any category.
The network default (no library, no category, no document type) must set
every parameter; built-in defaults apply only when it is missing.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from navette.catalogue.models import DocType


class LoanRule(models.Model):
    """One row of loan rules. Empty fields mean "not set here: ask the next rule"."""

    library = models.ForeignKey(
        "network.Library", on_delete=models.CASCADE, null=True, blank=True,
        related_name="loan_rules", verbose_name=_("bibliothèque"),
        help_text=_("Vide : règle du réseau."),
    )  # fmt: skip
    patron_category = models.ForeignKey(
        "patrons.PatronCategory", on_delete=models.CASCADE, null=True, blank=True,
        related_name="loan_rules", verbose_name=_("catégorie de lecteur"),
        help_text=_("Vide : toutes les catégories."),
    )  # fmt: skip
    doc_type = models.CharField(
        _("type de document"), max_length=20, choices=DocType.choices, blank=True,
        help_text=_("Vide : tous les types."),
    )  # fmt: skip
    loan_days = models.PositiveSmallIntegerField(_("durée du prêt (jours)"), null=True, blank=True)
    max_renewals = models.PositiveSmallIntegerField(
        _("nombre de prolongations"), null=True, blank=True
    )
    renew_when_waiting = models.BooleanField(
        _("prolongation possible si le document est réservé"), null=True, blank=True
    )
    max_loans = models.PositiveSmallIntegerField(
        _("prêts simultanés au plus"), null=True, blank=True,
        help_text=_("Sans type de document : tous documents ; avec : pour ce type."),
    )  # fmt: skip
    holds_allowed = models.BooleanField(_("réservations permises"), null=True, blank=True)
    max_holds = models.PositiveSmallIntegerField(_("réservations au plus"), null=True, blank=True)
    hold_shelf_days = models.PositiveSmallIntegerField(
        _("jours de mise à disposition"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("règle de prêt")
        verbose_name_plural = _("règles de prêt")
        constraints = [
            models.UniqueConstraint(
                fields=["library", "patron_category", "doc_type"],
                name="loan_rule_unique_key",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        where = self.library.commune if self.library is not None else _("réseau")
        cat = self.patron_category.code if self.patron_category is not None else "*"
        return f"{where} / {cat} / {self.doc_type or '*'}"


class ReturnPolicy(models.TextChoices):
    HOME = "home", _("Retour à la bibliothèque propriétaire")
    FLOATING = "floating", _("Collection flottante (reste où il est rendu)")


class PenaltyKind(models.TextChoices):
    NONE = "none", _("Aucune")
    SUSPENSION = "suspension", _("Suspension du droit d'emprunt")
    FINE = "fine", _("Amende")


class CirculationSettings(models.Model):
    """Network-wide circulation settings (one row per network)."""

    network = models.OneToOneField(
        "network.Network", on_delete=models.CASCADE, related_name="circulation_settings"
    )
    return_policy = models.CharField(
        _("retour des documents"), max_length=10, choices=ReturnPolicy.choices,
        default=ReturnPolicy.HOME,
    )  # fmt: skip
    prefer_local_pickup = models.BooleanField(
        _("privilégier les réservations à retirer ici"), default=False,
        help_text=_("Au retour, une réservation à retirer dans cette bibliothèque passe avant "
                    "les plus anciennes à retirer ailleurs."),
    )  # fmt: skip
    penalty = models.CharField(
        _("pénalité de retard"), max_length=12, choices=PenaltyKind.choices,
        default=PenaltyKind.SUSPENSION,
    )  # fmt: skip
    suspension_days_per_day_late = models.PositiveSmallIntegerField(
        _("jours de suspension par jour de retard"), default=1
    )
    fine_cents_per_day = models.PositiveIntegerField(_("amende par jour (centimes)"), default=10)
    fine_max_cents = models.PositiveIntegerField(
        _("amende maximale par document (centimes)"), default=500
    )
    fines_block_cents = models.PositiveIntegerField(
        _("amendes bloquant le prêt (centimes)"), default=1000
    )
    transit_overdue_days = models.PositiveSmallIntegerField(
        _("transit en retard après (jours)"), default=5
    )

    class Meta:
        verbose_name = _("paramètres de circulation")
        verbose_name_plural = _("paramètres de circulation")

    def __str__(self) -> str:
        return str(_("Paramètres de circulation"))


class LibraryCirculationSettings(models.Model):
    """Per-library overrides of the network settings (empty: as the network)."""

    library = models.OneToOneField(
        "network.Library", on_delete=models.CASCADE, related_name="circulation_settings"
    )
    return_policy = models.CharField(
        _("retour des documents"), max_length=10, choices=ReturnPolicy.choices, blank=True
    )

    class Meta:
        verbose_name = _("paramètres de circulation de la bibliothèque")
        verbose_name_plural = _("paramètres de circulation des bibliothèques")
        constraints = [
            models.CheckConstraint(
                condition=Q(return_policy__in=["", *ReturnPolicy.values]),
                name="library_circ_return_policy_valid",
            )
        ]
