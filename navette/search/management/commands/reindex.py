"""``navette reindex``: rebuild this node's search index from the database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from navette.search.index import IndexBusy, rebuild_index


class Command(BaseCommand):
    help = "Reconstruit l'index de recherche du catalogue à partir de la base de données."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--threads", type=int, default=0, help="Nombre de fils d'indexation.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = rebuild_index(threads=options["threads"])
        except IndexBusy as exc:
            raise CommandError(f"{exc} : réessayez dans un instant.") from exc
        self.stdout.write(
            f"Index reconstruit : {report.documents} notices en {report.seconds:.1f} s."
        )
