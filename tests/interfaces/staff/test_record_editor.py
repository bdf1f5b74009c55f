"""The record editor's pages over HTTP: buttons that change the form without JavaScript,
saving, conflicts, roles, overlay and history."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from lxml import html

from navette.catalogue import editing
from navette.catalogue.marc.rules import template_record
from navette.catalogue.models import Record
from navette.core.actors import Actor
from navette.core.models import Role, User
from tests.catalogue.factories import make_item

pytestmark = pytest.mark.django_db
NEW = "/personnel/catalogue/notices/nouvelle/"


def _form_data(page: bytes) -> dict[str, str]:
    """What the browser would post: every named input and select of the editor's form."""
    doc = html.fromstring(page)
    form = doc.get_element_by_id("editor").find(".//form")
    data = {}
    for el in form.iter("input", "select"):
        name = el.get("name")
        if not name or el.get("type") == "submit":
            continue
        if el.tag == "select":
            chosen = [o for o in el.iter("option") if o.get("selected") is not None]
            data[name] = (chosen or list(el.iter("option")))[0].get("value")
        else:
            data[name] = el.get("value") or ""
    return data


def _tags(page: bytes) -> list[str]:
    doc = html.fromstring(page)
    return [
        e.get("value")
        for e in doc.xpath(
            "//input[substring(@id, string-length(@id) - 3) = '-tag' and starts-with(@id, 'f')]"
        )
    ]


@pytest.fixture
def librarian(client):
    user = User.objects.create_user("cat", password="x", role=Role.LIBRARIAN)
    client.force_login(user)
    return user


def test_buttons_change_the_form_without_javascript_and_save_nothing(client, librarian):
    """Without JavaScript, 'move up', 'add field' and 'remove subfield' answer the editor
    changed (the new field in tag order, focus on its first subfield); no record exists
    until 'save'."""
    page = client.get(NEW, {"format": "marc21", "type": "book"}).content
    tags = _tags(page)
    assert tags[:4] == ["020", "100", "245", "264"]
    data = _form_data(page)
    i245 = tags.index("245")
    moved = client.post(NEW, {**data, "op": f"up-{i245}"}).content
    assert _tags(moved)[:3] == ["020", "245", "100"]
    added = client.post(NEW, {**_form_data(moved), "op": "add", "new-tag": "250"}).content
    assert _tags(added).index("250") == _tags(added).index("264") - 1
    at = _tags(added).index("250")
    assert html.fromstring(added).get_element_by_id(f"f{at}-s0-v").get("autofocus") is not None
    fewer = client.post(
        NEW, {**_form_data(added), "op": f"delsub-{_tags(added).index('245')}-1"}
    ).content
    assert b"Supprimer $b de 245" not in fewer and b"Supprimer $c de 245" in fewer
    assert not Record.objects.exists()
    data = _form_data(fewer)
    data[f"f{_tags(fewer).index('245')}-s0-v"] = "Un titre"
    response = client.post(NEW, {**data, "op": "save"})
    record = Record.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/notices/{record.pk}/")
    assert [next(iter(f)) for f in record.marc["fields"]][:5] == ["001", "005", "008", "245", "100"]


def test_a_stale_editor_is_refused_and_reopened(client, librarian):
    """Saving over someone else's save is refused: nothing changes, the editor reopens
    with a message."""
    actor = Actor.staff(librarian)
    marc = template_record("unimarc", "book", today="20260302")
    marc["fields"] = [
        f if "200" not in f else {"200": {"ind1": "1", "ind2": " ", "subfields": [{"a": "Avant"}]}}
        for f in marc["fields"]
    ]
    record = editing.record_create(marc=marc, flavour="unimarc", actor=actor, now=_now()).record
    url = f"/personnel/catalogue/notices/{record.pk}/modifier/"
    data = _form_data(client.get(url).content)
    editing.record_update(record=record, marc=record.marc, actor=actor,
                          now=_now() + dt.timedelta(hours=1))  # fmt: skip
    response = client.post(url, {**data, "op": "save"}, follow=True)
    assert "Quelqu&#x27;un a enregistré cette notice" in response.content.decode()
    assert Record.objects.get().versions.count() == 2


def test_statistician_cannot_reach_the_editor(client):
    """Editor, copy cataloguing and history pages are for cataloguers only."""
    client.force_login(User.objects.create_user("stat", password="x", role=Role.STATISTICIAN))
    for url in (NEW, "/personnel/catalogue/copie/"):
        assert client.get(url).status_code == 403


def test_overlay_from_copy_cataloguing_keeps_copies(client, librarian, relire):
    """A remote record posted for overlay replaces the description, keeps the copy, and
    the history names the source."""
    marc = template_record("unimarc", "book", today="20260302")
    marc["fields"] = [
        f if "200" not in f else {"200": {"ind1": "1", "ind2": " ", "subfields": [{"a": "Locale"}]}}
        for f in marc["fields"]
    ]
    record = editing.record_create(
        marc=marc, flavour="unimarc", actor=Actor.staff(librarian), now=_now()
    ).record
    item = make_item(record=record, library=relire["lens"])
    remote = {
        **marc,
        "fields": [
            f
            if "200" not in f
            else {"200": {"ind1": "1", "ind2": " ", "subfields": [{"a": "Distante"}]}}
            for f in marc["fields"]
        ],
    }
    response = client.post(f"/personnel/catalogue/notices/{record.pk}/remplacer/",
                           {"marc": json.dumps(remote), "flavour": "unimarc", "source": "BnF"})  # fmt: skip
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.title == "Distante" and list(record.items.all()) == [item]
    history = client.get(f"/personnel/catalogue/notices/{record.pk}/historique/").content.decode()
    assert "Remplacement par une notice distante (BnF)" in history


def _now():
    return dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "posted",
    ["not json", json.dumps({"fields": "x"}), json.dumps({"leader": "x", "fields": [{"200": {"subfields": 3}}]}),
     json.dumps({"leader": "x", "fields": [{"200": {"subfields": [{"a": 1}]}}]})],
)  # fmt: skip
def test_malformed_remote_record_is_refused_with_a_message(client, librarian, posted):
    """A posted remote record that is not MARC-in-JSON opens nothing and says so."""
    response = client.post("/personnel/catalogue/copie/editer/",
                           {"marc": posted, "flavour": "unimarc"}, follow=True)  # fmt: skip
    assert "Notice distante illisible." in response.content.decode()
