"""``navette sip2 [--host H] [--port P]``: the SIP2 server for self-service machines."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from navette.sip2.server import ServerConfig, run, use_prepared_statements


class Command(BaseCommand):
    help = "Serveur SIP2 pour les automates de prêt (TLS si NAVETTE_SIP2_TLS_CERT est défini)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=None, help="Adresse d'écoute (NAVETTE_SIP2_HOST).")
        parser.add_argument(
            "--port", type=int, default=None, help="Port (NAVETTE_SIP2_PORT, 6001)."
        )
        parser.add_argument(
            "--workers", type=int, default=None, help="Processus de service (NAVETTE_SIP2_WORKERS)."
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="Fils d'accès à la base (NAVETTE_SIP2_DB_THREADS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        config = ServerConfig.from_settings(
            host=options["host"],
            port=options["port"],
            db_threads=options["threads"],
            workers=options["workers"],
        )
        self.stdout.write(
            f"SIP2 : {config.host}:{config.port}{' (TLS)' if config.tls_cert else ''}"
        )
        use_prepared_statements()
        status = run(config)
        if status:
            raise SystemExit(status)
