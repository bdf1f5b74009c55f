"""Record editing services: create from a template, edit, restore, overlay; validation,
conflicts, roles, history, audit and the search outbox."""

from __future__ import annotations

import datetime as dt

import pytest

from navette.catalogue import editing
from navette.catalogue.marc.rules import template_record
from navette.catalogue.models import Record, RecordIdentifier, RecordVersion
from navette.core.actions import AuditAction
from navette.core.actors import Actor
from navette.core.models import AuditEvent, RecordChange, Role, User
from navette.network.scope import NotCataloguer
from tests.catalogue.factories import make_item, make_record

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def cataloguer():
    return Actor.staff(User.objects.create_user("catalogueuse", password="x", role=Role.LIBRARIAN))


def _book(title: str, flavour: str = "unimarc") -> dict:
    marc = template_record(flavour, "book", today="20260302")
    tag = "200" if flavour == "unimarc" else "245"
    for f in marc["fields"]:
        if tag in f:
            f[tag]["subfields"][0]["a"] = title
    return marc


def test_create_from_template_stores_record_version_audit_and_outbox(cataloguer):
    """A filled-in template becomes a record (title, type, 001 = its number, identifiers),
    version 1 of its history, a record.create audit event and a search outbox row."""
    saved = editing.record_create(marc=_book("Le Goéland"), flavour="unimarc",
                                  actor=cataloguer, now=NOW)  # fmt: skip
    record = Record.objects.get(pk=saved.record.pk)
    assert (record.title, record.doc_type, record.control_number) == (
        "Le Goéland", "book", str(record.pk))  # fmt: skip
    assert record.marc_hash == editing.marc_hash(record.marc)
    assert RecordIdentifier.objects.filter(record=record, kind="001+003").exists()
    assert list(record.versions.values_list("number", "kind", "actor_label")) == [
        (1, "created", "catalogueuse")]  # fmt: skip
    event = AuditEvent.objects.get(action=AuditAction.RECORD_CREATE)
    assert event.object_id == str(record.pk) and event.actor_id == cataloguer.id
    assert RecordChange.objects.filter(record_id=record.pk).exists()


def test_invalid_record_is_refused_with_its_problems_and_nothing_written(cataloguer):
    """A record with a wrong indicator is refused with the problem's code and place;
    no record, version, audit event or outbox row is written."""
    marc = _book("Titre")
    for f in marc["fields"]:
        if "200" in f:
            f["200"]["ind1"] = "7"
    with pytest.raises(editing.RecordInvalid) as refused:
        editing.record_create(marc=marc, flavour="unimarc", actor=cataloguer, now=NOW)
    assert [(p.code, p.tag) for p in refused.value.problems] == [("ind1_invalid", "200")]
    assert not Record.objects.exists() and not RecordVersion.objects.exists()
    assert not AuditEvent.objects.exists() and not RecordChange.objects.exists()


def test_edit_then_restore_an_earlier_version(cataloguer):
    """Editing records what changed (tags) and who; restoring version 1 gives its MARC
    back as a new version, audited as record.restore."""
    record = editing.record_create(marc=_book("Premier titre"), flavour="unimarc",
                                   actor=cataloguer, now=NOW).record  # fmt: skip
    edited = [dict(f) for f in record.marc["fields"]]
    for i, f in enumerate(edited):
        if "200" in f:
            edited[i] = {"200": {"ind1": "1", "ind2": " ", "subfields": [{"a": "Second titre"}]}}
    saved = editing.record_update(record=record, marc={**record.marc, "fields": edited},
                                  actor=cataloguer, now=NOW + dt.timedelta(hours=1),
                                  expected_hash=record.marc_hash)  # fmt: skip
    assert saved.record.title == "Second titre"
    assert saved.version.changed_tags == ["200"]
    restored = editing.record_restore(record=record, number=1, actor=cataloguer,
                                      now=NOW + dt.timedelta(hours=2))  # fmt: skip
    record.refresh_from_db()
    assert record.title == "Premier titre"
    assert [v.kind for v in editing.record_versions(record)] == ["restored", "edited", "created"]
    assert restored.version.changed_tags == ["200"]
    assert AuditEvent.objects.get(action=AuditAction.RECORD_RESTORE).data["restored"] == 1


def test_stale_editor_is_refused(cataloguer):
    """Saving from an editor opened before someone else's save is a conflict, and the
    other save stays."""
    record = editing.record_create(marc=_book("Titre"), flavour="unimarc", actor=cataloguer,
                                   now=NOW).record  # fmt: skip
    opened_on = record.marc_hash
    editing.record_update(record=record, marc=_book("Autre"), actor=cataloguer, now=NOW,
                          expected_hash=opened_on)  # fmt: skip
    with pytest.raises(editing.RecordEditConflict):
        editing.record_update(record=record, marc=_book("Perdu"), actor=cataloguer, now=NOW,
                              expected_hash=opened_on)  # fmt: skip
    record.refresh_from_db()
    assert record.title == "Autre"


def test_first_edit_of_an_imported_record_keeps_the_imported_version(cataloguer, relire):
    """An imported record edited for the first time keeps its imported MARC as version 1,
    restorable; its copies stay with it."""
    record = make_record(title="Importée", marc=_book("Importée"))
    make_item(record=record, library=relire["lens"])
    editing.record_update(record=record, marc=_book("Corrigée"), actor=cataloguer, now=NOW)
    versions = editing.record_versions(record)
    assert [(v.number, v.kind) for v in versions] == [(2, "edited"), (1, "before_editing")]
    assert versions[1].marc == _book("Importée")
    assert record.items.count() == 1


def test_overlay_replaces_description_and_keeps_copies(cataloguer, relire):
    """Overlaying a local record with a remote one keeps its number and copies, and says
    where the description came from; a record of the other format is refused."""
    record = make_record(title="Locale", marc=_book("Locale"))
    item = make_item(record=record, library=relire["lens"])
    saved = editing.record_overlay(record=record, marc=_book("Distante"), flavour="unimarc",
                                   source="BnF", actor=cataloguer, now=NOW)  # fmt: skip
    assert (saved.record.pk, saved.record.title) == (record.pk, "Distante")
    assert saved.version.source == "BnF" and saved.version.kind == "overlaid"
    assert list(record.items.all()) == [item]
    with pytest.raises(editing.RecordInvalid):
        editing.record_overlay(record=record, marc=_book("X", "marc21"), flavour="marc21",
                               source="LC", actor=cataloguer, now=NOW)  # fmt: skip


def test_statistician_may_not_edit_and_the_refusal_is_audited():
    """A statistician (or an inactive account) edits no record: refused, audited as
    scope.refused with the attempted action, nothing created."""
    stats = Actor.staff(User.objects.create_user("stat", password="x", role=Role.STATISTICIAN))
    with pytest.raises(NotCataloguer):
        editing.record_create(marc=_book("T"), flavour="unimarc", actor=stats, now=NOW)
    event = AuditEvent.objects.get()
    assert (event.action, event.data["attempted"]) == ("scope.refused", "record.create")
    assert not Record.objects.exists()
