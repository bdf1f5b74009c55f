"""``navette import-titles --resource CODE FILE``: load a vendor's catalogue (CSV or MARC)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from navette.core import clock
from navette.core.actors import Actor
from navette.digital.importers import ImportReport, read_csv, read_marc, titles_import
from navette.digital.models import Resource


class Command(BaseCommand):
    help = "Importe le catalogue d'un fournisseur (CSV ou MARC) en notices « en ligne »."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--resource", required=True, help="code de la ressource en ligne")
        parser.add_argument(
            "--format", choices=["auto", "csv", "marc"], default="auto",
            help="csv, ou marc (ISO 2709 ou MARCXML) ; auto : d'après l'extension",
        )  # fmt: skip

    def handle(self, *args, **opts):
        resource = Resource.objects.select_related("vendor").filter(code=opts["resource"]).first()
        if resource is None:
            codes = ", ".join(Resource.objects.values_list("code", flat=True)) or "aucune"
            raise CommandError(
                f"Ressource « {opts['resource']} » inconnue (ressources existantes : {codes})."
            )
        path: Path = opts["file"]
        fmt = opts["format"]
        if fmt == "auto":
            fmt = "csv" if path.suffix.lower() in (".csv", ".txt") else "marc"
        report = ImportReport()
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        if fmt == "csv":
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"Lecture impossible de {path} : {exc}")
            rows = read_csv(text, report)
        else:
            rows = read_marc(path, report)
        titles_import(
            resource=resource, rows=rows, report=report,
            actor=Actor.system("import-titles"), now=clock.now(),
        )  # fmt: skip
        for line, reason in report.rejected:
            self.stderr.write(f"{path}:{line}: rejeté : {reason}")
        self.stdout.write(
            f"{resource.name} : {report.created} titres créés, {report.updated} mis à jour, "
            f"{len(report.rejected)} rejetés."
        )
