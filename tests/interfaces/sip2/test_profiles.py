"""Kiosk profiles: each option, byte for byte, every answer read by pysip2's strict decoder.

The clock is frozen (Tuesday 3 March 2026, 14:30 in Paris). Each test sets one option
on the kiosk's profile and plays a short conversation against the expected frames.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from navette.catalogue.models import Item
from navette.circulation.models import Loan, OfflineTransaction
from navette.circulation.services import loan_checkout
from navette.core.actors import Actor
from navette.core.clock import PARIS
from navette.core.models import AuditEvent
from navette.patrons.blocks import patron_block
from navette.patrons.models import PatronBlock
from navette.sip2.models import ExtensionField, KioskProfile, LanguageRule, PinRule
from tests.interfaces.sip2.conftest import PIN
from tests.interfaces.sip2.test_handlers import B, T, logged_in, talk

NAME = "AECamille Martin|"
LENT = f"121NNY{T}AOrelire|AA29000001|AB31000001|AJTitre 1|AH20260324    235959|CK001|"
LENT_AF = "AFPrêt enregistré : à rendre le 24/03/2026.|"
NOT_LENT = f"120NUN{T}AOrelire|AA29000001|AB31000001|AJTitre 1|AH|CK001|"
WHO = "AFIdentifiez-vous avec votre carte et votre code PIN.|"
WRONG = "AFNuméro de carte ou code incorrect.|"


def profile(world, **options) -> KioskProfile:
    made = KioskProfile.objects.create(name="essai", **options)
    world.kiosk.profile = made
    world.kiosk.save()
    return made


def play(conversation: list[tuple[str, str]]) -> None:
    session = logged_in()
    for request, expected in conversation:
        assert talk(session, request) == expected + "\r", request


CHECKOUT = f"11NN{T}{B}AOrelire|AA29000001|AB31000001|AC|"
HOLD_PLACED = (
    f"161N{T}BR1|BSlievin|AOrelire|AA29000002|AB31000001|AJTitre 1|"
    "AFRéservation enregistrée, retrait à Liévin.|"
)
TO_LIEVIN = "AFnavette vers Liévin|"


@pytest.mark.parametrize(
    ("rule", "pin", "expected"),
    [
        (PinRule.ALWAYS, None, NOT_LENT + WHO),
        (PinRule.ALWAYS, "0000", NOT_LENT + WRONG),
        (PinRule.ALWAYS, PIN, LENT + LENT_AF),
        (PinRule.IF_SENT, None, LENT + LENT_AF),
        (PinRule.IF_SENT, "0000", NOT_LENT + WRONG),
        (PinRule.IF_SENT, PIN, LENT + LENT_AF),
        (PinRule.NEVER, None, LENT + LENT_AF),
        (PinRule.NEVER, "0000", LENT + LENT_AF),
    ],
)
def test_pin_rule_for_checkout(world, rule, pin, expected):
    """always: no loan without the right PIN; only if sent: no AD is trusted, a sent PIN is
    checked; never: AD is ignored, even a wrong one."""
    profile(world, pin_for_checkout=rule)
    play([(CHECKOUT + (f"AD{pin}|" if pin else ""), expected)])


def test_pin_rule_for_renewal_is_its_own(world):
    """Renewals follow their own rule: a kiosk trusted to lend may still ask the PIN to renew."""
    profile(world, pin_for_checkout=PinRule.NEVER, pin_for_renew=PinRule.ALWAYS)
    play([
        (CHECKOUT, LENT + LENT_AF),
        (f"29NN{T}{B}AOrelire|AA29000001|AB31000001|",
         f"300NUN{T}AOrelire|AA29000001|AB31000001|AJTitre 1|AH|CK001|{WHO}"),
        (f"29NN{T}{B}AOrelire|AA29000001|AB31000001|AD{PIN}|",
         f"301YNN{T}AOrelire|AA29000001|AB31000001|AJTitre 1|AH20260324    235959|CK001|"
         "AFProlongé jusqu'au 24/03/2026.|"),
    ])  # fmt: skip


def test_pin_rule_for_patron_information(world):
    """always: a card without PIN gets its standing but no counts or details (counts 0000);
    only if sent: the card alone shows the account."""
    profile(world, pin_for_patron_info=PinRule.ALWAYS)
    play([
        (f"63000{T}          AOrelire|AA29000001|",
         f"64              000{T}{'0000' * 6}AOrelire|AA29000001|{NAME}BLY|{WHO}"),
    ])  # fmt: skip
    KioskProfile.objects.update(pin_for_patron_info=PinRule.IF_SENT)
    play([
        (f"63000{T}          AOrelire|AA29000001|",
         f"64              000{T}{'0000' * 6}AOrelire|AA29000001|{NAME}BLY|CQY|"
         "BElecteur1@example.org|"),
    ])  # fmt: skip


@pytest.mark.parametrize("name_without_pin", [True, False])
def test_patron_name_without_pin(world, name_without_pin):
    """The name (AE) of a known card without PIN, and with a wrong one, only when the
    profile allows it; in the answer to Block Patron too."""
    profile(world, pin_for_patron_info=PinRule.ALWAYS, name_without_pin=name_without_pin)
    name = NAME if name_without_pin else "AE|"
    play([
        (f"23000{T}AOrelire|AA29000001|",
         f"24              000{T}AOrelire|AA29000001|{name}BLY|"),
        (f"23000{T}AOrelire|AA29000001|AD0000|",
         f"24              000{T}AOrelire|AA29000001|{name}BLY|CQN|{WRONG}"),
        (f"01N{T}AOrelire|ALcarte avalée|AA29000001|",
         f"24YYYY          000{T}AOrelire|AA29000001|{name}BLY|AFCarte bloquée : carte avalée.|"),
    ])  # fmt: skip


@pytest.mark.parametrize("ok", [True, False])
def test_checkin_of_a_copy_not_on_loan(world, ok):
    """A copy returned without a loan is shelved either way; ok is 1 or 0 as the profile
    says, with a word for the machine's screen when 0."""
    profile(world, checkin_not_on_loan_ok=ok)
    af = "" if ok else "AFCe document n'était pas en prêt.|"
    play([
        (f"09N{T}{T}APlens|AOrelire|AB31000002|AC|",
         f"10{int(ok)}YNN{T}AOrelire|AB31000002|AQlens|AJTitre 2|CK001|{af}"
         "AFà ranger en rayon|"),
    ])  # fmt: skip


def test_checkin_names_the_borrower_card_unless_off(world):
    """AA in a return: the card of the loan it ended, left out when the profile says so."""
    made = profile(world)
    back = f"09N{T}{T}APlens|AOrelire|AB31000001|AC|"
    play([
        (CHECKOUT, LENT + LENT_AF),
        (back, f"101YNN{T}AOrelire|AB31000001|AQlens|AJTitre 1|AA29000001|CK001|"
               "AFà ranger en rayon|"),
    ])  # fmt: skip
    made.checkin_patron = False
    made.media_type = False
    made.save()
    play([
        (CHECKOUT, f"121NNY{T}AOrelire|AA29000001|AB31000001|AJTitre 1|AH20260324    235959|"
                   + LENT_AF),
        (back, f"101YNN{T}AOrelire|AB31000001|AQlens|AJTitre 1|AFà ranger en rayon|"),
    ])  # fmt: skip


def test_language_asked_by_the_machine_is_honoured(world):
    """001 gets English answers, echoed, for the following messages too; a language Navette
    does not speak is answered 000 in the network's language."""
    profile(world)
    play([
        (f"23001{T}AOrelire|AA29000001|",
         f"24              001{T}AOrelire|AA29000001|{NAME}BLY|"),
        (CHECKOUT, LENT + "AFLoan recorded: due on 03/24/2026.|"),
        (f"23003{T}AOrelire|AA29000001|",
         f"24              000{T}AOrelire|AA29000001|{NAME}BLY|"),
        (f"09N{T}{T}APlens|AOrelire|AB31000001|AC|",
         f"101YNN{T}AOrelire|AB31000001|AQlens|AJTitre 1|AA29000001|CK001|"
         "AFà ranger en rayon|"),
    ])  # fmt: skip


def test_fixed_language(world):
    """A fixed language is answered whatever the machine asks."""
    profile(world, language=LanguageRule.FIXED, fixed_language="002")
    play([
        (f"23001{T}AOrelire|AA29000001|",
         f"24              002{T}AOrelire|AA29000001|{NAME}BLY|"),
        (CHECKOUT, LENT + LENT_AF),
    ])  # fmt: skip


@pytest.mark.parametrize("zero", [True, False])
def test_counts_of_an_unknown_card(world, zero):
    """The six counts of Patron Information for an unknown card: 0000, or blanks."""
    profile(world, counts_as_zero=zero)
    counts = ("0000" if zero else "    ") * 6
    play([
        (f"63000{T}          AOrelire|AA99999999|",
         f"64YYYY          000{T}{counts}AOrelire|AA99999999|AE|BLN|"
         "AFCarte inconnue : adressez-vous à l'accueil.|"),
    ])  # fmt: skip


@pytest.mark.parametrize("position", [True, False])
def test_hold_queue_position(world, position):
    """BR, the patron's rank in the queue, in the answer to a hold when the profile sends it."""
    profile(world, queue_position=position)
    br = "BR1|" if position else ""
    play([
        (f"15+{T}BSlievin|AOrelire|AA29000001|AB31000003|",
         f"161N{T}{br}BSlievin|AOrelire|AA29000001|AB31000003|AJTitre 3|"
         "AFRéservation enregistrée, retrait à Liévin.|"),
        (f"15*{T}BSlens|AOrelire|AA29000001|AB31000003|",
         f"161N{T}{br}BSlens|AOrelire|AA29000001|AB31000003|AJTitre 3|"
         "AFRetrait à Lens.|"),
        (f"15-{T}AOrelire|AA29000001|AB31000003|",
         f"161N{T}AOrelire|AA29000001|AB31000003|AJTitre 3|AFRéservation annulée.|"),
        (f"15-{T}AOrelire|AA29000001|AB31000003|",
         f"160N{T}AOrelire|AA29000001|AB31000003|AJTitre 3|AFCette réservation est close.|"),
        (f"15+{T}BSnulle-part|AOrelire|AA29000001|AB31000003|",
         f"160N{T}AOrelire|AA29000001|AB31000003|AJTitre 3|"
         "AFBibliothèque de retrait inconnue : nulle-part.|"),
    ])  # fmt: skip


def test_hours_of_service(world):
    """Outside its hours a kiosk may not lend, renew or place holds; returns still work."""
    profile(world, works_from=dt.time(18), works_until=dt.time(2))
    closed = "AFAutomate hors service à cette heure : adressez-vous à l'accueil.|"
    play([
        (CHECKOUT, f"120NUN{T}AOrelire|AA29000001|AB31000001|AJTitre 1|AH|CK001|{closed}"),
        (f"15+{T}AOrelire|AA29000001|AB31000003|",
         f"160N{T}AOrelire|AA29000001|AB31000003|AJTitre 3|{closed}"),
        (f"09N{T}{T}APlens|AOrelire|AB31000002|AC|",
         f"101YNN{T}AOrelire|AB31000002|AQlens|AJTitre 2|CK001|AFà ranger en rayon|"),
    ])  # fmt: skip
    assert KioskProfile(works_from=dt.time(18), works_until=dt.time(2)).works_at(dt.time(1))


def test_patron_enable_lifts_what_a_machine_blocked(world):
    """25 lifts the block a machine placed with 01 (audited), never a block placed by staff."""
    profile(world)
    play([
        (f"01N{T}AOrelire|ALcarte avalée|AA29000001|",
         f"24YYYY          000{T}AOrelire|AA29000001|{NAME}BLY|AFCarte bloquée : carte avalée.|"),
        (f"25{T}AOrelire|AA29000001|",
         f"26              000{T}AOrelire|AA29000001|{NAME}BLY|AFCarte réactivée.|"),
    ])  # fmt: skip
    block = PatronBlock.objects.get(patron=world.patron)
    assert block.by_machine and block.lifted_at is not None
    patron_block(patron=world.patron, reason="litige", actor=Actor.system("desk"),
                 now=dt.datetime(2026, 3, 3, 13, tzinfo=dt.UTC))  # fmt: skip
    play([
        (f"25{T}AOrelire|AA29000001|",
         f"26YYYY          000{T}AOrelire|AA29000001|{NAME}BLY|AFCarte bloquée : litige.|"),
    ])  # fmt: skip
    assert AuditEvent.objects.filter(action="patron.unblock").count() == 1


def test_offline_transactions_with_the_no_block_flag(world):
    """A machine replays what it did off the network (no block, the original date): the
    loan is made as at that date (due 21 days later), the return ends it then; a copy lent
    at the desk since is refused as a conflict, listed for staff; all logged as offline."""
    profile(world)
    down = "20260228    090000"  # Saturday 28 February, 09:00
    later = "20260228    100000"
    desk = Actor.system("desk")
    loan_checkout(item=world.items[2], patron=world.other, library=world.lens, actor=desk,
                  now=dt.datetime(2026, 3, 1, 11, tzinfo=dt.UTC))  # fmt: skip
    play([
        (f"11NY{down}{B}AOrelire|AA29000001|AB31000001|AC|",
         f"121NNY{T}AOrelire|AA29000001|AB31000001|AJTitre 1|AH20260321    235959|CK001|"
         "AFPrêt enregistré : à rendre le 21/03/2026.|"),
        (f"09Y{later}{later}APlens|AOrelire|AB31000001|AC|",
         f"101YNN{T}AOrelire|AB31000001|AQlens|AJTitre 1|AFOpération hors ligne enregistrée.|"),
        (f"11NY{down}{B}AOrelire|AA29000001|AB31000003|AC|",
         f"120NUN{T}AOrelire|AA29000001|AB31000003|AJTitre 3|AH|CK001|"
         "AFDocument prêté entre-temps à l'accueil : opération signalée au personnel.|"),
    ])  # fmt: skip
    loan = Loan.objects.get(item=world.items[0])
    assert loan.loaned_at == dt.datetime(2026, 2, 28, 9, tzinfo=PARIS)
    assert loan.returned_at == dt.datetime(2026, 2, 28, 10, tzinfo=PARIS)
    logged = OfflineTransaction.objects.order_by("pk")
    assert [(t.kind, t.source, t.outcome, t.code) for t in logged] == [
        ("checkout", "kiosk", "applied", ""), ("checkin", "kiosk", "applied", ""),
        ("checkout", "kiosk", "conflict", "lent_meanwhile"),
    ]  # fmt: skip


def test_patron_extension_fields(world):
    """PA, PB and PC (expiry, birth date, category) to an identified patron only, when the
    profile asks; never to a wrong PIN; the default profile sends none (the golden
    conversations above)."""
    profile(world, extension_fields=[ExtensionField.PATRON_EXPIRY, ExtensionField.PATRON_BIRTH,
                                     ExtensionField.PATRON_CATEGORY])  # fmt: skip
    world.patron.birth_date = dt.date(1990, 5, 4)
    world.patron.save()
    ext = "PA20270101|PB19900504|PCadulte|"
    play([
        (f"23000{T}AOrelire|AA29000001|AD{PIN}|",
         f"24              000{T}AOrelire|AA29000001|{NAME}BLY|CQY|{ext}"),
        (f"23000{T}AOrelire|AA29000001|AD0000|",
         f"24              000{T}AOrelire|AA29000001|{NAME}BLY|CQN|{WRONG}"),
        (f"63000{T}          AOrelire|AA29000001|AD{PIN}|",
         f"64              000{T}{'0000' * 6}AOrelire|AA29000001|{NAME}BLY|CQY|"
         f"BElecteur1@example.org|{ext}"),
    ])  # fmt: skip
    KioskProfile.objects.update(extension_fields=[ExtensionField.PATRON_CATEGORY])
    play([
        (f"23000{T}AOrelire|AA29000001|AD{PIN}|",
         f"24              000{T}AOrelire|AA29000001|{NAME}BLY|CQY|PCadulte|"),
    ])  # fmt: skip


def test_sorting_and_hold_patron_fields(world):
    """For a sorter: the call number (CS) and shelving location (CR) in check-in and item
    information; in a check-in that routes the copy, the alert type (CV: 02 for a hold at
    another library) and the destination (CT), with the hold's patron (CY, DA) only when
    the profile also asks for it."""
    made = profile(world, extension_fields=[ExtensionField.SORTING])
    Item.objects.filter(pk=world.items[0].pk).update(
        call_number="R MAR", shelving_location="Adultes"
    )
    Item.objects.filter(pk=world.items[1].pk).update(call_number="791.43 CIN")
    hold = f"15+{T}BSlievin|AOrelire|AA29000002|AB31000001|"
    back = f"09N{T}{T}APlens|AOrelire|AB31000001|AC|"
    play([
        (CHECKOUT, LENT + LENT_AF),
        (hold, HOLD_PLACED),
        (back, f"101YNY{T}AOrelire|AB31000001|AQlens|AJTitre 1|AA29000001|CLlievin|CK001|"
               f"CSR MAR|CRAdultes|CV02|CTlievin|{TO_LIEVIN}"),
        (f"09N{T}{T}APlens|AOrelire|AB31000002|AC|",
         f"101YNN{T}AOrelire|AB31000002|AQlens|AJTitre 2|CK001|CS791.43 CIN|"
         "AFà ranger en rayon|"),
        (f"17{T}AOrelire|AB31000002|",
         f"18030201{T}CF0|AB31000002|AJTitre 2|BGlens|CK001|AQlens|APlens|CS791.43 CIN|"
         "AFDisponible|"),
    ])  # fmt: skip
    made.extension_fields = [ExtensionField.HOLD_PATRON]
    made.save()
    play([
        (f"11NN{T}{B}AOrelire|AA29000001|AB31000003|AC|",
         f"121NNY{T}AOrelire|AA29000001|AB31000003|AJTitre 3|AH20260324    235959|CK001|"
         + LENT_AF),
        (f"15+{T}BSlievin|AOrelire|AA29000002|AB31000003|",
         f"161N{T}BR1|BSlievin|AOrelire|AA29000002|AB31000003|AJTitre 3|"
         "AFRéservation enregistrée, retrait à Liévin.|"),
        (f"09N{T}{T}APlens|AOrelire|AB31000003|AC|",
         f"101YNY{T}AOrelire|AB31000003|AQlens|AJTitre 3|AA29000001|CLlievin|CK001|"
         f"CY29000002|DALouis Durand|{TO_LIEVIN}"),
    ])  # fmt: skip


def test_unknown_extension_field_is_refused(world):
    """The profile's extension fields are checked against the known ones, naming the bad value."""
    made = KioskProfile(name="essai", extension_fields=["sorting", "XX"])
    with pytest.raises(ValidationError) as refused:
        made.full_clean()
    assert "XX" in str(refused.value.message_dict["extension_fields"])
    made.extension_fields = ["sorting"]
    made.full_clean()
