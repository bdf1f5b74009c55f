"""Notices sent to patrons. One row per notice and object: the unique
constraint is what makes every notice go out once, even when the jobs run
twice or on two machines at the same time."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    HOLD_READY = "hold_ready", _("Réservation disponible")
    DUE_SOON = "due_soon", _("Prêt bientôt à rendre")
    OVERDUE_1 = "overdue_1", _("Premier rappel de retard")
    OVERDUE_2 = "overdue_2", _("Deuxième rappel de retard")
    OVERDUE_3 = "overdue_3", _("Troisième rappel de retard")


class SentNotice(models.Model):
    """A notice claimed (then sent) for one object.

    ``key`` names the object and, for loans, the due date it is about: a renewed
    loan gets its own reminders for the new date.
    """

    kind = models.CharField(_("type"), max_length=12, choices=NoticeKind.choices)
    key = models.CharField(_("objet"), max_length=80)
    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.CASCADE, related_name="notices", null=True
    )
    claimed_at = models.DateTimeField(_("préparé le"))
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("avis envoyé")
        verbose_name_plural = _("avis envoyés")
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="sentnotice_once_per_object"),
        ]
        indexes = [models.Index(fields=["patron", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
