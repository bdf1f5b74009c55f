"""``navette import-marc PATH... [--flavour marc21|unimarc] [--library CODE]``."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from navette.catalogue.importer import ImportReport, import_marc_files
from navette.catalogue.marc import MarcError
from navette.core import clock
from navette.search.index import IndexBusy
from navette.search.updater import process_outbox


class Command(BaseCommand):
    help = (
        "Importe des notices MARC21 ou UNIMARC (ISO 2709 ou MARCXML, compressées gzip ou non) "
        "avec leurs exemplaires (952, 995, 852)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--flavour", choices=["marc21", "unimarc"], default=None,
                            help="Format des notices (détecté notice par notice sinon).")  # fmt: skip
        parser.add_argument("--library", default=None,
                            help="Bibliothèque (code) des exemplaires dont le code est inconnu.")  # fmt: skip
        parser.add_argument("--map", action="append", default=[], metavar="CODE=BIB",
                            help="Correspondance d'un code de bibliothèque du fichier.")  # fmt: skip
        parser.add_argument("--rejects", default=None, metavar="FICHIER",
                            help="Fichier des rejets (.mrc, avec .tsv et .xml à côté).")  # fmt: skip
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--no-index", action="store_true",
                            help="Ne pas mettre à jour l'index de recherche à la fin.")  # fmt: skip
        parser.add_argument("--wait", action="store_true",
                            help="Si un autre import est en cours, attendre qu'il se termine "
                                 "(sinon la commande s'arrête sans rien importer).")  # fmt: skip

    def handle(self, *args: Any, **opts: Any) -> None:
        paths = [Path(p) for p in opts["paths"]]
        for p in paths:
            if not p.exists():
                raise CommandError(f"Fichier introuvable : {p}")
        mapping = {}
        for item in opts["map"]:
            if "=" not in item:
                raise CommandError(f"--map attend CODE=BIB, pas {item!r}")
            source, target = item.split("=", 1)
            mapping[source] = target
        stamp = time.strftime("%Y%m%d-%H%M%S")
        rejects = Path(opts["rejects"] or f"rejets-import-{stamp}.mrc")
        tty = sys.stdout.isatty()
        started = time.monotonic()
        last = [0.0]

        def progress(report: ImportReport, name: str, pos: int, size: int) -> None:
            elapsed = time.monotonic() - started
            rate = report.read / elapsed if elapsed else 0.0
            if tty:
                frac = min(pos / size, 1.0) if size else 0.0
                left = elapsed * (1 - frac) / frac if frac else 0.0
                bar = "#" * int(frac * 30)
                self.stdout.write(
                    f"\r[{bar:<30}] {frac:4.0%} {report.read} notices, {rate:,.0f}/s, "
                    f"reste {left:,.0f} s ",
                    ending="",
                )
                self.stdout.flush()
            elif elapsed - last[0] >= 5:
                last[0] = elapsed
                self.stdout.write(
                    f"{Path(name).name}: {report.read} notices lues, {report.rejected} rejetées, "
                    f"{rate:,.0f}/s"
                )

        def on_term(_signo: int, _frame: Any) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, on_term)
        try:
            report = import_marc_files(
                paths, now=clock.now(), flavour=opts["flavour"], default_library=opts["library"],
                library_map=mapping, rejects_path=rejects, batch_size=opts["batch_size"],
                progress=progress, wait=opts["wait"],
            )  # fmt: skip
        except MarcError as exc:
            raise CommandError(str(exc)) from None
        finally:
            signal.signal(signal.SIGTERM, previous)
        if tty:
            self.stdout.write("")
        for r in report.rejects[:50]:
            self.stderr.write(f"rejet : {r.position()} : {r.reason}")
        if len(report.rejects) > 50:
            self.stderr.write(f"... et {len(report.rejects) - 50} autres rejets")
        if report.rejected:
            self.stdout.write(
                f"Rejets écrits dans {rejects.with_suffix('.tsv')} "
                f"(notices à corriger dans {rejects.with_suffix('.mrc')} / .xml)"
            )
        elapsed = time.monotonic() - started
        self.stdout.write(f"{report.summary()} en {elapsed:.1f} s")
        if not opts["no_index"] and not report.interrupted and (report.created or report.updated):
            t0 = time.monotonic()
            try:
                done = process_outbox()
            except IndexBusy:
                # the records are committed and queued in the outbox: the indexer applies them
                self.stdout.write(
                    "Note : l'index de recherche est occupé par un autre processus ; les notices "
                    "importées sont enregistrées et seront indexées dès qu'il sera libre "
                    "(par l'indexeur de « navette serve », ou par « navette reindex »)."
                )
            else:
                self.stdout.write(
                    f"Index de recherche à jour ({done} notices) en {time.monotonic() - t0:.1f} s"
                )
        if report.interrupted:
            sys.exit(130)
