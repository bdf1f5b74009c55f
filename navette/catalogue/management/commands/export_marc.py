"""``navette export-marc [--flavour marc21|unimarc] [--format iso2709|marcxml] [-o FILE]``."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from navette.catalogue.exporter import export_marc


class Command(BaseCommand):
    help = (
        "Exporte les notices (UTF-8) avec leurs exemplaires dans le champ d'exemplaires du format."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--flavour", choices=["marc21", "unimarc"], default=None)
        parser.add_argument("--format", choices=["iso2709", "marcxml"], default="iso2709")
        parser.add_argument(
            "-o", "--output", default="-", help="Fichier de sortie (- : sortie standard)."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["output"] == "-":
            count, problems = export_marc(
                sys.stdout.buffer, flavour=opts["flavour"], fmt=opts["format"]
            )
            sys.stdout.buffer.flush()
        else:
            with open(opts["output"], "wb") as out:
                count, problems = export_marc(out, flavour=opts["flavour"], fmt=opts["format"])
        for problem in problems:
            self.stderr.write(f"non exportée : {problem}")
        self.stderr.write(f"{count} notices exportées")
