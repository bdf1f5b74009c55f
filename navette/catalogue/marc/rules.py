"""The formats' rules as data (navette/catalogue/data/*.json) and the pure checks on them.

``format_rules(flavour)`` reads the tag, indicator and subfield definitions and the
positions of the leader and of the coded field (MARC21 008, UNIMARC 100$a);
``check_record`` returns every problem of a MARC-in-JSON record with its place (field
index, subfield index, position) and a stable code, never a sentence: the interface says
it in the reader's language. ``normalise_record`` gives a record the form Navette stores
(empty subfields and fields left out, text in NFC, computed leader positions set) so that
an export read back is the same record. No I/O but reading the shipped data once.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from dataclasses import field as _field
from pathlib import Path
from typing import Any

from navette.catalogue.marc import MarcError
from navette.catalogue.marc.iso2709 import write_record

DATA = Path(__file__).resolve().parent.parent / "data"

_TAG = re.compile(r"^[0-9A-Za-z]{3}$")
_CODE = re.compile(r"^[0-9a-z]$")


@dataclass(frozen=True)
class Position:
    """A slice of the leader or of the coded field."""

    start: int
    length: int
    fr: str
    en: str
    values: dict[str, tuple[str, str]] = _field(default_factory=dict)
    pattern: str = ""
    computed: bool = False

    @property
    def end(self) -> int:
        return self.start + self.length

    def label(self, language: str) -> str:
        return self.en if language.startswith("en") else self.fr


@dataclass(frozen=True)
class Indicator:
    fr: str
    en: str
    values: str  # allowed characters, a space for blank


@dataclass(frozen=True)
class SubfieldRule:
    fr: str
    en: str
    repeatable: bool


@dataclass(frozen=True)
class FieldRule:
    tag: str
    fr: str
    en: str
    repeatable: bool
    control: bool = False
    mandatory: bool = False
    length: int | None = None
    ind1: Indicator | None = None
    ind2: Indicator | None = None
    subfields: dict[str, SubfieldRule] = _field(default_factory=dict)
    required: str = ""

    def label(self, language: str) -> str:
        return self.en if language.startswith("en") else self.fr


@dataclass(frozen=True)
class FixedField:
    tag: str
    subfield: str | None
    length: int
    fr: str
    en: str
    positions: tuple[Position, ...]


@dataclass(frozen=True)
class FormatRules:
    flavour: str
    source: str
    title_field: str
    leader: tuple[Position, ...]
    fixed: FixedField
    fields: dict[str, FieldRule]

    def field_rule(self, tag: str) -> FieldRule | None:
        return self.fields.get(tag)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a record, where it is and a stable code.

    ``field`` is the index in ``marc["fields"]`` (None for the leader or the whole
    record), ``subfield`` the index in that field's subfields, ``position`` the start of a
    leader or coded-field slice. ``severity`` "error" refuses the save, "warning" does not.
    """

    code: str
    field: int | None = None
    subfield: int | None = None
    tag: str = ""
    position: int | None = None
    params: dict[str, str] = _field(default_factory=dict)
    severity: str = "error"


def _positions(rows: list[dict[str, Any]]) -> tuple[Position, ...]:
    return tuple(
        Position(
            start=r["start"],
            length=r["length"],
            fr=r["fr"],
            en=r["en"],
            values={k: (v[0], v[1]) for k, v in r.get("values", {}).items()},
            pattern=r.get("pattern", ""),
            computed=bool(r.get("computed")),
        )  # fmt: skip
        for r in rows
    )


def _indicator(raw: dict[str, Any] | None) -> Indicator | None:
    return Indicator(raw["fr"], raw["en"], raw["values"]) if raw else None


@functools.cache
def format_rules(flavour: str) -> FormatRules:
    """The rules of ``flavour`` ("marc21" or "unimarc"), read once from the shipped data."""
    if flavour not in ("marc21", "unimarc"):
        raise ValueError(f"unknown MARC flavour {flavour!r}")
    raw = json.loads((DATA / f"{flavour}_bibliographic.json").read_text(encoding="utf-8"))
    fixed = raw["fixed"]
    fields = {}
    for tag, f in raw["fields"].items():
        fields[tag] = FieldRule(
            tag=tag, fr=f["fr"], en=f["en"], repeatable=bool(f["rep"]),
            control=bool(f.get("control")), mandatory=bool(f.get("mandatory")),
            length=f.get("length"), ind1=_indicator(f.get("ind1")), ind2=_indicator(f.get("ind2")),
            subfields={c: SubfieldRule(s[0], s[1], bool(s[2])) for c, s in f.get("sub", {}).items()},
            required=f.get("required", ""),
        )  # fmt: skip
    return FormatRules(
        flavour=flavour, source=raw["source"], title_field=raw["title_field"],
        leader=_positions(raw["leader"]),
        fixed=FixedField(fixed["tag"], fixed["subfield"], fixed["length"], fixed["fr"],
                         fixed["en"], _positions(fixed["positions"])),
        fields=fields,
    )  # fmt: skip


@functools.cache
def _templates() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "templates.json").read_text(encoding="utf-8"))
    return data


#: the document types that have a template, in the order the editor offers them
TEMPLATE_DOC_TYPES = ("book", "video", "music", "video_game", "magazine", "online")


def template_record(flavour: str, doc_type: str, *, today: str) -> dict[str, Any]:
    """A new record of ``doc_type`` in ``flavour`` with the date entered set to ``today``
    (YYYYMMDD). Raises KeyError for a type without template."""
    marc: dict[str, Any] = copy.deepcopy(_templates()[flavour][doc_type])
    rules = format_rules(flavour)
    value = fixed_value(marc, rules)
    if value is not None:
        stamp = today[2:] if flavour == "marc21" else today
        set_fixed_value(marc, rules, stamp + value[len(stamp) :])
    return marc


def is_local_tag(tag: str) -> bool:
    """9XX and X9X fields are the library's own: their content is not checked."""
    return len(tag) == 3 and (tag[0] == "9" or tag[1] == "9")


def is_control_tag(tag: str) -> bool:
    return tag.isdigit() and tag < "010"


def fixed_value(marc: dict[str, Any], rules: FormatRules) -> str | None:
    """The coded field's text (008, or 100$a), None when the record has none."""
    for f in marc.get("fields", []):
        value = f.get(rules.fixed.tag)
        if value is None:
            continue
        if rules.fixed.subfield is None:
            return value if isinstance(value, str) else None
        if isinstance(value, dict):
            for sub in value.get("subfields", []):
                if rules.fixed.subfield in sub:
                    text: str = sub[rules.fixed.subfield]
                    return text
        return None
    return None


def set_fixed_value(marc: dict[str, Any], rules: FormatRules, text: str) -> None:
    """Write the coded field's text, adding the field in tag order when missing."""
    tag = rules.fixed.tag
    for f in marc["fields"]:
        if tag not in f:
            continue
        if rules.fixed.subfield is None:
            f[tag] = text
            return
        value = f[tag]
        for sub in value["subfields"]:
            if rules.fixed.subfield in sub:
                sub[rules.fixed.subfield] = text
                return
        value["subfields"].insert(0, {rules.fixed.subfield: text})
        return
    new: dict[str, Any] = (
        {tag: text}
        if rules.fixed.subfield is None
        else {tag: {"ind1": " ", "ind2": " ", "subfields": [{rules.fixed.subfield: text}]}}
    )
    at = next((i for i, f in enumerate(marc["fields"]) if next(iter(f)) > tag), None)
    marc["fields"].insert(len(marc["fields"]) if at is None else at, new)


def _check_positions(
    text: str, positions: tuple[Position, ...], *, where: str, tag: str, field_index: int | None
) -> list[Problem]:
    problems = []
    for pos in positions:
        if pos.computed:
            continue
        part = text[pos.start : pos.end]
        if pos.values and part not in pos.values:
            problems.append(Problem(f"{where}_value", field=field_index, tag=tag,
                                    position=pos.start, params={"value": part}))  # fmt: skip
        elif pos.pattern and not re.fullmatch(pos.pattern, part):
            problems.append(Problem(f"{where}_pattern", field=field_index, tag=tag,
                                    position=pos.start, params={"value": part}))  # fmt: skip
    return problems


def check_record(marc: dict[str, Any], flavour: str) -> list[Problem]:
    """Every problem of ``marc`` against the rules of ``flavour``, in field order."""
    rules = format_rules(flavour)
    problems: list[Problem] = []
    leader = marc.get("leader", "")
    if len(leader) != 24:
        problems.append(Problem("leader_length", params={"length": str(len(leader))}))
    else:
        problems += _check_positions(leader, rules.leader, where="leader", tag="LDR",
                                     field_index=None)  # fmt: skip
    seen: dict[str, int] = {}
    fixed_tag, fixed_sub = rules.fixed.tag, rules.fixed.subfield
    for i, f in enumerate(marc.get("fields", [])):
        ((tag, value),) = f.items()
        if not _TAG.match(tag):
            problems.append(Problem("tag_invalid", field=i, tag=tag))
            continue
        rule = rules.field_rule(tag)
        seen[tag] = seen.get(tag, 0) + 1
        if rule is not None and not rule.repeatable and seen[tag] == 2:
            problems.append(Problem("field_not_repeatable", field=i, tag=tag))
        if is_control_tag(tag):
            if not isinstance(value, str):
                problems.append(Problem("control_has_subfields", field=i, tag=tag))
                continue
            if not value:
                problems.append(Problem("control_empty", field=i, tag=tag))
            elif rule is not None and rule.length and len(value) != rule.length:
                problems.append(Problem("control_length", field=i, tag=tag,
                                        params={"length": str(len(value)),
                                                "expected": str(rule.length)}))  # fmt: skip
            if tag == fixed_tag and fixed_sub is None and rule and len(value) == rule.length:
                problems += _check_positions(value, rules.fixed.positions, where="fixed",
                                             tag=tag, field_index=i)  # fmt: skip
            if rule is None and not is_local_tag(tag):
                problems.append(Problem("tag_unknown", field=i, tag=tag, severity="warning"))
            continue
        if isinstance(value, str):
            problems.append(Problem("data_without_subfields", field=i, tag=tag))
            continue
        for which in ("ind1", "ind2"):
            ind = value.get(which, " ")
            if len(ind) != 1:
                problems.append(
                    Problem(f"{which}_invalid", field=i, tag=tag, params={"value": ind})
                )
                continue
            allowed = getattr(rule, which).values if rule and getattr(rule, which) else None
            if allowed is not None and ind not in allowed:
                problems.append(Problem(f"{which}_invalid", field=i, tag=tag,
                                        params={"value": ind, "allowed": allowed}))  # fmt: skip
        subs = value.get("subfields", [])
        if not subs:
            problems.append(Problem("no_subfields", field=i, tag=tag))
            continue
        if rule is None:
            if not is_local_tag(tag):
                problems.append(Problem("tag_unknown", field=i, tag=tag, severity="warning"))
            for j, sub in enumerate(subs):
                ((code, _text),) = sub.items()
                if not _CODE.match(code):
                    problems.append(Problem("subfield_code_invalid", field=i, subfield=j,
                                            tag=tag, params={"code": code}))  # fmt: skip
            continue
        counts: dict[str, int] = {}
        for j, sub in enumerate(subs):
            ((code, text),) = sub.items()
            if not _CODE.match(code):
                problems.append(Problem("subfield_code_invalid", field=i, subfield=j, tag=tag,
                                        params={"code": code}))  # fmt: skip
                continue
            counts[code] = counts.get(code, 0) + 1
            srule = rule.subfields.get(code)
            if rule.subfields and srule is None:
                problems.append(Problem("subfield_unknown", field=i, subfield=j, tag=tag,
                                        params={"code": code}))  # fmt: skip
            elif srule is not None and not srule.repeatable and counts[code] == 2:
                problems.append(Problem("subfield_not_repeatable", field=i, subfield=j,
                                        tag=tag, params={"code": code}))  # fmt: skip
            if tag == fixed_tag and code == fixed_sub and counts[code] == 1:
                if len(text) != rules.fixed.length:
                    problems.append(Problem("fixed_length", field=i, subfield=j, tag=tag,
                                            params={"length": str(len(text)),
                                                    "expected": str(rules.fixed.length)}))  # fmt: skip
                else:
                    problems += _check_positions(text, rules.fixed.positions, where="fixed",
                                                 tag=tag, field_index=i)  # fmt: skip
        for code in rule.required:
            if code not in counts:
                problems.append(Problem("subfield_required", field=i, tag=tag,
                                        params={"code": code}))  # fmt: skip
    for tag, rule in rules.fields.items():
        if rule.mandatory and tag not in seen:
            problems.append(Problem("field_missing", tag=tag))
    return problems


def errors_of(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def normalise_record(marc: dict[str, Any], flavour: str) -> dict[str, Any]:
    """The record as Navette stores it: subfields without text and data fields left with
    no subfield are dropped, text is NFC, the UNIMARC character set (100$a/26-29) says
    Unicode, and the leader's computed positions (length, base address, coding) are those
    of its ISO 2709 form, so that an export read back gives the same record.

    Raises MarcError when the record is too long for ISO 2709.
    """
    fields: list[dict[str, Any]] = []
    for f in marc.get("fields", []):
        ((tag, value),) = f.items()
        if isinstance(value, str):
            fields.append({tag: _nfc(value)})
            continue
        subs = [
            {code: _nfc(text)}
            for sub in value.get("subfields", [])
            for code, text in sub.items()
            if text.strip()
        ]
        if subs:
            fields.append({tag: {"ind1": (value.get("ind1") or " ")[:1],
                                 "ind2": (value.get("ind2") or " ")[:1], "subfields": subs}})  # fmt: skip
    out: dict[str, Any] = {"leader": (marc.get("leader") or "").ljust(24)[:24], "fields": fields}
    if flavour == "unimarc":
        rules = format_rules(flavour)
        value = fixed_value(out, rules)
        if value is not None and len(value) >= 30:
            set_fixed_value(out, rules, value[:26] + "50  " + value[30:])
    try:
        out["leader"] = write_record(out)[:24].decode("ascii")
    except MarcError:
        raise
    return out


__all__ = [
    "FieldRule",
    "FormatRules",
    "MarcError",
    "Position",
    "Problem",
    "TEMPLATE_DOC_TYPES",
    "check_record",
    "errors_of",
    "fixed_value",
    "format_rules",
    "normalise_record",
    "set_fixed_value",
    "template_record",
]
