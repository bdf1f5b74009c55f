"""What staff publish on the portal: news and pages, librarians' selections of records, and
the network's legal pages (legal notice, personal data, accessibility statement).

News, pages and selections belong to one library or, without library, to the whole network;
they are drafts or published, and a published one shows from ``publish_from`` (empty: at
once) until ``publish_until`` (empty: for good). ``visible(now)`` is the one definition of
what the portal shows.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class ArticleKind(models.TextChoices):
    NEWS = "news", _("Actualité")
    PAGE = "page", _("Page")


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publié")


class AccessibilityCompliance(models.TextChoices):
    """The compliance status a French public body states (RGAA), shown in every footer."""

    NONE = "none", _("non conforme")
    PARTIAL = "partial", _("partiellement conforme")
    FULL = "full", _("totalement conforme")


class LegalPageKey(models.TextChoices):
    LEGAL_NOTICE = "legal_notice", _("Mentions légales")
    PERSONAL_DATA = "personal_data", _("Données personnelles")
    ACCESSIBILITY = "accessibility", _("Accessibilité")


def _visible_q(now: dt.datetime) -> Q:
    return (
        Q(status=PublicationStatus.PUBLISHED)
        & (Q(publish_from__isnull=True) | Q(publish_from__lte=now))
        & (Q(publish_until__isnull=True) | Q(publish_until__gt=now))
    )


def _window_constraint(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(publish_from__isnull=True)
        | Q(publish_until__isnull=True)
        | Q(publish_until__gt=F("publish_from")),
        name=name,
    )


class PublishedQuerySet(models.QuerySet):
    def visible(self, now: dt.datetime) -> PublishedQuerySet:
        """Published, and within the publication window at ``now``."""
        return self.filter(_visible_q(now))


PublishedManager = models.Manager.from_queryset(PublishedQuerySet)


class Publishable(models.Model):
    """What articles and selections share: a draft or published state and a publication
    window, read through ``visible(now)``."""

    status = models.CharField(
        _("état"), max_length=10, choices=PublicationStatus.choices,
        default=PublicationStatus.DRAFT,
    )  # fmt: skip
    publish_from = models.DateTimeField(_("publier à partir du"), null=True, blank=True)
    publish_until = models.DateTimeField(_("publier jusqu'au"), null=True, blank=True)

    objects = PublishedManager()

    class Meta:
        abstract = True


class Article(Publishable):
    """A news item or a page, of one library or of the whole network (no library).

    ``body`` is the Markdown written by staff; ``body_html`` its sanitised rendering, made by
    the service that saves the article (never edited directly).
    """

    kind = models.CharField(
        _("type"), max_length=10, choices=ArticleKind.choices, default=ArticleKind.NEWS
    )
    title = models.CharField(_("titre"), max_length=200)
    summary = models.CharField(_("chapô"), max_length=300, blank=True)
    body = models.TextField(_("texte"), blank=True)
    body_html = models.TextField(editable=False, blank=True)
    #: decoded and re-encoded on upload (``navette.events.images``), like events' images
    image = models.FileField(_("image"), upload_to="articles/", blank=True)
    image_alt = models.CharField(_("texte alternatif de l'image"), max_length=250, blank=True)
    library = models.ForeignKey(
        "network.Library", on_delete=models.PROTECT, null=True, blank=True,
        related_name="articles", verbose_name=_("bibliothèque"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("créé le"))
    updated_at = models.DateTimeField(_("modifié le"))

    class Meta:
        verbose_name = _("actualité ou page")
        verbose_name_plural = _("actualités et pages")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["kind", "status", "publish_from"])]
        constraints = [_window_constraint("article_window_ends_after_start")]

    def __str__(self) -> str:
        return self.title

    @property
    def published_on(self) -> dt.datetime:
        """The date shown to readers: the start of publication, else the creation."""
        return self.publish_from or self.created_at


class Selection(Publishable):
    """A librarians' selection: records with a comment each, shown as a carousel."""

    title = models.CharField(_("titre"), max_length=200)
    intro = models.CharField(_("présentation"), max_length=400, blank=True)
    library = models.ForeignKey(
        "network.Library", on_delete=models.PROTECT, null=True, blank=True,
        related_name="selections", verbose_name=_("bibliothèque"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("créée le"))
    updated_at = models.DateTimeField(_("modifiée le"))

    class Meta:
        verbose_name = _("sélection")
        verbose_name_plural = _("sélections")
        ordering = ["-created_at", "-pk"]
        constraints = [_window_constraint("selection_window_ends_after_start")]

    def __str__(self) -> str:
        return self.title


class SelectionEntry(models.Model):
    """One record of a selection, with the librarian's comment."""

    selection = models.ForeignKey(Selection, on_delete=models.CASCADE, related_name="entries")
    record = models.ForeignKey(
        "catalogue.Record", on_delete=models.CASCADE, related_name="selection_entries"
    )
    comment = models.CharField(_("commentaire"), max_length=500, blank=True)
    position = models.PositiveIntegerField(_("rang"), default=0)

    class Meta:
        verbose_name = _("titre de la sélection")
        verbose_name_plural = _("titres de la sélection")
        ordering = ["selection", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["selection", "record"], name="selection_record_once")
        ]


class LegalPage(models.Model):
    """One of the pages a French public body must publish, written by the network."""

    key = models.CharField(_("page"), max_length=20, choices=LegalPageKey.choices, unique=True)
    body = models.TextField(_("texte"), blank=True)
    body_html = models.TextField(editable=False, blank=True)
    #: the accessibility statement's compliance status (the other pages leave it empty)
    compliance = models.CharField(
        _("état de conformité"), max_length=10, choices=AccessibilityCompliance.choices,
        blank=True,
    )  # fmt: skip
    updated_at = models.DateTimeField(_("modifiée le"))

    class Meta:
        verbose_name = _("page légale")
        verbose_name_plural = _("pages légales")

    def __str__(self) -> str:
        return self.get_key_display()
