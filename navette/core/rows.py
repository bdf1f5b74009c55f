"""Single-row reads and writes for hot paths, without the ORM compiling each query anew.

Django builds the SQL of every ORM query at each call: 0.3 to 0.8 ms of CPU for a
row lock with one join, more for a union, about as much as PostgreSQL spends
running it. A check-out and its return run some twenty statements, so that
compilation was most of their cost. The helpers here build their SQL once per
process from the models' metadata (a new column needs no change here) and
convert values exactly as the ORM does (the fields' and the backend's
converters, ``pre_save`` and ``get_db_prep_save``), so the instances they return
and the rows they write are the ORM's. They run on the default database, inside
the caller's transaction; model signals are not sent (Navette keeps no logic in
signals; models with receivers must not be written through here).
"""

from __future__ import annotations

import functools
import re
import select
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, ForeignKey, Model
from psycopg import errors as psycopg_errors
from psycopg.adapt import AdaptersMap, PyFormat, Transformer
from psycopg.pq import ExecStatus, TransactionStatus
from psycopg.types.numeric import Int8BinaryDumper

M = TypeVar("M", bound=Model)

_Converter = tuple[int, list[Callable[..., Any]], Any]


def _conn() -> BaseDatabaseWrapper:
    """The default database's connection object, looked up once per call: every attribute
    read through Django's ``connection`` proxy is a thread-local lookup, and a loan makes
    about a hundred of them."""
    return connections[DEFAULT_DB_ALIAS]


def _q(name: str, conn: BaseDatabaseWrapper) -> str:
    return conn.ops.quote_name(name)


def _converters(fields: Sequence[Field], alias: str, conn: BaseDatabaseWrapper) -> list[_Converter]:
    out = []
    for i, f in enumerate(fields):
        col = f.get_col(alias)
        funcs = conn.ops.get_db_converters(col) + col.get_db_converters(conn)
        if funcs:
            out.append((i, funcs, col))
    return out


def _convert(
    row: Sequence[Any], converters: list[_Converter], conn: BaseDatabaseWrapper
) -> list[Any]:
    values = list(row)
    for i, funcs, col in converters:
        value = values[i]
        for func in funcs:
            value = func(value, col, conn)
        values[i] = value
    return values


def _sql_of(sql: str | Callable[[], str]) -> str:
    return sql if isinstance(sql, str) else sql()


class RowQuery(Generic[M]):
    """``SELECT`` every column of ``model`` (alias ``t``) and of the ``related`` forward
    foreign keys (aliases ``r0``, ``r1``...; INNER JOIN, LEFT JOIN when nullable; a
    ``(name, fields)`` pair reads only those fields of the related row, the others are
    deferred, read by the ORM if ever used; ``only`` does the same for ``model``'s own
    fields),
    ``WHERE where`` (SQL with ``%s`` parameters), optionally ``FOR UPDATE OF t``
    (on backends without row locks, SQLite, the clause is left out: its
    transactions already hold the database's write lock). ``extra`` adds computed
    columns, ``(attribute, SQL expression)``, set as attributes of each instance;
    parameters are given in the order they appear in the SQL (``extra`` first). ``where``
    and the ``extra`` expressions may be callables returning the SQL (called at first use,
    e.g. a compiled QuerySet).

    Declare it once at module level; the SQL is built at first use.
    """

    def __init__(
        self, model: type[M], where: str | Callable[[], str], *,
        related: Sequence[str | tuple[str, Sequence[str]]] = (), lock: bool = False,
        order_by: str = "", extra: Sequence[tuple[str, str | Callable[[], str]]] = (),
        only: Sequence[str] = (),
    ) -> None:  # fmt: skip
        self.model = model
        self.only = tuple(only)
        self.extra = tuple(extra)
        self.where = where
        self.related = tuple(related)
        self.lock = lock
        self.order_by = order_by
        self._built: tuple[str, list[tuple[Any, ...]]] | None = None
        self._vendor = ""

    def _build(self, conn: BaseDatabaseWrapper) -> tuple[str, list[tuple[Any, ...]]]:
        if self._built is not None and self._vendor == conn.vendor:
            return self._built
        meta = self.model._meta
        fields = list(meta.concrete_fields)
        names = None
        if self.only:
            wanted = {meta.pk.name, *self.only}
            fields = [f for f in fields if f.name in wanted]
            names = [f.attname for f in fields]
        columns = [f"t.{_q(f.column, conn)}" for f in fields]
        joins = []
        # (model, fields, converters, first column, fk field or None, attnames if deferring)
        parts: list[tuple[Any, ...]] = [
            (self.model, fields, _converters(fields, "t", conn), 0, None, names)
        ]
        for n, spec in enumerate(self.related):
            name, only = (spec, None) if isinstance(spec, str) else spec
            fk = meta.get_field(name)
            assert isinstance(fk, ForeignKey), name
            rel_model = fk.related_model
            rel_meta = rel_model._meta  # type: ignore[union-attr]
            rel_fields = list(rel_meta.concrete_fields)
            names = None
            if only is not None:
                wanted = {rel_meta.pk.name, *only}
                rel_fields = [f for f in rel_fields if f.name in wanted]
                names = [f.attname for f in rel_fields]
            alias = f"r{n}"
            parts.append(
                (rel_model, rel_fields, _converters(rel_fields, alias, conn), len(columns), fk,
                 names)
            )  # fmt: skip
            columns += [f"{alias}.{_q(f.column, conn)}" for f in rel_fields]
            kind = "LEFT JOIN" if fk.null else "INNER JOIN"
            joins.append(
                f"{kind} {_q(rel_model._meta.db_table, conn)} {alias} "  # type: ignore[union-attr]
                f"ON {alias}.{_q(fk.target_field.column, conn)} = t.{_q(fk.column, conn)}"
            )
        columns += [_sql_of(expression) for _name, expression in self.extra]
        table = _q(meta.db_table, conn)
        where = _sql_of(self.where)
        sql = f"SELECT {', '.join(columns)} FROM {table} t {' '.join(joins)} WHERE {where}"  # noqa: S608
        if self.order_by:
            sql += f" ORDER BY {self.order_by}"
        if self.lock and conn.features.has_select_for_update:
            sql += " FOR UPDATE OF t" if conn.features.has_select_for_update_of else " FOR UPDATE"
        self._built, self._vendor = (sql, parts), conn.vendor
        return self._built

    def _instance(
        self, row: Sequence[Any], parts: list[tuple[Any, ...]], conn: BaseDatabaseWrapper
    ) -> M:
        db = conn.alias
        obj = None
        for model, fields, converters, start, fk, names in parts:
            values = _convert(row[start : start + len(fields)], converters, conn)
            if fk is None:
                obj = model.from_db(db, names, values)
            else:
                related = None if values[0] is None else model.from_db(db, names, values)
                fk.set_cached_value(obj, related)
        for n, (name, _expression) in enumerate(self.extra, start=len(row) - len(self.extra)):
            setattr(obj, name, row[n])
        return obj  # type: ignore[return-value]

    def all(self, *params: Any) -> list[M]:
        conn = _conn()
        sql, parts = self._build(conn)
        with conn.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
        return [self._instance(row, parts, conn) for row in rows]

    def first(self, *params: Any) -> M | None:
        rows = self.all(*params)
        return rows[0] if rows else None

    def get(self, *params: Any) -> M:
        """The one row, or the model's ``DoesNotExist``."""
        rows = self.all(*params)
        if not rows:
            raise self.model.DoesNotExist(f"{self.model.__name__} matching {params!r}")  # type: ignore[attr-defined]
        return rows[0]


def read_together(*reads: tuple[RowQuery[Any] | str, Sequence[Any]]) -> list[list[Any]]:
    """Run several reads, in order, and return each one's result: instances for a
    ``RowQuery``, raw rows for an SQL string. Inside ``together()`` on PostgreSQL they go
    in ONE round trip with what the block holds (its BEGIN, its writes): the server still
    runs them one after the other, each with its own snapshot, so a read placed after a
    ``FOR UPDATE`` reads the rows committed by whoever held the lock. Elsewhere they simply
    run one by one."""
    conn = _conn()
    block: _Block | None = getattr(_state, "block", None)
    if block is None:
        out: list[list[Any]] = []
        for query, params in reads:
            if isinstance(query, RowQuery):
                out.append(query.all(*params))
            else:
                with conn.cursor() as cur:
                    cur.execute(query, params)
                    out.append(cur.fetchall())
        return out
    statements: list[tuple[str, Sequence[Any]]] = []
    # a RowQuery and its row layout, to make its instances
    layouts: list[tuple[RowQuery[Any], list[tuple[Any, ...]]] | None] = []
    for query, params in reads:
        if isinstance(query, RowQuery):
            sql, parts = query._build(conn)
            statements.append((sql, params))
            layouts.append((query, parts))
        else:
            statements.append((query, params))
            layouts.append(None)
    results = block.send(statements)
    return [
        rows if layout is None else [layout[0]._instance(row, layout[1], conn) for row in rows]
        for layout, rows in zip(layouts, results, strict=True)
    ]


MAX_INSERT_ROWS = 16
_insert_sql: dict[tuple[str, type[Model], int, bool, bool], tuple[str, list[Field], str]] = {}


def next_id_query(model: type[Model]) -> str | None:
    """On PostgreSQL, SQL that draws the next key of ``model`` from its sequence (to send
    with other reads in ``read_together``, so that an insert need not wait for its key);
    elsewhere None."""
    if _conn().vendor != "postgresql":
        return None
    meta = model._meta
    return f"SELECT nextval(pg_get_serial_sequence('{meta.db_table}', '{meta.pk.column}'))"  # noqa: S608


def insert(objs: Iterable[M], *, wait: bool = False, keys: bool = True) -> list[M]:
    """Insert a few new instances of one model in one statement, as ``save(force_insert=True)``
    would (defaults, ``auto_now_add``); sets their primary keys. Integrity errors are
    Django's ``IntegrityError``, as from the ORM. For many rows, use ``bulk_create``
    (it splits batches to the backend's parameter limits).

    Inside ``together()`` the statement is queued: keys are set, and errors raised, when
    the queue is sent, unless ``wait`` (send it now: the caller needs the key or the error).
    ``keys=False``: rows nobody refers to (audit events, statistics facts, outbox rows) are
    written without reading their keys back (``pk`` stays None).
    """
    objs = list(objs)
    if not objs:
        return objs
    if len(objs) > MAX_INSERT_ROWS:
        raise ValueError(f"insert() writes at most {MAX_INSERT_ROWS} rows: use bulk_create")
    model = type(objs[0])
    conn = _conn()
    # keys given (see ``next_id_query``): written as they are, nothing to read back
    keyed = all(obj.pk is not None for obj in objs)
    key = (conn.vendor, model, len(objs), keyed, keys)
    built = _insert_sql.get(key)
    if built is None:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if keyed or not f.primary_key]
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (
            f"INSERT INTO {_q(meta.db_table, conn)} ({', '.join(_q(f.column, conn) for f in fields)}) "  # noqa: S608
            f"VALUES {', '.join([row] * len(objs))}"
        )
        returning = ""
        if conn.features.can_return_columns_from_insert and not keyed and keys:
            returning = _q(meta.pk.column, conn)
            sql += f" RETURNING {returning}"
        built = _insert_sql[key] = (sql, fields, returning)
    sql, fields, returning = built
    params: list[Any] = []
    for obj in objs:
        params += [f.get_db_prep_save(f.pre_save(obj, True), conn) for f in fields]

    def set_keys(pks: Sequence[Any]) -> None:
        for obj, pk in zip(objs, pks, strict=True):
            obj.pk = pk

    def finish(cur: Any) -> None:
        if keyed or not keys:
            return
        if returning:
            set_keys([r[0] for r in cur.fetchall()])
        else:  # pragma: no cover - every supported backend returns them
            assert len(objs) == 1
            set_keys([conn.ops.last_insert_id(cur, model._meta.db_table, model._meta.pk.column)])

    for obj in objs:
        obj._state.adding = False
        obj._state.db = conn.alias
    write = _Write(
        model._meta.db_table, sql, params, finish,
        # in a combined statement: the keys, in the order of the rows (a sequence's values
        # are drawn row by row, so in key order)
        output=f"SELECT array_agg({returning} ORDER BY {returning}) FROM %(cte)s"  # noqa: S608
        if returning
        else "",
        finish_output=(lambda v: set_keys(list(v or []))) if returning else None,
    )  # fmt: skip
    _execute(write, wait=wait, conn=conn)
    return objs


_update_sql: dict[tuple[str, type[Model], tuple[str, ...]], tuple[str, list[Field]]] = {}


def update(obj: Model, fields: Sequence[str]) -> None:
    """Write ``fields`` of ``obj`` (``auto_now`` included), as ``save(update_fields=fields)``.

    Raises ``DatabaseError`` when the row no longer exists, as the ORM does (inside
    ``together()``, when the queue is sent).
    """
    model = type(obj)
    conn = _conn()
    key = (conn.vendor, model, tuple(fields))
    built = _update_sql.get(key)
    if built is None:
        meta = model._meta
        targets: list[Field] = []
        for name in fields:
            field = meta.get_field(name)
            assert isinstance(field, Field) and field.column, name
            targets.append(field)
        sets = ", ".join(f"{_q(f.column, conn)} = %s" for f in targets)
        pk = _q(meta.pk.column, conn)
        sql = f"UPDATE {_q(meta.db_table, conn)} SET {sets} WHERE {pk} = %s"  # noqa: S608
        built = _update_sql[key] = (sql, targets)
    sql, targets = built
    params = [f.get_db_prep_save(f.pre_save(obj, False), conn) for f in targets]

    def check(count: int) -> None:
        if count != 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")

    write = _Write(
        model._meta.db_table, sql, [*params, obj.pk], lambda cur: check(cur.rowcount),
        # sent with its transaction's COMMIT (atomic_together), a vanished row must fail the
        # statement itself, so that nothing is committed: a runtime error (a cast) names it
        output="SELECT CASE WHEN count(*) = 1 THEN 1 ELSE "  # noqa: S608 - the model's table
        f"('row to update not found: {model._meta.db_table} ' || count(*))::int END FROM %(cte)s",
        returning="1", finish_output=check,
    )  # fmt: skip
    _execute(write, wait=False, conn=conn)


# --- statements sent together ----------------------------------------------------------------

_state = threading.local()

_IDLE = TransactionStatus.IDLE

#: what a statement's outcome may make PostgreSQL or psycopg forget of this session's prepared
#: statements (psycopg deallocates all of its own after such a command)
_FORGETS = re.compile(r"^\s*(?:ROLLBACK|DROP|ALTER|DISCARD|DEALLOCATE)\b", re.IGNORECASE)


class _Write:
    """One INSERT or UPDATE waiting to be sent. ``finish(cursor)`` reads its result when it
    is sent alone; in a statement combining several writes (``_combine``), ``output`` (SQL
    reading its ``RETURNING`` rows, ``%(cte)s`` for its name) gives one value to
    ``finish_output``."""

    __slots__ = ("table", "sql", "params", "finish", "output", "returning", "finish_output")

    def __init__(
        self, table: str, sql: str, params: Sequence[Any], finish: Callable[[Any], None], *,
        output: str = "", returning: str = "", finish_output: Callable[[Any], None] | None = None,
    ) -> None:  # fmt: skip
        self.table, self.sql, self.params, self.finish = table, sql, params, finish
        self.output, self.returning, self.finish_output = output, returning, finish_output


_combined_sql: dict[tuple[str, ...], str] = {}


def _combine(writes: list[_Write]) -> tuple[str, list[Any], Callable[[list[Any]], None]]:
    """Several writes to different tables as ONE statement (data-modifying ``WITH``): one
    statement to bind, execute and answer instead of one each. PostgreSQL runs every part
    to completion; they see the same snapshot, which is why no two parts touch one table.
    Returns the SQL, its parameters and what reads its one row."""
    key = tuple(w.sql for w in writes)
    sql = _combined_sql.get(key)
    if sql is None:
        parts, outputs = [], []
        for n, w in enumerate(writes):
            body = w.sql + (f" RETURNING {w.returning}" if w.returning else "")
            parts.append(f"w{n} AS ({body})")
            if w.output:
                outputs.append(f"({w.output % {'cte': f'w{n}'}})")
        sql = f"WITH {', '.join(parts)} SELECT {', '.join(outputs) or '1'}"
        _combined_sql[key] = sql
    params = [p for w in writes for p in w.params]

    def finish(rows: list[Any]) -> None:
        values = iter(rows[0])
        for w in writes:
            if w.finish_output is not None:
                w.finish_output(next(values))

    return sql, params, finish


def _execute(write: _Write, *, wait: bool, conn: BaseDatabaseWrapper) -> None:
    """Run one write now, or, inside ``together()``, hold it until something must be sent:
    the writes held meanwhile go as one statement when they touch different tables."""
    block: _Block | None = getattr(_state, "block", None)
    if block is None:
        with conn.cursor() as cur:
            cur.execute(write.sql, write.params)
            write.finish(cur)
        return
    if any(w.table == write.table for w in block.writes):
        block.send([])
    block.writes.append(write)
    if wait:
        block.send([])


def sync() -> None:
    """Inside ``together()``: send what is held and read the results (raising the first
    error, as a Django error). Elsewhere, nothing to do."""
    block: _Block | None = getattr(_state, "block", None)
    if block is not None:
        block.send([])


@functools.lru_cache(maxsize=256)
def _numbered(sql: str) -> bytes:
    """``sql`` with PostgreSQL's numbered placeholders ($1, $2...) for its ``%s`` (``%%`` is
    a percent sign)."""
    out, n = [], 0
    for part in re.split(r"(%%|%s)", sql):
        if part == "%s":
            n += 1
            out.append(f"${n}")
        else:
            out.append("%" if part == "%%" else part)
    return "".join(out).encode()


#: per connection, the statements blocks have prepared ((SQL, parameter types) -> name):
#: PostgreSQL keeps them for the session, through rollbacks; forgotten (deallocated) when
#: psycopg may have deallocated them
_prepared: weakref.WeakKeyDictionary[Any, dict[tuple[str, Any], bytes]] = (
    weakref.WeakKeyDictionary()
)
_transformers: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()

_OK = (ExecStatus.TUPLES_OK, ExecStatus.COMMAND_OK)

#: prepared statements kept per connection (a few dozen shapes are used)
MAX_PREPARED = 200


class _Block:
    """The statements of one ``together()`` block on PostgreSQL. Its BEGIN (when it owns the
    transaction) and its writes are held, then sent with the next reads, or with its
    COMMIT, in ONE round trip (libpq's pipeline mode: the server runs them one after the
    other, each with its own snapshot). They go through libpq directly, with psycopg's
    adapters converting parameters and rows: psycopg's own pipeline costs several times
    more CPU per statement in Python than the server spends running it. When the block
    owns its transaction and the connection prepares statements (``prepare_threshold``),
    its statements are prepared once per connection, then executed by name."""

    def __init__(self, conn: BaseDatabaseWrapper, raw: Any, own: bool) -> None:
        self.conn, self.raw, self.pgconn = conn, raw, raw.pgconn
        self.begin = own  # BEGIN still to send, with the first statements
        self.began = False
        self.writes: list[_Write] = []
        prepares = own and conn.settings_dict["OPTIONS"].get("prepare_threshold") is not None
        self.names = _prepared.setdefault(raw, {}) if prepares else None
        tx = _transformers.get(raw)
        if tx is None:
            # the connection's adapters (Django's included), every int as a bigint: psycopg
            # picks the smallest type that holds each value, which would make one statement
            # a different prepared statement for each combination of sizes
            adapters = AdaptersMap(raw.adapters)
            adapters.register_dumper(int, Int8BinaryDumper)
            tx = _transformers[raw] = Transformer(adapters)
        self.tx = tx

    def send(
        self, reads: Sequence[tuple[str, Sequence[Any]]], *, commit: bool = False
    ) -> list[list[Any]]:
        """Send what is due (BEGIN, the writes held), then ``reads`` and, with ``commit``,
        COMMIT, in one round trip; return the rows of each read."""
        statements: list[tuple[str, Sequence[Any], Callable[[list[Any]], None] | None]] = []
        if self.writes:
            combined = _combine(self.writes)
            self.writes = []
            statements.append(combined)
        statements += [(sql, params, None) for sql, params in reads]
        # BEGIN alone, an ORM statement follows
        begin_alone = self.begin and not commit and not statements
        commit_alone = commit and self.began
        if not (statements or begin_alone or commit_alone):
            return []  # nothing to send (a block that wrote nothing commits nothing)
        first = self.begin
        try:
            results = self._run(statements, commit, check=begin_alone and bool(self.names))
        except DatabaseError as exc:
            if not (first and self.names and _sqlstate(exc) == "26000"):
                raise
            # this session's prepared statements were deallocated (psycopg does so after a
            # rollback it sees): nothing else was sent in this transaction, send it again
            self.rollback()
            self.forget()
            self.begin = True
            results = self._run(statements, commit)
        out: list[list[Any]] = []
        for (_sql, _params, finish), rows in zip(statements, results, strict=True):
            if finish is None:
                out.append(rows)
            else:
                finish(rows)
        return out

    def _run(
        self, statements: Sequence[tuple[str, Sequence[Any], Any]], commit: bool,
        check: bool = False,
    ) -> list[list[Any]]:  # fmt: skip
        """One round trip: BEGIN if due, ``statements`` (each prepared first if new), COMMIT
        if asked; returns each statement's rows. With ``check`` (BEGIN sent alone, before
        ORM statements), this session's prepared statements are counted: should psycopg
        have deallocated them, they are forgotten here, not found missing later in the
        transaction."""
        names = self.names
        if names is not None and len(names) >= MAX_PREPARED:
            self.forget()  # statements built at run time: the server's memory is bounded
        sends, new, log = self._sends(statements, commit, check)
        started = time.monotonic()
        with self.conn.wrap_database_errors:
            results = self._pipeline(sends)
        if self.begin:
            self.begin, self.began = False, True
        if new:  # those prepared, even if a later statement failed
            assert names is not None
            prepared = {send[1] for send, r in zip(sends, results, strict=True)
                        if send[0] == self.pgconn.send_prepare and r is not None
                        and r.status == ExecStatus.COMMAND_OK}  # fmt: skip
            names.update((key, name) for key, name in new.items() if name in prepared)
        error = next((r for r in results if r is not None and r.status not in _OK), None)
        if error is not None:
            with self.conn.wrap_database_errors:
                raise psycopg_errors.error_from_result(error, encoding=self.raw.info.encoding)
        rows = []
        for send, result in zip(sends, results, strict=True):
            if send[-1]:
                self.tx.set_pgresult(result)
                rows.append(self.tx.load_rows(0, result.ntuples, tuple))
        if check and rows.pop()[0][0] != len(names or ()):
            self.forget()
        if self.conn.queries_logged:  # as Django's debug cursor does (CaptureQueriesContext)
            took = f"{(time.monotonic() - started) / max(len(log), 1):.3f}"
            self.conn.queries_log.extend({"sql": sql, "time": took} for sql in log)
        return rows

    def _sends(
        self, statements: Sequence[tuple[str, Sequence[Any], Any]], commit: bool, check: bool
    ) -> tuple[list[tuple[Any, ...]], dict[tuple[str, Any], bytes], list[str]]:
        """The libpq calls of one round trip, each ``(function, arguments..., wanted)``
        (``wanted``: its rows are returned), the statements to prepare in it, and the SQL
        of what it runs (for Django's query log)."""
        pgconn, tx, names = self.pgconn, self.tx, self.names
        sends: list[tuple[Any, ...]] = []
        log = ["BEGIN"] if self.begin else []
        if self.begin:
            sends.append((pgconn.send_query_params, b"BEGIN", None, False))
        new: dict[tuple[str, Any], bytes] = {}
        for sql, params, _finish in statements:
            log.append(sql)
            values = tx.dump_sequence(params, [PyFormat.AUTO] * len(params))
            if names is None:
                sends.append((pgconn.send_query_params, _numbered(sql), values, tx.types,
                              tx.formats, True))  # fmt: skip
                continue
            key = (sql, tx.types)
            name = names.get(key) or new.get(key)
            if name is None:
                name = new[key] = f"navette_{len(names) + len(new) + 1}".encode()
                sends.append((pgconn.send_prepare, name, _numbered(sql), tx.types, False))
            sends.append((pgconn.send_query_prepared, name, values, tx.formats, True))
        if check:
            sends.append((pgconn.send_query_params, _COUNT_PREPARED, None, True))
        if commit:
            sends.append((pgconn.send_query_params, b"COMMIT", None, False))
            log.append("COMMIT")
        return sends, new, log

    def _pipeline(self, sends: Sequence[tuple[Any, ...]]) -> list[Any]:
        """Send in pipeline mode and read each one's result (None for a statement skipped
        after an error), waiting for the socket without holding the GIL."""
        pgconn = self.pgconn
        with self.raw.lock:
            pgconn.enter_pipeline_mode()
            try:
                for send, *args, _wanted in sends:
                    send(*args)
                pgconn.pipeline_sync()
                while pgconn.flush() == 1:
                    _wait(pgconn, select.POLLOUT | select.POLLIN)
                    pgconn.consume_input()
                results: list[Any] = []
                current = None
                while True:
                    while pgconn.is_busy():
                        _wait(pgconn, select.POLLIN)
                        pgconn.consume_input()
                    result = pgconn.get_result()
                    if result is None:  # the end of one statement's results
                        results.append(current)
                        current = None
                    elif result.status == ExecStatus.PIPELINE_SYNC:
                        break
                    elif result.status != ExecStatus.PIPELINE_ABORTED:
                        current = result
                pgconn.exit_pipeline_mode()
            except BaseException:
                # the connection is left in the middle of a conversation: Django finds it
                # unusable and opens another
                with suppress(Exception):
                    self.raw.close()
                raise
        if len(results) != len(sends):
            raise OperationalError(
                f"{len(sends)} results expected from the server, {len(results)} read"
            )
        return results

    def rollback(self) -> None:
        """Roll the block's transaction back, below psycopg: it would deallocate the session's
        prepared statements after a ROLLBACK it sees (PostgreSQL itself keeps them)."""
        with self.conn.wrap_database_errors:
            result = self._pipeline([(self.pgconn.send_query_params, b"ROLLBACK", None, False)])[0]
        if result is None or result.status != ExecStatus.COMMAND_OK:
            raise OperationalError(self.pgconn.error_message.decode(errors="replace"))

    def forget(self) -> None:
        """Deallocate this session's prepared statements, known or not (psycopg, which may
        hold some, sees the command and forgets its own too)."""
        if self.names is None:
            return
        self.names.clear()
        self.raw.execute("DEALLOCATE ALL", prepare=False)


_COUNT_PREPARED = b"SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'navette\\_%'"


def _wait(pgconn: Any, events: int) -> None:
    poll = select.poll()
    poll.register(pgconn.socket, events)
    poll.poll()


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)


def _send_before_others(execute, sql, params, many, context):
    block: _Block = _state.block
    # an ORM statement: it goes after what the block holds, and reads its results at once
    block.send([])
    result = execute(sql, params, many, context)
    if block.names and _FORGETS.match(sql):
        block.forget()  # psycopg may have deallocated them all: no statement is left to chance
    return result


@contextmanager
def together(*, commit: bool = False) -> Iterator[None]:
    """Statements made inside go to PostgreSQL together: ``insert`` and ``update`` are held
    until something must be sent, then go as ONE statement when they touch different
    tables (a data-modifying ``WITH``), in the same round trip as what is sent next
    (``read_together``'s reads, or the end of the block). Any other statement (ORM reads
    and writes, ``RowQuery.all``) is sent at once after what is held, so statements run in
    the order written and every result is as without ``together()``. Keys of held inserts
    are set, and their errors (constraints) raised as Django errors, at the next such
    statement, at ``sync()`` or on leaving. Use inside the transaction. On other backends
    (SQLite, no round trips), statements simply run one by one.

    ``commit`` (through ``atomic_together``, nothing else may run in the transaction after
    this block): when the block opens the transaction (the outermost atomic block, nothing
    sent yet), its BEGIN goes with the first statements and its COMMIT with the last
    writes, instead of a round trip each; the atomic block's own commit then finds nothing
    to do.
    """
    conn = _conn()
    if conn.vendor != "postgresql" or getattr(_state, "block", None) is not None:
        yield
        return
    conn.ensure_connection()
    raw = conn.connection
    own = (
        commit
        and conn.in_atomic_block
        and len(conn.atomic_blocks) == 1
        and conn.commit_on_exit
        and not raw.autocommit
        and raw.info.transaction_status == _IDLE
    )
    if own:
        # psycopg would send BEGIN alone and wait for it: the block sends BEGIN and COMMIT
        # itself, with its statements, in autocommit mode
        raw.autocommit = True
    block = _state.block = _Block(conn, raw, own)
    try:
        with conn.execute_wrapper(_send_before_others):
            yield
            if not conn.needs_rollback:  # else nothing more is sent: it is all rolled back
                block.send([], commit=own)
    finally:
        _state.block = None
        if own:
            _back_to_django(block)


def _back_to_django(block: _Block) -> None:
    """After a block that sent its own BEGIN: the transaction is over (rolled back if the
    block failed before its COMMIT), and the connection is as Django's atomic block left
    it, outside autocommit, with nothing left to commit or roll back."""
    raw = block.raw
    # a broken connection raises here: Django closes it (errors_occurred), nothing to restore
    with suppress(Exception):
        if raw.info.transaction_status != _IDLE:
            block.rollback()
        raw.autocommit = False


@contextmanager
def atomic_together() -> Iterator[None]:
    """``transaction.atomic()`` with ``together(commit=True)`` as its whole body: a service's
    transaction in as few round trips as its reads allow (BEGIN with the first, COMMIT with
    the last writes). Nested in another atomic block, a savepoint with ``together()``."""
    with transaction.atomic(), together(commit=True):
        yield
