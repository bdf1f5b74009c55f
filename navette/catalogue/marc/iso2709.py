"""ISO 2709 split, parse and write, robust against broken records.

The splitter never trusts a record's declared length to find the next record:
it cuts at each record terminator (0x1D), so a record with a wrong length or a
broken directory is rejected on its own and reading resumes after it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from navette.catalogue.marc import MarcError

RT = 0x1D  # record terminator
FT = 0x1E  # field terminator
SF = 0x1F  # subfield delimiter
_READ_SIZE = 1 << 20


@dataclass(slots=True)
class RawRecord:
    """The bytes of one record as cut from the file, with its place in it."""

    number: int  # 1-based position in the file
    offset: int  # byte offset of its first byte
    data: bytes
    terminated: bool = True


def split_records(stream: IO[bytes]) -> Iterator[RawRecord]:
    """Cut a stream into records at each 0x1D, skipping whitespace between records.

    A trailing fragment without a terminator is yielded with ``terminated=False``.
    """
    buf = b""
    base = 0  # file offset of buf[0]
    number = 0
    while True:
        chunk = stream.read(_READ_SIZE)
        if not chunk:
            break
        buf = buf + chunk if buf else chunk
        pos = 0
        find = buf.find
        while True:
            end = find(b"\x1d", pos)
            if end < 0:
                break
            start = pos
            # line-separated files put a newline between records
            while start < end and buf[start] in b" \r\n\t\x00":
                start += 1
            if start < end:
                number += 1
                yield RawRecord(number, base + start, buf[start : end + 1])
            pos = end + 1
        base += pos
        buf = buf[pos:]
    rest = buf.strip(b" \r\n\t\x00\x1a")
    if rest:
        number += 1
        yield RawRecord(number, base + buf.find(rest[:1]), rest, terminated=False)


def parse_structure(data: bytes) -> tuple[str, list[tuple[str, bytes]]]:
    """Check the leader and directory; return the leader and (tag, field bytes) pairs.

    Raises MarcError with the reason when the length, base address or directory
    is inconsistent.
    """
    size = len(data)
    if size < 26:
        raise MarcError(f"notice trop courte ({size} octets)")
    if data[-1] != RT:
        raise MarcError("fin de notice (0x1D) absente : fichier tronqué")
    try:
        leader = data[:24].decode("ascii")
    except UnicodeDecodeError:
        raise MarcError("en-tête (label) invalide : caractères non ASCII") from None
    if not leader[:5].isdigit():
        raise MarcError(f"longueur de notice invalide dans l'en-tête : {leader[:5]!r}")
    declared = int(leader[:5])
    if declared != size:
        raise MarcError(f"longueur déclarée {declared} différente de la longueur réelle {size}")
    if not leader[12:17].isdigit():
        raise MarcError(f"adresse de base invalide dans l'en-tête : {leader[12:17]!r}")
    base = int(leader[12:17])
    if base < 25 or base > size or data[base - 1] != FT:
        raise MarcError(f"adresse de base {base} invalide (pas de fin de répertoire)")
    directory = data[24 : base - 1]
    if len(directory) % 12:
        raise MarcError(f"répertoire invalide : longueur {len(directory)} non multiple de 12")
    if not directory:
        raise MarcError("notice sans aucun champ")
    fields: list[tuple[str, bytes]] = []
    limit = size - 1
    try:
        entries = directory.decode("ascii")
    except UnicodeDecodeError:
        entries = ""
    if entries:
        append = fields.append
        for i in range(0, len(entries), 12):
            try:
                length = int(entries[i + 3 : i + 7])
                start = int(entries[i + 7 : i + 12])
            except ValueError:
                raise MarcError(
                    f"répertoire invalide : entrée {i // 12 + 1} illisible "
                    f"{directory[i : i + 12]!r}"
                ) from None
            s = base + start
            e = s + length
            if e > limit or length < 1 or data[e - 1] != FT:
                raise MarcError(
                    f"répertoire invalide : le champ {entries[i : i + 3]} (entrée {i // 12 + 1}) "
                    f"ne se termine pas où le répertoire l'indique"
                )
            append((entries[i : i + 3], data[s : e - 1]))
        return leader, fields
    for i in range(0, len(directory), 12):
        entry = directory[i : i + 12]
        try:
            tag = entry[:3].decode("ascii")
            length = int(entry[3:7])
            start = int(entry[7:12])
        except (UnicodeDecodeError, ValueError):
            raise MarcError(
                f"répertoire invalide : entrée {i // 12 + 1} illisible {entry!r}"
            ) from None
        s = base + start
        e = s + length
        if e > limit or length < 1 or data[e - 1] != FT:
            raise MarcError(
                f"répertoire invalide : le champ {tag} (entrée {i // 12 + 1}) "
                f"ne se termine pas où le répertoire l'indique"
            )
        fields.append((tag, data[s : e - 1]))
    return leader, fields


def is_control_tag(tag: str, body: bytes) -> bool:
    if tag.isdigit():
        return tag < "010"
    return b"\x1f" not in body


#: A field as extraction reads it: a control field's text, or (ind1, ind2, [(code, value)...]).
CompactField = str | tuple[str, str, list[tuple[str, str]]]


def to_json(
    leader: str, fields: list[tuple[str, bytes]], decode: Callable[[bytes, str], str]
) -> dict[str, Any]:
    """Build MARC-in-JSON, decoding each field with ``decode(bytes, tag)``."""
    return to_json_and_fields(leader, fields, decode)[0]


def to_json_and_fields(
    leader: str, fields: list[tuple[str, bytes]], decode: Callable[[bytes, str], str]
) -> tuple[dict[str, Any], dict[str, list[CompactField]]]:
    """MARC-in-JSON and, from the same single pass, the fields grouped by tag for extraction."""
    out: list[dict[str, Any]] = []
    append = out.append
    by_tag: dict[str, list[CompactField]] = {}
    for tag, body in fields:
        text = decode(body, tag)
        if tag < "010" and tag.isdigit() or (not tag.isdigit() and "\x1f" not in text):
            append({tag: text})
            compact: CompactField = text
        else:
            parts = text.split("\x1f")
            ind = parts[0]
            pairs = [(p[0], p[1:]) for p in parts[1:] if p]
            ind1 = ind[0:1] or " "
            ind2 = ind[1:2] or " "
            append({tag: {"ind1": ind1, "ind2": ind2, "subfields": [{c: v} for c, v in pairs]}})
            compact = (ind1, ind2, pairs)
        group = by_tag.get(tag)
        if group is None:
            by_tag[tag] = [compact]
        else:
            group.append(compact)
    return {"leader": leader, "fields": out}, by_tag


def write_record(marc: dict[str, Any], *, utf8_leader: bool = True) -> bytes:
    """Serialise MARC-in-JSON to ISO 2709 in UTF-8 (NFC not applied: text as stored)."""
    directory = bytearray()
    data = bytearray()
    for field in marc["fields"]:
        ((tag, value),) = field.items()
        if isinstance(value, str):
            body = value.encode("utf-8")
        else:
            parts = [(value.get("ind1") or " ")[:1] + (value.get("ind2") or " ")[:1]]
            for sub in value.get("subfields", []):
                ((code, text),) = sub.items()
                parts.append(code + text)
            body = "\x1f".join(parts).encode("utf-8")
        body += b"\x1e"
        directory += f"{tag[:3]:>3}{len(body):04d}{len(data):05d}".encode("ascii")
        data += body
    base = 24 + len(directory) + 1
    total = base + len(data) + 1
    if total > 99999:
        raise MarcError(f"notice trop longue pour ISO 2709 ({total} octets)")
    leader = (marc.get("leader") or "").ljust(24)[:24]
    if utf8_leader:
        leader = leader[:9] + "a" + leader[10:]
    leader = f"{total:05d}{leader[5:10]}22{base:05d}{leader[17:20]}4500"
    return leader.encode("ascii", "replace") + bytes(directory) + b"\x1e" + bytes(data) + b"\x1d"


def nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)
