"""Bibliographic records and their copies (items)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DocType(models.TextChoices):
    """Document types, derived from MARC (or set on a copy as an override)."""

    BOOK = "book", _("Livre")
    LARGE_PRINT = "large_print", _("Livre en gros caractères")
    COMIC = "comic", _("Bande dessinée")
    MAGAZINE = "magazine", _("Revue")
    VIDEO = "video", _("DVD ou Blu-ray")
    MUSIC = "music", _("CD musical")
    AUDIOBOOK = "audiobook", _("Livre audio")
    VIDEO_GAME = "video_game", _("Jeu vidéo")
    SCORE = "score", _("Partition")
    MAP = "map", pgettext_lazy("document type", "Carte")
    ONLINE = "online", _("En ligne")
    OTHER = "other", _("Autre document")


class Audience(models.TextChoices):
    CHILDREN = "children", _("Enfants")
    YOUNG_ADULTS = "young_adults", _("Adolescents")
    ADULTS = "adults", _("Adultes")
    UNKNOWN = "", _("Non précisé")


class MarcFlavour(models.TextChoices):
    MARC21 = "marc21", "MARC21"
    UNIMARC = "unimarc", "UNIMARC"


class Record(models.Model):
    """A bibliographic record: the full MARC plus fields extracted for display.

    ``marc`` holds the record as MARC-in-JSON (the exact fields and subfields
    read, in order), so an export gives back what was imported.
    """

    flavour = models.CharField(_("format"), max_length=10, choices=MarcFlavour.choices)
    marc = models.JSONField(_("notice MARC (MARC-in-JSON)"))
    control_number = models.CharField(_("numéro de notice (001)"), max_length=64, blank=True)
    control_source = models.CharField(_("organisme (003)"), max_length=64, blank=True)
    title = models.TextField(_("titre"))
    subtitle = models.TextField(_("sous-titre"), blank=True)
    responsibility = models.TextField(_("mention de responsabilité"), blank=True)
    #: [{"name": "Hergé", "role": "auteur"}...]
    authors = models.JSONField(_("auteurs"), default=list, blank=True)
    subjects = models.JSONField(_("sujets"), default=list, blank=True)
    publisher = models.CharField(_("éditeur"), max_length=255, blank=True)
    year = models.SmallIntegerField(_("année"), null=True, blank=True, db_index=True)
    languages = models.JSONField(_("langues"), default=list, blank=True)
    isbns = models.JSONField(_("ISBN"), default=list, blank=True)
    issns = models.JSONField(_("ISSN"), default=list, blank=True)
    eans = models.JSONField(_("EAN"), default=list, blank=True)
    series = models.JSONField(_("collections"), default=list, blank=True)
    summary = models.TextField(_("résumé"), blank=True)
    audience = models.CharField(
        _("public"), max_length=20, choices=Audience.choices, blank=True, default=""
    )
    doc_type = models.CharField(
        _("type de document"), max_length=20, choices=DocType.choices, default=DocType.BOOK
    )
    #: sha1 of the canonical MARC-in-JSON: a re-import of the same record is "unchanged"
    marc_hash = models.CharField(max_length=40, blank=True, editable=False)
    source_file = models.CharField(_("fichier d'origine"), max_length=255, blank=True)
    is_demo = models.BooleanField(_("notice de démonstration"), default=False)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [
            models.Index(fields=["control_number", "control_source"]),
            # OAI-PMH harvests walk records in (datestamp, id) order
            models.Index(fields=["updated_at", "id"], name="record_datestamp"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def main_author(self) -> str:
        return self.authors[0]["name"] if self.authors else ""


class RecordIdentifier(models.Model):
    """Identifiers a record is matched on when re-importing, indexed for lookup.

    kind: ``001+003`` (control number with its source), ``035`` (system
    number), ``isbn`` (normalised ISBN-13), ``issn``, ``ean``.
    """

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(max_length=10)
    value = models.CharField(max_length=128)

    class Meta:
        indexes = [models.Index(fields=["kind", "value"])]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "kind", "value"], name="record_identifier_once"
            )
        ]


class DeletedRecord(models.Model):
    """A record removed from the catalogue, kept so harvesters learn of the deletion.

    OAI-PMH "persistent" deletions: the record's id is never reused (the id
    sequence only grows), and the tombstone is listed with status="deleted" in
    every later harvest whose dates and set include it.
    """

    record_id = models.BigIntegerField(_("numéro de la notice supprimée"), primary_key=True)
    flavour = models.CharField(_("format"), max_length=10, choices=MarcFlavour.choices)
    doc_type = models.CharField(_("type de document"), max_length=20, choices=DocType.choices)
    title = models.TextField(_("titre"), blank=True)
    deleted_at = models.DateTimeField(_("supprimée le"))

    class Meta:
        verbose_name = _("notice supprimée")
        verbose_name_plural = _("notices supprimées")
        indexes = [
            models.Index(fields=["deleted_at", "record_id"], name="deleted_record_datestamp")
        ]

    def __str__(self) -> str:
        return f"{self.record_id} ({self.title})"


class ItemStatus(models.TextChoices):
    AVAILABLE = "available", _("Disponible")
    ON_LOAN = "on_loan", _("En prêt")
    IN_TRANSIT = "in_transit", _("En transit")
    ON_HOLD_SHELF = "on_hold_shelf", _("Réservé")
    LOST = "lost", _("Perdu")
    WITHDRAWN = "withdrawn", _("Retiré")
    DAMAGED = "damaged", _("Endommagé")
    IN_REPAIR = "in_repair", _("En réparation")


class Item(models.Model):
    """A copy: one physical document with a barcode unique across the network.

    ``status`` is changed only by the circulation services (and by staff
    through catalogue services for lost, withdrawn and damaged).
    """

    # record and owning library: indexed by the (record, status) and (owning library,
    # status) indexes below; an index fewer for each of the copy's updates (two per loan)
    record = models.ForeignKey(
        Record, on_delete=models.PROTECT, related_name="items", db_index=False
    )
    barcode = models.CharField(_("code-barres"), max_length=64, unique=True)
    owning_library = models.ForeignKey(
        "network.Library", on_delete=models.PROTECT, related_name="owned_items",
        verbose_name=_("bibliothèque propriétaire"), db_index=False,
    )  # fmt: skip
    current_library = models.ForeignKey(
        "network.Library", on_delete=models.PROTECT, related_name="present_items",
        verbose_name=_("localisation actuelle"),
    )  # fmt: skip
    call_number = models.CharField(_("cote"), max_length=100, blank=True)
    shelving_location = models.CharField(_("emplacement"), max_length=100, blank=True)
    doc_type_override = models.CharField(
        _("type de document (exemplaire)"), max_length=20, choices=DocType.choices, blank=True
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=ItemStatus.choices, default=ItemStatus.AVAILABLE,
    )  # fmt: skip
    circulates = models.BooleanField(
        _("empruntable"), default=True, help_text=_("Décoché : consultation sur place.")
    )
    acquired_on = models.DateField(_("date d'acquisition"), null=True, blank=True)
    #: in euros, kept for the statistics (acquisitions, value of the collection)
    price = models.DecimalField(
        _("prix"), max_digits=9, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )  # fmt: skip
    location = models.ForeignKey(
        "catalogue.Location", on_delete=models.PROTECT, null=True, blank=True,
        related_name="items", verbose_name=_("emplacement (liste de la bibliothèque)"),
    )  # fmt: skip
    notes = models.TextField(_("notes"), blank=True)
    is_demo = models.BooleanField(_("exemplaire de démonstration"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("exemplaire")
        verbose_name_plural = _("exemplaires")
        indexes = [
            models.Index(fields=["record", "status"]),
            models.Index(fields=["owning_library", "status"]),
            # a plain index (db_index on a text column adds a second one, for LIKE)
            models.Index(fields=["status"], name="item_status"),
            # the portal's new arrivals: copies acquired since a date
            models.Index(fields=["acquired_on"], name="item_acquired_on"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(barcode=""), name="item_barcode_not_blank"),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0), name="item_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.barcode

    @property
    def doc_type(self) -> str:
        return self.doc_type_override or self.record.doc_type


class LibraryCodeMapping(models.Model):
    """A library code found in MARC holdings (952$a, 995$b, 852$a) and the library it means.

    Codes equal to a network ``Library.code`` (case-insensitive) need no row here.
    """

    source_code = models.CharField(_("code dans les fichiers"), max_length=64, unique=True)
    library = models.ForeignKey(
        "network.Library", on_delete=models.CASCADE, verbose_name=_("bibliothèque")
    )

    class Meta:
        verbose_name = _("correspondance de code de bibliothèque")
        verbose_name_plural = _("correspondances de codes de bibliothèque")

    def __str__(self) -> str:
        return f"{self.source_code} → {self.library_id}"


class DuplicateKeyKind(models.TextChoices):
    """What two records share when they are proposed as duplicates."""

    ISBN = "isbn", _("ISBN")
    EAN = "ean", _("EAN")
    ISSN = "issn", _("ISSN")
    CONTROL = "001+003", _("numéro de notice et organisme (001+003)")
    SYSTEM = "035", _("numéro système (035)")
    LCCN = "lccn", _("numéro de la Library of Congress")
    BNF = "bnf", _("numéro de la BnF")
    TITLE = "title", _("titre, auteur et date")


class DuplicateKey(models.Model):
    """A key two records share when they may be the same work: written with the record (the
    MARC import, the merge and its undo), so that candidates are one indexed self-join."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="duplicate_keys")
    kind = models.CharField(max_length=10, choices=DuplicateKeyKind.choices)
    value = models.CharField(max_length=255)

    class Meta:
        indexes = [models.Index(fields=["kind", "value", "record"], name="duplicate_key_lookup")]


class NotDuplicate(models.Model):
    """Two records a cataloguer said are not the same: never proposed again as a pair.
    ``first`` has the smaller id."""

    first = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
    decided_at = models.DateTimeField(_("décidé le"))
    decided_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("paire de notices distinctes")
        verbose_name_plural = _("paires de notices distinctes")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="not_duplicate_once"),
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")), name="not_duplicate_ordered"
            ),
        ]


class DuplicateCandidate(models.Model):
    """A pair of records sharing keys, as the last scan found it (``duplicates_scan``): the
    review list reads a page of this table instead of pairing every key at each page.
    ``first`` has the smaller id; ``strength`` is how many kinds of key the two share. A
    record merged away takes its pairs with it (cascade); new pairs appear at the next scan."""

    first = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
    strength = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_candidate_once"),
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")), name="duplicate_candidate_ordered"
            ),
        ]
        indexes = [
            models.Index(fields=["-strength", "first", "second"], name="duplicate_candidate_order")
        ]


class DuplicateScan(models.Model):
    """The last scan of the duplicate keys (one row): when it ended, what it found and the
    highest key id it saw, so that a scheduled scan skips when no key was written since."""

    finished_at = models.DateTimeField(_("calculée le"))
    keys_high_water = models.BigIntegerField(default=0)
    pairs = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)


class RecordMerge(models.Model):
    """A record merged into another: what the merge changed, kept to undo it.

    ``snapshot`` holds the merged record as it was (its row, its identifiers, its copies'
    ids, and what each participant moved: holds). The merged record's identifiers stay
    attached to the kept record (``MergedIdentifier``) while the merge stands.
    """

    kept = models.ForeignKey(
        Record, on_delete=models.SET_NULL, null=True, related_name="merges",
        verbose_name=_("notice conservée"),
    )  # fmt: skip
    merged_record_id = models.BigIntegerField(_("numéro de la notice fusionnée"), db_index=True)
    merged_title = models.TextField(_("titre de la notice fusionnée"))
    snapshot = models.JSONField(default=dict)
    merged_at = models.DateTimeField(_("fusionnée le"))
    merged_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(_("annulée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("fusion de notices")
        verbose_name_plural = _("fusions de notices")
        indexes = [models.Index(fields=["-merged_at"], name="record_merge_recent")]


class MergedIdentifier(models.Model):
    """An identifier of a merged record, now matched to the kept one by the MARC import."""

    merge = models.ForeignKey(RecordMerge, on_delete=models.CASCADE, related_name="identifiers")
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10)
    value = models.CharField(max_length=128)

    class Meta:
        indexes = [models.Index(fields=["kind", "value"], name="merged_identifier_lookup")]


class RecordVersionKind(models.TextChoices):
    """How a version of a record came to be."""

    BEFORE_EDITING = "before_editing", _("Version d'origine (import)")
    CREATED = "created", _("Création")
    COPIED = "copied", _("Copie d'une notice distante")
    EDITED = "edited", _("Modification")
    RESTORED = "restored", _("Restauration d'une version antérieure")
    OVERLAID = "overlaid", _("Remplacement par une notice distante")
    HEADING_CHANGED = "heading_changed", _("Changement de vedette")
    HEADING_UNDONE = "heading_undone", _("Annulation d'un changement de vedette")


class RecordVersion(models.Model):
    """One saved state of a record's MARC: the record's history, each version restorable.

    Written by the record editor's services in the transaction that saves the record,
    numbered from 1 per record. The first edit of an imported record first keeps the
    imported MARC as a ``before_editing`` version.
    """

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("nature"), max_length=20, choices=RecordVersionKind.choices)
    marc = models.JSONField(_("notice MARC (MARC-in-JSON)"))
    saved_at = models.DateTimeField(_("enregistrée le"))
    actor_kind = models.CharField(max_length=20, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(_("par"), max_length=150, blank=True)
    #: the tags added, removed or changed against the previous version
    changed_tags = models.JSONField(_("zones modifiées"), default=list, blank=True)
    #: where a copied or overlaid record came from (the remote target's name)
    source = models.CharField(_("source"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("version de notice")
        verbose_name_plural = _("versions de notice")
        constraints = [
            models.UniqueConstraint(fields=["record", "number"], name="record_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.record_id} v{self.number}"


class TargetProtocol(models.TextChoices):
    SRU = "sru", "SRU"
    Z3950 = "z3950", "Z39.50"


class RemoteTarget(models.Model):
    """A remote catalogue cataloguers copy records from (BnF, SUDOC, a union catalogue).

    Set up by network administrators in the administration. ``address`` is the SRU base
    URL, or ``host:port`` for Z39.50 (whose database is ``database``).
    """

    name = models.CharField(_("nom"), max_length=100, unique=True)
    protocol = models.CharField(_("protocole"), max_length=10, choices=TargetProtocol.choices)
    address = models.CharField(
        _("adresse"), max_length=500,
        help_text=_("SRU : l'URL de base (https://…). Z39.50 : hôte:port."),
    )  # fmt: skip
    database = models.CharField(
        _("base"), max_length=100, blank=True, help_text=_("Z39.50 : le nom de la base.")
    )
    sru_version = models.CharField(
        _("version SRU"), max_length=3, choices=[("1.1", "1.1"), ("1.2", "1.2"), ("2.0", "2.0")],
        default="1.2",
    )  # fmt: skip
    record_syntax = models.CharField(
        _("format des notices"), max_length=10, choices=MarcFlavour.choices,
        default=MarcFlavour.UNIMARC,
        help_text=_("Le format MARC que la cible renvoie (syntaxe Z39.50 usmarc ou unimarc)."),
    )  # fmt: skip
    record_schema = models.CharField(
        _("schéma SRU"), max_length=100, blank=True,
        help_text=_("SRU : la valeur de recordSchema (marcxml, unimarcxchange…)."),
    )  # fmt: skip
    charset = models.CharField(
        _("jeu de caractères"), max_length=20, blank=True, default="utf-8",
        help_text=_("Z39.50 : le jeu de caractères des notices (utf-8, marc-8, iso-8859-1)."),
    )  # fmt: skip
    isbn_index = models.CharField(_("index ISBN/EAN (CQL)"), max_length=50, default="bath.isbn")
    title_index = models.CharField(_("index titre (CQL)"), max_length=50, default="dc.title")
    author_index = models.CharField(_("index auteur (CQL)"), max_length=50, default="dc.creator")
    timeout = models.PositiveSmallIntegerField(_("délai d'attente (secondes)"), default=15)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("catalogue distant")
        verbose_name_plural = _("catalogues distants")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    """A place in a library where copies are shelved (adult fiction, children's corner,
    stacks), with the prefix its shelf marks start with. Each library keeps its own list."""

    library = models.ForeignKey(
        "network.Library", on_delete=models.CASCADE, related_name="locations",
        verbose_name=_("bibliothèque"),
    )  # fmt: skip
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("nom"), max_length=100)
    call_number_prefix = models.CharField(
        _("préfixe des cotes"), max_length=20, blank=True,
        help_text=_("Ajouté devant les cotes proposées pour les exemplaires rangés ici (J, AD…)."),
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("emplacement")
        verbose_name_plural = _("emplacements")
        ordering = ["library", "name"]
        constraints = [
            models.UniqueConstraint(fields=["library", "code"], name="location_code_per_library")
        ]

    def __str__(self) -> str:
        return self.name


class LibraryShelving(models.Model):
    """A library's own shelf-mark convention: the prefix of every shelf mark suggested for
    its copies (before the location's own prefix)."""

    library = models.OneToOneField(
        "network.Library", on_delete=models.CASCADE, related_name="shelving",
        verbose_name=_("bibliothèque"),
    )  # fmt: skip
    call_number_prefix = models.CharField(_("préfixe des cotes"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("convention de cotes d'une bibliothèque")
        verbose_name_plural = _("conventions de cotes des bibliothèques")

    def __str__(self) -> str:
        return f"{self.library_id}: {self.call_number_prefix}"


class BarcodeChecksum(models.TextChoices):
    """The check digit a network's copy barcodes end with (none: any barcode)."""

    NONE = "", _("Aucun contrôle")
    LUHN = "luhn", _("Luhn (modulo 10)")
    GS1 = "gs1", _("EAN / GS1 (modulo 10, poids 3 et 1)")


class CataloguingSettings(models.Model):
    """Cataloguing rules of a network, set by network administrators."""

    network = models.OneToOneField(
        "network.Network", on_delete=models.CASCADE, related_name="cataloguing",
        verbose_name=_("réseau"),
    )  # fmt: skip
    barcode_checksum = models.CharField(
        _("contrôle des codes-barres"), max_length=10, choices=BarcodeChecksum.choices,
        blank=True, default=BarcodeChecksum.NONE,
        help_text=_("Vérifié à chaque ajout d'exemplaire ou changement de code-barres."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("réglages de catalogage")
        verbose_name_plural = _("réglages de catalogage")

    def __str__(self) -> str:
        return str(self.network_id)


class SavedCopySearch(models.Model):
    """Copy search criteria kept under a name, to select copies for a batch change again.

    ``criteria``: ``library`` (id), ``location`` (id), ``status``, ``doc_type``,
    ``call_number_from``/``call_number_to``, ``title`` (contains), ``acquired_before``/
    ``acquired_after`` (ISO dates); missing keys do not filter.
    """

    name = models.CharField(_("nom"), max_length=100)
    criteria = models.JSONField(_("critères"), default=dict)
    created_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("créée le"))

    class Meta:
        verbose_name = _("recherche d'exemplaires enregistrée")
        verbose_name_plural = _("recherches d'exemplaires enregistrées")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BatchAction(models.TextChoices):
    """What a batch change does to each copy (or record) selected."""

    LOCATION = "location", _("Changer l'emplacement")
    STATUS = "status", _("Changer le statut")
    LIBRARY = "library", _("Changer la bibliothèque")
    LOAN_CATEGORY = "loan_category", _("Changer la catégorie de prêt")
    CALL_NUMBER = "call_number", _("Changer la cote")
    WITHDRAW = "withdraw", _("Retirer (désherbage)")
    DELETE_RECORDS = "delete_records", _("Supprimer les notices et leurs exemplaires")


class Batch(models.Model):
    """A batch change applied to copies or records: what it did, kept to undo it.

    Its ``lines`` hold each copy's values before and after (a record deletion: the record
    and its copies as they were). ``refused`` lists what the batch left alone and why
    (codes and data).
    """

    action = models.CharField(_("action"), max_length=20, choices=BatchAction.choices)
    value = models.JSONField(_("nouvelle valeur"), default=dict, blank=True)
    selection = models.JSONField(_("sélection"), default=dict, blank=True)
    refused = models.JSONField(_("refus"), default=list, blank=True)
    changed = models.PositiveIntegerField(_("modifiés"), default=0)
    applied_at = models.DateTimeField(_("appliqué le"))
    actor_kind = models.CharField(max_length=20, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(_("par"), max_length=150, blank=True)
    undone_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    undone_by_label = models.CharField(_("annulé par"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("lot de modifications")
        verbose_name_plural = _("lots de modifications")
        indexes = [models.Index(fields=["-applied_at"], name="batch_recent")]

    def __str__(self) -> str:
        return f"{self.pk} {self.action}"


class BatchLine(models.Model):
    """One copy (or record) a batch changed: its values before and after."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="lines")
    #: not foreign keys: a record deletion removes them, its undo brings them back
    item_id = models.BigIntegerField(null=True, blank=True)
    record_id = models.BigIntegerField(null=True, blank=True)
    barcode = models.CharField(_("code-barres"), max_length=64, blank=True)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["item_id"], name="batch_line_item")]


class HeadingKind(models.TextChoices):
    """What a heading names: a person or body (author), a subject, a series."""

    AUTHOR = "author", _("Auteur")
    SUBJECT = "subject", _("Sujet")
    SERIES = "series", pgettext_lazy("heading kind", "Collection")


class Authority(models.Model):
    """An authority record (MARC21 or UNIMARC authority format), imported from a file.

    ``forms`` keep its authorised form and its see-from (rejected) forms, each as the
    heading label a bibliographic record would carry, to link headings and to find records
    by a rejected form.
    """

    flavour = models.CharField(_("format"), max_length=10, choices=MarcFlavour.choices)
    kind = models.CharField(_("nature"), max_length=10, choices=HeadingKind.choices)
    label = models.TextField(_("forme retenue"))
    control_number = models.CharField(_("numéro de notice (001)"), max_length=64, blank=True)
    marc = models.JSONField(_("notice MARC (MARC-in-JSON)"))
    source_file = models.CharField(_("fichier d'origine"), max_length=255, blank=True)
    imported_at = models.DateTimeField(_("importée le"))

    class Meta:
        verbose_name = _("notice d'autorité")
        verbose_name_plural = _("notices d'autorité")
        indexes = [models.Index(fields=["control_number"], name="authority_control")]

    def __str__(self) -> str:
        return self.label


class AuthorityForm(models.Model):
    """One form of an authority's heading, as a record's heading would read it.

    ``key`` is the label compared without case, accents or punctuation.
    """

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="forms")
    kind = models.CharField(max_length=10, choices=HeadingKind.choices)
    label = models.TextField()
    key = models.CharField(max_length=255)
    preferred = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["kind", "key"], name="authority_form_lookup")]


class Heading(models.Model):
    """An author, subject or series as the catalogue's records carry it, with how many
    records carry it. Derived from the records (``navette.catalogue.headings``)."""

    kind = models.CharField(_("nature"), max_length=10, choices=HeadingKind.choices)
    label = models.TextField(_("vedette"))
    #: French collation order, written as hexadecimal so any database collation agrees
    sort_key = models.TextField(editable=False)
    #: the label without case, accents or punctuation (to match authority forms)
    key = models.CharField(max_length=255, editable=False)
    record_count = models.IntegerField(_("notices"), default=0)
    authority = models.ForeignKey(
        Authority, on_delete=models.SET_NULL, null=True, blank=True, related_name="headings",
        verbose_name=_("notice d'autorité"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("vedette")
        verbose_name_plural = _("vedettes")
        indexes = [models.Index(fields=["kind", "sort_key"], name="heading_browse")]
        constraints = [
            models.UniqueConstraint(fields=["kind", "label"], name="heading_once"),
        ]

    def __str__(self) -> str:
        return self.label


class RecordHeading(models.Model):
    """A record carries a heading."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="heading_links")
    heading = models.ForeignKey(Heading, on_delete=models.CASCADE, related_name="record_links")

    class Meta:
        indexes = [models.Index(fields=["heading", "record"], name="heading_records")]
        constraints = [
            models.UniqueConstraint(fields=["record", "heading"], name="record_heading_once"),
        ]


class HeadingChange(models.Model):
    """A heading changed in every record carrying it: what each record was, to undo it.

    ``records`` is ``[{"id": record id, "before": MARC-in-JSON, "after": marc_hash}]``.
    """

    kind = models.CharField(_("nature"), max_length=10, choices=HeadingKind.choices)
    old_label = models.TextField(_("ancienne forme"))
    new_label = models.TextField(_("nouvelle forme"))
    records = models.JSONField(default=list)
    changed_at = models.DateTimeField(_("changée le"))
    changed_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(_("annulé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("changement de vedette")
        verbose_name_plural = _("changements de vedette")
        indexes = [models.Index(fields=["-changed_at"], name="heading_change_recent")]


class CoverSource(models.TextChoices):
    UPLOADED = "uploaded", _("Envoyée par le personnel")
    FETCHED = "fetched", _("Service de couvertures")


class Cover(models.Model):
    """A record's cover image: re-encoded, stored under MEDIA_ROOT/covers (``name``)."""

    record = models.OneToOneField(Record, on_delete=models.CASCADE, related_name="cover")
    name = models.CharField(max_length=100)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    source = models.CharField(_("origine"), max_length=10, choices=CoverSource.choices)
    updated_at = models.DateTimeField(_("modifiée le"))

    class Meta:
        verbose_name = _("couverture")
        verbose_name_plural = _("couvertures")

    def __str__(self) -> str:
        return self.name


class CoverService(models.Model):
    """Where covers are fetched by ISBN: a URL template with ``{isbn}`` (ISBN-13) or
    ``{isbn10}``, set up by network administrators."""

    name = models.CharField(_("nom"), max_length=100, unique=True)
    url_template = models.CharField(
        _("adresse"), max_length=500,
        help_text=_("Par exemple https://covers.example.org/isbn/{isbn}-M.jpg ({isbn} : ISBN à 13 chiffres, {isbn10} : à 10 chiffres)."),
    )  # fmt: skip
    timeout = models.PositiveSmallIntegerField(_("délai d'attente (secondes)"), default=10)
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("service de couvertures")
        verbose_name_plural = _("services de couvertures")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.url_template.startswith(("http://", "https://")):
            raise ValidationError(
                {"url_template": _("L'adresse commence par http:// ou https://.")}
            )
        if "{isbn}" not in self.url_template and "{isbn10}" not in self.url_template:
            raise ValidationError({"url_template": _("L'adresse contient {isbn} ou {isbn10}.")})


class CollectionYear(models.Model):
    """How far the collections of ``year`` are counted (``CollectionCount``): on
    ``counted_on``, by the nightly job (``catalogue-collections``), until the year is closed
    (``close_statistics_year``), which counts it one last time (``final``)."""

    year = models.PositiveSmallIntegerField(_("année"), primary_key=True)
    counted_on = models.DateField(_("compté le"))
    final = models.BooleanField(_("définitif"), default=False)

    class Meta:
        verbose_name = _("année de collections comptée")
        verbose_name_plural = _("années de collections comptées")


class CollectionCount(models.Model):
    """A year's collections per owning library (``library_id``; 0: the whole network), by
    media (``key``, the copy's type else its record's): copies held on 31 December
    (``dimension`` "held"), copies acquired in the year ("acquired"), and periodical titles
    with a copy acquired in the year ("periodicals", key ""): what the annual report reads
    instead of the copies (``navette.catalogue.rollups``)."""

    year = models.PositiveSmallIntegerField(_("année"))
    library_id = models.IntegerField(_("bibliothèque (0 : le réseau)"))
    dimension = models.CharField(_("critère"), max_length=20)
    key = models.CharField(_("valeur"), max_length=20, blank=True)
    n = models.IntegerField(_("nombre"))

    class Meta:
        verbose_name = _("compte de collections")
        verbose_name_plural = _("comptes de collections")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "library_id", "dimension", "key"], name="catalogue_collection_once"
            )
        ]


# --- the union catalogue: member libraries' catalogues harvested -----------------------------


class HarvestProtocol(models.TextChoices):
    OAI_PMH = "oai-pmh", "OAI-PMH"
    MARC_FILES = "marc-files", _("Fichiers MARC déposés")


class HarvestState(models.TextChoices):
    NEW = "new", _("Jamais moissonné")
    RUNNING = "running", _("Moisson en cours")
    OK = "ok", _("Moissonné")
    FAILED = "failed", _("Échec de la dernière moisson")


class HarvestSource(models.Model):
    """A member library's catalogue, harvested into the network's (the union catalogue).

    Set up by network administrators. ``protocol`` says how: OAI-PMH (``url``, ``set_spec``,
    ``metadata_prefix``; incremental from ``harvested_until``, with deletions) or MARC files
    dropped in ``directory`` (each new or changed file read once, in the order they were
    dropped; a record whose leader says "deleted" (position 5 = d) is deleted). Harvested records carry no copies: the member's holdings are
    ``MemberHolding`` rows, shown and searched but never lent by Navette's circulation.
    """

    library = models.ForeignKey(
        "network.Library", on_delete=models.PROTECT, related_name="harvest_sources",
        verbose_name=_("bibliothèque membre"),
    )  # fmt: skip
    name = models.CharField(_("nom"), max_length=100, unique=True)
    protocol = models.CharField(
        _("protocole"), max_length=12, choices=HarvestProtocol.choices,
        default=HarvestProtocol.OAI_PMH,
    )  # fmt: skip
    url = models.URLField(
        _("adresse OAI-PMH"), max_length=500, blank=True,
        help_text=_("L'URL de base du dépôt OAI-PMH (https://…/oai)."),
    )  # fmt: skip
    set_spec = models.CharField(_("ensemble OAI (set)"), max_length=200, blank=True)
    metadata_prefix = models.CharField(
        _("format OAI (metadataPrefix)"), max_length=50, default="marcxml",
        help_text=_("marcxml pour le MARC21, unimarc (ou marcxchange) pour l'UNIMARC."),
    )  # fmt: skip
    flavour = models.CharField(
        _("format MARC"), max_length=10, choices=MarcFlavour.choices, blank=True,
        help_text=_("Vide : reconnu notice par notice."),
    )  # fmt: skip
    directory = models.CharField(
        _("dossier des fichiers MARC"), max_length=500, blank=True,
        help_text=_("Fichiers MARC : le dossier où la bibliothèque dépose ses exports."),
    )  # fmt: skip
    every_minutes = models.PositiveIntegerField(
        _("moissonner toutes les (minutes)"), default=60,
    )  # fmt: skip
    timeout = models.PositiveSmallIntegerField(_("délai d'attente (secondes)"), default=30)
    record_url_template = models.CharField(
        _("adresse d'une notice dans le catalogue de la bibliothèque"), max_length=500,
        blank=True,
        help_text=_(
            "Avec {id} (numéro de la notice chez la bibliothèque) ou {isbn} : "
            "https://catalogue.example.org/notice/{id}"
        ),
    )  # fmt: skip
    live_availability = models.BooleanField(
        _("disponibilité en direct (SIP2)"), default=False,
        help_text=_(
            "Demander au système de la bibliothèque l'état de ses exemplaires "
            "(SIP2, informations exemplaire)."
        ),
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)
    state = models.CharField(
        _("état"), max_length=10, choices=HarvestState.choices, default=HarvestState.NEW,
        editable=False,
    )  # fmt: skip
    #: OAI-PMH: the next harvest asks for changes from this instant (the repository's clock)
    harvested_until = models.DateTimeField(
        _("moissonné jusqu'au"), null=True, blank=True, editable=False
    )
    started_at = models.DateTimeField(_("dernière moisson commencée le"), null=True, blank=True,
                                      editable=False)  # fmt: skip
    finished_at = models.DateTimeField(_("dernière moisson terminée le"), null=True, blank=True,
                                       editable=False)  # fmt: skip
    #: the last harvest's counts: {"created": n, "updated": n, "deleted": n, "rejected": n}
    last_counts = models.JSONField(_("bilan de la dernière moisson"), default=dict, blank=True,
                                   editable=False)  # fmt: skip
    last_error = models.TextField(_("dernière erreur"), blank=True, editable=False)
    #: MARC files: the files already read, name -> "size:mtime" (a file changed is read again)
    files_seen = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("catalogue de bibliothèque membre")
        verbose_name_plural = _("catalogues de bibliothèques membres")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(protocol="oai-pmh") | ~Q(url=""), name="harvest_source_oai_has_url"
            ),
            models.CheckConstraint(
                condition=~Q(protocol="marc-files") | ~Q(directory=""),
                name="harvest_source_files_have_directory",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """What each protocol needs, said on the field concerned."""
        errors = {}
        if self.protocol == HarvestProtocol.OAI_PMH and not self.url:
            errors["url"] = _("Indiquez l'adresse du dépôt OAI-PMH de la bibliothèque.")
        if self.protocol == HarvestProtocol.MARC_FILES and not self.directory:
            errors["directory"] = _("Indiquez le dossier où la bibliothèque dépose ses fichiers.")
        template = self.record_url_template
        if template and "{id}" not in template and "{isbn}" not in template:
            errors["record_url_template"] = _(
                "L'adresse doit contenir {id} ou {isbn}, remplacé par la notice."
            )
        if errors:
            raise ValidationError(errors)


class MemberRecord(models.Model):
    """A record of a member's catalogue as harvested, and the network record that shows it.

    ``identifier`` is the member's (the OAI identifier, or 001 for files); ``local_id`` the
    member's own record number, for links to its catalogue. A member record whose ISBN or
    EAN is already in the union catalogue joins that record (``owns_record`` False: the
    description is the first one's); otherwise the harvest created the record and keeps it
    up to date (``owns_record`` True).
    """

    source = models.ForeignKey(HarvestSource, on_delete=models.CASCADE, related_name="records")
    identifier = models.CharField(max_length=255)
    local_id = models.CharField(max_length=255, blank=True)
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="member_records")
    owns_record = models.BooleanField(default=False)
    datestamp = models.DateTimeField(null=True, blank=True)
    marc_hash = models.CharField(max_length=40, blank=True)
    harvested_at = models.DateTimeField()

    class Meta:
        verbose_name = _("notice moissonnée")
        verbose_name_plural = _("notices moissonnées")
        constraints = [
            models.UniqueConstraint(fields=["source", "identifier"], name="member_record_once")
        ]
        indexes = [models.Index(fields=["record"], name="member_record_by_record")]


class MemberHolding(models.Model):
    """A copy held by a member library, as its catalogue describes it (852, 952 or 995).

    Not an ``Item``: Navette's circulation never lends, returns or holds it. Its state on the
    shelf is asked of the member's system when shown (live availability), never stored here
    beyond what the member's export said (``source_status``).
    """

    member_record = models.ForeignKey(
        MemberRecord, on_delete=models.CASCADE, related_name="holdings"
    )
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="member_holdings")
    library = models.ForeignKey(
        "network.Library", on_delete=models.CASCADE, related_name="member_holdings",
        verbose_name=_("bibliothèque"),
    )  # fmt: skip
    barcode = models.CharField(_("code-barres"), max_length=64, blank=True)
    call_number = models.CharField(_("cote"), max_length=100, blank=True)
    shelving_location = models.CharField(_("emplacement"), max_length=100, blank=True)
    source_status = models.CharField(_("statut dans l'export"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("exemplaire d'une bibliothèque membre")
        verbose_name_plural = _("exemplaires des bibliothèques membres")
        indexes = [models.Index(fields=["record", "library"], name="member_holding_by_record")]
