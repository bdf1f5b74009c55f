"""Demo hook: build the search index over the demo catalogue."""

from __future__ import annotations

from typing import Any

from navette.search.index import rebuild_index


def load(ctx: Any) -> None:
    report = rebuild_index()
    ctx.log(f"Index de recherche : {report.documents} notices indexées en {report.seconds:.1f} s.")
