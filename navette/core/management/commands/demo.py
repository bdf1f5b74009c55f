"""``navette demo``: set up the demo network on the configured database, then serve."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from navette.core.demo_loader import DemoContext, load_demo
from navette.core.management.commands.serve import (
    add_serve_arguments,
    serve,
    use_served_address,
)


class Command(BaseCommand):
    help = (
        "Crée (ou reprend) le réseau de démonstration Relire — bibliothèques, personnel, "
        "lecteurs, catalogue — puis sert le portail."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        add_serve_arguments(parser)
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="Préparer les données sans démarrer les services.",
        )

    def handle(self, *args, **options):
        home = settings.NAVETTE_HOME
        home.mkdir(parents=True, exist_ok=True)
        call_command("check", fail_level="ERROR")
        self.stdout.write(f"Données : {home}")
        call_command("migrate", interactive=False, verbosity=0)
        # the accounts file names the addresses actually served, not the defaults
        settings.NAVETTE_SIP2_HOST = options["host"]
        settings.NAVETTE_SIP2_PORT = options["sip2_port"]
        use_served_address(options["host"], options["port"])
        ctx = DemoContext.for_home(home, log=self.stdout.write)
        load_demo(ctx)
        path = ctx.write_accounts()
        self._print_accounts(ctx.accounts)
        self.stdout.write(f"Comptes de démonstration : {path}")
        if not options["no_serve"]:
            serve(self, options)

    def _print_accounts(self, accounts: dict) -> None:
        for entry in accounts.get("staff", []):
            self.stdout.write(
                f"  personnel  {entry['username']:<14} mot de passe {entry['password']}  ({entry['role']})"
            )
        for entry in accounts.get("patrons", [])[:5]:
            self.stdout.write(
                f"  lecteur    carte {entry['card']}  PIN {entry['pin']}  {entry['name']} ({entry['library']})"
            )
        for entry in accounts.get("kiosks", [])[:3]:
            self.stdout.write(
                f"  automate   {entry['login']} mot de passe {entry['password']}  ({entry['library']})"
            )
