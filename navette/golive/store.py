"""Bulk inserts of rows whose keys nobody reads back (statistics facts, source keys, cards):
on PostgreSQL through psycopg's COPY (its public ``Cursor.copy``), a go-live's millions of
history rows in a fraction of the time of INSERTs; elsewhere through the ORM's
``bulk_create``. Both insert the same rows (the tests run on both)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model


def insert_rows(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (values in the order of ``fields``, attribute names such as
    ``library_id``) into ``model``'s table, in the caller's transaction."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            [model(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=2000
        )
        return
    meta = model._meta
    by_attname = {f.attname: f.column for f in meta.concrete_fields}
    columns = [str(by_attname[name]) for name in fields]
    quote = connection.ops.quote_name
    sql = (f"COPY {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
           "FROM STDIN")  # fmt: skip
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
