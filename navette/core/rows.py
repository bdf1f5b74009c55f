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

import datetime as dt
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    CharField,
    DateField,
    DateTimeField,
    Field,
    ForeignKey,
    IntegerField,
    Model,
    TextField,
)
from django.utils import timezone

M = TypeVar("M", bound=Model)

_Converter = tuple[int, list[Callable[..., Any]], Any]


def _conn() -> BaseDatabaseWrapper:
    """The default database's connection object, looked up once per call: every attribute
    read through Django's ``connection`` proxy is a thread-local lookup, and a loan makes
    about a hundred of them. Inside ``together()``, the block's own (one lookup per block)."""
    conn = getattr(_state, "conn", None)
    return conn if conn is not None else connections[DEFAULT_DB_ALIAS]


def db() -> BaseDatabaseWrapper:
    """The default database's connection object (the block's own inside ``together()``)."""
    return _conn()


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


# --- psycopg cursors kept per statement ------------------------------------------------------

#: per psycopg connection, the idle cursors kept for each statement's SQL: a cursor run again
#: with the same SQL keeps psycopg's adaptation of its parameters (its ``Transformer``), and
#: the hot statements skip Django's cursor wrapper (its ``execute_wrapper`` hooks, which only
#: the ORM's own statements need here; errors are still converted to Django's, and the
#: statements still logged where Django logs queries)
_idle: weakref.WeakKeyDictionary[Any, dict[str, list[Any]]] = weakref.WeakKeyDictionary()


def _take_cursor(conn: BaseDatabaseWrapper, sql: str) -> Any:
    raw = conn.connection
    kept = _idle.get(raw)
    if kept is None:
        kept = _idle[raw] = {}
    free = kept.get(sql)
    if free:
        return free.pop()
    return raw.cursor()


def _give_back(conn: BaseDatabaseWrapper, sql: str, cur: Any) -> None:
    raw = conn.connection
    kept = _idle.get(raw)
    if kept is None or cur.closed or cur.connection is not raw:
        cur.close()
        return
    free = kept.setdefault(sql, [])
    if len(free) < 4:
        free.append(cur)
    else:
        cur.close()


def _fetch(conn: BaseDatabaseWrapper, sql: str, params: Sequence[Any]) -> list[Any]:
    """Run one statement now (outside ``together()``) and return its rows: on PostgreSQL on
    a psycopg cursor kept for it (see ``_take_cursor``), elsewhere on Django's cursor."""
    if conn.vendor != "postgresql":
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    conn.validate_no_broken_transaction()
    conn.ensure_connection()
    cur = _take_cursor(conn, sql)
    try:
        _log(conn, sql, params)
        with conn.wrap_database_errors:
            cur.execute(sql, params)
            rows = cur.fetchall()
    except BaseException:
        cur.close()
        raise
    _give_back(conn, sql, cur)
    return rows


def _log(conn: BaseDatabaseWrapper, sql: str, params: Sequence[Any]) -> None:
    """Where Django logs queries (``DEBUG``, ``CaptureQueriesContext``), log this one too."""
    if conn.queries_logged:
        conn.queries_log.append({"sql": sql, "params": params, "time": "0.000"})


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
        if getattr(_state, "pipeline", None) is not None:
            return read_together((self, params))[0]
        conn = _conn()
        sql, parts = self._build(conn)
        return [self._instance(row, parts, conn) for row in _fetch(conn, sql, params)]

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
    in ONE round trip with the writes held before them (psycopg's pipeline): the server
    still runs them one after the other, each with its own snapshot, so a read placed
    after a ``FOR UPDATE`` reads the rows committed by whoever held the lock. Elsewhere
    they simply run one by one."""
    conn = _conn()
    pipeline = getattr(_state, "pipeline", None)
    if pipeline is None:
        out: list[list[Any]] = []
        for query, params in reads:
            if isinstance(query, RowQuery):
                out.append(query.all(*params))
            else:
                out.append(_fetch(conn, query, params))
        return out
    conn.validate_no_broken_transaction()
    _send_writes(conn)  # the writes held so far run first
    layouts: list[tuple[RowQuery[Any], list[tuple[Any, ...]]] | None] = []
    taken: list[tuple[str, Any]] = []
    try:
        with conn.wrap_database_errors:
            for query, params in reads:
                if isinstance(query, RowQuery):
                    sql, parts = query._build(conn)
                    layouts.append((query, parts))
                else:
                    sql = query
                    layouts.append(None)
                cur = _take_cursor(conn, sql)
                taken.append((sql, cur))
                _log(conn, sql, params)
                cur.execute(sql, params)
            pipeline.sync()
        _finish_pending()
        results: list[list[Any]] = []
        for layout, (_sql, cur) in zip(layouts, taken, strict=True):
            with conn.wrap_database_errors:
                rows = cur.fetchall()
            if layout is None:
                results.append(rows)
            else:
                results.append([layout[0]._instance(row, layout[1], conn) for row in rows])
        for sql, cur in taken:
            _give_back(conn, sql, cur)
        taken = []
        return results
    finally:
        for _sql, cur in taken:
            cur.close()


# --- values as the database takes them ---------------------------------------------------------

#: the Python type a field's values already have when the PostgreSQL backend sends them as
#: they are (Django's ``get_db_prep_save`` returns them unchanged): no conversion to call
_AS_IS: tuple[tuple[type[Field], type], ...] = (
    (IntegerField, int), (CharField, str), (TextField, str), (DateTimeField, dt.datetime),
    (DateField, dt.date),
)  # fmt: skip
_Prep = tuple[str, Field, bool, type | None]
_preps: dict[tuple[str, Field], _Prep] = {}


def _prep(field: Field, conn: BaseDatabaseWrapper) -> _Prep:
    """How to read and convert ``field``'s value: (attname, field, whether its ``pre_save``
    computes it (``auto_now``...), the type sent as it is or None)."""
    key = (conn.vendor, field)
    found = _preps.get(key)
    if found is not None:
        return found
    target = field.target_field if isinstance(field, ForeignKey) else field
    plain = None
    if conn.vendor == "postgresql":
        for kind, value_type in _AS_IS:
            if isinstance(target, kind):
                plain = value_type
                break
    computed = type(field).pre_save is not Field.pre_save and not (
        isinstance(field, DateField) and not field.auto_now and not field.auto_now_add
    )
    found = _preps[key] = (field.attname, field, computed, plain)
    return found


def _value(prep: _Prep, value: Any, conn: BaseDatabaseWrapper) -> Any:
    """``field.get_db_prep_save(value, conn)``, without the call when ``value`` is already as
    the database takes it (None, or exactly the field's plain type; an aware datetime)."""
    _attname, field, _computed, plain = prep
    given: Any = value  # not narrowed by the type test below
    if plain is not None and (
        value is None
        or (type(value) is plain and (plain is not dt.datetime or given.tzinfo is not None))
    ):
        return value
    return field.get_db_prep_save(value, conn)


def _values_of(obj: Model, preps: list[_Prep], add: bool, conn: BaseDatabaseWrapper) -> list[Any]:
    """What ``save()`` would write of ``obj``: each field's ``pre_save`` value, converted."""
    out = []
    for prep in preps:
        attname, field, computed, _plain = prep
        value = field.pre_save(obj, add) if computed else getattr(obj, attname)
        out.append(_value(prep, value, conn))
    return out


MAX_INSERT_ROWS = 16
_insert_sql: dict[tuple[str, type[Model], int, bool, bool], tuple[str, list[_Prep], str]] = {}


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
        built = _insert_sql[key] = (sql, [_prep(f, conn) for f in fields], returning)
    sql, preps, returning = built
    params: list[Any] = []
    for obj in objs:
        params += _values_of(obj, preps, True, conn)

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


def append(model: type[Model], values: dict[str, Any]) -> None:
    """Append one row nobody refers to (an audit event, a statistics fact, an outbox row)
    given as ``{attname: value}``, without building a model instance: what
    ``insert([model(**values)], keys=False)`` writes (defaults and ``auto_now_add`` for the
    fields not given), for less work on every loan and return."""
    conn = _conn()
    key = (conn.vendor, model, 1, False, False)
    built = _insert_sql.get(key)
    if built is None:
        insert([model(**values)], keys=False)
        return
    sql, preps, _returning = built
    params = []
    for prep in preps:
        attname, field, _computed, _plain = prep
        if attname in values:
            value = values[attname]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = timezone.now() if isinstance(field, DateTimeField) else dt.date.today()
        else:
            value = field.get_default()
        params.append(_value(prep, value, conn))
    _execute(_Write(model._meta.db_table, sql, params, _nothing), wait=False, conn=conn)


def _nothing(cur: Any) -> None:
    return None


_update_sql: dict[tuple[str, type[Model], tuple[str, ...]], tuple[str, list[_Prep]]] = {}


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
        built = _update_sql[key] = (sql, [_prep(f, conn) for f in targets])
    sql, preps = built
    params = _values_of(obj, preps, False, conn)

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


def _combine(writes: list[_Write]) -> tuple[str, list[Any], Callable[[Any], None]]:
    """Several writes to different tables as ONE statement (data-modifying ``WITH``): one
    statement to bind, execute and answer instead of one each. PostgreSQL runs every part
    to completion; they see the same snapshot, which is why no two parts touch one table.
    Returns the SQL, its parameters and what reads its one row from the cursor."""
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

    def finish(cur: Any) -> None:
        values = iter(cur.fetchone())
        for w in writes:
            if w.finish_output is not None:
                w.finish_output(next(values))

    return sql, params, finish


def _execute(write: _Write, *, wait: bool, conn: BaseDatabaseWrapper) -> None:
    """Run one write now, or, inside ``together()``, hold it until something must be sent:
    the writes held meanwhile go as one statement when they touch different tables."""
    writes: list[_Write] | None = getattr(_state, "writes", None)
    if writes is None:
        with conn.cursor() as cur:
            cur.execute(write.sql, write.params)
            write.finish(cur)
        return
    if any(w.table == write.table for w in writes):
        _send_writes(conn)
    writes.append(write)
    if wait:
        sync()


def _send_writes(conn: BaseDatabaseWrapper) -> None:
    """Queue the writes held in the pipeline (one statement), to be read at the next sync."""
    writes: list[_Write] = _state.writes
    if not writes:
        return
    # always in the combined form, even alone: an update's check is then part of the
    # statement (see ``update``)
    sql, params, finish = _combine(list(writes))
    writes.clear()
    cur = _take_cursor(conn, sql)
    try:
        _log(conn, sql, params)
        with conn.wrap_database_errors:
            cur.execute(sql, params)
    except BaseException:
        cur.close()
        raise
    _state.pending.append((cur, finish, sql))


def sync() -> None:
    """Inside ``together()``: send what is held and read the results (raising the first
    error, as a Django error). Elsewhere, nothing to do."""
    pipeline = getattr(_state, "pipeline", None)
    if pipeline is None:
        return
    conn = _conn()
    _send_writes(conn)
    if not _state.pending:
        return
    with conn.wrap_database_errors:
        pipeline.sync()
    _finish_pending()


def _finish_pending() -> None:
    done, _state.pending[:] = list(_state.pending), []
    conn = _conn()
    try:
        for cur, finish, _sql in done:
            finish(cur)
    except BaseException:
        for cur, _finish, _sql in done:
            cur.close()
        raise
    for cur, _finish, sql in done:
        _give_back(conn, sql, cur)


def _send_before_others(execute, sql, params, many, context):
    # an ORM statement (the hot ones skip Django's cursor, see ``_take_cursor``): it goes after the writes held, and reads its results (a row
    # count, rows) at once
    _send_writes(context["connection"])
    result = execute(sql, params, many, context)
    with context["connection"].wrap_database_errors:
        _state.pipeline.sync()
    _finish_pending()
    return result


@contextmanager
def together() -> Iterator[None]:
    """Statements made inside go to PostgreSQL together, through psycopg's pipeline (its
    public API: ``Connection.pipeline()``): ``insert`` and ``update`` are held until
    something must be sent, then go as ONE statement when they touch different tables (a
    data-modifying ``WITH``), in the same round trip as what is sent next
    (``read_together``'s reads, or the end of the block). Any other statement (ORM reads
    and writes, ``RowQuery.all``) is sent at once after what is held, so statements run in
    the order written and every result is as without ``together()``. Keys of held inserts
    are set, and their errors (constraints) raised as Django errors, at the next such
    statement, at ``sync()`` or on leaving. Use inside Django's transaction (its BEGIN and
    COMMIT are its own). On other backends (SQLite, no round trips), statements simply run
    one by one. Prepared statements and server-side binding are psycopg's, as the
    connection's options ask (``NAVETTE_DB_PREPARED``)."""
    conn = _conn()
    if conn.vendor != "postgresql" or getattr(_state, "pending", None) is not None:
        yield
        return
    conn.ensure_connection()
    raw = conn.connection
    _state.pending = []
    _state.conn = conn
    _state.writes = []
    try:
        with (
            conn.execute_wrapper(_send_before_others),
            conn.wrap_database_errors,
            raw.pipeline() as pipeline,
        ):
            _state.pipeline = pipeline
            yield
            if not conn.needs_rollback:  # else nothing more is sent: it is all rolled back
                _send_writes(conn)
        _finish_pending()  # leaving the pipeline sent everything: read the last results
    finally:
        for cur, _finish, _sql in _state.pending:
            cur.close()
        _state.pending = None
        _state.conn = None
        _state.writes = None
        _state.pipeline = None


@contextmanager
def atomic_together() -> Iterator[None]:
    """``transaction.atomic()`` with ``together()`` as its whole body: a service's
    transaction with its reads and writes in as few round trips as they allow. Nested in
    another atomic block, a savepoint with ``together()``."""
    with transaction.atomic(), together():
        yield
