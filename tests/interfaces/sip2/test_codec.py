"""The SIP2 codec: byte-exact requests and responses of every SIP2 2.00 message type.

Pure tests: no database. Responses are also read back by the strict decoder of
the third-party package ``pysip2``, so the layouts are checked by someone else's
reading of the standard.
"""

from __future__ import annotations

import datetime as dt

import pysip2
import pytest

from navette.sip2 import codec

T = "20260315    143000"  # a transaction date: 15 March 2026, 14:30:00 local time
BLANK = " " * 18


def with_checksum(body: bytes) -> bytes:
    return body + codec.checksum(body).encode()


# --- requests: every message type a machine sends -------------------------------------------

REQUESTS = [
    ("93", b"9300CNkiosk-lens|COs3cret|CPlens|", {"uid_algorithm": "0"}, {"CN": "kiosk-lens", "CO": "s3cret"}),
    ("99", b"9900802.00", {"status_code": "0", "max_print_width": "080", "protocol_version": "2.00"}, {}),
    ("23", f"23000{T}AOrelire|AA2900100|AC|AD1234|".encode(), {"language": "000", "transaction_date": T},
     {"AA": "2900100", "AD": "1234"}),
    ("63", f"63000{T}Y         AOrelire|AA2900100|AD1234|BP1|BQ5|".encode(), {"summary": "Y         "},
     {"BP": "1", "BQ": "5"}),
    ("11", f"11YN{T}{BLANK}AOrelire|AA2900100|AB3100001|AC|BON|BIN|".encode(),
     {"sc_renewal_policy": "Y", "no_block": "N", "nb_due_date": BLANK}, {"AB": "3100001"}),
    ("09", f"09N{T}{T}APlens|AOrelire|AB3100001|AC|".encode(), {"no_block": "N", "return_date": T},
     {"AP": "lens", "AB": "3100001"}),
    ("29", f"29NN{T}{BLANK}AOrelire|AA2900100|AD1234|AB3100001|".encode(), {"third_party_allowed": "N"},
     {"AB": "3100001"}),
    ("65", f"65{T}AOrelire|AA2900100|AD1234|".encode(), {"transaction_date": T}, {"AA": "2900100"}),
    ("17", f"17{T}AOrelire|AB3100001|AC|".encode(), {"transaction_date": T}, {"AB": "3100001"}),
    ("15", f"15+{T}BSlievin|AOrelire|AA2900100|AD1234|AB3100001|".encode(), {"hold_mode": "+"},
     {"BS": "lievin", "AB": "3100001"}),
    ("35", f"35{T}AOrelire|AA2900100|".encode(), {"transaction_date": T}, {"AA": "2900100"}),
    ("37", f"37{T}0100EURBV2.50|AOrelire|AA2900100|CGF12|".encode(),
     {"fee_type": "01", "payment_type": "00", "currency_type": "EUR"}, {"BV": "2.50", "CG": "F12"}),
    ("01", f"01N{T}AOrelire|ALcarte avalée|AA2900100|AC|".encode(), {"card_retained": "N"},
     {"AL": "carte avalée"}),
    ("25", f"25{T}AOrelire|AA2900100|".encode(), {"transaction_date": T}, {"AA": "2900100"}),
    ("19", f"19{T}AOrelire|AB3100001|CHrayon B|".encode(), {"transaction_date": T}, {"CH": "rayon B"}),
    ("97", b"97", {}, {}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "frame", "fixed", "fields"), REQUESTS, ids=[r[0] for r in REQUESTS]
)
def test_every_request_type_is_read(code, frame, fixed, fields):
    """Each SIP2 2.00 request is read into its code, named fixed fields and variable fields."""
    request = codec.parse(frame)
    assert request.code == code
    for name, value in fixed.items():
        assert request.fixed[name] == value
    for field_id, value in fields.items():
        assert request.get(field_id) == value
    assert request.sequence is None and not request.checksummed


@pytest.mark.parametrize(
    ("code", "frame", "fixed", "fields"), REQUESTS, ids=[r[0] for r in REQUESTS]
)
def test_sequence_and_checksum_are_verified_and_kept(code, frame, fixed, fields):
    """With AY/AZ the request reads the same; its sequence number is kept for the echo."""
    request = codec.parse(with_checksum(frame + b"AY7AZ"))
    assert (request.code, request.sequence, request.checksummed) == (code, 7, True)
    assert "AY" not in request.fields and "AZ" not in request.fields


def test_a_wrong_checksum_is_refused_as_a_resend_case():
    """A frame whose checksum does not add up is refused; the server will ask for a resend (96)."""
    with pytest.raises(codec.FrameError) as err:
        codec.parse(b"9900802.00AY1AZFCA6")
    assert err.value.checksum_failed


def test_the_standard_examples_checksums():
    """The checksums printed in the SIP2 standard's examples."""
    assert codec.checksum(b"9900302.00AY1AZ") == "FCA5"
    assert codec.checksum(b"97AZ") == "FEF5"
    assert codec.parse(b"9900302.00AY1AZFCA5").sequence == 1


def test_a_checksum_without_leading_zeros_is_accepted():
    """Some clients print the checksum with %X and drop leading zeros: still verified."""
    for n in range(1, 1000):
        body = f"23000{T}AOrelire|AA{'z' * n}|AY2AZ".encode()
        value = codec.checksum(body)
        if value.startswith("0"):
            request = codec.parse(body + value.lstrip("0").encode())
            assert request.checksummed and request.get("AA") == "z" * n
            return
    pytest.fail("no frame with a leading-zero checksum found")


# --- tolerance of real machines -------------------------------------------------------------


def test_blank_missing_and_unknown_fields_and_stray_pipes_are_tolerated():
    """Stray '|', blank fields, unknown ids and a last field without '|' are read sensibly."""
    request = codec.parse(f"23000{T}|AOrelire||AA2900100|AC|ZZwhatever|X|AD1234".encode())
    assert request.get("AA") == "2900100"
    assert request.get("AD") == "1234"
    assert request.get("AC") == ""
    assert request.get("ZZ") == "whatever"  # kept, and ignored by the handlers


def test_a_left_out_nb_due_date_is_tolerated():
    """A checkout without the 18-character 'nb due date' is read as if it were blank."""
    request = codec.parse(f"11YN{T}AOrelire|AA2900100|AB3100001|AC|".encode())
    assert request.fixed["nb_due_date"] == BLANK
    assert request.get("AB") == "3100001"


def test_surrounding_line_breaks_are_ignored():
    """A stray LF before or after the frame is not part of it."""
    assert codec.parse(b"\n9900802.00\r\n").fixed["protocol_version"] == "2.00"


@pytest.mark.parametrize(
    "frame",
    [b"", b"9", b"XX", b"42abc", b"11YN2026", b"\x16\x03\x01\x02\x00", b"\xff\xfe\x00garbage"],
)
def test_junk_is_refused_with_a_frame_error(frame):
    """Unknown codes, truncated fixed fields and binary junk raise FrameError, nothing else."""
    with pytest.raises(codec.FrameError):
        codec.parse(frame)


def test_sequence_number_without_checksum_is_kept():
    """AY alone (no AZ) is still echoed."""
    assert codec.parse(b"9900802.00AY3").sequence == 3


def test_other_encodings_are_read():
    """A kiosk configured for CP850 sends accented letters in CP850."""
    frame = f"01N{T}AOrelire|ALcarte avalée|AA2900100|".encode("cp850")
    assert codec.parse(frame, "cp850").get("AL") == "carte avalée"


# --- dates ----------------------------------------------------------------------------------


def test_dates_are_local_time_with_a_blank_zone():
    """Dates are YYYYMMDDZZZZHHMMSS in Paris time, with ZZZZ blank."""
    instant = dt.datetime(2026, 3, 15, 13, 30, tzinfo=dt.UTC)
    assert codec.format_date(instant) == T
    assert codec.parse_date(T) == instant
    assert codec.parse_date("20260315   Z133000") == instant
    assert codec.parse_date(BLANK) is None
    assert codec.parse_date("20261345    990000") is None
    assert codec.format_date(None) == BLANK


# --- responses: byte-exact, every message type the server sends ------------------------------

RESPONSES = [
    ("94", ["1"], [], b"941"),
    ("98", ["Y", "Y", "Y", "Y", "N", "N", "030", "003", T, "2.00"],
     [("AO", "relire"), ("AM", "Médiathèque de Lens"), ("BX", "YYYNYYYYYNYNNYYY"), ("AN", "kiosk-lens")],
     f"98YYYYNN030003{T}2.00AOrelire|AMMédiathèque de Lens|BXYYYNYYYYYNYNNYYY|ANkiosk-lens|".encode()),
    ("24", ["              ", "000", T],
     [("AO", "relire"), ("AA", "2900100"), ("AE", "Camille Martin"), ("BL", "Y"), ("CQ", "Y")],
     f"24              000{T}AOrelire|AA2900100|AECamille Martin|BLY|CQY|".encode()),
    ("64", ["              ", "000", T, "0001", "0000", "0002", "0000", "0000", "0000"],
     [("AO", "relire"), ("AA", "2900100"), ("AE", "Camille Martin"), ("BZ", "0010"), ("CB", "0020"),
      ("BL", "Y"), ("CQ", "Y"), ("AU", "3100001"), ("AU", "3100002"), ("BE", None)],
     f"64              000{T}000100000002000000000000AOrelire|AA2900100|AECamille Martin|BZ0010|CB0020|BLY|CQY|AU3100001|AU3100002|".encode()),
    ("12", ["1", "Y", "N", "Y", T],
     [("AO", "relire"), ("AA", "2900100"), ("AB", "3100001"), ("AJ", "Le Petit Prince"), ("AH", "20260405    235900")],
     f"121YNY{T}AOrelire|AA2900100|AB3100001|AJLe Petit Prince|AH20260405    235900|".encode()),
    ("12", ["0", "N", "U", "N", T],
     [("AO", "relire"), ("AA", "2900100"), ("AB", "3100001"), ("AJ", ""), ("AH", ""),
      ("AF", "Ce document est réservé pour un autre lecteur.")],
     f"120NUN{T}AOrelire|AA2900100|AB3100001|AJ|AH|AFCe document est réservé pour un autre lecteur.|".encode()),
    ("10", ["1", "Y", "N", "Y", T],
     [("AO", "relire"), ("AB", "3100001"), ("AQ", "lens"), ("AJ", "Le Petit Prince"), ("CL", "liévin"),
      ("AF", "Réservé : à envoyer à Liévin")],
     f"101YNY{T}AOrelire|AB3100001|AQlens|AJLe Petit Prince|CLliévin|AFRéservé : à envoyer à Liévin|".encode()),
    ("30", ["1", "Y", "N", "Y", T],
     [("AO", "relire"), ("AA", "2900100"), ("AB", "3100001"), ("AJ", "Le Petit Prince"), ("AH", "20260420    235900")],
     f"301YNY{T}AOrelire|AA2900100|AB3100001|AJLe Petit Prince|AH20260420    235900|".encode()),
    ("66", ["1", "0001", "0001", T],
     [("AO", "relire"), ("BM", "3100001"), ("BN", "3100002"), ("AF", "1 prolongé, 1 refusé")],
     "6610001000120260315    143000AOrelire|BM3100001|BN3100002|AF1 prolongé, 1 refusé|".encode()),
    ("18", ["03", "00", "01", T],
     [("AB", "3100001"), ("AJ", "Le Petit Prince"), ("BG", "lens"), ("AQ", "lens"), ("AP", "lens")],
     f"18030001{T}AB3100001|AJLe Petit Prince|BGlens|AQlens|APlens|".encode()),
    ("16", ["1", "N", T],
     [("BS", "lievin"), ("BR", "2"), ("AO", "relire"), ("AA", "2900100"), ("AB", "3100001"), ("AJ", "Le Petit Prince")],
     f"161N{T}BSlievin|BR2|AOrelire|AA2900100|AB3100001|AJLe Petit Prince|".encode()),
    ("36", ["Y", T], [("AO", "relire"), ("AA", "2900100")], f"36Y{T}AOrelire|AA2900100|".encode()),
    ("38", ["N", T], [("AO", "relire"), ("AA", "2900100"), ("AF", "Paiement non pris en charge ici.")],
     f"38N{T}AOrelire|AA2900100|AFPaiement non pris en charge ici.|".encode()),
    ("26", ["              ", "000", T], [("AO", "relire"), ("AA", "2900100"), ("AE", "Camille Martin")],
     f"26              000{T}AOrelire|AA2900100|AECamille Martin|".encode()),
    ("20", ["0", T], [("AB", "3100001"), ("AF", "Non permis.")], f"200{T}AB3100001|AFNon permis.|".encode()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "fixed", "fields", "expected"), RESPONSES, ids=[r[0] for r in RESPONSES]
)
def test_every_response_type_is_byte_exact(code, fixed, fields, expected):
    """Each response is formatted byte for byte, and pysip2's strict decoder accepts it."""
    frame = codec.format_response(code, fixed, fields)
    assert frame == expected + b"\r"
    pysip2.decode_message(frame, encoding="utf-8")
    echoed = codec.format_response(code, fixed, fields, sequence=4, checksummed=True)
    assert echoed.startswith(expected + b"AY4AZ")
    decoded = pysip2.decode_message(echoed, encoding="utf-8")
    assert decoded.sequence_number == 4 and decoded.checksum == echoed[-5:-1].decode()


def test_96_and_checksum_only_trailer():
    """96 asks for a resend; a request with AZ but no AY gets AZ back without AY."""
    assert codec.resend_request() == b"96AZFEF6\r"
    frame = codec.format_response("94", ["1"], checksummed=True)
    assert frame == b"941AZ" + codec.checksum(b"941AZ").encode() + b"\r"
    pysip2.decode_message(frame, encoding="utf-8")


def test_values_never_break_the_frame():
    """A '|' or a line break inside a value is replaced, and values are cut at 255 bytes."""
    frame = codec.format_response(
        "36", ["Y", T], [("AO", "a|b"), ("AA", "x\r\ny"), ("AF", "é" * 300)]
    )
    assert frame.count(b"\r") == 1
    assert b"AOa/b|AAx  y|" in frame
    screen = frame.split(b"AF", 1)[1].rstrip(b"|\r")
    assert len(screen) <= 255 and screen.decode("utf-8") == "é" * 127
    pysip2.decode_message(frame, encoding="utf-8")


def test_a_wrong_fixed_width_is_a_programming_error():
    with pytest.raises(ValueError):
        codec.format_response("94", ["10"])


def test_helpers():
    assert (
        codec.count4(3) == "0003" and codec.count4(None) == "    " and codec.count4(12345) == "9999"
    )
    assert codec.patron_status_flags([0, 5]) == "Y    Y        "
    assert (
        codec.supported_messages({"23", "93", "99"})
        == "Y   ".replace(" ", "N") + "Y" + "N" + "Y" + "N" * 9
    )
    assert codec.summary_index("  Y       ") == 2 and codec.summary_index(" " * 10) is None


def test_control_characters_never_reach_the_handlers():
    """NUL and other control bytes inside a frame are dropped from the values."""
    request = codec.parse(f"17{T}AOrelire|AB310\x00000\x071|".encode())
    assert request.get("AB") == "3100001"
