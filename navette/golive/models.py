"""Going live: the runs of ``navette import-network``, what they found, and the source keys
that make an apply repeatable and resumable."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RunMode(models.TextChoices):
    DRY_RUN = "dry_run", _("Essai (rien n'est écrit)")
    APPLY = "apply", _("Application")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("En cours")
    DONE = "done", _("Terminé")
    FAILED = "failed", _("Échec")
    #: killed or stopped before its end (found so by the next apply); run again, it resumes
    INTERRUPTED = "interrupted", _("Interrompu")


class ImportRun(models.Model):
    """One run of the import of a network's export (dry run or apply).

    ``counts`` maps ``kind.outcome`` (``patrons.created``, ``loans.rejected``...) to a count;
    ``timings`` maps each phase to its seconds. ``phase``, ``done`` and ``total`` are the
    progress, updated with each committed batch (and read by the staff page).
    """

    directory = models.CharField(_("dossier"), max_length=500)
    mode = models.CharField(_("mode"), max_length=10, choices=RunMode.choices)
    status = models.CharField(
        _("état"), max_length=12, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    started_at = models.DateTimeField(_("commencé le"))
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    phase = models.CharField(_("étape"), max_length=20, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)
    timings = models.JSONField(default=dict)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("import de mise en service")
        verbose_name_plural = _("imports de mise en service")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.directory} ({self.mode}, {self.started_at:%Y-%m-%d %H:%M})"


class IssueKind(models.TextChoices):
    REJECT = "reject", _("Ligne rejetée")
    CONFLICT = "conflict", _("Conflit")
    CANDIDATE = "candidate", _("Doublon possible")


class ImportIssue(models.Model):
    """A row rejected, a conflict to clear before go-live, or a possible duplicate patron,
    with the file and line it comes from. ``data`` holds the codes needed to act on it (for
    a duplicate: both sources and cards)."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="issues")
    kind = models.CharField(max_length=10, choices=IssueKind.choices)
    file = models.CharField(_("fichier"), max_length=255)
    line = models.PositiveIntegerField(_("ligne"))
    code = models.CharField(_("motif"), max_length=40)
    detail = models.CharField(_("détail"), max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("anomalie d'import")
        verbose_name_plural = _("anomalies d'import")
        ordering = ["pk"]
        indexes = [models.Index(fields=["run", "kind"])]


class SourceKey(models.Model):
    """What a row of a source became: (source, kind, key) → the Navette row's id.

    Written in the same transaction as the row it maps, so that an apply run again, or
    resumed after a crash, finds every row already brought in and changes nothing.
    ``digest`` is the source row's content, to tell an unchanged row from an updated one.
    """

    source = models.CharField(max_length=64)
    kind = models.CharField(max_length=16)
    key = models.CharField(max_length=128)
    target_id = models.BigIntegerField()
    digest = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "kind", "key"], name="sourcekey_once")
        ]


class ImportBatch(models.Model):
    """A batch of anonymous history rows committed (history has no key of its own): the
    batch ``number`` of the file whose content hashes to ``fingerprint``."""

    fingerprint = models.CharField(max_length=64)
    number = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["fingerprint", "number"], name="importbatch_once")
        ]


class MergeDecision(models.Model):
    """A librarian's decision on two patrons of two sources (or two cards of one source)
    that may be one person: merge them at the next apply, or keep them apart."""

    source_a = models.CharField(max_length=64)
    card_a = models.CharField(max_length=32)
    source_b = models.CharField(max_length=64)
    card_b = models.CharField(max_length=32)
    merge = models.BooleanField()
    decided_by = models.CharField(max_length=150)
    decided_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_a", "card_a", "source_b", "card_b"], name="mergedecision_once"
            )
        ]
