"""``navette harvest-members [--source NAME]... [--all]``: harvest the member libraries'
catalogues into the union catalogue (the due ones by default)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from navette.catalogue.harvest import HarvestReport, due_sources, source_harvest
from navette.catalogue.models import HarvestSource
from navette.core import clock
from navette.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Moissonne les catalogues des bibliothèques membres (OAI-PMH ou fichiers MARC "
        "déposés) : par défaut ceux dont la moisson est due."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", action="append", default=[], metavar="NOM",
                            help="Moissonner ce catalogue maintenant (répétable).")  # fmt: skip
        parser.add_argument("--all", action="store_true",
                            help="Moissonner maintenant tous les catalogues actifs.")  # fmt: skip

    def handle(self, *args: Any, **opts: Any) -> None:
        now = clock.now()
        if opts["source"]:
            sources = []
            for name in opts["source"]:
                source = HarvestSource.objects.filter(name=name).first()
                if source is None:
                    known = ", ".join(HarvestSource.objects.values_list("name", flat=True))
                    raise CommandError(
                        f"Catalogue membre inconnu : {name} (catalogues : {known or 'aucun'})"
                    )
                sources.append(source)
        elif opts["all"]:
            sources = list(HarvestSource.objects.filter(is_active=True))
        else:
            sources = due_sources(now)
        if not sources:
            self.stdout.write("Aucun catalogue membre à moissonner.")
        failed: list[str] = []
        for source in sources:
            try:
                report = source_harvest(source=source, now=now)
            except DomainError as exc:
                failed.append(source.name)
                self.stderr.write(f"{source.name} : ÉCHEC — {exc.message}")
                continue
            self.stdout.write(f"{source.name} : {summary(report)}")
            for where, reason in report.rejects[:20]:
                self.stdout.write(f"  rejetée : {where} : {reason}")
        if failed:
            raise CommandError(f"Moisson en échec : {', '.join(failed)}")


def summary(report: HarvestReport) -> str:
    return (
        f"{report.created} notices créées, {report.updated} mises à jour, "
        f"{report.unchanged} inchangées, {report.deleted} supprimées, "
        f"{report.rejected} rejetées"
    )
