"""Shelf marks (cotes) suggested for a new copy: the library's prefix, the location's
prefix, then the mark read from the record (the Dewey class of non-fiction, R for fiction,
DVD, CD, BD... and the first letters of the author, as ``demo.call_number`` gives)."""

from __future__ import annotations

from navette.catalogue.demo import call_number
from navette.catalogue.models import LibraryShelving, Location, Record
from navette.network.models import Library


def call_number_suggest(
    *, record: Record, library: Library | None = None, location: Location | None = None
) -> str:
    """The shelf mark proposed for a copy of ``record`` shelved at ``location`` of
    ``library``: e.g. "AD 944 DUB" for a library prefix "AD" and a Dewey class 944. A prefix
    already at the start of the mark (a children's "J") is not repeated."""
    mark = call_number(record)
    prefixes: list[str] = []
    if library is not None:
        shelving = LibraryShelving.objects.filter(library=library).first()
        if shelving is not None and shelving.call_number_prefix.strip():
            prefixes.append(shelving.call_number_prefix.strip())
    if location is not None and location.call_number_prefix.strip():
        prefixes.append(location.call_number_prefix.strip())
    words = mark.split()
    for prefix in reversed(prefixes):
        if words[: len(prefix.split())] != prefix.split():
            words = [*prefix.split(), *words]
    return " ".join(words)
