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
import re
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlglot import exp

from ..errors import NO_SPAN, Span, SyllogError, error
from ..optional import SQL_EXTRA, MissingDependency, as_diagnostic
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


class SparkStore(Store):
    """Spark SQL: every table is a temporary view over a checkpointed DataFrame."""

    def __init__(self, session: Any | None, shuffle_partitions: int) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise _missing("pyspark", "the `spark` backend", "pyspark") from None
        super().__init__(Dialect("spark"), None)
        if session is None:
            session = (SparkSession.builder.master("local[2]").appName("syllog")
                       .config("spark.ui.enabled", "false")
                       .config("spark.ui.showConsoleProgress", "false")
                       .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
                       .config("spark.sql.ansi.enabled", "true")
                       .getOrCreate())
        self.spark = session
        self.spark.sparkContext.setLogLevel("ERROR")
        self.spark.conf.set("spark.sql.ansi.enabled", "true")
        self.schemas: dict[str, list[Column]] = {}
        self.counts: dict[str, int] = {}

    def _df(self, sql: str) -> Any:
        return self.spark.sql(sql)

    def _run(self, sql: str, params: Sequence[Any] | None = None) -> int:
        self.spark.sql(sql).collect()
        return 0

    def _fetch(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.spark.sql(sql).collect()]

    def _set(self, name: str, df: Any) -> int:
        df = df.localCheckpoint(eager=True)
        df.createOrReplaceTempView(name)
        count = int(df.count())
        self.counts[name] = count
        return count

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
            self._df(self.render(q)).createOrReplaceTempView(name)
            self.counts[name] = 0

        self._guard(empty)

    def replace(self, name: str, select: exp.Select | str) -> int:
        sql = select if isinstance(select, str) else self.render(select)
        if self.log is not None:
            self.log.append(sql)
        self.statements += 1
        return int(self._guard(lambda: self._set(name, self._df(sql))))

    def append(self, name: str, select: exp.Select | str) -> int:
        before = self.counts.get(name, 0)
        query = exp.maybe_parse(select, dialect="spark") if isinstance(select, str) else select
        union = exp.union(exp.select("*").from_(self.table(name)), query, distinct=False)
        return self.replace(name, self.render(union)) - before

    def append_round(self, name: str, select: str, round_no: int) -> int:
        # spark.sql takes no positional parameters: put the number in as a sqlglot literal
        q: exp.Expr = exp.maybe_parse(select, dialect="spark").transform(
            lambda node: exp.Literal.number(round_no) if isinstance(node, exp.Placeholder) else node)
        return self.append(name, self.render(q))

    def insert_rows(self, name: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
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

        def go() -> int:
            df = self.spark.createDataFrame(fixed, schema).select(*order)
            old = self.spark.table(name)
            return self._set(name, old.unionByName(df))

        self._guard(go)

    def drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)
        self.schemas.pop(name, None)
        self.counts.pop(name, None)

    def close(self) -> None:
        for name in list(self.schemas):
            self.spark.catalog.dropTempView(name)
