"""Staff accounts with roles, and the audit trail."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from navette.core.actions import AuditAction


class Role(models.TextChoices):
    NETWORK_ADMIN = "network_admin", _("Administrateur du réseau")
    LIBRARIAN = "librarian", _("Bibliothécaire")
    STATISTICIAN = "statistician", _("Statisticien (lecture seule)")
    #: a librarian who also keeps the shared catalogue (merges duplicate records)
    CATALOGUER = "cataloguer", _("Catalogueur")


#: roles that work at the desk of their libraries
DESK_ROLES = (Role.LIBRARIAN, Role.CATALOGUER)


class User(AbstractUser):
    """A staff member. Patrons are not users: see ``patrons.Patron``.

    ``is_staff`` (access to Django's admin) is derived from the role: only
    network administrators configure the network in the admin.
    """

    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices, default=Role.LIBRARIAN)
    libraries = models.ManyToManyField(
        "network.Library",
        blank=True,
        related_name="staff",
        verbose_name=_("bibliothèques"),
        help_text=_("Bibliothèques où ce bibliothécaire travaille."),
    )
    #: the library the desk opens on, chosen once (preferences, or the desk's library menu)
    desk_library = models.ForeignKey(
        "network.Library", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("bibliothèque du poste"),
    )  # fmt: skip
    #: a short sound with each refusal shown at the desk (off unless the librarian wants it)
    alert_sound = models.BooleanField(_("signal sonore des refus"), default=False)

    class Meta:
        verbose_name = _("membre du personnel")
        verbose_name_plural = _("membres du personnel")

    def save(self, *args, **kwargs):
        # Admin access follows the role so that it can never drift from it.
        self.is_staff = self.role == Role.NETWORK_ADMIN
        self.is_superuser = self.role == Role.NETWORK_ADMIN
        super().save(*args, **kwargs)

    @property
    def is_network_admin(self) -> bool:
        return self.is_active and self.role == Role.NETWORK_ADMIN

    @property
    def is_librarian(self) -> bool:
        return self.is_active and self.role in DESK_ROLES

    @property
    def is_cataloguer(self) -> bool:
        return self.is_active and self.role == Role.CATALOGUER

    @property
    def is_statistician(self) -> bool:
        return self.is_active and self.role == Role.STATISTICIAN

    def can_work_at(self, library_id: int) -> bool:
        """Network administrators work everywhere; librarians at their libraries."""
        if self.is_network_admin:
            return True
        if not self.is_librarian:
            return False
        return self.libraries.filter(pk=library_id).exists()


class AuditEvent(models.Model):
    """One staff, kiosk, patron or system action: who, where, when, what.

    Appended in the same transaction as the change it records.
    """

    at = models.DateTimeField(_("date"), db_index=True)
    actor_kind = models.CharField(_("type d'acteur"), max_length=10)
    actor_id = models.BigIntegerField(_("identifiant de l'acteur"), null=True, blank=True)
    actor_label = models.CharField(_("acteur"), max_length=150)
    # no foreign key constraint: the journal is appended to by every loan and return, and
    # keeps its history whatever becomes of a library (SET_NULL is applied by Django)
    library = models.ForeignKey(
        "network.Library", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_constraint=False,
    )  # fmt: skip
    action = models.CharField(_("action"), max_length=60, choices=AuditAction.choices)
    object_type = models.CharField(_("objet"), max_length=40, blank=True)
    object_id = models.CharField(_("identifiant de l'objet"), max_length=64, blank=True)
    data = models.JSONField(_("détails"), default=dict, blank=True)

    class Meta:
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("journal d'audit")
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # a plain index (db_index on a text column adds a second one, for LIKE)
            models.Index(fields=["action"], name="audit_action"),
        ]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class RecordChange(models.Model):
    """The record-changed outbox: a bibliographic record whose derived data (its search
    index entry) must be refreshed.

    Writers append a row in their own transaction (``navette.core.outbox``); consumers
    (the search index, ``navette.search.updater``) read the rows after commit, each keeping
    its own position. Rows are derived facts: the index can always be rebuilt.
    """

    # rows are read by id (the position of each node's index) and pruned by age, never
    # looked up by record: no index to maintain at every loan and return
    record_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "file d'indexation"
