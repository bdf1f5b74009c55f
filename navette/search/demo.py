"""Demo hook: bring the search index up to date with the demo catalogue.

The catalogue's import has queued every record in the outbox (and woken the updater); the
index is built once from there: applying the outbox builds it when it is absent and only
applies the changes when it exists (a second run of the demo, or the updater got there first).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import ngettext

from navette.search.updater import process_outbox


def load(ctx: Any) -> None:
    count = process_outbox()
    ctx.log(
        "Index de recherche : "
        + ngettext("%(n)d notice indexée", "%(n)d notices indexées", count) % {"n": count}
    )
