"""``navette jobs``: run the scheduled work once (or every N seconds)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from navette.core import clock
from navette.core.jobs import registered_jobs, run_jobs


class Command(BaseCommand):
    help = "Exécute les tâches planifiées (avis, expiration des réservations, anonymisation)."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="Répéter toutes les N secondes.")
        parser.add_argument("--only", action="append", help="Ne lancer que cette tâche.")
        parser.add_argument("--list", action="store_true", help="Lister les tâches.")

    def handle(self, *args, **options):
        if options["list"]:
            for name, _job in registered_jobs():
                self.stdout.write(name)
            return
        only = set(options["only"] or []) or None
        while True:
            for name, summary in run_jobs(clock.now(), only):
                self.stdout.write(f"{name}: {summary}")
            if not options["every"]:
                return
            close_old_connections()
            time.sleep(options["every"])
