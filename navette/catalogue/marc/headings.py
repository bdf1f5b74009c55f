"""Headings in MARC fields: which fields carry an author, a subject or a series, the label
each gives (the way ``extract`` reads it), and changing one heading's form in a record.

Pure functions on MARC-in-JSON (no I/O). The labels are those of ``Record.authors``,
``Record.subjects`` and ``Record.series``, so that a heading found in the catalogue is found
again in the fields of each of its records:

- authors: MARC21 1XX/7XX $a $b $c $d $q (persons) or $a $b (bodies, meetings), words joined
  by spaces; UNIMARC 70X/71X "$a, $b";
- subjects: MARC21 6XX $a $b $c $d $t $v $x $y $z, UNIMARC 60X $a $b $c $d $t $x $y $z,
  parts joined by " -- ";
- series: MARC21 490/830/440 $a, UNIMARC 225/410/461 $a and $t, each value a series.

Authority records (MARC21 and UNIMARC authority formats) give their authorised and see-from
forms in the same shapes (``authority_forms``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from navette.catalogue.marc.extract import clean

AUTHOR, SUBJECT, SERIES = "author", "subject", "series"
SEPARATOR = " -- "


@dataclass(frozen=True)
class Rule:
    kind: str
    #: subfield codes making the label
    codes: str
    #: how the parts join: "words" (spaces), "name" ("$a, $b"), "parts" (" -- "), "each"
    join: str


def _rules(flavour: str) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    if flavour == "unimarc":
        for tag in ("700", "701", "702", "710", "711", "712"):
            rules[tag] = Rule(AUTHOR, "ab", "name")
        for tag in ("600", "601", "602", "604", "605", "606", "607", "608"):
            rules[tag] = Rule(SUBJECT, "abcdtxyz", "parts")
        for tag in ("225", "410", "461"):
            rules[tag] = Rule(SERIES, "at", "each")
        return rules
    for tag in ("100", "700"):
        rules[tag] = Rule(AUTHOR, "abcdq", "words")
    for tag in ("110", "111", "710", "711"):
        rules[tag] = Rule(AUTHOR, "ab", "words")
    for tag in ("600", "610", "611", "630", "648", "650", "651", "655"):
        rules[tag] = Rule(SUBJECT, "abcdtvxyz", "parts")
    for tag in ("490", "830", "440"):
        rules[tag] = Rule(SERIES, "a", "each")
    return rules


RULES = {"marc21": _rules("marc21"), "unimarc": _rules("unimarc")}


def _pairs(value: Any) -> list[tuple[str, str]]:
    return [(c, v) for s in value.get("subfields", ()) for c, v in s.items()]


def _labels(rule: Rule, pairs: list[tuple[str, str]]) -> list[str]:
    """The labels a field gives under ``rule`` (one, or one per value for series)."""
    if rule.join == "each":
        return [label for c, v in pairs if c in rule.codes and (label := clean(v))]
    if rule.join == "parts":
        label = SEPARATOR.join(clean(v) for c, v in pairs if c in rule.codes and v.strip())
        return [label] if label else []
    if rule.join == "name":
        a = [v for c, v in pairs if c == "a"]
        b = [v for c, v in pairs if c == "b"]
        name = clean(a[0] if a else "")
        if name and b:
            name = f"{name}, {clean(b[0])}"
        return [name] if name else []
    label = clean(" ".join(v for c, v in pairs if c in rule.codes))
    return [label] if label else []


def field_headings(marc: dict[str, Any], flavour: str) -> list[tuple[str, str]]:
    """Every (kind, label) the record's fields carry, in field order (repeats kept)."""
    rules = RULES.get(flavour, RULES["marc21"])
    found = []
    for f in marc.get("fields", []):
        ((tag, value),) = f.items()
        rule = rules.get(tag)
        if rule is None or isinstance(value, str):
            continue
        found += [(rule.kind, label) for label in _labels(rule, _pairs(value))]
    return found


def _rewritten(rule: Rule, pairs: list[tuple[str, str]], old: str, new: str
               ) -> list[tuple[str, str]] | None:  # fmt: skip
    """The field's subfields with ``old`` changed to ``new``; None when it does not carry
    ``old``. Subfields that are not part of the heading (roles, $0, $2...) stay."""
    if rule.join == "each":
        out = [(c, new if c in rule.codes and clean(v) == old else v) for c, v in pairs]
        return out if out != pairs else None
    if _labels(rule, pairs) != [old]:
        return None
    if rule.join == "parts":
        at = [i for i, (c, v) in enumerate(pairs) if c in rule.codes and v.strip()]
        parts = [p.strip() for p in new.split(SEPARATOR.strip()) if p.strip()]
        if len(parts) == len(at):  # same shape: each part keeps its subfield code
            out = list(pairs)
            for i, part in zip(at, parts, strict=True):
                out[i] = (pairs[i][0], part)
            return out
        # another shape: the first part where the first was, the others as $x after it
        first = at[0]
        out = [p for i, p in enumerate(pairs) if i not in at[1:]]
        spot = out.index(pairs[first])
        out[spot] = (pairs[first][0], parts[0])
        out[spot + 1 : spot + 1] = [("x", p) for p in parts[1:]]
        return out
    if rule.join == "name":
        head, sep, rest = new.partition(", ")
        first_a = next(i for i, (c, _v) in enumerate(pairs) if c == "a")
        first_b = next((i for i, (c, _v) in enumerate(pairs) if c == "b"), None)
        out = []
        for i, (c, v) in enumerate(pairs):
            if i == first_a:
                out.append(("a", head if sep else new))
                if sep and first_b is None:
                    out.append(("b", rest))
            elif i == first_b:
                if sep:
                    out.append(("b", rest))
            else:
                out.append((c, v))
        return out
    # words: the new form in the first subfield of the name, the name's other parts gone
    at = [i for i, (c, _v) in enumerate(pairs) if c in rule.codes]
    return [(pairs[i][0], new) if i == at[0] else p for i, p in enumerate(pairs)
            if i == at[0] or i not in at]  # fmt: skip


def rename_in_marc(marc: dict[str, Any], flavour: str, kind: str, old: str, new: str
                   ) -> dict[str, Any] | None:  # fmt: skip
    """A copy of ``marc`` where every field carrying the heading ``old`` of ``kind`` carries
    ``new`` instead; None when no field carries it."""
    rules = RULES.get(flavour, RULES["marc21"])
    out = copy.deepcopy(marc)
    changed = False
    for f in out.get("fields", []):
        ((tag, value),) = f.items()
        rule = rules.get(tag)
        if rule is None or rule.kind != kind or isinstance(value, str):
            continue
        pairs = _rewritten(rule, _pairs(value), old, new)
        if pairs is not None:
            value["subfields"] = [{c: v} for c, v in pairs]
            changed = True
    return out if changed else None


# --- authority records ---------------------------------------------------------------------

#: authority heading tag (its last two digits) -> the kinds of headings it names, and the
#: bibliographic tag whose rule reads its subfields
_MARC21_AUTHORITY = {
    "00": ((AUTHOR, "100"), (SUBJECT, "600")),
    "10": ((AUTHOR, "110"), (SUBJECT, "610")),
    "11": ((AUTHOR, "111"), (SUBJECT, "611")),
    "30": ((SERIES, "830"), (SUBJECT, "630")),
    "48": ((SUBJECT, "648"),),
    "50": ((SUBJECT, "650"),),
    "51": ((SUBJECT, "651"),),
    "55": ((SUBJECT, "655"),),
}
_UNIMARC_AUTHORITY = {
    "00": ((AUTHOR, "700"), (SUBJECT, "600")),
    "10": ((AUTHOR, "710"), (SUBJECT, "601")),
    "15": ((SUBJECT, "607"),),
    "20": ((AUTHOR, "700"), (SUBJECT, "602")),
    "30": ((SERIES, "410"), (SUBJECT, "605")),
    "50": ((SUBJECT, "606"),),
    "80": ((SUBJECT, "608"),),
}


@dataclass(frozen=True)
class AuthorityForm:
    kind: str
    label: str
    preferred: bool


def authority_flavour(marc: dict[str, Any]) -> str:
    """UNIMARC authority records carry their heading in a 2XX (200 to 280) and coded data in
    100; MARC21 ones carry it in a 1XX (a 100 for a person). A 1XX other than 100 says
    MARC21; else a UNIMARC 2XX heading says UNIMARC."""
    tags = {next(iter(f)) for f in marc.get("fields", [])}
    if tags & {"110", "111", "130", "148", "150", "151", "155"}:
        return "marc21"
    if tags & {"200", "210", "215", "216", "220", "230", "235", "240", "250", "280"}:
        return "unimarc"
    return "marc21"


def authority_forms(marc: dict[str, Any], flavour: str) -> list[AuthorityForm]:
    """The authorised form (1XX in MARC21, 2XX in UNIMARC) and the see-from forms (4XX) of
    an authority record, each as the labels a bibliographic heading would carry."""
    table = _UNIMARC_AUTHORITY if flavour == "unimarc" else _MARC21_AUTHORITY
    heading_digit = "2" if flavour == "unimarc" else "1"
    bib = RULES["unimarc" if flavour == "unimarc" else "marc21"]
    forms: list[AuthorityForm] = []
    for f in marc.get("fields", []):
        ((tag, value),) = f.items()
        if isinstance(value, str) or tag[0] not in (heading_digit, "4"):
            continue
        for kind, bib_tag in table.get(tag[1:], ()):
            for label in _labels(bib[bib_tag], _pairs(value)):
                form = AuthorityForm(kind, label, tag[0] == heading_digit)
                if form not in forms:
                    forms.append(form)
    return forms
