"""Display and search fields extracted from MARC-in-JSON, for MARC21 and UNIMARC."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from navette.catalogue.marc.identifiers import (
    normalise_bnf,
    normalise_ean,
    normalise_isbn,
    normalise_issn,
    normalise_lccn,
)
from navette.catalogue.marc.iso2709 import CompactField, nfc

_TRAIL = re.compile(r"[\s/:;,.=]+$")
_YEAR = re.compile(r"(1[0-9]{3}|20[0-9]{2})")

MARC21_ROLES = {
    "aut": "auteur", "ill": "illustrateur", "trl": "traducteur", "edt": "éditeur scientifique",
    "cmp": "compositeur", "prf": "interprète", "drt": "réalisateur", "act": "acteur",
    "nrt": "narrateur", "pht": "photographe", "ctb": "collaborateur", "lyr": "parolier",
}  # fmt: skip
UNIMARC_ROLES = {
    "070": "auteur", "440": "illustrateur", "730": "traducteur", "340": "éditeur scientifique",
    "230": "compositeur", "590": "interprète", "300": "réalisateur", "005": "acteur",
    "600": "photographe", "205": "collaborateur", "520": "parolier", "080": "préfacier",
}  # fmt: skip


@dataclass
class Extracted:
    title: str = ""
    subtitle: str = ""
    responsibility: str = ""
    authors: list[dict[str, str]] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    publisher: str = ""
    year: int | None = None
    languages: list[str] = field(default_factory=list)
    isbns: list[str] = field(default_factory=list)
    issns: list[str] = field(default_factory=list)
    eans: list[str] = field(default_factory=list)
    series: list[str] = field(default_factory=list)
    summary: str = ""
    audience: str = ""
    doc_type: str = "book"
    control_number: str = ""
    control_source: str = ""
    system_numbers: list[str] = field(default_factory=list)
    #: Library of Congress control numbers (MARC21 010), normalised
    lccns: list[str] = field(default_factory=list)
    #: BnF record numbers (UNIMARC 020 FR, MARC21 016 $2 FrBN, FRBNF or ark:/12148 in 001/003/035)
    bnf_numbers: list[str] = field(default_factory=list)


def clean(text: str) -> str:
    return nfc(_TRAIL.sub("", text.strip()))


def index_fields(marc: dict[str, Any]) -> dict[str, list[CompactField]]:
    """Fields grouped by tag, in the compact form extraction reads (see ``to_json_and_fields``)."""
    by_tag: dict[str, list[CompactField]] = defaultdict(list)
    for f in marc["fields"]:
        for tag, value in f.items():
            if isinstance(value, str):
                by_tag[tag].append(value)
            else:
                pairs = [(c, v) for s in value.get("subfields", ()) for c, v in s.items()]
                by_tag[tag].append((value.get("ind1") or " ", value.get("ind2") or " ", pairs))
    return by_tag


def subs(field_value: Any, codes: str) -> list[str]:
    """Subfield values of a MARC-in-JSON field whose code is in ``codes``."""
    if isinstance(field_value, str):
        return []
    return [v for s in field_value["subfields"] for c, v in s.items() if c in codes]


def _subs(f: CompactField, codes: str) -> list[str]:
    if f.__class__ is str:
        return []
    return [v for c, v in f[2] if c in codes]  # type: ignore[misc]


def first(by_tag: dict[str, list[CompactField]], tag: str, code: str) -> str:
    for f in by_tag.get(tag, ()):
        for v in _subs(f, code):
            if v.strip():
                return v
    return ""


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _year_from(text: str) -> int | None:
    m = _YEAR.search(text or "")
    return int(m.group(1)) if m else None


def extract(
    marc: dict[str, Any], flavour: str, by_tag: dict[str, list[CompactField]] | None = None
) -> Extracted:
    """Extracted fields of ``marc``; ``by_tag`` (from ``to_json_and_fields``) spares a pass."""
    if by_tag is None:
        by_tag = index_fields(marc)
    if flavour == "unimarc":
        return _extract_unimarc(marc["leader"], by_tag)
    return _extract_marc21(marc["leader"], by_tag)


def _control(by_tag: dict[str, list[CompactField]], tag: str) -> str:
    values = by_tag.get(tag)
    return values[0].strip() if values and isinstance(values[0], str) else ""


def _bnf_numbers(x: Extracted, national: list[str]) -> list[str]:
    """BnF numbers from the national bibliography field, the 001/003 and the 035s."""
    found = [normalise_bnf(f"FRBNF{v.strip()}") for v in national if v.strip()[:8].isdigit()]
    found += [normalise_bnf(v) for v in (x.control_number, x.control_source, *x.system_numbers)]
    return _dedupe(found)


def _extract_marc21(leader: str, by_tag: dict[str, list[CompactField]]) -> Extracted:
    x = Extracted()
    x.control_number = _control(by_tag, "001")
    x.control_source = _control(by_tag, "003")
    f245 = by_tag.get("245", [None])[0]
    if f245 is not None and not isinstance(f245, str):
        x.title = clean(" ".join(_subs(f245, "anp")))
        x.subtitle = clean(" ".join(_subs(f245, "b")))
        x.responsibility = clean(" ".join(_subs(f245, "c")))
    for tag in ("100", "110", "111", "700", "710", "711"):
        for f in by_tag.get(tag, ()):
            name = clean(" ".join(_subs(f, "abcdq" if tag.endswith("00") else "ab")))
            if not name:
                continue
            codes = _subs(f, "4")
            terms = _subs(f, "e")
            role = MARC21_ROLES.get(codes[0].strip(), "") if codes else ""
            if not role and terms:
                role = clean(terms[0])
            x.authors.append({"name": name, "role": role or ("auteur" if tag[0] == "1" else "")})
    for tag in ("600", "610", "611", "630", "648", "650", "651", "655"):
        for f in by_tag.get(tag, ()):
            heading = " -- ".join(clean(v) for v in _subs(f, "abcdtvxyz") if v.strip())
            if heading:
                x.subjects.append(heading)
    x.subjects = _dedupe(x.subjects)
    f008 = by_tag["008"][0] if "008" in by_tag and isinstance(by_tag["008"][0], str) else ""
    for f in by_tag.get("264", []) + by_tag.get("260", []):
        b = _subs(f, "b")
        if b and not x.publisher:
            x.publisher = clean(b[0])[:255]
    if len(f008) >= 11 and f008[7:11].isdigit():
        x.year = int(f008[7:11])
    else:
        for f in by_tag.get("264", []) + by_tag.get("260", []):
            for c in _subs(f, "c"):
                x.year = x.year or _year_from(c)
    langs = []
    if len(f008) >= 38 and f008[35:38].strip().isalpha():
        langs.append(f008[35:38])
    for f in by_tag.get("041", ()):
        langs.extend(v.strip()[:3] for v in _subs(f, "a") if v.strip())
    x.languages = _dedupe(langs)
    x.isbns = _dedupe([normalise_isbn(v) for f in by_tag.get("020", ()) for v in _subs(f, "a")])
    x.issns = _dedupe([normalise_issn(v) for f in by_tag.get("022", ()) for v in _subs(f, "a")])
    x.eans = _dedupe(
        [normalise_ean(v) for f in by_tag.get("024", ()) if f[0] == "3" for v in _subs(f, "a")]
    )
    x.system_numbers = _dedupe(
        [v.strip() for f in by_tag.get("035", ()) for v in _subs(f, "a") if v.strip()]
    )
    x.lccns = _dedupe([normalise_lccn(v) for f in by_tag.get("010", ()) for v in _subs(f, "a")])
    national = [
        v for f in by_tag.get("016", ()) if any(s.startswith("FrBN") or s.startswith("FrPBN")
                                                 for s in _subs(f, "2"))
        for v in _subs(f, "a")
    ]  # fmt: skip
    x.bnf_numbers = _bnf_numbers(x, national)
    x.series = _dedupe(
        [clean(v) for t in ("490", "830", "440") for f in by_tag.get(t, ()) for v in _subs(f, "a")]
    )
    x.summary = nfc(first(by_tag, "520", "a").strip())
    x.doc_type = marc21_doc_type(leader, by_tag, f008)
    x.audience = marc21_audience(leader, f008)
    return x


def marc21_audience(leader: str, f008: str) -> str:
    if len(f008) < 23 or leader[6:7] not in "acdgijkmot":
        return ""
    code = f008[22]
    if code in "abcj":
        return "children"
    if code == "d":
        return "young_adults"
    if code in "efg":
        return "adults"
    return ""


#: Leader/06 (type of record) codes that mean the same document type in MARC21 and UNIMARC.
LEADER_TYPES = {
    "g": "video",  # projected medium
    "j": "music",  # musical sound recording
    "i": "audiobook",  # non-musical sound recording
    "c": "score",
    "d": "score",  # manuscript score
    "e": "map",
    "f": "map",  # manuscript map
}


def marc21_doc_type(leader: str, by_tag: dict[str, list[CompactField]], f008: str) -> str:
    """leader/06-07, 007, 008 and 336-338 (RDA content, media, carrier)."""
    rtype, level = leader[6:7], leader[7:8]
    carriers = " ".join(v.lower() for f in by_tag.get("338", ()) for v in _subs(f, "ab"))
    f007 = [v for v in by_tag.get("007", ()) if isinstance(v, str)]
    if "online resource" in carriers or "cr" in carriers.split():
        return "online"
    if rtype in "at":
        form = f008[23:24] if len(f008) > 23 else ""
        if level in "bis":
            return "magazine"
        if form in ("o", "s", "q"):
            return "online"
        if form == "d":
            return "large_print"
        if len(f008) > 33 and f008[33] == "c":
            return "comic"
        return "book"
    if rtype in LEADER_TYPES:
        return LEADER_TYPES[rtype]
    if rtype == "m":
        if len(f008) > 26 and f008[26] == "g":
            return "video_game"
        if any(v.startswith("co") for v in f007):
            return "video_game" if "game" in carriers else "online"
        return "online"
    return "other"


def _extract_unimarc(leader: str, by_tag: dict[str, list[CompactField]]) -> Extracted:
    x = Extracted()
    x.control_number = _control(by_tag, "001")
    x.control_source = _control(by_tag, "003")
    f200 = by_tag.get("200", [None])[0]
    if f200 is not None and not isinstance(f200, str):
        x.title = clean(" ".join(_subs(f200, "ahi")))
        x.subtitle = clean(" ".join(_subs(f200, "e")))
        x.responsibility = clean(" ; ".join(_subs(f200, "fg")))
    for tag in ("700", "701", "702", "710", "711", "712"):
        for f in by_tag.get(tag, ()):
            parts = _subs(f, "a")
            rest = _subs(f, "b")
            name = clean(parts[0] if parts else "")
            if rest:
                name = f"{name}, {clean(rest[0])}"
            if not name:
                continue
            codes = _subs(f, "4")
            role = UNIMARC_ROLES.get(codes[0].strip(), "") if codes else ""
            x.authors.append(
                {"name": name, "role": role or ("auteur" if tag in ("700", "710") else "")}
            )
    for tag in ("600", "601", "602", "604", "605", "606", "607", "608"):
        for f in by_tag.get(tag, ()):
            heading = " -- ".join(clean(v) for v in _subs(f, "abcdtxyz") if v.strip())
            if heading:
                x.subjects.append(heading)
    x.subjects = _dedupe(x.subjects)
    for tag in ("210", "214"):
        for f in by_tag.get(tag, ()):
            c = _subs(f, "c")
            if c and not x.publisher:
                x.publisher = clean(c[0])[:255]
    f100 = first(by_tag, "100", "a")
    if len(f100) >= 13 and f100[9:13].isdigit():
        x.year = int(f100[9:13])
    else:
        for tag in ("210", "214"):
            for f in by_tag.get(tag, ()):
                for d in _subs(f, "d"):
                    x.year = x.year or _year_from(d)
    x.languages = _dedupe([v.strip()[:3] for f in by_tag.get("101", ()) for v in _subs(f, "a")])
    x.isbns = _dedupe([normalise_isbn(v) for f in by_tag.get("010", ()) for v in _subs(f, "a")])
    x.issns = _dedupe([normalise_issn(v) for f in by_tag.get("011", ()) for v in _subs(f, "a")])
    x.eans = _dedupe([normalise_ean(v) for f in by_tag.get("073", ()) for v in _subs(f, "a")])
    x.system_numbers = _dedupe(
        [v.strip() for f in by_tag.get("035", ()) for v in _subs(f, "a") if v.strip()]
    )
    national = [
        v for f in by_tag.get("020", ()) if [c.strip().upper() for c in _subs(f, "a")] == ["FR"]
        for v in _subs(f, "b")
    ]  # fmt: skip
    x.bnf_numbers = _bnf_numbers(x, national)
    x.series = _dedupe(
        [clean(v) for t in ("225", "410", "461") for f in by_tag.get(t, ()) for v in _subs(f, "at")]
    )
    x.summary = nfc(first(by_tag, "330", "a").strip())
    audience = f100[17:18] if len(f100) > 17 else ""
    x.audience = {"a": "children", "b": "children", "c": "children", "d": "children",
                  "e": "young_adults", "k": "adults", "m": "adults"}.get(audience, "")  # fmt: skip
    x.doc_type = unimarc_doc_type(leader, by_tag, f200)
    return x


def unimarc_doc_type(leader: str, by_tag: dict[str, list[CompactField]], f200: Any) -> str:
    """leader/06-07, 105 (books), 115 (video), 135 (electronic) and 200$b."""
    rtype, level = leader[6:7], leader[7:8]
    gmd = " ".join(_subs(f200, "b")).lower() if f200 is not None else ""
    if "jeu vid" in gmd or "video game" in gmd:
        return "video_game"
    if "dvd" in gmd or "blu-ray" in gmd or "vidéo" in gmd or "video" in gmd:
        return "video"
    if "texte imprimé" in gmd and "gros caract" in gmd:
        return "large_print"
    f105 = first(by_tag, "105", "a")
    if rtype == "a":
        if level == "s":
            return "magazine"
        if len(f105) > 7 and "z" in f105[4:8]:
            return "comic"
        return "book"
    if rtype in LEADER_TYPES:
        return LEADER_TYPES[rtype]
    if rtype == "l":
        f135 = first(by_tag, "135", "a")
        if f135[:1] == "g" or "jeu" in gmd:
            return "video_game"
        return "online"
    return "other"
