"""A realistic export of a 27-library network leaving its old systems, for ``import-network``.

Each library was its own source (its own cards and barcodes): ``patrons.<lib>.csv`` and so on.
Seeded: the same arguments write the same files. The proportions are the issue's: 3 % of the
people registered in two libraries (their names written a little differently there: case,
accents, hyphens), 0.5 % of the copies carrying a barcode another library uses too. The
tests write it at a small size, ``python -m bench golive`` at full size.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

FIRST = ("Lucie Marie Jeanne Camille Léa Chloé Inès Zoé Élodie Anaïs Hélène Sophie Julie Emma "
         "Louis Jules Hugo Lucas Théo Gabriel Arthur Raphaël Noé Paul Jean Pierre Étienne Rémi "
         "Anne-Laure Jean-Marc Marie-Hélène François Agnès Cécile Benoît Gaëlle Loïc Maël").split()  # fmt: skip
LAST = ("Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
        "Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefebvre "
        "Mercier Dupont Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc "
        "Guérin Muller Henry Roussel Nicolas Perrin Morin Mathieu Clément Gauthier Dumont Lopez "
        "Fontaine Chevalier Robin Le-Bihan Saint-Martin Da-Silva Hoàng").split()  # fmt: skip
CATEGORIES = (("ADU", "adulte"), ("JEU", "jeune"), ("ETU", "etudiant"))
AGE_BANDS = ("0-5", "6-11", "12-14", "15-17", "18-25", "26-39", "40-64", "65+")
DOC_TYPES = ("book", "comic", "video", "music", "magazine")
FULL = {"patrons": 100_000, "copies": 500_000, "loans": 60_000, "holds": 10_000,
        "fines": 2_000, "history": 2_000_000}  # fmt: skip


@dataclass
class ExportFacts:
    """What was written, for the tests to check the import against."""

    libraries: list[str] = field(default_factory=list)
    people: int = 0
    patron_rows: int = 0
    twice: list[tuple[tuple[str, str], tuple[str, str]]] = field(default_factory=list)
    copies: int = 0
    collisions: list[str] = field(default_factory=list)
    loans: int = 0
    holds: int = 0
    fines: int = 0
    history: int = 0


MAPPING = """\
# the generated network: library codes as in Navette, categories translated, patrons with the
# same names and birth date merged, colliding barcodes prefixed with the library's code
[categories]
adulte = "Adulte"
jeune = "Jeune"
etudiant = "Étudiant"

[codes.category]
ADU = "adulte"
JEU = "jeune"
ETU = "etudiant"

[codes.copy_status]
DISPO = "available"
PERDU = "lost"

[patrons]
merge = "exact"

[copies]
barcode_collision = "prefix"
"""


def _variant(rng: random.Random, name: str) -> str:
    """The same name as another library typed it."""
    choice = rng.randrange(4)
    if choice == 0:
        return name.upper()
    if choice == 1:
        return name.replace("-", " ")
    if choice == 2:
        return name.replace("é", "e").replace("è", "e").replace("ë", "e").replace("ï", "i")
    return name


def write_network_export(
    directory: Path, *, record_ids: Sequence[int], libraries: int = 27, seed: int = 19,
    patrons: int = FULL["patrons"], copies: int = FULL["copies"], loans: int = FULL["loans"],
    holds: int = FULL["holds"], fines: int = FULL["fines"], history: int = FULL["history"],
) -> ExportFacts:  # fmt: skip
    """Write the export's CSV files and ``mapping.toml`` into ``directory``."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    facts = ExportFacts()
    codes = [f"bib{n:02d}" for n in range(1, libraries + 1)]
    facts.libraries = codes
    (directory / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    with (directory / "libraries.csv").open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["code", "name", "commune"])
        for n, code in enumerate(codes, start=1):
            out.writerow([code, f"Médiathèque n° {n}", f"Commune {n}"])

    def writers(kind: str, header: list[str]) -> dict[str, Any]:
        result = {}
        for code in codes:
            handle = (directory / f"{kind}.{code}.csv").open("w", newline="", encoding="utf-8")
            handles.append(handle)
            result[code] = csv.writer(handle)
            result[code].writerow(header)
        return result

    handles: list[IO[str]] = []
    # patrons: each person in one library, 3 % in a second one with another card
    out = writers("patrons", ["card", "last_name", "first_name", "birth_date", "category",
                              "library", "email", "phone", "pin_hash", "registered_on",
                              "expires_on", "history_opt_in"])  # fmt: skip
    by_library: dict[str, list[str]] = {c: [] for c in codes}
    twice = int(patrons * 0.03)
    people = patrons - twice
    facts.people = people
    card_seq = 0
    pin = "pbkdf2_sha256$1000000$golive$Z2VuZXJhdGVkLW5vdC1hLXJlYWwtaGFzaA=="
    for person in range(people):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if rng.random() < 0.1:
            last = f"{last}-{rng.choice(LAST)}"
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(30000))
        homes = [rng.choice(codes)]
        if person < twice:
            homes.append(rng.choice([c for c in codes if c != homes[0]]))
        cards = []
        for i, home in enumerate(homes):
            card_seq += 1
            card = f"{home.upper()}{card_seq:09d}"
            cards.append((home, card))
            registered = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3500))
            out[home].writerow([
                card, _variant(rng, last) if i else last, _variant(rng, first) if i else first,
                birth.isoformat(), rng.choice(CATEGORIES)[0], home,
                f"p{card_seq}@example.org", f"06{card_seq:08d}",
                pin if rng.random() < 0.5 else "", registered.isoformat(),
                (registered + dt.timedelta(days=365 * 12)).isoformat(), rng.randrange(2),
            ])  # fmt: skip
            by_library[home].append(card)
            facts.patron_rows += 1
        if len(cards) == 2:
            facts.twice.append((cards[0], cards[1]))
    # copies: barcodes per library; 0.5 % reuse a barcode of another library
    out = writers("copies", ["barcode", "library", "status", "record", "call_number"])
    barcodes: dict[str, list[str]] = {c: [] for c in codes}
    collide = int(copies * 0.005)
    for n in range(copies):
        home = codes[n % len(codes)]
        if n < collide * 2 and n % 2 == 1:
            other = codes[(n - 1) % len(codes)]
            barcode = barcodes[other][-1]
            facts.collisions.append(barcode)
        else:
            barcode = f"{n % len(codes) + 1:02d}{n:09d}"
        status = "PERDU" if rng.random() < 0.01 else "DISPO"
        out[home].writerow([barcode, home, status, rng.choice(record_ids), f"R {n % 999}"])
        barcodes[home].append(barcode)
        facts.copies += 1
    # open loans: a library's copies to its own patrons, each copy once
    out = writers("loans", ["card", "barcode", "loaned_on", "due_on", "renewals"])
    lent: set[tuple[str, str]] = set()
    today = dt.date(2026, 12, 1)
    while facts.loans < loans:
        home = rng.choice(codes)
        if not by_library[home] or not barcodes[home]:
            continue
        barcode = rng.choice(barcodes[home])
        if (home, barcode) in lent or barcode in facts.collisions:
            continue
        lent.add((home, barcode))
        loaned = today - dt.timedelta(days=rng.randrange(60))
        out[home].writerow([rng.choice(by_library[home]), barcode, loaned.isoformat(),
                            (loaned + dt.timedelta(days=28)).isoformat(), rng.randrange(2)])  # fmt: skip
        facts.loans += 1
    # holds on titles, with each library's queue order per title
    out = writers("holds", ["hold_id", "card", "record", "pickup_library", "placed_at", "queue",
                            "status"])  # fmt: skip
    queue: dict[tuple[str, int], int] = {}
    taken: set[tuple[str, int]] = set()
    while facts.holds < holds:
        home = rng.choice(codes)
        if not by_library[home]:
            continue
        card, record = rng.choice(by_library[home]), rng.choice(record_ids)
        if (card, record) in taken:
            continue
        taken.add((card, record))
        position = queue[(home, record)] = queue.get((home, record), 0) + 1
        placed = dt.datetime(2026, 11, 1, 9) + dt.timedelta(minutes=rng.randrange(40000))
        out[home].writerow([f"H{facts.holds}", card, record, home, placed.isoformat(),
                            position, "waiting"])  # fmt: skip
        facts.holds += 1
    out = writers("fines", ["fine_id", "card", "barcode", "amount", "created_on"])
    for n in range(fines):
        home = rng.choice(codes)
        if not by_library[home] or not barcodes[home]:
            continue
        barcode = rng.choice(barcodes[home])
        if barcode in facts.collisions:
            continue
        out[home].writerow([f"F{n}", rng.choice(by_library[home]), barcode,
                            f"{rng.randrange(1, 20)},{rng.choice(('00', '50'))}",
                            (today - dt.timedelta(days=rng.randrange(300))).isoformat()])  # fmt: skip
        facts.fines += 1
    out = writers("history", ["day", "library", "action", "doc_type", "patron_category",
                              "age_band"])  # fmt: skip
    start = dt.date(2020, 1, 1)
    for n in range(history):
        home = codes[n % len(codes)]
        out[home].writerow([(start + dt.timedelta(days=rng.randrange(2500))).isoformat(), home,
                            "checkout", rng.choice(DOC_TYPES), rng.choice(CATEGORIES)[1],
                            rng.choice(AGE_BANDS)])  # fmt: skip
        facts.history += 1
    for handle in handles:
        handle.close()
    return facts
