"""The SIP2 2.00 wire format: parse requests, format responses. Pure: no I/O, no database.

A frame is ``<2-digit code><fixed fields><variable fields>[AY<n>]AZ<checksum>``,
ended by a carriage return. Variable fields are ``<2-letter id><value>|``.

Tolerance of real machines, decided here once:

- the terminator (CR, CRLF, a lone LF) is removed by the server before parsing;
- blank or missing optional fields, a stray ``|`` and unknown field ids are ignored;
- a checksum may come without its leading zeros (some clients format it with ``%X``);
- a request whose optional trailing date (``nb due date``, ``return date``) was left
  out entirely is still read.

Responses always carry the fixed fields in the order and width of the standard,
values without ``|`` or line breaks and at most 255 bytes each, and echo the
request's sequence number with a checksum when the request had one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC

#: Request layouts: fixed fields (name, width) after the two-digit code.
REQUEST_FIXED: dict[str, tuple[tuple[str, int], ...]] = {
    "23": (("language", 3), ("transaction_date", 18)),
    "11": (
        ("sc_renewal_policy", 1),
        ("no_block", 1),
        ("transaction_date", 18),
        ("nb_due_date", 18),
    ),
    "09": (("no_block", 1), ("transaction_date", 18), ("return_date", 18)),
    "01": (("card_retained", 1), ("transaction_date", 18)),
    "99": (("status_code", 1), ("max_print_width", 3), ("protocol_version", 4)),
    "97": (),
    "93": (("uid_algorithm", 1), ("pwd_algorithm", 1)),
    "63": (("language", 3), ("transaction_date", 18), ("summary", 10)),
    "35": (("transaction_date", 18),),
    "37": (("transaction_date", 18), ("fee_type", 2), ("payment_type", 2), ("currency_type", 3)),
    "17": (("transaction_date", 18),),
    "19": (("transaction_date", 18),),
    "25": (("transaction_date", 18),),
    "15": (("hold_mode", 1), ("transaction_date", 18)),
    "29": (
        ("third_party_allowed", 1),
        ("no_block", 1),
        ("transaction_date", 18),
        ("nb_due_date", 18),
    ),
    "65": (("transaction_date", 18),),
}

#: Response layouts: fixed field widths after the two-digit code.
RESPONSE_FIXED: dict[str, tuple[int, ...]] = {
    "24": (14, 3, 18),
    "12": (1, 1, 1, 1, 18),
    "10": (1, 1, 1, 1, 18),
    "98": (1, 1, 1, 1, 1, 1, 3, 3, 18, 4),
    "96": (),
    "94": (1,),
    "64": (14, 3, 18, 4, 4, 4, 4, 4, 4),
    "36": (1, 18),
    "38": (1, 18),
    "18": (2, 2, 2, 18),
    "20": (1, 18),
    "26": (14, 3, 18),
    "16": (1, 1, 18),
    "30": (1, 1, 1, 1, 18),
    "66": (1, 4, 4, 18),
}

#: The response to each request code.
RESPONSE_TO = {
    "23": "24", "11": "12", "09": "10", "01": "24", "99": "98", "93": "94", "63": "64",
    "35": "36", "37": "38", "17": "18", "19": "20", "25": "26", "15": "16", "29": "30",
    "65": "66",
}  # fmt: skip

#: Order of the 16 "supported messages" flags (BX) in the ACS status response.
SUPPORTED_MESSAGES_ORDER = (
    "23", "11", "09", "01", "99", "97", "93", "63", "35", "37", "17", "19", "25", "15", "29", "65",
)  # fmt: skip

MAX_FIELD_BYTES = 255
_TRAILER = re.compile(rb"(?:AY([0-9]))?AZ([0-9A-Fa-f]{1,4})$")
_FIELD_ID = re.compile(r"[A-Z]{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SIP_DATE = re.compile(r"(\d{8})([ 0-9A-Z]{4})(\d{6})")


class FrameError(ValueError):
    """A frame that cannot be read as a SIP2 request.

    ``checksum_failed`` tells the server to ask for a resend (96) rather than
    treat the frame as junk.
    """

    def __init__(self, reason: str, *, checksum_failed: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.checksum_failed = checksum_failed


@dataclass
class Request:
    """A parsed request: its code, named fixed fields and variable fields by id."""

    code: str
    fixed: dict[str, str]
    fields: dict[str, list[str]] = field(default_factory=dict)
    #: the sequence number (AY) when present, echoed in the response
    sequence: int | None = None
    #: whether the request carried a checksum (AZ): then the response carries one too
    checksummed: bool = False

    def get(self, field_id: str, default: str = "") -> str:
        """The first value of a variable field, stripped, or ``default`` when absent or blank."""
        values = self.fields.get(field_id)
        if not values:
            return default
        value = values[0].strip()
        return value or default

    def all(self, field_id: str) -> list[str]:
        return [v for v in self.fields.get(field_id, []) if v.strip()]

    def flag(self, name: str) -> bool:
        """A Y/N fixed field: ``True`` only for ``Y`` (a blank means no)."""
        return self.fixed.get(name, "").upper() == "Y"


# --- checksums -----------------------------------------------------------------------------


def checksum(data: bytes) -> str:
    """The AZ value for ``data`` (every byte from the code through ``AZ``): four hex digits."""
    return f"{(-sum(data)) & 0xFFFF:04X}"


def checksum_ok(prefix_through_az: bytes, value: bytes) -> bool:
    """Whether ``value`` (hex, possibly without leading zeros) is the checksum of the prefix."""
    return (sum(prefix_through_az) + int(value, 16)) & 0xFFFF == 0


def _char_checksum_ok(prefix: bytes, value: bytes) -> bool:
    """Some clients sum characters rather than bytes: accept that for non-ASCII text."""
    if prefix.isascii():
        return False
    text = prefix.decode("utf-8", errors="replace")
    return (sum(map(ord, text)) + int(value, 16)) & 0xFFFF == 0


# --- dates ---------------------------------------------------------------------------------


def format_date(instant: dt.datetime | None) -> str:
    """``YYYYMMDDZZZZHHMMSS`` in the network's local time (ZZZZ blank), or 18 blanks."""
    if instant is None:
        return " " * 18
    if instant.tzinfo is None:
        raise ValueError("naive datetime: give a timezone-aware instant")
    local = instant.astimezone(PARIS)
    return local.strftime("%Y%m%d    %H%M%S")


def parse_date(text: str) -> dt.datetime | None:
    """Read ``YYYYMMDDZZZZHHMMSS``; ``None`` when blank, zero or invalid.

    A ``Z`` in the last zone position means UTC; anything else is local time.
    """
    m = _SIP_DATE.fullmatch(text or "")
    if m is None:
        return None
    day, zone, clock = m.groups()
    try:
        naive = dt.datetime.strptime(day + clock, "%Y%m%d%H%M%S")
    except ValueError:
        return None
    tz = UTC if zone.endswith("Z") else PARIS
    return naive.replace(tzinfo=tz)


# --- parsing -------------------------------------------------------------------------------


def _split_trailer(body: bytes) -> tuple[bytes, int | None, bool]:
    """Remove and verify a ``[AY<n>]AZ<hex>`` trailer. Returns (rest, sequence, checksummed)."""
    m = _TRAILER.search(body)
    if m is None:
        return body, None, False
    az_end = m.start(2)
    prefix = body[:az_end]
    if not checksum_ok(prefix, m.group(2)) and not _char_checksum_ok(prefix, m.group(2)):
        raise FrameError("somme de contrôle (AZ) incorrecte", checksum_failed=True)
    sequence = int(m.group(1)) if m.group(1) is not None else None
    rest = body[: m.start()]
    return rest, sequence, True


def parse(frame: bytes, encoding: str = "utf-8") -> Request:
    """Parse one request frame (terminator already removed).

    Raises ``FrameError`` for a frame that is not a SIP2 2.00 request: too short,
    unknown code, truncated fixed fields, bad checksum.
    """
    frame = frame.rstrip(b"\r\n")
    frame = frame.lstrip(b"\r\n")
    if len(frame) < 2:
        raise FrameError("message trop court")
    rest, sequence, checksummed = _split_trailer(frame)
    # control characters (NUL above all: PostgreSQL refuses it in text) are never data
    text = _CONTROL.sub("", rest.decode(encoding, errors="replace"))
    code = text[:2]
    layout = REQUEST_FIXED.get(code)
    if layout is None:
        raise FrameError(f"code de message inconnu : {code!r}")
    width = sum(w for _, w in layout)
    body = text[2:]
    body = _tolerate_missing_trailing_date(code, layout, body, width)
    if len(body) < width:
        raise FrameError(f"champs fixes tronqués (message {code})")
    fixed: dict[str, str] = {}
    pos = 0
    for name, w in layout:
        fixed[name] = body[pos : pos + w]
        pos += w
    fields: dict[str, list[str]] = {}
    for piece in body[width:].split("|"):
        if len(piece) < 2 or _FIELD_ID.fullmatch(piece[:2]) is None:
            continue  # a stray '|', a blank or a garbled piece: ignored
        fields.setdefault(piece[:2], []).append(piece[2:])
    if sequence is None and "AY" in fields:
        # a sequence number sent without a checksum
        ay = fields["AY"][0].strip()
        if len(ay) == 1 and ay.isdigit():
            sequence = int(ay)
    fields.pop("AY", None)
    fields.pop("AZ", None)
    return Request(
        code=code, fixed=fixed, fields=fields, sequence=sequence, checksummed=checksummed
    )


def _tolerate_missing_trailing_date(
    code: str, layout: tuple[tuple[str, int], ...], body: str, width: int
) -> str:
    """Some machines leave out a trailing optional date field rather than sending blanks."""
    if not layout or layout[-1][1] != 18 or layout[-1][0] == "transaction_date":
        return body
    short = width - 18
    if len(body) >= width and _SIP_DATE.fullmatch(body[short:width]) is not None:
        return body
    if body[short:width].strip() == "":
        return body
    if _FIELD_ID.fullmatch(body[short : short + 2]):
        return body[:short] + " " * 18 + body[short:]
    return body


# --- formatting ----------------------------------------------------------------------------


def clean_value(value: object, encoding: str = "utf-8") -> str:
    """A field value safe on the wire: no delimiter or line break, at most 255 bytes."""
    text = "" if value is None else str(value)
    text = text.replace("|", "/").replace("\r", " ").replace("\n", " ").replace("\x00", "")
    data = text.encode(encoding, errors="replace")
    if len(data) > MAX_FIELD_BYTES:
        data = data[:MAX_FIELD_BYTES]
        text = data.decode(encoding, errors="ignore")
    else:
        text = data.decode(encoding)
    return text


FieldList = Iterable[tuple[str, object]]


def format_response(
    code: str,
    fixed: Sequence[str],
    fields: FieldList = (),
    *,
    sequence: int | None = None,
    checksummed: bool = False,
    encoding: str = "utf-8",
) -> bytes:
    """Build a response frame, CR included.

    ``fixed`` must match the standard widths for ``code`` (checked: a wrong width
    is a programming error). Fields whose value is ``None`` are left out; an
    empty string is sent as an empty field (required fields). The trailer is
    ``AY<n>AZ<checksum>`` when the request had a sequence number, ``AZ<checksum>``
    when it had only a checksum, and nothing otherwise.
    """
    widths = RESPONSE_FIXED[code]
    if len(fixed) != len(widths) or any(len(v) != w for v, w in zip(fixed, widths, strict=True)):
        raise ValueError(f"fixed fields of {code} do not match widths {widths}: {fixed!r}")
    parts = [code, *fixed]
    for field_id, value in fields:
        if value is None:
            continue
        parts.append(f"{field_id}{clean_value(value, encoding)}|")
    data = "".join(parts).encode(encoding, errors="replace")
    return _with_trailer(data, sequence=sequence, checksummed=checksummed)


def _with_trailer(data: bytes, *, sequence: int | None, checksummed: bool) -> bytes:
    if sequence is not None:
        data += b"AY%dAZ" % sequence
        return data + checksum(data).encode("ascii") + b"\r"
    if checksummed:
        data += b"AZ"
        return data + checksum(data).encode("ascii") + b"\r"
    return data + b"\r"


def resend_request(*, checksummed: bool = True) -> bytes:
    """The 96 message asking the machine to send its last message again."""
    return _with_trailer(b"96", sequence=None, checksummed=checksummed)


def yn(value: bool) -> str:
    return "Y" if value else "N"


def count4(n: int | None) -> str:
    """A 4-digit count (0000-9999), or four blanks when unknown."""
    if n is None:
        return "    "
    return f"{max(0, min(9999, n)):04d}"


def patron_status_flags(denied: Iterable[int]) -> str:
    """The 14-character patron status: ``Y`` at each position in ``denied``, blanks elsewhere."""
    flags = [" "] * 14
    for i in denied:
        flags[i] = "Y"
    return "".join(flags)


def supported_messages(codes: Iterable[str]) -> str:
    """The 16 BX flags for the request codes the server will answer for this machine."""
    wanted = set(codes)
    return "".join(yn(c in wanted) for c in SUPPORTED_MESSAGES_ORDER)


def summary_index(summary: str) -> int | None:
    """Which list the patron information summary asks for (first ``Y``), or ``None``."""
    for i, ch in enumerate(summary[:10]):
        if ch.upper() == "Y":
            return i
    return None
