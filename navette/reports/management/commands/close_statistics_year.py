"""``navette close_statistics_year YEAR``: close a statistics year (destroys its pseudonym key)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from navette.core import clock
from navette.core.actors import Actor
from navette.core.errors import DomainError
from navette.reports.services import statistics_year_close


class Command(BaseCommand):
    help = (
        "Clôt une année statistique : la clé des pseudonymes d'emprunteurs de l'année est "
        "détruite (les comptes restent, plus personne ne peut relier un pseudonyme à un lecteur)."
    )

    def add_arguments(self, parser):
        parser.add_argument("year", type=int, help="L'année à clore (une année terminée).")

    def handle(self, *args, **options):
        year = options["year"]
        try:
            destroyed = statistics_year_close(
                year=year, actor=Actor.system("close_statistics_year"), now=clock.now()
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if destroyed:
            self.stdout.write(f"Année {year} close : clé des pseudonymes détruite.")
        else:
            self.stdout.write(f"Année {year} déjà close : aucune clé à détruire.")
        if destroyed:
            self.stdout.write(
                "Pensez à lancer VACUUM FULL sur la table patrons_pseudonymkey (PostgreSQL) "
                "et à laisser expirer les sauvegardes qui contiennent encore la clé."
            )
