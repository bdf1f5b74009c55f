"""The compiled English catalogue matches its source."""

from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parents[2] / "navette" / "locale"


def test_compiled_catalogues_are_up_to_date():
    """Every .po has a .mo holding exactly its translated entries (run compilemessages)."""
    pos = sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))
    assert pos, "no translation catalogue found"
    for po_path in pos:
        po = polib.pofile(str(po_path))
        mo = polib.mofile(str(po_path.with_suffix(".mo")))
        expected = {
            (e.msgid, e.msgstr or tuple(sorted(e.msgstr_plural.items())))
            for e in po.translated_entries()
        }
        compiled = {
            (e.msgid, e.msgstr or tuple(sorted(e.msgstr_plural.items()))) for e in mo if e.msgid
        }
        assert compiled == expected, (
            f"{po_path.with_suffix('.mo')} is stale: run navette compilemessages"
        )
