"""``navette search-indexer``: keep this node's search index up to date from the outbox.

``navette serve`` starts one per node, for its web and SIP2 processes, which then only
write outbox rows. Stops cleanly on SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from navette.search import index as search_index
from navette.search.updater import follow_outbox


class Command(BaseCommand):
    help = (
        "Tient l'index de recherche de ce nœud à jour en appliquant la file d'indexation "
        "au fil des validations."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every", type=float, default=settings.NAVETTE_SEARCH_FOLLOW_EVERY,
            help="Secondes entre deux consultations de la file.",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def on_signal(signum: int, frame: Any) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.stdout.write(
            f"Indexation : {search_index.index_dir()}, file consultée toutes les "
            f"{options['every']:g} s",
        )
        self.stdout.flush()
        follow_outbox(every=options["every"], stop=stop)
