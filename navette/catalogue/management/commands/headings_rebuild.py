"""``navette headings-rebuild``: the index of headings computed again from every record."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from navette.catalogue.heading_index import headings_link_authorities, headings_rebuild


class Command(BaseCommand):
    help = "Recalcule l'index des vedettes (auteurs, sujets, collections) depuis les notices."

    def handle(self, *args: Any, **opts: Any) -> None:
        count = headings_rebuild()
        linked = headings_link_authorities()
        self.stdout.write(f"vedettes : {count} ; reliées à une autorité : {linked}")
