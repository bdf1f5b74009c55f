"""Loans, holds, transits (the navette) and fines."""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import sub
from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class LoanQuerySet(models.QuerySet["Loan"]):
    """The vocabulary of loans: every query about open or overdue loans starts here."""

    def open(self) -> LoanQuerySet:
        """Loans not returned yet (the database keeps at most one per copy)."""
        return self.filter(OPEN_LOAN)

    def overdue(self, day: dt.date) -> LoanQuerySet:
        """Open loans that were due before ``day``."""
        return self.open().filter(due_on__lt=day)


#: what makes a loan open (also the condition of the one-open-loan-per-copy constraint)
OPEN_LOAN = Q(returned_at__isnull=True)


class Loan(models.Model):
    """A copy lent to a patron. Open while ``returned_at`` is empty.

    The database keeps one open loan per copy (``loan_one_open_per_item``).
    ``doc_type`` is copied at check-out so that limits per type count in one query.
    """

    item = models.ForeignKey("catalogue.Item", on_delete=models.PROTECT, related_name="loans")
    # indexed by (patron, returned_at) below
    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.SET_NULL, null=True, related_name="loans",
        db_index=False,
    )  # fmt: skip
    library = models.ForeignKey(
        "network.Library", on_delete=models.PROTECT, related_name="loans",
        verbose_name=_("bibliothèque de prêt"),
    )  # fmt: skip
    doc_type = models.CharField(_("type de document"), max_length=20)
    loaned_at = models.DateTimeField(_("prêté le"))
    due_on = models.DateField(_("à rendre le"))
    renewals = models.PositiveSmallIntegerField(_("prolongations"), default=0)
    returned_at = models.DateTimeField(_("rendu le"), null=True, blank=True)
    return_library = models.ForeignKey(
        "network.Library", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("bibliothèque de retour"), db_index=False,  # never searched by
    )  # fmt: skip

    objects = models.Manager.from_queryset(LoanQuerySet)()

    class Meta:
        verbose_name = _("prêt")
        verbose_name_plural = _("prêts")
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=OPEN_LOAN, name="loan_one_open_per_item",
            ),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["patron", "returned_at"]),
            models.Index(
                fields=["library", "due_on"], condition=OPEN_LOAN, name="loan_open_due",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.item_id} → {self.patron_id} ({self.due_on})"

    @property
    def is_open(self) -> bool:
        return self.returned_at is None


class HoldStatus(models.TextChoices):
    WAITING = "waiting", _("En attente")
    IN_TRANSIT = "in_transit", _("En cours d'acheminement")
    READY = "ready", _("Disponible")
    FULFILLED = "fulfilled", _("Satisfaite")
    CANCELLED = "cancelled", _("Annulée")
    EXPIRED = "expired", _("Expirée")


ACTIVE_HOLD_STATUSES = (HoldStatus.WAITING, HoldStatus.IN_TRANSIT, HoldStatus.READY)
TRAPPED_HOLD_STATUSES = (HoldStatus.IN_TRANSIT, HoldStatus.READY)


class HoldQuerySet(models.QuerySet["Hold"]):
    """The vocabulary of holds."""

    def active(self) -> HoldQuerySet:
        """Holds still to be served: waiting, on their way, or on the hold shelf."""
        return self.filter(status__in=ACTIVE_HOLD_STATUSES)

    def waiting_for(self, item: Any) -> HoldQuerySet:
        """Waiting holds that the copy ``item`` can satisfy: on the copy itself, or on its
        title with no copy chosen."""
        return self.waiting_for_copy(item.pk, item.record_id)

    def waiting_for_copy(self, item_id: Any, record_id: Any) -> HoldQuerySet:
        """``waiting_for`` given the copy's key and its title's key (values or expressions,
        ``OuterRef`` included, so that a query about copies can ask it)."""
        return self.filter(
            Q(item_id=item_id) | Q(item__isnull=True, record_id=record_id),
            status=HoldStatus.WAITING,
        )


class Hold(models.Model):
    """A hold on a title (any copy) or on one copy, collected at ``pickup_library``.

    When a copy is set aside for it (trapped), ``trapped_item`` is set: one
    trap per hold by construction, and the database keeps one active trap per
    copy (``hold_one_trap_per_item``).
    """

    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.SET_NULL, null=True, related_name="holds"
    )
    record = models.ForeignKey("catalogue.Record", on_delete=models.PROTECT, related_name="holds")
    item = models.ForeignKey(
        "catalogue.Item", on_delete=models.PROTECT, null=True, blank=True, related_name="holds",
        verbose_name=_("exemplaire demandé"),
    )  # fmt: skip
    pickup_library = models.ForeignKey(
        "network.Library", on_delete=models.PROTECT, related_name="pickup_holds",
        verbose_name=_("bibliothèque de retrait"),
    )  # fmt: skip
    status = models.CharField(
        _("état"), max_length=12, choices=HoldStatus.choices, default=HoldStatus.WAITING
    )
    placed_at = models.DateTimeField(_("posée le"))
    suspended_from = models.DateField(_("suspendue du"), null=True, blank=True)
    suspended_until = models.DateField(_("suspendue jusqu'au"), null=True, blank=True)
    trapped_item = models.ForeignKey(
        "catalogue.Item", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("exemplaire mis de côté"),
    )  # fmt: skip
    trapped_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    shelf_expires_on = models.DateField(_("à retirer avant le"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = models.Manager.from_queryset(HoldQuerySet)()

    class Meta:
        verbose_name = _("réservation")
        verbose_name_plural = _("réservations")
        constraints = [
            models.UniqueConstraint(
                fields=["patron", "record"], condition=Q(status__in=ACTIVE_HOLD_STATUSES),
                name="hold_one_active_per_patron_record",
            ),
            models.UniqueConstraint(
                fields=["trapped_item"], condition=Q(status__in=TRAPPED_HOLD_STATUSES),
                name="hold_one_trap_per_item",
            ),
            models.CheckConstraint(
                condition=Q(status__in=TRAPPED_HOLD_STATUSES, trapped_item__isnull=False)
                | ~Q(status__in=TRAPPED_HOLD_STATUSES),
                name="hold_trapped_has_item",
            ),
            models.CheckConstraint(
                condition=Q(suspended_from__isnull=True) | Q(suspended_until__isnull=True)
                | Q(suspended_until__gte=models.F("suspended_from")),
                name="hold_suspension_in_order",
            ),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["record", "status", "placed_at"]),
            models.Index(fields=["patron", "status"]),
            models.Index(fields=["pickup_library", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} pour {self.patron_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_HOLD_STATUSES


class TransitReason(models.TextChoices):
    HOLD = "hold", _("Réservation")
    RETURN_HOME = "home", _("Retour à la bibliothèque propriétaire")


class TransitStatus(models.TextChoices):
    IN_TRANSIT = "in_transit", _("Dans la navette")
    RECEIVED = "received", _("Reçu")
    LOST = "lost", _("Perdu en transit")
    REROUTED = "rerouted", _("Réorienté")


class Transit(models.Model):
    """A copy carried by the navette from one library to another."""

    item = models.ForeignKey("catalogue.Item", on_delete=models.PROTECT, related_name="transits")
    from_library = models.ForeignKey(
        "network.Library", on_delete=models.PROTECT, related_name="transits_out",
        verbose_name=_("de"),
    )  # fmt: skip
    to_library = models.ForeignKey(
        "network.Library", on_delete=models.PROTECT, related_name="transits_in",
        verbose_name=_("vers"),
    )  # fmt: skip
    hold = models.ForeignKey(
        Hold, on_delete=models.SET_NULL, null=True, blank=True, related_name="transits"
    )
    reason = models.CharField(_("motif"), max_length=10, choices=TransitReason.choices)
    status = models.CharField(
        _("état"), max_length=12, choices=TransitStatus.choices, default=TransitStatus.IN_TRANSIT
    )
    sent_at = models.DateTimeField(_("mis en navette le"))
    closed_at = models.DateTimeField(null=True, blank=True)
    #: the crate it left in (None: still waiting to be packed at ``from_library``)
    crate = models.ForeignKey(
        "circulation.Crate", null=True, blank=True, on_delete=models.PROTECT,
        related_name="transits", verbose_name=_("caisse"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("transit")
        verbose_name_plural = _("transits (navette)")
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=Q(status="in_transit"),
                name="transit_one_open_per_item",
            ),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["from_library", "status", "sent_at"]),
            models.Index(fields=["to_library", "status", "sent_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.from_library_id} → {self.to_library_id}"


class Crate(models.Model):
    """A navette crate: the copies one library sends to another in one trip, recorded when
    it leaves (its slip lists them). Received copy by copy at the destination."""

    from_library = models.ForeignKey(
        "network.Library", on_delete=models.PROTECT, related_name="crates_out",
        verbose_name=_("de"),
    )  # fmt: skip
    to_library = models.ForeignKey(
        "network.Library", on_delete=models.PROTECT, related_name="crates_in",
        verbose_name=_("vers"),
    )  # fmt: skip
    sent_at = models.DateTimeField(_("partie le"))
    sent_by = models.CharField(_("envoyée par"), max_length=150)

    class Meta:
        verbose_name = _("caisse de navette")
        verbose_name_plural = _("caisses de navette")
        indexes = [models.Index(fields=["from_library", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.pk}: {self.from_library_id} → {self.to_library_id}"


#: a fine's balance: its amount less what was settled (paid or waived). The one definition,
#: given to the database as ``balance_cents`` (``Fine.objects.unpaid()``) and read by
#: ``Fine.due_cents`` for an instance whose settlement is being changed in memory
FINE_AMOUNT = "amount_cents"
FINE_SETTLED = ("paid_cents", "waived_cents")
FINE_BALANCE = reduce(sub, [F(name) for name in FINE_SETTLED], F(FINE_AMOUNT))


class FineQuerySet(models.QuerySet["Fine"]):
    """The vocabulary of fines."""

    def with_balance(self) -> FineQuerySet:
        """Each fine with ``balance_cents``, what is left to pay of it."""
        return self.annotate(balance_cents=FINE_BALANCE)

    def unpaid(self) -> FineQuerySet:
        """Fines not settled yet, each with its ``balance_cents``."""
        return self.filter(paid_at__isnull=True).with_balance()


class Fine(models.Model):
    """An overdue fine (when the network's penalty is fines)."""

    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.SET_NULL, null=True, related_name="fines"
    )
    loan = models.OneToOneField(Loan, on_delete=models.PROTECT, related_name="fine")
    amount_cents = models.PositiveIntegerField(_("montant (centimes)"))
    #: paid so far (payments are applied to the oldest fines first)
    paid_cents = models.PositiveIntegerField(_("réglé (centimes)"), default=0)
    #: waived by a librarian (the rest is no longer due)
    waived_cents = models.PositiveIntegerField(_("remis (centimes)"), default=0)
    created_at = models.DateTimeField(_("le"))
    #: set when nothing is left to pay (paid or waived)
    paid_at = models.DateTimeField(_("réglée le"), null=True, blank=True)

    objects = models.Manager.from_queryset(FineQuerySet)()

    class Meta:
        verbose_name = _("amende")
        verbose_name_plural = _("amendes")
        indexes = [models.Index(fields=["patron", "paid_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(paid_cents__lte=F("amount_cents") - F("waived_cents")),
                name="fine_settled_within_amount",
            ),
        ]

    @property
    def due_cents(self) -> int:
        """``FINE_BALANCE`` of this instance as it is in memory."""
        return int(getattr(self, FINE_AMOUNT)) - sum(getattr(self, f) for f in FINE_SETTLED)


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Espèces")
    CARD = "card", _("Carte bancaire")
    CHEQUE = "cheque", _("Chèque")
    KIOSK = "kiosk", _("Automate")
    OTHER = "other", _("Autre")


class FinePayment(models.Model):
    """One payment received for a patron's fines (the ledger behind ``Fine.paid_cents``)."""

    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.SET_NULL, null=True, related_name="fine_payments"
    )
    amount_cents = models.PositiveIntegerField(_("montant (centimes)"))
    method = models.CharField(_("moyen de paiement"), max_length=10, choices=PaymentMethod.choices)
    library = models.ForeignKey(
        "network.Library", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_by = models.CharField(_("reçu par"), max_length=150, blank=True)
    paid_at = models.DateTimeField(_("le"))

    class Meta:
        verbose_name = _("paiement d'amendes")
        verbose_name_plural = _("paiements d'amendes")
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="fine_payment_positive"),
        ]
