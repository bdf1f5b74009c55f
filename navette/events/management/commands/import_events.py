"""``navette import-events FILE.csv``: load a programme of events (see events/importing.py)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from navette.core import clock
from navette.core.actors import Actor
from navette.events.importing import ImportFileError, import_events_csv


class Command(BaseCommand):
    help = "Importe des événements depuis un fichier CSV (une ligne par événement)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--strict", action="store_true",
            help="Sortir en erreur si une ligne est refusée (les autres sont chargées).",
        )  # fmt: skip

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            report = import_events_csv(path, actor=Actor.system("import-events"), now=clock.now())
        except ImportFileError as exc:
            raise CommandError(str(exc))
        for line, message in report.errors:
            self.stderr.write(f"{path.name}, ligne {line} : {message}")
        self.stdout.write(str(report))
        if report.errors and options["strict"]:
            n = len(report.errors)
            raise CommandError(
                ngettext("%(n)d ligne refusée", "%(n)d lignes refusées", n) % {"n": n}
            )
