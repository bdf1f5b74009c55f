from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from navette.network.services import NetworkFileError, load_network_csv


class Command(BaseCommand):
    help = "Charge ou met à jour les bibliothèques du réseau depuis un fichier CSV (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV : commune,name,phone,street,postcode,city,note")
        parser.add_argument("--network-name", help="Nom du réseau")

    def handle(self, *args, **options):
        try:
            report = load_network_csv(options["file"], network_name=options.get("network_name"))
        except NetworkFileError as exc:
            raise CommandError(str(exc)) from None
        for _line, message in report.errors:
            self.stderr.write(message)
        self.stdout.write(str(report))
        if report.errors:
            n = len(report.errors)
            raise CommandError(
                ngettext("%(n)d ligne rejetée", "%(n)d lignes rejetées", n) % {"n": n},
                returncode=2,
            )
