"""SQL backends: connections to DuckDB, PostgreSQL and Spark SQL, as one small interface.

A `Store` runs sqlglot expressions rendered for its dialect and offers the few
table operations the fixpoint needs: create, replace the contents, append,
insert rows (as driver parameters), fetch. DuckDB and
PostgreSQL change tables in place; Spark SQL has no INSERT into a temporary
view, so its tables are views over checkpointed DataFrames, replaced whole.
Driver errors become `SyllogError`s: E901 for a number out of range, E904
for anything else the database reports.
"""

from __future__ import annotations

import copy
import os
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from functools import reduce
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlglot import exp

from ..errors import NO_SPAN, Span, SyllogError, error
from ..optional import SPARK_EXTRA, SQL_EXTRA, MissingDependency, as_diagnostic
from .encoding import exact_arith, exact_split, exact_text
from .sqlgen import Dialect

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

Column = tuple[str, exp.DataType]
IN_USE_AT = Span("<database>", 1, 1, 1, 1)  # where an error of the database as a whole is told
BATCH = 10_000  # rows fetched at a time when a query's rows are streamed

_OVERFLOW = ("overflow", "out of range", "numeric_value_out_of_range", "arithmetic_overflow",
             "cannot be represented", "numeric field overflow")


def _db_error(exc: Exception) -> SyllogError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if any(word in str(exc).lower() for word in _OVERFLOW):
        return SyllogError([error("E901", f"a number went out of the SQL backend's range: {text}", NO_SPAN,
                                  "integers there have 64 bits, numbers 38 digits; the in-memory engine computes "
                                  "with integers of any size: evaluate this program there (without --backend)")])
    return SyllogError([error("E904", f"the database reported an error: {text}", NO_SPAN)])


def _guarded(fn: Any) -> Any:
    """`fn()`, a driver's error made a `SyllogError` (as `_db_error`)."""
    try:
        return fn()
    except SyllogError:
        raise
    except Exception as exc:  # the drivers' own error classes
        raise _db_error(exc) from None


class Store:
    """Tables of one evaluation in one database.

    What a backend can do is said by these class flags, which the evaluator
    reads (a new backend is one class that sets them):
    """

    # the aggregates it compiles (engine.aggregates names)
    aggregates: frozenset[str] = frozenset({"count", "sum", "min", "max"})
    # a round of a one-predicate stratum as one INSERT whose delta is read back (DuckDB)
    one_statement_rounds = False
    # references to the recursive CTE its recursive term may hold (0: no recursive CTE)
    recursive_cte_references = 0
    # whether a recursive CTE may be read inside a subquery (an existence test) of its recursive term
    recursive_cte_in_subquery = False
    # reads a CSV `.input` itself (DuckDB's read_csv, PostgreSQL's COPY FROM STDIN), instead of rows sent from Python
    reads_csv = False
    # reads a file named by a URL (`hdfs://...`, `s3a://...`) itself, where the Python reader cannot
    reads_urls = False
    # characters whose presence in a field of a local csv file leave the file to the Python reader
    csv_unsure = ""
    # a long statement can be interrupted at a deadline
    interruptible = False
    # plans by statistics that must be refreshed as tables grow (ANALYZE between rounds)
    statistics = False
    # a recursive relation is indexed on its key columns after its base round (for the rounds' anti-joins)
    index_relations = False

    def __init__(self, dialect: Dialect, schema: str | None) -> None:
        self.d = dialect
        self.schema = schema
        self.catalog: str | None = None
        self.log: list[str] | None = None
        self.statements = 0
        self.seconds = 0.0

    # -- naming -----------------------------------------------------------------
    def table(self, name: str) -> exp.Table:
        if self.schema:
            catalog = exp.to_identifier(self.catalog, quoted=True) if self.catalog else None
            return exp.Table(this=exp.to_identifier(name, quoted=True), db=exp.to_identifier(self.schema, quoted=True),
                             catalog=catalog)
        return exp.Table(this=exp.to_identifier(name, quoted=True))

    def render(self, e: exp.Expr) -> str:
        return self.d.sql(e)

    def in_schema(self, schema: str) -> Store:
        """The same connection, naming its tables in another schema (for work beside an evaluation's tables)."""
        other = copy.copy(self)
        other.schema = schema
        other.d = copy.copy(self.d)  # its own: PostgreSQL's exact functions are created in the schema (`prepare`)
        return other

    def drop_schema(self) -> None:
        """Drop this store's schema and every table in it."""
        if self.schema:
            name: exp.Expr = exp.to_identifier(self.schema, quoted=True)
            if self.catalog:
                name = exp.Dot(this=exp.to_identifier(self.catalog, quoted=True), expression=name)
            self.run(exp.Drop(this=name, kind="SCHEMA", exists=True, cascade=True))

    def interrupt(self) -> None:
        """Cancel the statement running now (for stores that are `interruptible`)."""
        raise NotImplementedError

    # -- primitives every store implements ------------------------------------------
    def _run(self, sql: str, params: Sequence[Any] | None = None) -> int:
        raise NotImplementedError

    def _fetch(self, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def run(self, e: exp.Expr | str, params: Sequence[Any] | None = None) -> int:
        sql = e if isinstance(e, str) else self.render(e)
        if self.log is not None:
            self.log.append(sql)
        start = time.perf_counter()
        try:
            return self._run(sql, params)
        except SyllogError:
            raise
        except Exception as exc:  # the drivers' own error classes
            raise _db_error(exc) from None
        finally:
            self.statements += 1
            self.seconds += time.perf_counter() - start

    def _logged(self, e: exp.Expr | str) -> str:
        """A statement's SQL, put in the log (when logging), counted."""
        sql = e if isinstance(e, str) else self.render(e)
        if self.log is not None:
            self.log.append(sql)
        self.statements += 1
        return sql

    def fetch(self, e: exp.Expr | str) -> list[tuple[Any, ...]]:
        sql = e if isinstance(e, str) else self.render(e)
        if self.log is not None:
            self.log.append(sql)
        try:
            return self._fetch(sql)
        except SyllogError:
            raise
        except Exception as exc:
            raise _db_error(exc) from None
        finally:
            self.statements += 1

    def stream(self, e: exp.Expr | str, batch: int = BATCH) -> Iterator[tuple[Any, ...]]:
        """The rows of a query, fetched `batch` at a time (the base class: all at once)."""
        yield from self.fetch(e)

    def close(self) -> None:
        pass

    # -- table operations ----------------------------------------------------------
    def prepare(self) -> None:
        if self.schema:
            name: exp.Expr = exp.to_identifier(self.schema, quoted=True)
            if self.catalog:
                name = exp.Dot(this=exp.to_identifier(self.catalog, quoted=True), expression=name)
            self.run(exp.Create(this=name, kind="SCHEMA", exists=True))

    def column_def(self, name: str, t: exp.DataType) -> exp.ColumnDef:
        return exp.ColumnDef(this=exp.to_identifier(name), kind=t.copy())

    def create(self, name: str, columns: list[Column]) -> None:
        self.run(exp.Drop(tables=[self.table(name)], kind="TABLE", exists=True))
        cols = [self.column_def(c, t) for c, t in columns]
        self.run(exp.Create(this=exp.Schema(this=self.table(name), expressions=cols), kind="TABLE",
                            properties=self.table_properties()))

    def table_properties(self) -> exp.Properties | None:
        return None

    def replace(self, name: str, select: exp.Select | str) -> int:
        """Make the table hold exactly the rows of `select` (or its rendered SQL); returns their number."""
        self.run(exp.delete(self.table(name)))
        return self.append(name, select)

    def append(self, name: str, select: exp.Select | str) -> int:
        if isinstance(select, str):
            # a SELECT rendered earlier by sqlglot and kept, so that each round does not render it again
            return self.run(f"INSERT INTO {self.render(self.table(name))} {select}")
        return self.run(exp.insert(select, self.table(name)))

    def append_round(self, name: str, select: str, round_no: int) -> int:
        """Append a rendered SELECT whose one placeholder is the round number."""
        return self.run(f"INSERT INTO {self.render(self.table(name))} {select}", [round_no])

    def insert_rows(self, name: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        stmt = exp.insert(exp.values([tuple(exp.Placeholder() for _ in columns)]), self.table(name),
                          columns=[exp.to_identifier(c) for c in columns])
        sql = self.render(stmt)
        if self.log is not None:
            self.log.append(sql)
        try:
            self._many(sql, rows)
        except Exception as exc:
            raise _db_error(exc) from None

    def _many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def read_csv(self, name: str, path: str, delimiter: str, header: bool, columns: list[str]) -> None:
        """The table `name` of text columns `columns`: the fields of a csv file, read by the database (for stores
        that `reads_csv`); a SyllogError if it cannot read the file as it is."""
        raise NotImplementedError

    def analyze(self, name: str) -> None:
        pass

    def index(self, name: str, columns: list[str]) -> None:
        """An index of the table on `columns` (stores that `index_relations`)."""
        index = exp.to_identifier(f"{name}_keys", quoted=True)
        cols = ", ".join(self.render(exp.to_identifier(c, quoted=True)) for c in columns)
        self.run(f"CREATE INDEX IF NOT EXISTS {self.render(index)} ON {self.render(self.table(name))} ({cols})")

    def drop(self, name: str) -> None:
        self.run(exp.Drop(tables=[self.table(name)], kind="TABLE", exists=True))

    # -- the kept model (engine.backends.catalog) ---------------------------------------------
    def has_table(self, name: str) -> bool:
        """Whether this store's schema holds a table `name`."""
        if not self.schema:
            return False
        cond = [exp.EQ(this=exp.column("table_schema"), expression=exp.Literal.string(self.schema)),
                exp.EQ(this=exp.column("table_name"), expression=exp.Literal.string(name))]
        if self.catalog:
            cond.append(exp.EQ(this=exp.column("table_catalog"), expression=exp.Literal.string(self.catalog)))
        q = exp.select(exp.Count(this=exp.Star())).from_(exp.table_("tables", db="information_schema")) \
            .where(exp.and_(*cond))
        return bool(self.fetch(q)[0][0])

    def try_lock(self, shared: bool) -> bool:
        """Take this schema's lock for the session (shared: to read a kept model; else to evaluate); False when
        another session holds it. Without a lock of its own (DuckDB's is the file's, taken on opening): True."""
        return True

    def unlock(self) -> None:
        """Give up this session's locks of `try_lock`."""

    def attach(self) -> None:
        """Use the tables an earlier evaluation left in the schema (without `prepare`, which writes)."""


def _missing(module: str, backend: str, install: str) -> SyllogError:
    """E903 for a database driver that is not installed, saying how to install it."""
    return as_diagnostic(MissingDependency(module, backend, install), "E903")


class DuckDBStore(Store):
    """DuckDB, embedded: a file or in memory; a memory limit and a spill directory."""

    one_statement_rounds = True
    recursive_cte_references = 1_000
    recursive_cte_in_subquery = True
    reads_csv = True
    interruptible = True

    def __init__(self, database: str | None, memory_limit: str | None, temp_directory: str | None,
                 threads: int | None, schema: str | None, wait: float = 0.0) -> None:
        try:
            import duckdb
        except ImportError:
            raise _missing("duckdb", "the `duckdb` backend", SQL_EXTRA) from None
        super().__init__(Dialect("duckdb"), schema)
        self.memory_limit = memory_limit
        self.con = connect_duckdb(duckdb, database, wait)
        settings: list[tuple[str, exp.Expr]] = []
        if memory_limit is not None:
            settings.append(("memory_limit", exp.Literal.string(memory_limit)))
        if temp_directory is not None:
            settings.append(("temp_directory", exp.Literal.string(temp_directory)))
        if threads is not None:
            settings.append(("threads", exp.Literal.number(int(threads))))
        # a file's catalog is named after the file: qualify tables with it (a file `syllog.duckdb`
        # would make the schema name `syllog` ambiguous)
        self.catalog = str(self.con.execute("SELECT current_database()").fetchone()[0])  # type: ignore[index]
        # big deltas are joined with bigger relations: keep the order the plan chose
        settings.append(("preserve_insertion_order", exp.false()))
        for key, value in settings:
            self.run(exp.Set(expressions=[exp.SetItem(this=exp.EQ(this=exp.column(key), expression=value))]))
        self._exact_functions(duckdb)

    def _exact_functions(self, duckdb: Any) -> None:
        """The exact domain of Dialect.exact_of: Python functions over the text of a number
        (engine.backends.encoding's exact_text, exact_arith and exact_split)."""
        from duckdb.func import DEFAULT, SPECIAL
        from duckdb.sqltypes import BOOLEAN, HUGEINT, VARCHAR

        def part(k: int) -> Any:
            return lambda text: exact_split(text)[k]

        functions: list[tuple[str, Any, list[Any], Any]] = [
            ("syllog_text", exact_text, [HUGEINT, BOOLEAN, HUGEINT], VARCHAR),
            ("syllog_arith", exact_arith, [VARCHAR, VARCHAR, VARCHAR], VARCHAR),
            ("syllog_n", part(0), [VARCHAR], HUGEINT), ("syllog_x", part(1), [VARCHAR], HUGEINT),
            ("syllog_d", part(2), [VARCHAR], BOOLEAN), ("syllog_fit", part(3), [VARCHAR], VARCHAR)]
        for name, fn, args, ret in functions:
            # syllog_arith may give NULL (a division by zero), so it is called on NULLs too; the others
            # give NULL for NULL without calling Python
            null = SPECIAL if name == "syllog_arith" else DEFAULT
            try:
                self.con.create_function(name, fn, args, ret, null_handling=null, side_effects=False)
            except duckdb.CatalogException:
                pass  # the file is open already in this process (one DuckDB instance): its functions are there

    def _run(self, sql: str, params: Sequence[Any] | None = None) -> int:
        res = self.con.execute(sql, params) if params is not None else self.con.execute(sql)
        row = res.fetchone()
        return int(row[0]) if row and isinstance(row[0], int) else 0

    def _fetch(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def insert_rows(self, name: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        """One statement, a list parameter per column (`SELECT UNNEST(?), ...`): DuckDB's executemany
        runs a statement a row (about 1.5 ms each)."""
        if not rows:
            return
        select = exp.select(*[exp.Unnest(expressions=[exp.Placeholder()]) for _ in columns])
        stmt = exp.insert(select, self.table(name), columns=[exp.to_identifier(c) for c in columns])
        self.run(stmt, [list(col) for col in zip(*rows)])

    def stream(self, e: exp.Expr | str, batch: int = BATCH) -> Iterator[tuple[Any, ...]]:
        """The rows of a query, `batch` at a time, on a cursor of their own (statements may run meanwhile)."""
        sql = self._logged(e)
        cur = self.con.cursor()
        try:
            res = _guarded(lambda: cur.execute(sql))
            while rows := _guarded(lambda: res.fetchmany(batch)):
                yield from rows
        finally:
            cur.close()

    def copy_to(self, select: str, name: str) -> None:
        """Write the one text column of `select`, a line a row, as it is, to the file `name` (DuckDB's COPY)."""
        target = exp.Literal.string(name).sql(dialect="duckdb")
        self.run(f"COPY ({select}) TO {target} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', USE_TMP_FILE false)")

    def read_csv(self, name: str, path: str, delimiter: str, header: bool, columns: list[str]) -> None:
        """read_csv with nothing guessed: the given delimiter, header and columns, every field text."""
        args: list[exp.Expr] = [
            exp.EQ(this=exp.column("delim"), expression=exp.Literal.string(delimiter)),
            exp.EQ(this=exp.column("header"), expression=exp.Boolean(this=header)),
            exp.EQ(this=exp.column("quote"), expression=exp.Literal.string('"')),
            exp.EQ(this=exp.column("escape"), expression=exp.Literal.string('"')),
            exp.EQ(this=exp.column("auto_detect"), expression=exp.false()),
            exp.EQ(this=exp.column("nullstr"), expression=exp.Literal.string("\x00")),
            exp.EQ(this=exp.column("columns"), expression=exp.Struct(expressions=[
                exp.PropertyEQ(this=exp.to_identifier(r), expression=exp.Literal.string("VARCHAR")) for r in columns])),
        ]
        source = exp.Table(this=exp.ReadCSV(this=exp.Literal.string(path), expressions=args))
        self.run(exp.Drop(tables=[self.table(name)], kind="TABLE", exists=True))
        self.run(exp.Create(this=self.table(name), kind="TABLE", expression=exp.select("*").from_(source)))

    def read_parquet(self, name: str, path: str, fields: list[str], columns: list[str]) -> None:
        """The table `name` of text columns `columns`: the Parquet file's `fields`, in order, as text (read by
        DuckDB's read_parquet; the caller has checked that they are text or integers)."""
        cols = [exp.Cast(this=exp.column(exp.to_identifier(f, quoted=True)), to=exp.DataType.build("VARCHAR")).as_(c)
                for f, c in zip(fields, columns)]
        source = exp.Table(this=exp.Anonymous(this="read_parquet", expressions=[exp.Literal.string(path)]))
        self.run(exp.Drop(tables=[self.table(name)], kind="TABLE", exists=True))
        self.run(exp.Create(this=self.table(name), kind="TABLE", expression=exp.select(*cols).from_(source)))

    def interrupt(self) -> None:
        """Stop the statement running (from another thread); it fails with an error."""
        self.con.interrupt()

    def close(self) -> None:
        self.con.close()


def in_use(database: str, waited: float, help: str = "") -> SyllogError:
    """E907: the database is being evaluated (or used) by another run."""
    after = f" after waiting {waited:g} s" if waited else ""
    return SyllogError([error("E907", f"the database `{database}` is in use by another run{after}", IN_USE_AT,
                              help or "wait for the other run to finish, or give --wait SECONDS to wait longer")])


def connect_duckdb(duckdb: Any, database: str | None, wait: float) -> DuckDBPyConnection:
    """A connection to a DuckDB file (or in memory). A file another process has open is locked by DuckDB: tried
    again for up to `wait` seconds, then E907 naming that process; any other failure to open is E903."""
    start = time.monotonic()
    while True:
        try:
            con: DuckDBPyConnection = duckdb.connect(database or ":memory:")
            return con
        except duckdb.Error as exc:
            text = str(exc)
            if "Could not set lock" not in text:
                raise SyllogError([error("E903", f"cannot open the DuckDB database `{database}`: {exc}",
                                         NO_SPAN)]) from None
            waited = time.monotonic() - start
            if waited >= wait:
                held = text[text.find("(PID"):text.find(")", text.find("(PID")) + 1] if "(PID" in text else ""
                help = (f"DuckDB lets one process open a database file at a time; the other process {held}"
                        " must finish first (or give --wait SECONDS to wait for it)").replace("  ", " ")
                raise in_use(str(database), round(waited, 1) if wait else 0, help) from None
            time.sleep(0.2)


# The exact domain of Dialect.exact_of on PostgreSQL: a NUMERIC holding the number exactly, its scale 0 for
# an integer and at least 1 for a decimal; arithmetic as the in-memory engine computes it (engine.values:
# Python's decimal with 34 significant digits, rounding half to even), in PL/pgSQL: PostgreSQL cannot call
# Python. tests/test_backends.py compares them with engine.values on random operands.
_EXACT_SQL = [
    """CREATE OR REPLACE FUNCTION {schema}syllog_round34(v numeric) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT AS $f$
DECLARE s integer; m numeric; k integer; p numeric; q numeric; r numeric;
BEGIN
  IF v = 0 THEN RETURN 0; END IF;
  s := min_scale(v);
  m := trunc(abs(v) * ('1e' || s)::numeric);
  k := length(m::text) - 34;
  IF k <= 0 THEN RETURN v; END IF;
  p := ('1e' || k)::numeric;
  q := div(m, p);
  r := m - q * p;
  IF r > p / 2 OR (r = p / 2 AND mod(q, 2) = 1) THEN q := q + 1; END IF;
  RETURN sign(v) * q * ('1e' || (k - s))::numeric;
END $f$""",
    """CREATE OR REPLACE FUNCTION {schema}syllog_quotient(a numeric, b numeric) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT AS $f$
DECLARE sa integer; sb integer; ai numeric; bi numeric; m integer; n numeric; q numeric; rest numeric;
        k integer; p numeric; qq numeric; r numeric;
BEGIN
  IF a = 0 THEN RETURN 0; END IF;
  sa := min_scale(a);
  sb := min_scale(b);
  ai := trunc(abs(a) * ('1e' || sa)::numeric);
  bi := trunc(abs(b) * ('1e' || sb)::numeric);
  -- at least 36 digits of the quotient, and what is left (to round a tie the right way)
  m := greatest(0, 36 + length(bi::text) - length(ai::text));
  n := ai * ('1e' || m)::numeric;
  q := div(n, bi);
  rest := n - q * bi;
  k := length(q::text) - 34;
  p := ('1e' || k)::numeric;
  qq := div(q, p);
  r := q - qq * p;
  IF r > p / 2 OR (r = p / 2 AND (rest <> 0 OR mod(qq, 2) = 1)) THEN qq := qq + 1; END IF;
  RETURN sign(a) * sign(b) * qq * ('1e' || (k - m + sb - sa))::numeric;
END $f$""",
    """CREATE OR REPLACE FUNCTION {schema}syllog_arith(op text, a numeric, b numeric) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT AS $f$
DECLARE r numeric;
BEGIN
  IF op = '/' THEN
    IF b = 0 THEN RETURN NULL; END IF;  -- undefined: its rows are dropped
    IF scale(a) = 0 AND scale(b) = 0 AND mod(a, b) = 0 THEN RETURN div(a, b); END IF;
    r := {schema}syllog_quotient(a, b);
  ELSE
    r := CASE op WHEN '+' THEN a + b WHEN '-' THEN a - b ELSE a * b END;
    IF scale(a) = 0 AND scale(b) = 0 THEN RETURN r; END IF;
    r := {schema}syllog_round34(r);
  END IF;
  IF scale(r) = 0 THEN r := round(r, 1); END IF;  -- a decimal, not an integer
  RETURN r;
END $f$""",
    """CREATE OR REPLACE FUNCTION {schema}syllog_num(n numeric, d boolean, x numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $f$
SELECT CASE WHEN d THEN (n * 1e28 + x) * 1e-38 ELSE div(n, 10000000000) END $f$""",
    """CREATE OR REPLACE FUNCTION {schema}syllog_n(v numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $f$
SELECT trunc(v * 10000000000) $f$""",
    """CREATE OR REPLACE FUNCTION {schema}syllog_x(v numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $f$
SELECT trunc((v * 10000000000 - trunc(v * 10000000000)) * 1e28) $f$""",
    """CREATE OR REPLACE FUNCTION {schema}syllog_d(v numeric) RETURNS boolean LANGUAGE sql IMMUTABLE AS $f$
SELECT scale(v) > 0 $f$""",
    """CREATE OR REPLACE FUNCTION {schema}syllog_fit(v numeric) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
SELECT CASE WHEN abs(v) >= 1e24 THEN 'E901' WHEN v * 1e38 <> trunc(v * 1e38) THEN 'E902' ELSE '' END $f$""",
]


# libpq's TCP keepalives (a client on another machine that vanishes is noticed in about a minute), and a name
# that pg_stat_activity shows
CLIENT_SETTINGS: dict[str, Any] = {"application_name": "syllog", "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
                   "keepalives_count": 3}
LOCK_CLASS = 0x5359  # the first key of syllog's advisory locks ("SY")
class _NotPlain(Exception):
    """A csv block PostgreSQL's COPY would read otherwise than Python's csv module."""


NULL_TEXT = "\\N"  # what COPY FROM reads as NULL (a field PostgreSQL and Python read alike is never NULL)
# COPY TO's text format escapes a backslash, the delimiter (a tab) and these control characters
_TEXT_ESCAPE = re.compile(rb"\\(.)", re.DOTALL)
_UNESCAPED = {b"b": b"\x08", b"f": b"\x0c", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\x0b"}


def _unescape(m: re.Match[bytes]) -> bytes:
    return _UNESCAPED.get(m.group(1), m.group(1))


class PostgresStore(Store):
    """PostgreSQL through psycopg: unlogged tables, text in the "C" collation (code point order)."""

    recursive_cte_references = 1
    interruptible = True
    reads_csv = True
    statistics = True
    index_relations = True

    def __init__(self, database: str | None, schema: str | None, memory_limit: str | None) -> None:
        try:
            import psycopg
        except ImportError:
            raise _missing("psycopg", "the `postgres` backend", SQL_EXTRA) from None
        super().__init__(Dialect("postgres"), schema)
        self.work_mem = memory_limit  # not `memory_limit`: the rounds' partitioned deduplication is DuckDB's
        try:
            self.con = psycopg.connect(database or "", autocommit=True, **CLIENT_SETTINGS)
        except psycopg.Error as exc:
            raise SyllogError([error("E903", f"cannot connect to PostgreSQL: {str(exc).strip()}", NO_SPAN)]) from None
        if memory_limit is not None:
            self.run(exp.Set(expressions=[exp.SetItem(this=exp.EQ(this=exp.column("work_mem"),
                                                                  expression=exp.Literal.string(memory_limit)))]))
        self.watch_client()

    def prepare(self) -> None:
        super().prepare()
        self.d.functions = self.schema
        schema = f'"{self.schema}".' if self.schema else ""
        for text in _EXACT_SQL:
            self.run(text.replace("{schema}", schema))

    def column_def(self, name: str, t: exp.DataType) -> exp.ColumnDef:
        if t.is_type("text"):
            collate = exp.ColumnConstraint(kind=exp.CollateColumnConstraint(this=exp.to_identifier("C", quoted=True)))
            return exp.ColumnDef(this=exp.to_identifier(name), kind=t.copy(), constraints=[collate])
        return super().column_def(name, t)

    def table_properties(self) -> exp.Properties | None:
        return exp.Properties(expressions=[exp.UnloggedProperty()])

    def _run(self, sql: str, params: Sequence[Any] | None = None) -> int:
        with self.con.cursor() as cur:
            cur.execute(sql, params)
            return max(cur.rowcount, 0)

    def _fetch(self, sql: str) -> list[tuple[Any, ...]]:
        with self.con.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())

    def _many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        with self.con.cursor() as cur:
            cur.executemany(sql, rows)

    def insert_rows(self, name: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        """All the rows in one COPY FROM STDIN (executemany sends a statement a row)."""
        if not rows:
            return
        sql = self._copy_in_sql(name, columns, "")

        def copy() -> None:
            with self.con.cursor() as cur, cur.copy(sql) as cp:
                for row in rows:
                    cp.write_row(row)

        _guarded(copy)

    def _copy_in_sql(self, name: str, columns: list[str], options: str) -> str:
        cols = ", ".join(exp.to_identifier(c, quoted=True).sql(dialect="postgres") for c in columns)
        return self._logged(f"COPY {self.render(self.table(name))} ({cols}) FROM STDIN{options}")

    def copy_csv_in(self, name: str, columns: list[str], blocks: Iterator[bytes], delimiter: str,
                    header: bool) -> bool:
        """Load csv text, sent block by block, into a table of text columns (COPY FROM STDIN); False, with
        nothing loaded, when a block holds what PostgreSQL would read otherwise than Python's csv module
        does (a quote, or `\\.`), which the caller then reads itself."""
        lit = exp.Literal.string
        options = (f" (FORMAT csv, DELIMITER {lit(delimiter).sql(dialect='postgres')}, HEADER {str(header).lower()}, "
                   f"NULL {lit(NULL_TEXT).sql(dialect='postgres')})")
        sql = self._copy_in_sql(name, columns, options)

        def copy() -> bool:
            with self.con.cursor() as cur:
                try:
                    with cur.copy(sql) as cp:
                        for block in blocks:
                            if b'"' in block or b"\\." in block:
                                raise _NotPlain
                            cp.write(block)
                except _NotPlain:
                    return False
            return True

        return bool(_guarded(copy))

    def stream(self, e: exp.Expr | str, batch: int = BATCH) -> Iterator[tuple[Any, ...]]:
        """The rows of a query, `batch` at a time, from a server-side cursor (in a transaction of its own)."""
        sql = self._logged(e)
        with self.con.transaction(), self.con.cursor(name=f"syllog_{id(sql):x}") as cur:
            _guarded(lambda: cur.execute(sql))
            while rows := _guarded(lambda: cur.fetchmany(batch)):
                yield from rows

    def copy_to(self, select: str, out: BinaryIO) -> None:
        """Write the one text column of `select`, a line a row, as it is, to `out` (COPY TO STDOUT, streamed)."""
        sql = self._logged(f"COPY ({select}) TO STDOUT")

        def copy() -> None:
            carry = b""
            with self.con.cursor() as cur, cur.copy(sql) as cp:
                for chunk in cp:
                    data = carry + bytes(chunk)
                    odd = (len(data) - len(data.rstrip(b"\\"))) % 2  # an escape cut in two: finish it next time
                    carry, data = (data[-1:], data[:-1]) if odd else (b"", data)
                    out.write(_TEXT_ESCAPE.sub(_unescape, data))

        _guarded(copy)

    def analyze(self, name: str) -> None:
        self.run(exp.Analyze(tables=[self.table(name)]))

    def replace(self, name: str, select: exp.Select | str) -> int:
        """TRUNCATE, then INSERT: a DELETE would leave the old rows dead in the table, round after round."""
        self.run(f"TRUNCATE {self.render(self.table(name))}")
        return self.append(name, select)

    def interrupt(self) -> None:
        """Cancel the statement running (from another thread); it fails with an error."""
        self.con.cancel_safe()

    def watch_client(self) -> None:
        """Have the server end this session's statement when this client is gone: it checks the connection
        every second while a statement runs (`client_connection_check_interval`, PostgreSQL 14 and later; older
        servers find out when they next write to the client)."""
        if int(self.con.info.server_version) >= 140000:
            self.run("SET client_connection_check_interval = '1s'")
        for key, value in (("tcp_keepalives_idle", 30), ("tcp_keepalives_interval", 10), ("tcp_keepalives_count", 3)):
            self.run(f"SET {key} = {value}")  # the server's side of a TCP connection (ignored on a Unix socket)

    def try_lock(self, shared: bool) -> bool:
        """A session-level advisory lock on (syllog, hash of the schema's name): shared or exclusive."""
        fn = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
        key = exp.Anonymous(this="hashtext", expressions=[exp.Literal.string(self.schema or "")])
        got = self.fetch(exp.select(exp.Anonymous(this=fn, expressions=[exp.Literal.number(LOCK_CLASS), key])))
        return bool(got[0][0])

    def unlock(self) -> None:
        if not self.con.closed:
            self.run("SELECT pg_advisory_unlock_all()")

    def attach(self) -> None:
        self.d.functions = self.schema

    def close(self) -> None:
        self.con.close()


# Settings of a Spark session that syllog starts, where Spark's own configuration (spark-defaults.conf,
# `--conf` in PYSPARK_SUBMIT_ARGS) sets none: no web UI (the commands own the terminal), few shuffle
# partitions (a round's delta is small), no adaptive execution (it runs every stage of a round's query as
# a job of its own; the joins are broadcast by the tables' known sizes instead)
SPARK_DEFAULTS = {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4",
                  "spark.sql.adaptive.enabled": "false"}
# a table of at most this many rows is broadcast to the joins that read it (its size is known: no statistics)
BROADCAST_ROWS = 100_000
# a relation appended to this many times is checkpointed whole: its plan, a union of the pieces, stays short
COMPACT_PIECES = 16


def spark_master(given: str | None, environ: Mapping[str, str]) -> str | None:
    """The master URL a session is started on: `given` (`--spark-master`), else $SPARK_MASTER.

    None leaves it to Spark's own configuration: `spark.master` in
    spark-defaults.conf (in $SPARK_CONF_DIR), $MASTER, `--master` in
    $PYSPARK_SUBMIT_ARGS; `local[*]` when none says.

    >>> spark_master(None, {"SPARK_MASTER": "spark://h:7077"}), spark_master("local[2]", {}), spark_master(None, {})
    ('spark://h:7077', 'local[2]', None)
    """
    return given or environ.get("SPARK_MASTER") or None


def spark_session(master: str | None, shuffle_partitions: int | None = None,
                  settings: Mapping[str, str] | None = None) -> Any:
    """The active Spark session, or a new one on `master` (None: Spark's configured master, see `spark_master`).

    The JVM is started first, so that Spark's configuration is read as spark-submit reads it; SPARK_DEFAULTS
    fill what it leaves unset, and `settings` are set over it. ANSI mode is always on (an overflow is an error,
    not a wrapped number).
    """
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    try:
        gateway = launch_gateway()  # type: ignore[no-untyped-call]
    except Exception as exc:
        raise _spark_error("cannot start Spark's JVM", exc) from None
    conf = SparkConf(_jvm=gateway.jvm)
    if master:
        conf.setMaster(master)
    for key, value in SPARK_DEFAULTS.items():
        if not conf.contains(key):
            conf.set(key, value)
    if conf.get("spark.app.name") == "pyspark-shell":  # PySpark's name when none is configured
        conf.setAppName("syllog")
    conf.set("spark.ui.showConsoleProgress", "false")  # PySpark turns it on; it would write over the commands' output
    if shuffle_partitions is not None:
        conf.set("spark.sql.shuffle.partitions", str(shuffle_partitions))
    for key, value in (settings or {}).items():
        conf.set(key, value)
    conf.set("spark.sql.ansi.enabled", "true")
    try:
        return SparkSession(SparkContext(conf=conf, gateway=gateway))
    except Exception as exc:
        raise _spark_error(f"cannot start Spark on `{conf.get('spark.master')}`", exc) from None


def _spark_error(what: str, exc: Exception) -> SyllogError:
    """E903 for a session that cannot start, quoting Spark's reason (the line naming its exception)."""
    lines = [line.strip(" :") for line in str(exc).splitlines() if line.strip(" :")]
    reason = next((line for line in lines if re.search(r"(Exception|Error): ", line)), lines[0] if lines else
                  type(exc).__name__)
    return SyllogError([error("E903", f"{what}: {reason}", NO_SPAN,
                              "Spark needs Java 17 or later (`java -version`) and a master URL it knows "
                              "(--spark-master, $SPARK_MASTER, spark.master in spark-defaults.conf)")])


class SparkStore(Store):
    """Spark SQL: every table is a temporary view over DataFrames checkpointed on the executors.

    A table is a list of pieces, each a checkpointed DataFrame, whose number of
    rows is known, so no job counts them again. A round's new tuples are one
    job: its SELECT is checkpointed (lazily) and counted in the same job. The
    relation they are appended to becomes the union of its pieces, without a
    job, until it has COMPACT_PIECES of them: it is then checkpointed whole,
    which cuts its plan short. A table of at most BROADCAST_ROWS rows is
    broadcast to the joins that read it (its view carries the hint). `.input`
    csv/tsv files are read by Spark itself (`spark.read.csv`), from any path
    its cluster can read (`hdfs://`, `s3a://`, a local file on every worker).
    """

    reads_csv = True
    reads_urls = True
    # characters in a field that leave a local file to the Python reader (a quote: the csv module's strict
    # reading; a line break or a byte order mark: the readers may split or keep them differently)
    csv_unsure = '"\r\n\ufeff'

    def __init__(self, session: Any | None, shuffle_partitions: int | None = None,
                 master: str | None = None) -> None:
        try:
            import pyspark  # noqa: F401
        except ImportError:
            raise _missing("pyspark", "the `spark` backend", SPARK_EXTRA) from None
        super().__init__(Dialect("spark"), None)
        if session is None:
            session = spark_session(spark_master(master, os.environ), shuffle_partitions)
        self.spark = session
        self.spark.sparkContext.setLogLevel("ERROR")
        self.spark.conf.set("spark.sql.ansi.enabled", "true")
        self.schemas: dict[str, list[Column]] = {}
        self.counts: dict[str, int] = {}
        self.pieces: dict[str, list[Any]] = {}  # per table: its checkpointed DataFrames

    def _df(self, sql: str) -> Any:
        return self.spark.sql(sql)

    def _run(self, sql: str, params: Sequence[Any] | None = None) -> int:
        self.spark.sql(sql).collect()
        return 0

    def _fetch(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.spark.sql(sql).collect()]

    def _union(self, name: str) -> Any:
        pieces = self.pieces[name]
        return reduce(lambda a, b: a.unionByName(b), pieces[1:], pieces[0])

    def _show(self, name: str) -> None:
        """Make the view `name` the union of its pieces, broadcast if it is small."""
        from pyspark.sql.functions import broadcast

        df = self._union(name)
        if self.counts[name] <= BROADCAST_ROWS:
            df = broadcast(df)
        df.createOrReplaceTempView(name)

    def _set(self, name: str, df: Any) -> int:
        """The table holds the rows of `df` alone: checkpointed and counted in one job."""
        df = df.localCheckpoint(eager=False)
        count = int(df.count())
        self.pieces[name] = [df]
        self.counts[name] = count
        self._show(name)
        return count

    def _add(self, name: str, df: Any, count: int) -> None:
        """Append the rows of `df` (`count` of them, checkpointed or cheap to compute) to the table, without a job;
        past COMPACT_PIECES pieces the table is checkpointed whole."""
        # a small piece in one partition: a table read by a broadcast is collected in a task a partition
        self.pieces[name].append(df.coalesce(1) if count <= BROADCAST_ROWS else df)
        self.counts[name] += count
        if len(self.pieces[name]) >= COMPACT_PIECES:
            whole = self._union(name)
            if self.counts[name] <= BROADCAST_ROWS:
                whole = whole.coalesce(1)
            self.pieces[name] = [whole.localCheckpoint(eager=True)]
        self._show(name)

    def _guard(self, fn: Any) -> Any:
        try:
            return fn()
        except SyllogError:
            raise
        except Exception as exc:
            raise _db_error(exc) from None

    def create(self, name: str, columns: list[Column]) -> None:
        self.schemas[name] = columns
        cols = [exp.Cast(this=exp.Null(), to=t.copy()).as_(c) for c, t in columns]
        q = exp.select(*cols).where(exp.false())

        def empty() -> None:
            self.pieces[name] = [self._df(self.render(q))]
            self.counts[name] = 0
            self._show(name)

        self._guard(empty)

    def replace(self, name: str, select: exp.Select | str) -> int:
        sql = select if isinstance(select, str) else self.render(select)
        if self.log is not None:
            self.log.append(sql)
        self.statements += 1
        return int(self._guard(lambda: self._set(name, self._df(sql))))

    def append(self, name: str, select: exp.Select | str) -> int:
        sql = select if isinstance(select, str) else self.render(select)
        if self.log is not None:
            self.log.append(sql)
        self.statements += 1
        known = self._rows_of(sql)

        def go() -> int:
            df = self._df(sql).select(*[c for c, _t in self.schemas[name]])
            if known is None:
                df = df.localCheckpoint(eager=False)
                got = int(df.count())
            else:
                got = known
            self._add(name, df, got)
            return got

        return int(self._guard(go))

    def _rows_of(self, sql: str) -> int | None:
        """The number of rows of a SELECT that only computes columns of one table's rows (a delta stamped with its
        round), from that table's count; None for any other."""
        q: exp.Expr = exp.maybe_parse(sql, dialect="spark")
        if not isinstance(q, exp.Select) or any(q.args.get(k) for k in ("joins", "where", "group", "having",
                                                                         "distinct", "limit", "with_", "qualify")):
            return None
        source = q.args.get("from_") or q.args.get("from")
        table = source.this if source is not None else None
        if not isinstance(table, exp.Table) or table.name not in self.counts or \
                any(e.find(exp.AggFunc, exp.Window, exp.Subquery, exp.Explode) for e in q.expressions):
            return None
        return self.counts[table.name]

    def append_round(self, name: str, select: str, round_no: int) -> int:
        # spark.sql takes no positional parameters: put the number in as a sqlglot literal
        q: exp.Expr = exp.maybe_parse(select, dialect="spark").transform(
            lambda node: exp.Literal.number(round_no) if isinstance(node, exp.Placeholder) else node)
        return self.append(name, self.render(q))

    def insert_rows(self, name: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        """The rows as one DataFrame (of this table's column types), checkpointed on the executors once."""
        if not rows:
            return
        from decimal import Decimal

        from pyspark.sql import types as T

        def spark_type(t: exp.DataType) -> Any:
            if t.is_type("bigint"):
                return T.LongType()
            if t.is_type("boolean"):
                return T.BooleanType()
            if t.is_type("decimal"):
                return T.DecimalType(38, 0)
            return T.StringType()

        kinds = dict(self.schemas[name])
        schema = T.StructType([T.StructField(c, spark_type(kinds[c]), False) for c in columns])
        fixed = [tuple(Decimal(v) if kinds[c].is_type("decimal") else v for c, v in zip(columns, r)) for r in rows]
        order = [c for c, _t in self.schemas[name]]

        def go() -> None:
            df = self.spark.createDataFrame(fixed, schema).select(*order)
            self._add(name, df.localCheckpoint(eager=True), len(rows))

        self._guard(go)

    def read_csv(self, name: str, path: str, delimiter: str, header: bool, columns: list[str]) -> None:
        """The view `name`: the fields of a csv file as text, read by Spark on the executors.

        Read strictly (FAILFAST: a record with another number of fields fails), quoted fields across lines
        as the csv module reads them; an empty field is NULL, which the caller takes for a bad one."""
        from pyspark.sql import types as T

        schema = T.StructType([T.StructField(c, T.StringType(), True) for c in columns])

        def go() -> None:
            df = self.spark.read.csv(path, schema=schema, sep=delimiter, header=header, quote='"', escape='"',
                                     mode="FAILFAST", multiLine=True, ignoreLeadingWhiteSpace=False,
                                     ignoreTrailingWhiteSpace=False, encoding="UTF-8")
            self.schemas[name] = [(c, exp.DataType.build("TEXT")) for c in columns]
            self._set(name, df)

        self._guard(go)

    def drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)
        self.schemas.pop(name, None)
        self.counts.pop(name, None)
        self.pieces.pop(name, None)

    def close(self) -> None:
        for name in list(self.schemas):
            self.spark.catalog.dropTempView(name)
