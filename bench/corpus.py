"""The seeded benchmark corpus: 500,000 records derived from the LoC books, copies in 27 libraries.

``build_corpus(n_records, seed)`` loads it into the configured database
(Django must be set up, migrations applied). Records are the Library of
Congress books read in order; past the 250,000 of the file the same records
come again as new editions (new control number, "(éd. N)" in the title).
Document types are redistributed by the seed (books, DVD, CD, video games,
comics, magazines...) so that facets and loan rules see a public library's
mix; every record gets one to four copies, the larger libraries (Lens,
Liévin, Avion, Harnes) holding more. Writes go through the import store
(bulk inserts in batches of 5,000, one transaction per batch).
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import time
from pathlib import Path
from typing import Any

from bench.harness import SHARED_DATA

LOC = SHARED_DATA / "marc" / "loc-booksall-2016-part01" / "BooksAll.2016.part01.utf8.gz"
DOC_TYPES = [("book", 62), ("comic", 8), ("large_print", 3), ("magazine", 4), ("video", 9),
             ("music", 8), ("audiobook", 2), ("video_game", 2), ("score", 1), ("map", 1)]  # fmt: skip
BIG = {"lens": 5, "lievin-desrousseaux": 3, "lievin-gambetta": 3, "avion-emile-zola": 3,
       "avion-miss-robin": 2, "harnes": 4}  # fmt: skip
AUDIENCES = [("adults", 60), ("children", 25), ("young_adults", 10), ("", 5)]


def build_corpus(n_records: int = 500_000, seed: int = 42, *, batch_size: int = 5000,
                 source: Path = LOC, log: Any = print) -> dict[str, Any]:  # fmt: skip
    """Load ``n_records`` records with copies; returns counts and seconds.

    Loads the 27 libraries first when the network is empty. Barcodes are
    ``C`` + 9 digits, unique and stable for a given seed.
    """
    from django.utils import timezone

    from navette.catalogue.importer import (
        ImportReport,
        LibraryResolver,
        RejectWriter,
        _keys,
        _Store,
        build_row,
        read_file,
    )  # fmt: skip
    from navette.catalogue.marc.holdings import HoldingCopy
    from navette.network.models import Library

    if not Library.objects.exists():
        from navette.network.demo import DATA, NETWORK_NAME
        from navette.network.services import load_network_csv

        load_network_csv(DATA, network_name=NETWORK_NAME)
    rng = random.Random(seed)
    codes = list(Library.objects.order_by("code").values_list("code", flat=True))
    weights = [BIG.get(c, 1) for c in codes]
    types, type_w = zip(*DOC_TYPES, strict=True)
    audiences, aud_w = zip(*AUDIENCES, strict=True)
    report = ImportReport()
    store = _Store(report, LibraryResolver(), RejectWriter(None), is_demo=False, now=timezone.now())
    t0 = time.perf_counter()
    made = 0
    copies = 0
    batch: list[Any] = []
    edition = 0
    while made < n_records:
        for p in read_file(source, "marc21", workers=2):
            if made >= n_records:
                break
            if not hasattr(p, "row"):
                continue  # a rejected source record
            if edition:
                p.x.control_number = f"{p.x.control_number}-e{edition}"
                p.x.title = f"{p.x.title} (éd. {edition + 1})"
                p.x.isbns = []
                p.x.system_numbers = []
                p.marc_hash = hashlib.sha1(
                    f"{p.marc_hash}{edition}".encode(), usedforsecurity=False
                ).hexdigest()
            p.x = dataclasses.replace(
                p.x,
                doc_type=rng.choices(types, type_w)[0],
                audience=rng.choices(audiences, aud_w)[0],
            )
            p.copies = [
                HoldingCopy(
                    barcode=f"C{made:08d}{j}",
                    owning_code=code,
                    current_code=code,
                    call_number=f"{code[:3].upper()} {rng.randint(1, 999)}",
                )  # fmt: skip
                for j, code in enumerate(
                    rng.choices(codes, weights, k=rng.choice((1, 1, 2, 2, 3, 4)))
                )
            ]
            copies += len(p.copies)
            p.keys = _keys(p)
            p.row = build_row(p)
            batch.append(p)
            made += 1
            if len(batch) >= batch_size:
                store.store(batch)
                batch = []
                if made % 50_000 == 0:
                    log(f"corpus: {made:,} records, {time.perf_counter() - t0:.0f} s")
        edition += 1
    if batch:
        store.store(batch)
    return {"records": report.created, "updated": report.updated, "copies": report.items_created,
            "rejected": report.rejected, "seconds": time.perf_counter() - t0}  # fmt: skip
