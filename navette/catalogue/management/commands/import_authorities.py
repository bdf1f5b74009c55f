"""``navette import-authorities FILE...``: authority records (MARC21 or UNIMARC authority
format, ISO 2709 or MARCXML) imported and linked to the catalogue's headings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from navette.catalogue.headings import authorities_import
from navette.core import clock
from navette.core.actors import Actor


class Command(BaseCommand):
    help = (
        "Importe des notices d'autorité (MARC21 ou UNIMARC, ISO 2709 ou MARCXML) et les relie "
        "aux vedettes du catalogue."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args: Any, **opts: Any) -> None:
        for path in opts["files"]:
            if not path.is_file():
                raise CommandError(f"fichier introuvable : {path}")
            report = authorities_import(path=path, actor=Actor.system("import-authorities"),
                                        now=clock.now())  # fmt: skip
            for number, why in report.rejected or []:
                self.stderr.write(f"{path}, notice {number} : non importée ({why})")
            self.stdout.write(
                f"{path} : notices lues {report.read}, créées {report.created}, "
                f"remplacées {report.updated} ; vedettes reliées à une autorité : {report.linked}"
            )
