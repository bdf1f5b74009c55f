"""SIP2 handlers against the circulation services: byte-exact conversations.

The clock is frozen (Tuesday 3 March 2026, 14:30 in Paris), so every response,
dates included, is compared byte for byte, and read back by pysip2's strict decoder.
"""

from __future__ import annotations

import pysip2
import pytest

from navette.circulation.errors import CirculationError
from navette.circulation.services import loan_checkout
from navette.core.actors import Actor
from navette.patrons.models import PatronBlock
from navette.sip2 import codec, handlers
from navette.sip2.models import KioskOperation, KioskProfile, PinRule
from tests.interfaces.sip2.conftest import KIOSK_PASSWORD, NOW, PIN

T = "20260303    143000"
B = " " * 18


def talk(session: handlers.Session, text: str) -> str:
    request = codec.parse(text.encode())
    if request.code == "93":
        response, _ok = handlers.login(session, request)
    else:
        response = handlers.dispatch(session, request)
    pysip2.decode_message(response, encoding="utf-8")
    return response.decode()


def logged_in() -> handlers.Session:
    session = handlers.Session()
    assert talk(session, f"9300CNborne-lens|CO{KIOSK_PASSWORD}|CPlens|") == "941\r"
    return session


CONVERSATION = [
    ("9900802.00",
     f"98YYYYNN030003{T}2.00AOlens|AMMédiathèque Robert Cousin|BXYYYYYYYYYNYNYYYY|ANborne-lens|"),
    (f"23000{T}AOrelire|AA29000001|AC|AD{PIN}|",
     f"24              000{T}AOrelire|AA29000001|AECamille Martin|BLY|CQY|"),
    (f"63000{T}  Y       AOrelire|AA29000001|AD{PIN}|",
     f"64              000{T}000000000000000000000000AOrelire|AA29000001|AECamille Martin|BLY|CQY|"
     "BElecteur1@example.org|"),
    (f"11YN{T}{B}AOrelire|AA29000001|AB31000001|AC|",
     f"121NNY{T}AOrelire|AA29000001|AB31000001|AJTitre 1|AH20260324    235959|CK001|"
     "AFPrêt enregistré : à rendre le 24/03/2026.|"),
    (f"11NN{T}{B}AOrelire|AA29000001|AB31000001|AC|",
     f"120NUN{T}AOrelire|AA29000001|AB31000001|AJTitre 1|AH|CK001|AFDocument déjà en prêt à ce lecteur.|"),
    (f"11YN{T}{B}AOrelire|AA29000001|AB31000001|AC|",
     f"121YNY{T}AOrelire|AA29000001|AB31000001|AJTitre 1|AH20260324    235959|CK001|AFPrêt prolongé.|"),
    (f"63000{T}  Y       AOrelire|AA29000001|AD{PIN}|",
     f"64              000{T}000000000001000000000000AOrelire|AA29000001|AECamille Martin|BLY|CQY|"
     "AU31000001|BElecteur1@example.org|"),
    (f"29NN{T}{B}AOrelire|AA29000001|AB31000001|",
     f"301YNN{T}AOrelire|AA29000001|AB31000001|AJTitre 1|AH20260324    235959|CK001|"
     "AFProlongé jusqu'au 24/03/2026.|"),
    (f"65{T}AOrelire|AA29000001|",
     f"66100000001{T}AOrelire|BN31000001|AF31000001 : Prolongation refusée : déjà prolongé 2 fois.|"),
    (f"17{T}AOrelire|AB31000001|",
     f"18040201{T}CF0|AH20260324    235959|AB31000001|AJTitre 1|BGlens|CK001|AQlens|APlens|AFEn prêt|"),
    (f"15+{T}BSlievin|AOrelire|AA29000002|AB31000001|",
     f"160N{T}AOrelire|AA29000002|AB31000001|AJTitre 1|AFIdentifiez-vous avec votre carte et votre code PIN.|"),
    (f"23000{T}AOrelire|AA29000002|AD{PIN}|",
     f"24              000{T}AOrelire|AA29000002|AELouis Durand|BLY|CQY|"),
    (f"15+{T}BSlievin|AOrelire|AA29000002|AB31000001|",
     f"161N{T}BR1|BSlievin|AOrelire|AA29000002|AB31000001|AJTitre 1|AFRéservation enregistrée, retrait à Liévin.|"),
    (f"09N{T}{T}APlens|AOrelire|AB31000001|AC|",
     f"101YNY{T}AOrelire|AB31000001|AQlens|AJTitre 1|AA29000001|CLlievin|CK001|"
     "AFnavette vers Liévin|"),
    (f"09N{T}{T}APlens|AOrelire|AB31000003|AC|",
     f"101YNN{T}AOrelire|AB31000003|AQlens|AJTitre 3|CK001|AFà ranger en rayon|"),
    (f"09N{T}{T}APlens|AOrelire|AB99999999|AC|",
     f"100NUN{T}AOrelire|AB99999999|AQ|AFCode-barres inconnu : 99999999.|"),
    (f"15-{T}AOrelire|AA29000002|AB31000001|",
     f"161N{T}AOrelire|AA29000002|AB31000001|AJTitre 1|AFRéservation annulée.|"),
    (f"37{T}0100EURBV1.00|AOrelire|AA29000001|",
     f"38N{T}AOrelire|AA29000001|AFOpération non permise sur cet automate : adressez-vous à l'accueil.|"),
    (f"19{T}AOrelire|AB31000001|CHx|",
     f"200{T}AB31000001|AJTitre 1|AFMise à jour des exemplaires non prise en charge : adressez-vous à l'accueil.|"),
    (f"25{T}AOrelire|AA29000001|", f"26              000{T}AOrelire|AA29000001|AE|BLY|"),
    (f"01N{T}AOrelire|ALcarte avalée|AA29000002|",
     f"24YYYY          000{T}AOrelire|AA29000002|AE|BLY|AFCarte bloquée : carte avalée.|"),
    (f"35{T}AOrelire|AA29000002|", f"36Y{T}AOrelire|AA29000002|"),
    (f"11YN{T}{B}AOrelire|AA29000002|AB31000004|AC|",
     f"120NUN{T}AOrelire|AA29000002|AB31000004|AJTitre 4|AH|CK001|"
     "AFIdentifiez-vous avec votre carte et votre code PIN.|"),
]  # fmt: skip


def strict_profile(world) -> KioskProfile:
    """A kiosk asking the PIN for everything and naming nobody without it."""
    profile = KioskProfile.objects.create(
        name="strict", pin_for_checkout=PinRule.ALWAYS, pin_for_renew=PinRule.ALWAYS,
        pin_for_patron_info=PinRule.ALWAYS, name_without_pin=False,
    )  # fmt: skip
    world.kiosk.profile = profile
    world.kiosk.save()
    return profile


def test_a_whole_kiosk_day_byte_for_byte(world):
    """With a strict profile (PIN always): status, patron status and information, checkout
    (and checkout as renewal), renew (nothing to desensitize), renew all, item information,
    hold place and cancel, checkin routed to a hold elsewhere (with the borrower's card),
    fee paid refused, item status update refused, patron enable, block patron, end session:
    each answer is exactly the expected frame."""
    strict_profile(world)
    session = logged_in()
    for request, expected in CONVERSATION:
        assert talk(session, request) == expected + "\r", request
    assert PatronBlock.objects.filter(patron=world.other, reason="carte avalée").exists()


def test_sequence_and_checksum_are_echoed(world):
    """A request with AY and AZ gets its sequence number back with a valid checksum."""
    session = logged_in()
    frame = f"23000{T}AOrelire|AA29000001|AD{PIN}|AY5AZ".encode()
    frame += codec.checksum(frame).encode()
    response = handlers.dispatch(session, codec.parse(frame))
    decoded = pysip2.decode_message(response, encoding="utf-8")
    assert decoded.sequence_number == 5
    assert response.startswith(
        f"24              000{T}AOrelire|AA29000001|AECamille Martin|BLY|CQY|AY5AZ".encode()
    )


def test_a_kiosk_refuses_exactly_what_the_desk_refuses(world):
    """The same refusal (a suspended card) gives the desk's French message in AF."""
    world.patron.suspended_until = NOW.date().replace(day=20)
    world.patron.save()
    with pytest.raises(CirculationError) as desk:
        loan_checkout(item=world.items[1], patron=world.patron, library=world.lens,
                      actor=Actor.system("desk"), now=NOW)  # fmt: skip
    session = logged_in()
    answer = talk(session, f"11YN{T}{B}AOrelire|AA29000001|AB31000002|AC|AD{PIN}|")
    assert answer.startswith("120")
    assert f"AF{desk.value.message}|" in answer
    assert "AFDroit d'emprunt suspendu jusqu'au 20/03/2026 (retards).|" in answer


def test_wrong_pins_lock_the_card_as_on_the_portal(world):
    """Five wrong PINs lock the card: the right PIN is then refused with the lockout message."""
    session = logged_in()
    for _ in range(5):
        assert "CQN|" in talk(session, f"23000{T}AOrelire|AA29000001|AD0000|")
    answer = talk(session, f"23000{T}AOrelire|AA29000001|AD{PIN}|")
    assert "CQN|" in answer
    assert "Trop de codes erronés" in answer


def test_operations_not_allowed_for_a_kiosk_are_refused_and_not_announced(world):
    """A return-only machine may not lend: BX says so and a checkout is refused."""
    world.kiosk.allowed_operations = [KioskOperation.CHECKIN, KioskOperation.ITEM_INFORMATION]
    world.kiosk.save()
    session = logged_in()
    status = talk(session, "9900802.00")
    assert "|BXNNYNYYYNNNYNNNNN|" in status
    assert status.startswith("98YYNNNN")
    answer = talk(session, f"11YN{T}{B}AOrelire|AA29000001|AB31000002|AC|AD{PIN}|")
    assert answer.startswith("120") and "Opération non permise" in answer


def test_a_wrong_kiosk_password_is_refused(world):
    session = handlers.Session()
    assert talk(session, "9300CNborne-lens|COmauvais|") == "940\r"
    assert session.kiosk_id is None
    assert talk(session, "9300CNinconnu|COx|") == "940\r"


def test_patron_information_lists_with_ranges(world):
    """BP/BQ choose the slice of the list asked for in the summary."""
    session = logged_in()
    for item in world.items[:4]:
        talk(session, f"11YN{T}{B}AOrelire|AA29000001|AB{item.barcode}|AC|AD{PIN}|")
    answer = talk(session, f"63000{T}  Y       AOrelire|AA29000001|AD{PIN}|BP2|BQ3|")
    assert (
        "|AU31000002|AU31000003|" in answer
        and "AU31000001" not in answer
        and "AU31000004" not in answer
    )
    assert answer[45:49] == "0004"  # charged items count


def test_patron_information_query_count(world, django_assert_max_num_queries):
    """A kiosk's patron information (PIN already checked in the session) stays cheap."""
    session = logged_in()
    talk(session, f"23000{T}AOrelire|AA29000001|AD{PIN}|")
    with django_assert_max_num_queries(12):
        talk(session, f"63000{T}  Y       AOrelire|AA29000001|AD{PIN}|")


def test_kiosk_cycle_query_counts_are_pinned(world, settings):
    """The benchmark's cycle stays cheap once the PIN is known and rules are cached:
    patron status 2 queries (the card, then one read of blocks, fines, loans and holds);
    checkout = card + copy + the service's 10 (6 on PostgreSQL); checkin = copy + the
    service's 10 (6 on PostgreSQL); each request one more, the kiosk monitor's counter."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from navette.circulation.services._common import clear_cache

    settings.NAVETTE_CIRCULATION_CACHE_SECONDS = 60
    clear_cache()
    session = logged_in()
    status = f"23000{T}AOrelire|AA29000001|AC|AD{PIN}|"
    talk(session, status)
    warm = world.items[1].barcode
    talk(session, f"11NN{T}{B}AOrelire|AA29000001|AB{warm}|AC|")
    talk(session, f"09N{T}{T}APlens|AOrelire|AB{warm}|AC|")
    barcode = world.items[0].barcode
    counts = []
    for frame, expect in (
        (status, "24"),
        (f"11NN{T}{B}AOrelire|AA29000001|AB{barcode}|AC|", "121"),
        (f"09N{T}{T}APlens|AOrelire|AB{barcode}|AC|", "101"),
    ):
        with CaptureQueriesContext(connection) as ctx:
            assert talk(session, frame).startswith(expect)
        counts.append(len(ctx.captured_queries))
    clear_cache()
    # on PostgreSQL a loan's key is drawn with its locks, in the same round trip, and each
    # transaction's writes go as one statement
    pg = connection.vendor == "postgresql"
    assert counts == ([3, 9, 8] if pg else [3, 13, 12]), counts


def test_fee_paid_records_a_kiosk_payment_when_the_network_fines(world):
    """37 pays towards the fines through the circulation service: oldest first, never more
    than is due; 63 then lists what is left (AV) and the amount due (BV)."""
    import datetime as dt

    from navette.circulation.models import CirculationSettings, Fine, FinePayment, Loan

    CirculationSettings.objects.update(penalty="fine")
    # Taking money needs a payment terminal: administrators allow it per machine.
    world.kiosk.allowed_operations = [*world.kiosk.allowed_operations, KioskOperation.FEE_PAID]
    world.kiosk.save()
    item = world.items[5]
    loan = Loan.objects.create(
        item=item, patron=world.patron, library=world.lens, doc_type="book",
        loaned_at=NOW - dt.timedelta(days=40), due_on=(NOW - dt.timedelta(days=19)).date(),
        returned_at=NOW - dt.timedelta(days=10),
    )  # fmt: skip
    Fine.objects.create(
        patron=world.patron, loan=loan, amount_cents=150, created_at=NOW - dt.timedelta(days=10)
    )
    session = logged_in()
    status = talk(session, "9900802.00")
    assert status.split("|BX")[1][9] == "Y"  # fee paid announced once the network fines
    answer = talk(session, f"37{T}0100EURBV1.00|AOrelire|AA29000001|AD{PIN}|")
    assert answer.startswith("38Y")
    assert "|AFPaiement de 1,00 € enregistré ; reste dû : 0,50 €.|" in answer
    payment = FinePayment.objects.get()
    assert (payment.amount_cents, payment.method, payment.library) == (100, "kiosk", world.lens)
    info = talk(session, f"63000{T}   Y      AOrelire|AA29000001|AD{PIN}|")
    assert "|BHEUR|BV0.5|" in info and "|AV0.5 EUR Titre 6|" in info
    too_much = talk(session, f"37{T}0100EURBV2.00|AOrelire|AA29000001|AD{PIN}|")
    assert too_much.startswith("38N") and "dépasse ce qui est dû (0,50 €)" in too_much
    unreadable = talk(session, f"37{T}0100EURBVdeux|AOrelire|AA29000001|AD{PIN}|")
    assert unreadable.startswith("38N") and "Montant illisible : deux." in unreadable
    assert FinePayment.objects.count() == 1
