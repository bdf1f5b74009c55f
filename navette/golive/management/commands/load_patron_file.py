"""``navette load-patron-file LIBRARY FILE.csv [--mapping FILE.toml]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from navette.core import clock
from navette.golive.mapping import MappingError, load_mapping
from navette.golive.patron_file import patron_file_load
from navette.network.models import MemberSystem

REASONS = {
    "card_missing": "numéro de carte vide",
    "card_twice": "carte déjà lue plus haut",
    "bad_date": "date illisible",
    "column_missing": "colonne absente",
    "not_utf8": "le fichier n'est pas en UTF-8",
    "csv": "CSV illisible",
}


class Command(BaseCommand):
    help = (
        "Remplace le fichier des lecteurs déposé par une bibliothèque sous un autre système "
        "(cartes, fin d'adhésion, catégorie, date de naissance), lu avec la correspondance "
        "de la reprise (docs/go-live.md). Une seule ligne illisible : rien n'est changé."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("library", metavar="BIBLIOTHÈQUE", help="Code de la bibliothèque.")
        parser.add_argument("file", metavar="FICHIER.csv")
        parser.add_argument("--mapping", default=None, metavar="FICHIER.toml")

    def handle(self, *args: Any, **opts: Any) -> None:
        member = (
            MemberSystem.objects.select_related("library")
            .filter(library__code=opts["library"])
            .first()
        )
        if member is None:
            raise CommandError(
                f"{opts['library']} : aucune bibliothèque de ce code n'est rattachée par un "
                "connecteur."
            )
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"{path} : fichier introuvable.")
        try:
            mapping = load_mapping(Path(opts["mapping"]) if opts["mapping"] else None)
        except MappingError as exc:
            raise CommandError(str(exc)) from None
        report = patron_file_load(
            library=member.library, path=path, mapping=mapping, now=clock.now()
        )
        if not report.applied:
            for rejected in report.rejected:
                detail = f" ({rejected.detail})" if rejected.detail else ""
                self.stderr.write(
                    f"{path.name}, ligne {rejected.line} : "
                    f"{REASONS.get(rejected.code, rejected.code)}{detail}"
                )
            raise CommandError(f"{path.name} : fichier refusé, rien n'a été changé.")
        self.stdout.write(
            f"{member.library.name} : {report.loaded} cartes chargées, "
            f"{report.removed} de l'ancien fichier remplacées."
        )
