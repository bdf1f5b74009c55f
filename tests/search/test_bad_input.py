"""Hostile or absurd input on the search pages: a clear 400, never a 500 or a broken page."""

from __future__ import annotations

import json
import re

import pytest

from navette.search.index import rebuild_index
from tests.catalogue.factories import make_item, make_record

pytestmark = pytest.mark.django_db


def test_a_title_opening_a_comment_and_a_script_leaves_the_record_page_whole(
    client, relire, index_dir
):
    """A title holding ``<!--<script>`` (or ``</script>``) used to put the JSON-LD script
    element in its "double escaped" state, swallowing the rest of the page. Written with
    <, > and & escaped, the JSON reads back as the title and the page ends normally."""
    title = "Piège <!--<script> & </script><b>gras</b>"
    record = make_record(title=title, authors=["Anne <!-- Autrice"], year=2020)
    make_item(record=record, library=relire["lens"])
    html = client.get(f"/notice/{record.pk}/").content.decode()
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert script is not None
    assert "<" not in script.group(1) and ">" not in script.group(1)
    assert json.loads(script.group(1))["name"] == title
    assert "Exemplaires" in html.split("</script>", 1)[1]  # the page after the script is there
    assert html.rstrip().endswith("</html>")


@pytest.mark.parametrize("decade", ["99999999999999999999999", "1" * 400, "1990abc", "٣٠٠٠"])
def test_an_impossible_decade_is_a_clear_400_on_the_portal(client, relire, index_dir, decade):
    """/recherche/?decennie=<20 digits> used to raise OverflowError in the index (500)."""
    rebuild_index()
    response = client.get("/recherche/", {"q": "x", "decennie": decade})
    assert response.status_code == 400
    assert "Décennie invalide" in response.content.decode()


def test_an_impossible_decade_is_a_clear_400_in_the_api(client, relire, index_dir):
    """The API answers 400 with a code and a message, not a 500."""
    rebuild_index()
    response = client.get("/api/catalogue/search", {"decade": "99999999999999999999999"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_search"
    assert "Décennie invalide" in response.json()["message"]


def test_a_real_decade_still_filters(client, relire, index_dir):
    """A decade as offered by the facets (1990, -50 for BC dates) still searches."""
    record = make_record(title="Années quatre-vingt-dix", year=1994)
    make_item(record=record, library=relire["lens"])
    rebuild_index()
    response = client.get("/recherche/", {"q": "années", "decennie": "1990"})
    assert response.status_code == 200 and "Années quatre-vingt-dix" in response.content.decode()
    assert client.get("/recherche/", {"q": "années", "decennie": "-50"}).status_code == 200
