"""Copies read from holdings fields: 952 (Koha MARC21), 995 (French UNIMARC), 852."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from navette.catalogue.marc.extract import subs

HOLDINGS_TAG = {"marc21": "952", "unimarc": "995"}

_TYPE_WORDS = [
    ("dvd", "video"), ("blu", "video"), ("vid", "video"), ("film", "video"),
    ("jv", "video_game"), ("jeu", "video_game"), ("game", "video_game"),
    ("cd", "music"), ("music", "music"), ("disc", "music"),
    ("bd", "comic"), ("comic", "comic"), ("manga", "comic"),
    ("per", "magazine"), ("rev", "magazine"), ("mag", "magazine"), ("serial", "magazine"),
    ("part", "score"), ("score", "score"), ("gc", "large_print"), ("large", "large_print"),
    ("lu", "audiobook"), ("audio", "audiobook"), ("map", "map"), ("cart", "map"),
    ("liv", "book"), ("book", "book"), ("bk", "book"),
]  # fmt: skip


@dataclass
class HoldingCopy:
    barcode: str
    owning_code: str
    current_code: str
    call_number: str = ""
    shelving_location: str = ""
    doc_type: str = ""
    acquired_on: dt.date | None = None
    notes: str = ""
    status: str = "available"
    source_tag: str = ""


def doc_type_from_code(code: str) -> str:
    low = code.strip().lower()
    if not low:
        return ""
    for word, doc_type in _TYPE_WORDS:
        if low.startswith(word) or low == word:
            return doc_type
    return ""


def _date(text: str) -> dt.date | None:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    return None


def _one(f: Any, code: str) -> str:
    values = subs(f, code)
    return values[0].strip() if values else ""


def _flag(f: Any, code: str) -> bool:
    value = _one(f, code)
    return bool(value) and value not in ("0", "")


def copies_from(marc: dict[str, Any]) -> list[HoldingCopy]:
    """Every copy described in 952, 995 and 852 (copies without barcode have barcode '')."""
    out: list[HoldingCopy] = []
    for field in marc["fields"]:
        for tag, f in field.items():
            if tag not in ("952", "995", "852") or isinstance(f, str):
                continue
            if tag == "952":
                owning = _one(f, "a")
                status = "available"
                if _flag(f, "0"):
                    status = "withdrawn"
                elif _flag(f, "1"):
                    status = "lost"
                elif _flag(f, "4"):
                    status = "damaged"
                out.append(HoldingCopy(
                    barcode=_one(f, "p"), owning_code=owning, current_code=_one(f, "b") or owning,
                    call_number=_one(f, "o"), shelving_location=_one(f, "c"),
                    doc_type=doc_type_from_code(_one(f, "y")), acquired_on=_date(_one(f, "d")),
                    notes=" ; ".join(v for v in (_one(f, "z"), _one(f, "x")) if v), status=status,
                    source_tag=tag,
                ))  # fmt: skip
            elif tag == "995":
                owning = _one(f, "b")
                out.append(HoldingCopy(
                    barcode=_one(f, "f"), owning_code=owning, current_code=_one(f, "c") or owning,
                    call_number=_one(f, "k"), shelving_location=_one(f, "e"),
                    doc_type=doc_type_from_code(_one(f, "r")), acquired_on=_date(_one(f, "5")),
                    notes=_one(f, "u"), source_tag=tag,
                ))  # fmt: skip
            else:
                owning = _one(f, "b") or _one(f, "a")
                call = " ".join(v.strip() for v in subs(f, "hij") if v.strip())
                out.append(HoldingCopy(
                    barcode=_one(f, "p"), owning_code=owning, current_code=owning,
                    call_number=call, shelving_location=_one(f, "c"),
                    notes=" ; ".join(v for v in (_one(f, "z"), _one(f, "x")) if v), source_tag=tag,
                ))  # fmt: skip
    # An exported MARC21 record may hold a copy both in its original 852 and in
    # the 952 written by the export: the 952 (or 995) describes it.
    primary = {c.barcode for c in out if c.barcode and c.source_tag != "852"}
    return [c for c in out if c.source_tag != "852" or not c.barcode or c.barcode not in primary]


def holdings_pairs(
    flavour: str, *, owning: str, current: str, shelving_location: str, call_number: str,
    barcode: str, doc_type_override: str, notes: str, acquired_on: dt.date | None, status: str,
) -> tuple[str, list[tuple[str, str]]]:  # fmt: skip
    """The holdings field of a copy given by its values: its tag (952 or 995) and its
    non-empty (code, value) subfields."""
    if flavour == "unimarc":
        pairs = [("b", owning), ("c", current), ("f", barcode), ("k", call_number),
                 ("e", shelving_location), ("r", doc_type_override), ("u", notes)]  # fmt: skip
        return "995", [(c, v) for c, v in pairs if v]
    pairs = [("a", owning), ("b", current), ("c", shelving_location), ("o", call_number),
             ("p", barcode), ("y", doc_type_override), ("z", notes)]  # fmt: skip
    if acquired_on:
        pairs.insert(3, ("d", acquired_on.isoformat()))
    if status == "withdrawn":
        pairs.append(("0", "1"))
    elif status == "lost":
        pairs.append(("1", "1"))
    elif status == "damaged":
        pairs.append(("4", "1"))
    return "952", [(c, v) for c, v in pairs if v]


def holdings_field(item: Any, flavour: str) -> dict[str, Any]:
    """The holdings field describing ``item`` (an Item with libraries loaded)."""
    tag, pairs = holdings_pairs(
        flavour, owning=item.owning_library.code, current=item.current_library.code,
        shelving_location=item.shelving_location, call_number=item.call_number,
        barcode=item.barcode, doc_type_override=item.doc_type_override, notes=item.notes,
        acquired_on=item.acquired_on, status=item.status,
    )  # fmt: skip
    return {tag: {"ind1": " ", "ind2": " ", "subfields": [{c: v} for c, v in pairs]}}


#: status words written in holdings for search clients (stable codes, not prose)
AVAILABILITY_CODES = {
    "available": "available", "on_loan": "on_loan", "in_transit": "in_transit",
    "on_hold_shelf": "on_hold_shelf", "lost": "lost", "withdrawn": "withdrawn",
    "damaged": "damaged", "in_repair": "in_repair",
}  # fmt: skip


def availability_field(item: Any, tag: str) -> dict[str, Any]:
    """A holdings field telling where ``item`` is and whether it can be borrowed now.

    ``tag`` "852" (MARC21 location: $a owning library, $b current library, $c
    shelving location, $h call number, $p barcode, $z status code) or "995"
    (French UNIMARC copies: $b owning, $c current, $e shelving location, $k call
    number, $f barcode, $o status code). ``item`` has its libraries loaded.
    """
    status = AVAILABILITY_CODES.get(item.status, item.status)
    if tag == "852":
        pairs = [("a", item.owning_library.code), ("b", item.current_library.code),
                 ("c", item.shelving_location), ("h", item.call_number), ("p", item.barcode),
                 ("z", status)]  # fmt: skip
    elif tag == "995":
        pairs = [("b", item.owning_library.code), ("c", item.current_library.code),
                 ("e", item.shelving_location), ("f", item.barcode), ("k", item.call_number),
                 ("o", status)]  # fmt: skip
    else:
        raise ValueError(f"holdings field 852 or 995, not {tag!r}")
    return {tag: {"ind1": " ", "ind2": " ", "subfields": [{c: v} for c, v in pairs if v]}}
