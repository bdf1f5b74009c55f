"""``navette import-network DIR [--mapping FILE.toml] [--apply]``."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from navette.core import clock
from navette.core.csvexport import csv_writer
from navette.core.dblocks import JobLockBusy
from navette.golive.engine import ExportError, NetworkImport, Report
from navette.golive.mapping import MappingError, load_mapping

OUTCOMES = ("created", "updated", "merged", "matched", "unchanged", "rejected")


class Command(BaseCommand):
    help = (
        "Importe l'export d'un réseau (lecteurs, états des exemplaires, prêts en cours, "
        "réservations, amendes, historique anonyme) depuis les fichiers CSV de DIR. "
        "Sans --apply, rien n'est écrit : le rapport dit ce qui serait fait."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", metavar="DIR")
        parser.add_argument("--mapping", default=None, metavar="FICHIER.toml",
                            help="Correspondance des colonnes et des codes (docs/go-live.md).")  # fmt: skip
        parser.add_argument("--apply", action="store_true",
                            help="Écrire (sinon : essai, rien n'est écrit).")  # fmt: skip
        parser.add_argument("--report", default=None, metavar="FICHIER.csv",
                            help="Rapport des rejets, conflits et doublons (CSV).")  # fmt: skip
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args: Any, **opts: Any) -> None:
        directory = Path(opts["directory"])
        if not directory.is_dir():
            raise CommandError(f"Dossier introuvable : {directory}")
        try:
            mapping = load_mapping(Path(opts["mapping"]) if opts["mapping"] else None)
        except MappingError as exc:
            raise CommandError(str(exc)) from None
        tty = sys.stdout.isatty()
        started = time.monotonic()
        last_time, last_phase = [0.0], [""]

        def progress(phase: str, done: int, total: int) -> None:
            elapsed = time.monotonic() - started
            if tty:
                frac = min(done / total, 1.0) if total else 0.0
                bar = "#" * int(frac * 30)
                size = f"{done}/{total}" if total else f"{done}"
                self.stdout.write(f"\r{phase:<15} [{bar:<30}] {size} ({elapsed:,.0f} s) ",
                                  ending="")  # fmt: skip
                self.stdout.flush()
            elif elapsed - last_time[0] >= 5 or phase != last_phase[0]:
                last_time[0], last_phase[0] = elapsed, phase
                self.stdout.write(f"{phase} : {done}{f'/{total}' if total else ''}")

        def on_term(_signo: int, _frame: Any) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, on_term)
        job = NetworkImport(directory, mapping, apply=opts["apply"], now=clock.now(),
                            batch_size=opts["batch_size"], progress=progress)  # fmt: skip
        try:
            report = job.run()
        except ExportError as exc:
            raise CommandError(str(exc)) from None
        except JobLockBusy:
            raise CommandError("Un autre import du réseau est en cours.") from None
        finally:
            signal.signal(signal.SIGTERM, previous)
        if tty:
            self.stdout.write("")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = Path(opts["report"] or f"rapport-import-reseau-{stamp}.csv")
        write_report(report, path)
        self.stdout.write(summary(report, apply=opts["apply"]))
        self.stdout.write(f"Rapport : {path} ({len(report.issues)} lignes)")


def write_report(report: Report, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv_writer(handle)  # a cell from the source's files may start a formula
        out.writerow(["type", "fichier", "ligne", "motif", "détail"])
        for i in report.issues:
            out.writerow([i.kind, i.file, i.line, i.code, i.detail])


def summary(report: Report, *, apply: bool) -> str:
    lines = ["Import appliqué :" if apply else "Essai (rien n'a été écrit) :"]
    kinds = sorted({k.split(".")[0] for k in report.counts}, key=_order)
    for kind in kinds:
        counts = report.of(kind)
        parts = [f"{o} {counts[o]}" for o in OUTCOMES if counts.get(o)]
        seconds = report.timings.get(kind)
        lines.append(f"  {kind:<10} {', '.join(parts) or '0'}"
                     + (f" ({seconds:.1f} s)" if seconds is not None else ""))  # fmt: skip
    conflicts = sum(1 for i in report.issues if i.kind == "conflict")
    candidates = sum(1 for i in report.issues if i.kind == "candidate")
    lines.append(f"  conflits {conflicts}, doublons possibles {candidates}")
    lines.append(f"  durée {report.timings.get('total', 0):.1f} s, "
                 f"temps processeur {report.cpu_seconds:.1f} s")  # fmt: skip
    return "\n".join(lines)


def _order(kind: str) -> int:
    order = ("libraries", "categories", "patrons", "copies", "loans", "holds", "fines", "history")
    return order.index(kind) if kind in order else len(order)
