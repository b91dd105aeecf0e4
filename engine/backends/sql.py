"""SQL backends: evaluate a checked program inside DuckDB, PostgreSQL or Spark SQL.

Input: an `engine.analysis.Program`. Output: a `SqlModel` whose relations live
in the database and come back as the Python values the in-memory engine gives.

The driver is the in-memory evaluator's loop, moved into SQL. Strata run in
order; each rule is planned by `engine.plan.plan_rule` (one plan per
recursive atom for the semi-naive rounds) and compiled to a SELECT by
`engine.backends.sqlgen`. A round computes, per predicate, the new tuples as
one INSERT ... SELECT over the UNION ALL of its rules' SELECTs, minus what the
relation holds; appends them; and swaps the delta tables. Python drives the
loop until a round adds nothing, so recursion is never unrolled to a fixed
depth. Rules that recurse through a monotone aggregate run in full every
round, as in memory. A linear stratum of one predicate runs, after its base
round, as one recursive CTE (`_SqlEvaluator._native`). Evaluation records
nothing for proofs and grades, so it runs the same with provenance on or off:
`SqlModel` finds them on demand (engine.backends.proof). Each tuple keeps `_r`,
the round that added it (facts: 0; NULL for a recursive CTE's), which the
loop reads its deltas and growth from.

    >>> import engine
    >>> from engine.backends import evaluate_sql
    >>> prog = engine.load_text("e(1, 2). e(2, 3). p(X, Y) :- e(X, Y). p(X, Z) :- p(X, Y), e(Y, Z).")
    >>> sorted(evaluate_sql(prog.program).relation("p"))
    [(1, 2), (1, 3), (2, 3)]
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlglot import exp

from .. import files
from .. import nodes as n
from .. import plan as P
from ..analysis import Program
from ..analysis.head_types import HeadCheck, checks_by_column, head_type_error
from ..column_types import declared_kinds
from ..errors import NO_SPAN, Diagnostic, SourceMap, Span, SyllogError, error
from ..evaluation.dropped import Dropped
from ..evaluation.fixpoint import strata_of
from ..evaluation.growth import SAMPLE, Growth, Range, growth_help, growth_message, limit_help, range_of
from ..evaluation.limits import SQL_GROWING_ROUNDS, SQL_MAX_ROWS
from ..formats import DataSpec, LeftToReader, in_chunks, spec_of
from ..kinds import Kinds
from ..model import Answers, Model, Violation
from ..proof.tree import ProofNode
from ..provenance import TOP, Grade
from ..values import Value
from .catalog import Keeper, Kept
from .encoding import PARTS, SCALE, column_names, decode, encode, infer_kinds, key_names, rep_of, width
from .proof import Fetched, goal_model, holding, missing_model
from .sqlgen import Builder, Check, CompiledPlan, Dialect, Schema, compile_plan, to_rep
from .store import IN_USE_AT, Column, DuckDBStore, PostgresStore, SparkStore, Store, in_use
from .transfer import sorted_select, write_by_database

BACKENDS = ("duckdb", "postgres", "spark")
WAIT = 600.0  # seconds a run waits for another run's lock on its database (engine.backends.catalog)
INDEX_ROWS = 10_000_000  # a relation this large is indexed on its keys (PostgreSQL: see `fresh_statistics`)
GROWTH_ROWS = 10_000  # a round's new tuples read back whole to judge growth; past it, a sample

Row = tuple[Value, ...]


def open_store(backend: str, database: str | None = None, memory_limit: str | None = None,
               temp_directory: str | None = None, threads: int | None = None, schema: str | None = "syllog",
               spark: Any | None = None, shuffle_partitions: int | None = None, wait: float = 0.0,
               spark_master: str | None = None) -> Store:
    """A connection to one of `BACKENDS` (E903 for an unknown or unavailable one; E907 for a DuckDB file another
    process holds past `wait` seconds)."""
    if backend == "duckdb":
        return DuckDBStore(database, memory_limit, temp_directory, threads, schema, wait)
    if backend == "postgres":
        return PostgresStore(database, schema, memory_limit)
    if backend == "spark":
        return SparkStore(spark, shuffle_partitions, spark_master)
    raise SyllogError([error("E903", f"unknown SQL backend `{backend}`", NO_SPAN,
                             "backends: " + ", ".join(BACKENDS))])


def evaluate_sql(program: Program, backend: str = "duckdb", database: str | None = None,
                 memory_limit: str | None = None, temp_directory: str | None = None, threads: int | None = None,
                 provenance: bool = True, max_tuples: int | None = SQL_MAX_ROWS, max_seconds: float | None = None,
                 schema: str | None = "syllog", spark: Any | None = None, log: bool = False,
                 max_growing_rounds: int | None = SQL_GROWING_ROUNDS, defer: bool = False, reuse: bool = False,
                 wait: float = WAIT, notify: Callable[[str], None] | None = None,
                 spark_master: str | None = None) -> SqlModel:
    """Evaluate `program` in a SQL database; the relations stay there, behind a `SqlModel`.

    `database`: a DuckDB file (default: in memory) or a PostgreSQL connection
    string. `memory_limit` is DuckDB's `memory_limit` (for PostgreSQL, `work_mem`);
    DuckDB spills to `temp_directory` past it. Tables go to the schema `schema`
    (dropped and recreated, one per predicate, named as the predicate).
    The limits (E601, engine.evaluation.limits): `max_tuples` rows in all,
    `max_seconds`, and `max_growing_rounds` rounds in a row in which a rule
    makes nothing but new numbers (engine.evaluation.growth); None lifts one.
    With `defer`, the program is evaluated when first needed: until then, `why`
    evaluates only what its goal needs (as `syllog why` does in memory).

    The model is kept (engine.backends.catalog): with a `database`, the schema
    records the program's fingerprint and whether its evaluation completed. With
    `reuse`, a complete model of the same program and inputs is answered from
    without evaluating (`SqlModel.kept` says when it was evaluated); an
    incomplete one is E906. Another run holding the schema is waited for up to
    `wait` seconds (then E907); `notify` hears that it waits.
    Spark: the session `spark`, else the active one, else one started on
    `spark_master` (None: Spark's configured master, engine.backends.store.spark_master).
    """
    store = open_store(backend, database, memory_limit, temp_directory, threads, schema, spark, wait=wait,
                       spark_master=spark_master)
    unsupported = [agg for r in program.rules for agg in n.body_aggregates(r.body) if agg.func not in store.aggregates]
    unsupported += [agg for r in program.rules for lit in r.body for agg in _inner_aggregates(lit)
                    if agg.func not in store.aggregates]
    if unsupported:
        store.close()
        raise SyllogError([error("E905", f"the {backend} backend does not compute `{agg.func}`", agg.span,
                                 help="evaluate this program in memory (without --backend)") for agg in unsupported],
                          program.text)
    if log:
        store.log = []
    ev = _SqlEvaluator(program, store, provenance, max_tuples, max_seconds, max_growing_rounds)
    keeper = Keeper(store, program, database, wait, notify) if database and store.schema else None
    model = SqlModel(ev, keeper)
    try:
        if not (reuse and model.reuse()) and not defer:
            model.evaluated()
    except BaseException:
        model.close()
        raise
    return model


def _inner_aggregates(lit: n.Literal) -> list[n.Aggregate]:
    """Aggregates nested in the braces of a literal's aggregates."""
    out: list[n.Aggregate] = []
    for agg in n.body_aggregates((lit,)):
        for inner in agg.body:
            out += n.body_aggregates((inner,)) + _inner_aggregates(inner)
    return out


STAGE_ROWS = 65_536  # rows of a jsonl or Parquet `.input` staged a statement
IN_MEMORY_TUPLES = 10_000_000  # the most `SqlModel.in_memory` reads back (E908 past it)


def _globbed(path: str) -> bool:
    """Would a database's file reader (DuckDB's read_csv and read_parquet, Spark's) take this path for a
    pattern of file names?"""
    return any(c in path for c in "*?[{")


class _SqlEvaluator:
    def __init__(self, program: Program, store: Store, provenance: bool, max_tuples: int | None,
                 max_seconds: float | None, max_growing_rounds: int | None = SQL_GROWING_ROUNDS,
                 beside: _SqlEvaluator | None = None) -> None:
        self.program = program
        self.store = store
        self.d: Dialect = store.d
        self.provenance = provenance
        self.kinds = infer_kinds(program)
        self.reps = {p: [rep_of(k) for k in ks] for p, ks in self.kinds.items()}
        self.head_checks: dict[tuple[str, int], list[HeadCheck]] | None = None  # the columns the data may fill wrongly (E604), once found
        # evaluated beside a stored model (`beside`, for a proof: engine.backends.proof): the predicates this
        # program has with the same facts, inputs and rules are read from its tables, not loaded or derived again
        self.stored: dict[str, exp.Table] = {}
        if beside is not None:
            same = {p for p in _same_predicates(program, beside.program) if beside.kinds.get(p) == self.kinds[p]}
            for comp, _indices, _rec in strata_of(program):
                if not comp <= same:  # a stratum is derived here whole, or read whole
                    same -= comp
            self.stored = {p: beside.store.table(p) for p in sorted(same)}
        self.sizes: dict[str, int] = {p: beside.sizes[p] if p in self.stored and beside else 0 for p in program.arity}
        self.round_no = 0
        self.rounds: list[tuple[int, float]] = []  # (tuples added, seconds) per round
        self.max_tuples = max_tuples
        self.deadline = time.monotonic() + max_seconds if max_seconds else None
        self.max_seconds = max_seconds
        self.delta_names: dict[str, list[str]] = {}
        # rounds read the deltas in names[phase] and write names[1 - phase]; the phase flips every round
        self.phase = 0
        self.plans: list[P.RulePlan] = []
        # rendered SQL, built once: the new-delta SELECT per (predicate, plans) and each check
        self.rendered: dict[tuple[Any, ...], str] = {}
        self.compiled: list[CompiledPlan] = []
        # with a memory limit, a round's candidates are first materialised, then deduplicated in
        # parts of at most this many rows (by a hash of the tuple): DuckDB's hash joins then fit
        self.part_rows = _part_rows(store)
        # DuckDB without a memory limit: a round of a one-predicate stratum is one statement
        # (see `_one_statement`); the stratum being compiled or run in that way, if any
        self.one_statement_ok = store.one_statement_rounds and self.part_rows is None
        self.one_statement: str | None = None
        # DuckDB without a memory limit: an eligible recursive stratum runs as one recursive CTE (see
        # `_native`); the predicate whose delta atoms read the CTE while compiling (PostgreSQL too, with
        # one recursive rule: it allows one reference to the CTE in its recursive term)
        self.native_ok = self.part_rows is None and store.recursive_cte_references > 0 and (
            self.one_statement_ok or getattr(store, "work_mem", None) is None)
        self.native: str | None = None
        # the predicates evaluated by a recursive CTE: their tuples' `_r` is NULL (the round is not known)
        self.native_preds: list[str] = []
        self.schema = Schema(self.kinds, self.table, self._delta_table)
        self.dropped = Dropped()  # rule instances whose arithmetic is undefined (W104), as in memory
        self.growth = Growth(max_growing_rounds)  # rules that make new values without end (E601), as in memory
        self.max_growing_rounds = max_growing_rounds
        self.growth_due: dict[str, tuple[int, int]] = {}  # per predicate: the round it is next looked at, and how often
        self.analyzed: dict[str, int] = {}  # per relation: its size when last analyzed (see `fresh_statistics`)
        self.indexed: set[str] = set()  # the relations indexed on their key columns (see `fresh_statistics`)

    # -- tables -----------------------------------------------------------------
    def value_columns(self, pred: str) -> list[Column]:
        out: list[Column] = []
        for i, rep in enumerate(self.reps[pred]):
            out.extend(zip(column_names(i, rep), self.d.type_of(rep)))
        return out

    def key_columns(self, pred: str) -> list[str]:
        """The columns that decide equality (not the decimal flags)."""
        return [c for i, rep in enumerate(self.reps[pred]) for c in key_names(i, rep)]

    def meta_columns(self, full: bool) -> list[Column]:
        return [("_r", self.d.int_type.copy())] if full else []

    def table(self, pred: str) -> exp.Table:
        """A predicate's relation: its table, or the stored model's (see `stored`)."""
        return self.stored.get(pred) or self.store.table(pred)

    def _delta_table(self, pred: str) -> exp.Table:
        if pred == self.native:
            return exp.Table(this=exp.to_identifier(_native_name(pred), quoted=True))
        if pred == self.one_statement:
            return self.store.table(f"_v_{pred}")
        return self.store.table(self.delta_names[pred][self.phase])

    def create_tables(self) -> None:
        self.store.prepare()
        for pred in sorted(set(self.program.arity) - set(self.stored)):
            self.store.create(pred, self.value_columns(pred) + self.meta_columns(True))
            names = [f"_d_{pred}", f"_e_{pred}"]
            self.delta_names[pred] = names
            work = self.value_columns(pred) + self.meta_columns(False)
            if not work:
                work = [("_u", self.d.int_type.copy())]
            for name in names:
                self.store.create(name, work)
            if self.part_rows is not None:
                self.store.create(f"_c_{pred}", work)
            if self.one_statement_ok and self.key_columns(pred):
                # the last round's delta, read from the relation: the tuples it stamped with that round
                value_cols = [exp.column(c) for c, _t in self.value_columns(pred)]
                last = exp.Sub(this=_round_variable(), expression=exp.Literal.number(1))
                view = exp.select(*value_cols).from_(self.store.table(pred)).where(
                    exp.EQ(this=exp.column("_r"), expression=last))
                self.store.run(exp.Create(this=self.store.table(f"_v_{pred}"), kind="VIEW", expression=view,
                                          replace=True))

    # -- facts and inputs ------------------------------------------------------------
    def load_facts(self) -> None:
        """Every fact, deduplicated, a predicate's in one statement (DuckDB: a list a column; PostgreSQL: one COPY),
        read by column from the program's fact tables (no `Fact` is built: its place only for an error)."""
        by_pred: dict[str, dict[Row, None]] = {}
        for pred, table, _cites in self.program.facts.groups():
            if pred not in self.stored:
                by_pred.setdefault(pred, {}).update(dict.fromkeys(table.rows()))
        for pred, rows in sorted(by_pred.items()):
            data = [self._encoded(pred, row) + (0,) for row in rows]
            cols = [c for c, _t in self.value_columns(pred) + self.meta_columns(True)]
            self.store.insert_rows(pred, cols, data)
            self.sizes[pred] += len(data)

    def _encoded(self, pred: str, row: Row) -> tuple[Any, ...]:
        """A fact's physical column values; E901 at the fact for a value the columns cannot hold."""
        try:
            return self._encoded_row(pred, row)
        except SyllogError:
            span = self.program.facts.statements_of(pred, row)[0].span
            for v, rep in zip(row, self.reps[pred]):
                encode(v, rep, span)
            raise

    def load_inputs(self) -> None:
        """Every `.input` loaded by the database (`_bulk_load`), or, for a file the database would read otherwise
        than Python, streamed from the in-memory reader (`_stream_input`); every bad file reported, as in memory."""
        diags: list[Diagnostic] = []
        sources = SourceMap()
        for io in self.program.io:
            if io.kind != "input" or io.pred in self.stored:
                continue
            if self.store.reads_csv and self._bulk_load(io):
                continue
            try:
                self._stream_input(io)
            except SyllogError as exc:
                diags.extend(exc.diagnostics)
                if exc.sources is not None:
                    sources.update(exc.sources)
        if diags:
            sources.update(self.program.text)
            raise SyllogError(diags, sources)

    def _stream_input(self, io: n.IODirective) -> None:
        """The file's rows as the in-memory reader reads them (engine.evaluation.io.input_rows), STAGE_ROWS at a
        time: deduplicated within the batch (the first of `50` and `50.0` kept, as in memory), staged, and
        added to the relation where it lacks them (so across batches the first is kept too)."""
        from ..evaluation.io import input_rows

        pred = io.pred
        staging = f"_in_{pred}"
        cols = [c for c, _t in self.value_columns(pred)]
        try:
            for chunk in in_chunks(input_rows(self.program, io), STAGE_ROWS):
                rows = list(dict.fromkeys(chunk))
                self.store.create(staging, self.value_columns(pred))  # a batch's own (Spark has no DELETE)
                self.store.insert_rows(staging, cols, [self._encoded_row(pred, t) for t in rows])
                select = exp.select(*[exp.column(c) for c in cols]).from_(self.store.table(staging))
                self.sizes[pred] += self.store.append(pred, self._fresh_rows(pred, select, 0))
        finally:
            self.store.drop(staging)

    def _encoded_row(self, pred: str, row: Row) -> tuple[Any, ...]:
        """An input row's physical column values (E901 for a value the columns cannot hold)."""
        parts: list[Any] = []
        for v, rep in zip(row, self.reps[pred]):
            parts.extend(encode(v, rep))
        return tuple(parts)

    def _bulk_load(self, io: n.IODirective) -> bool:
        """Load an `.input` by the database: staged as text columns (a csv/tsv file by DuckDB's read_csv, Spark's,
        or PostgreSQL's COPY FROM STDIN streamed from the file; jsonl and Parquet as text fields streamed in
        batches, engine.evaluation.io.FIELD_READERS), checked, converted by its declared types as the Python
        reader converts them. False, having loaded nothing, to leave it to the Python reader (which reports what
        is wrong with a file, with its line); a file given by URL (Spark) has no Python reader, so what it
        would report is E704 at the `.input`."""
        staging = f"_in_{io.pred}"
        staged = self._stage_csv(io, staging) if spec_of(io).format in ("csv", "tsv") else self._stage_fields(io, staging)
        if staged is None:
            return False
        raw, path, url = staged
        params = self.program.decls[io.pred].params
        unlike = self._staged_count(staging, self._unlike_python(raw, [p.type for p in params]))
        if unlike:
            self.store.drop(staging)
            if url:
                raise SyllogError([error("E704", f"`{path}` has {unlike:,} records with a field that is empty, "
                                         "not of its column's type, or in a form the in-memory reader may read "
                                         "differently (a quote, a line break)", io.span)], self.program.text)
            return False
        cols: list[exp.Expr] = []
        for i, (r, p, rep) in enumerate(zip(raw, params, self.reps[io.pred])):
            v = self._parse_column(p.type, exp.column(r))
            cols.extend(part.copy().as_(nm) for part, nm in zip(to_rep(v, rep, self.d).parts, column_names(i, rep)))
        select = exp.select(*cols).from_(self.store.table(staging))
        self.sizes[io.pred] += self.store.append(io.pred, self._fresh_rows(io.pred, select, 0))
        self.store.drop(staging)
        return True

    def _stage_csv(self, io: n.IODirective, staging: str) -> tuple[list[str], str, bool] | None:
        """The `.input`'s file read by the database into the table `staging`, a text column a field: its columns'
        names, the path read and whether it is a URL (read by Spark only); None when the database does not read
        it (another format, a malformed file)."""
        from ..evaluation.io import data_path
        from ..formats import is_url

        spec = spec_of(io)
        url = self.store.reads_urls and is_url(spec.file)
        local = data_path(self.program, io)
        raw = [f"v{i}" for i in range(len(self.program.decls[io.pred].params))]
        if spec.format not in ("csv", "tsv") or not (url or local.is_file()) or not raw:
            return None
        delim, header = spec.delimiter, spec.header
        # Spark reads a local file by its file: URI (a bare path is on the cluster's default file system)
        path = spec.file if url else local.absolute().as_uri() if self.store.reads_urls else str(local)
        try:
            if isinstance(self.store, PostgresStore):
                return (raw, path, False) if self._copy_csv(staging, raw, local, delim, header) else None
            if not url and _globbed(str(local)):
                return None  # the database would read it as a pattern, other files too: Python reads it
            self.store.read_csv(staging, path, delim, header, raw)
        except SyllogError as exc:
            self.store.drop(staging)
            if url:
                raise SyllogError([error("E703", f"Spark cannot read `{path}`: {exc.diagnostics[0].message}",
                                         io.span)], self.program.text) from None
            return None  # malformed: the Python reader reports it, with its line
        except files.FileTrouble:
            self.store.drop(staging)
            return None
        return raw, path, url

    def _stage_fields(self, io: n.IODirective, staging: str) -> tuple[list[str], str, bool] | None:
        """The `.input`'s rows as text fields into the table `staging`: a Parquet file of text and integer columns
        read by DuckDB itself (read_parquet), else its format's FIELD_READERS, STAGE_ROWS rows a statement;
        None, nothing staged, for a file its field reader leaves to the full reader."""
        from ..evaluation.io import FIELD_READERS, data_path

        spec = spec_of(io)
        local = data_path(self.program, io)
        params = self.program.decls[io.pred].params
        raw = [f"v{i}" for i in range(len(params))]
        if spec.format not in FIELD_READERS or not local.is_file() or not raw:
            return None
        try:
            if spec.format == "parquet" and isinstance(self.store, DuckDBStore) and not _globbed(str(local)):
                from ..evaluation.parquet import text_fields_of

                self.store.read_parquet(staging, str(local), text_fields_of(local, spec, params), raw)
                return raw, str(local), False
            self.store.create(staging, [(r, self.d.text_type) for r in raw])
            for chunk in in_chunks(FIELD_READERS[spec.format](local, spec, params), STAGE_ROWS):
                self.store.insert_rows(staging, raw, chunk)
        except (SyllogError, files.FileTrouble, LeftToReader, OSError):
            self.store.drop(staging)
            return None  # the full reader reads it, and reports what is wrong with it
        return raw, str(local), False

    def _copy_csv(self, staging: str, raw: list[str], path: Path, delim: str, header: bool) -> bool:
        """PostgreSQL: the file streamed by COPY FROM STDIN into `staging`; False (nothing staged) when COPY
        would read it otherwise than Python's csv module."""
        assert isinstance(self.store, PostgresStore)
        if len(delim.encode()) != 1:
            return False
        self.store.create(staging, [(r, self.d.text_type) for r in raw])
        with files.open_regular(path) as fh:
            if self.store.copy_csv_in(staging, raw, iter(lambda: fh.read(1 << 20), b""), delim, header):
                return True
        self.store.drop(staging)
        return False

    def _unlike_python(self, raw: list[str], types: list[str]) -> list[exp.Expr]:
        """Conditions true of a staged row the database would convert otherwise than the Python reader (which
        then reads the file): a missing field, a number Python reads that the plain patterns do not match
        (`+1`, ` 1`, `1_000`), an empty line of a one-column file (Python skips it), a character the store's
        reader may read otherwise (`Store.csv_unsure`), an integral decimal (`50.0`) where a column may hold
        numbers (it equals the integer 50: of the two, the in-memory reader keeps the first in the file, which
        the database's deduplication cannot see)."""
        simple = {"int": r"^-?[0-9]{1,18}$", "dec": r"^-?[0-9]{1,24}\.[0-9]{1,10}$"}
        bad: list[exp.Expr] = []
        for r, typ in zip(raw, types):
            col = exp.column(r)
            bad.append(exp.Is(this=col.copy(), expression=exp.Null()))
            if len(raw) == 1:
                bad.append(exp.EQ(this=col.copy(), expression=exp.Literal.string("")))
            if self.store.csv_unsure:
                bad.append(exp.RegexpLike(this=col.copy(), expression=exp.Literal.string(f"[{self.store.csv_unsure}]")))
            is_int = exp.RegexpLike(this=col.copy(), expression=exp.Literal.string(simple["int"]))
            is_dec = exp.RegexpLike(this=col.copy(), expression=exp.Literal.string(simple["dec"]))
            number = exp.paren(exp.or_(is_int.copy(), is_dec.copy()))  # NOT (a OR b), not NOT a OR b
            if typ == "int":
                bad.append(exp.Not(this=is_int))
            elif typ == "number":
                bad.append(exp.Not(this=number))
            elif typ not in ("symbol", "string"):
                # `any`: a number, or a symbol that Python's int and Decimal would not read as one (they read
                # Unicode digits and spaces too: `١`, `２`, a no-break space before a digit)
                numeric_like = exp.RegexpLike(this=exp.Lower(this=col.copy()),
                                              expression=exp.Literal.string(r"^(\s|[-+0-9._]|inf|nan|snan|[^\x01-\x7f])"))
                bad.append(exp.and_(numeric_like, exp.Not(this=number.copy())))
            if typ not in ("int", "symbol", "string"):
                bad.append(exp.RegexpLike(this=col.copy(), expression=exp.Literal.string(r"^-?[0-9]+\.0+$")))
        return bad

    def _staged_count(self, staging: str, where: list[exp.Expr]) -> int:
        """How many staged rows meet any of the conditions."""
        q = exp.select(exp.Count(this=exp.Star())).from_(self.store.table(staging)).where(exp.or_(*where))
        found = self.store.fetch(q)
        return int(found[0][0]) if found else 0

    def _parse_column(self, typ: str, col: exp.Expr) -> Any:
        from .sqlgen import Val

        d = self.d
        if typ == "int":
            return Val("int", (exp.Cast(this=col, to=d.int_type.copy()),), frozenset({"int"}))
        if typ == "symbol":
            return Val("sym", (col,), frozenset({"sym"}))
        if typ == "string":
            return Val("str", (col,), frozenset({"str"}))
        is_int = exp.RegexpLike(this=col.copy(), expression=exp.Literal.string(r"^-?[0-9]+$"))
        is_dec = exp.RegexpLike(this=col.copy(), expression=exp.Literal.string(r"^-?[0-9]+\.[0-9]+$"))
        dec10 = exp.DataType.build("DECIMAL(38, 10)")
        # scaled to an integer (at most 10 digits after the point: exact), through a scale of 0, since
        # PostgreSQL's NUMERIC would keep the product's 10 digits after the point
        scaled = exp.Mul(this=exp.Cast(this=col.copy(), to=dec10), expression=exp.Literal.number(10**10))
        number = exp.Cast(this=exp.Cast(this=scaled, to=exp.DataType.build("DECIMAL(38, 0)")), to=d.num_type.copy())
        num = exp.Case(ifs=[exp.If(this=exp.or_(is_int.copy(), is_dec.copy()), true=number)],
                       default=d.num(exp.Literal.number(0)))
        tag = exp.Case(ifs=[exp.If(this=exp.or_(is_int.copy(), is_dec.copy()), true=exp.Literal.string(""))],
                       default=exp.DPipe(this=exp.Literal.string("S"), expression=col.copy()))
        return Val("any", (num, tag, is_dec, d.num(exp.Literal.number(0))), declared_kinds(typ))

    def _fresh_rows(self, pred: str, select: exp.Select, round_no: int) -> exp.Select:
        """Rows of `select` (value columns) deduplicated, minus what `pred` holds, with `_r`."""
        keys = self.key_columns(pred)
        names = [c for c, _t in self.value_columns(pred)]
        src = select.subquery("c")
        dedup = self._dedup(pred, src)
        cond = [exp.EQ(this=exp.column(k, "t"), expression=exp.column(k, "c")) for k in keys]
        sub = exp.select(exp.Literal.number(1)).from_(self.store.table(pred).as_("t"))
        if cond:
            sub = sub.where(exp.and_(*cond))
        cols: list[exp.Expr] = [exp.column(c, "c") for c in names] + [exp.Literal.number(round_no).as_("_r")]
        fresh = exp.select(*cols).from_(dedup.subquery("c"))
        return fresh.where(exp.Not(this=exp.Exists(this=sub))) if self.sizes[pred] else fresh

    def _dedup(self, pred: str, src: exp.Expr) -> exp.Select:
        """One row per tuple: (n, t, x) decide equality; a decimal flag prefers the integer."""
        reps = self.reps[pred]
        names = [c for c, _t in self.value_columns(pred)]
        keys = self.key_columns(pred)
        cols: list[exp.Expr] = []
        for i, rep in enumerate(reps):
            cols.extend(exp.column(c, "c") for c in key_names(i, rep))
            if rep == "any":
                d = column_names(i, rep)[PARTS.index("d")]
                flag = exp.Min(this=exp.Case(ifs=[exp.If(this=exp.column(d, "c"), true=exp.Literal.number(1))],
                                             default=exp.Literal.number(0)))
                cols.append(exp.EQ(this=flag, expression=exp.Literal.number(1)).as_(d))
        if not names:
            return exp.select(exp.Literal.number(1).as_("_u")).from_(src).limit(1)
        if any(r == "any" for r in reps):
            q = exp.select(*cols).from_(src)
            if keys:
                return q.group_by(*[exp.column(k, "c") for k in keys])
            return q.having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(0)))
        return exp.select(*cols).from_(src).distinct()

    # -- the fixpoint ---------------------------------------------------------------
    def run(self) -> None:
        self.create_tables()
        self.load_facts()
        self.load_inputs()
        for p in self.program.arity:
            if self.sizes[p] and p not in self.stored:
                self.store.analyze(p)
        for comp, indices, rec in strata_of(self.program):
            if comp <= set(self.stored):
                continue
            self.stratum(comp, indices, rec)
            self.check_head_types(comp)
            for p in sorted(comp):
                self.store.analyze(p)

    def check_head_types(self, comp: set[str]) -> None:
        """E604, as in memory (engine.analysis.head_types), for the least value of a stratum's checked column
        that is not of its declared type: one query a checked column."""
        if self.head_checks is None:  # found once: head_checks looks at every rule
            self.head_checks = checks_by_column(self.program)
        by_column = {key: checks for key, checks in self.head_checks.items() if key[0] in comp}
        for (pred, col), checks in by_column.items():
            rep = self.reps[pred][col]
            if rep == "any":
                found = self.store.fetch(self.outside_query(pred, col, rep, checks[0].allowed))
            elif rep in checks[0].allowed:
                found = []
            else:  # a column of one kind, not the declared one (a string column through an `any` one): every value
                order = self.text_order(exp.column(f"c{col}")) if rep != "int" else exp.column(f"c{col}")
                found = self.store.fetch(exp.select(exp.column(f"c{col}")).from_(self.store.table(pred))
                                         .order_by(order).limit(1))
            if found:
                raise head_type_error(self.program, checks, decode(tuple(found[0]), rep))
        if by_column and self.integral_as_int:
            for pred in sorted(comp):
                self.integers_in_int_columns(pred)

    @property
    def integral_as_int(self) -> bool:
        """Can an integral decimal of an `int` column be held as the integer (as in memory)? Not on Spark, whose
        tables are not updated: there it is E604."""
        return not isinstance(self.store, SparkStore)

    def integral(self, col: int) -> exp.Expr:
        """An `any` column's value is an integral decimal (50.0): no digits after the point."""
        n, x = exp.column(f"c{col}n"), exp.column(f"c{col}x")
        whole = exp.EQ(this=exp.Mod(this=n, expression=exp.Literal.number(SCALE)), expression=exp.Literal.number(0))
        return exp.and_(exp.column(f"c{col}d"), whole, exp.EQ(this=x, expression=exp.Literal.number(0)))

    def integers_in_int_columns(self, pred: str) -> None:
        """Hold the integral decimals of the predicate's `int` columns stored as `any` as integers (as in memory,
        Evaluator.integers_in_int_columns): their decimal flag cleared (50.0 and 50 are one row already)."""
        decl = self.program.decls.get(pred)
        for i, param in enumerate(decl.params if decl is not None else ()):
            if param.type == "int" and self.reps[pred][i] == "any":
                number = exp.EQ(this=exp.column(f"c{i}t"), expression=exp.Literal.string(""))
                self.store.run(exp.update(self.store.table(pred), {f"c{i}d": exp.false()},
                                          where=exp.and_(number, self.integral(i))))

    def outside_query(self, pred: str, col: int, rep: str, allowed: Kinds) -> exp.Select:
        """The least value (in value order) of an `any` column whose kind is not among `allowed`, as its parts (an
        integral decimal of an `int` column is not, where `integral_as_int`)."""
        tag, dec = exp.column(f"c{col}t"), exp.column(f"c{col}d")
        number = exp.EQ(this=tag.copy(), expression=exp.Literal.string(""))
        decimal: exp.Expr = exp.and_(number.copy(), dec.copy())
        if "int" in allowed and self.integral_as_int:
            decimal = exp.and_(decimal, exp.Not(this=exp.paren(self.integral(col))))
        kinds = {"int": exp.and_(number.copy(), exp.Not(this=dec.copy())), "dec": decimal,
                 "sym": exp.Like(this=tag.copy(), expression=exp.Literal.string("S%")),
                 "str": exp.Like(this=tag.copy(), expression=exp.Literal.string("T%"))}
        cond = exp.or_(*[exp.paren(c) for k, c in kinds.items() if k not in allowed])
        inner = exp.select(*[exp.column(f"c{col}{part}").as_(f"c0{part}") for part in PARTS]) \
            .from_(self.store.table(pred)).where(cond)
        return exp.select("*").from_(inner.subquery("s")) \
            .order_by(self.text_order(exp.column("c0t")), exp.column("c0n"), exp.column("c0x")).limit(1)

    def text_order(self, text: exp.Expr) -> exp.Expr:
        """A text column as ORDER BY compares it in value order: by code point (PostgreSQL: the "C" collation)."""
        if self.d.name == "postgres":
            return exp.Collate(this=text, expression=exp.to_identifier("C", quoted=True))
        return text

    def span_of(self, rule_index: int) -> Any:
        rule = self.program.rules[rule_index]

        def span(literal: int) -> Span:
            if 0 <= literal < len(rule.body):
                return rule.body[literal].span
            return rule.span

        return span

    def compile(self, plan: P.RulePlan) -> CompiledPlan:
        self.plans.append(plan)
        c = compile_plan(plan, self.d, self.schema, self.span_of(plan.rule_index))
        self.compiled.append(c)  # kept alive: `rendered` is keyed by id()
        return c

    def stratum(self, comp: set[str], indices: list[int], recursive: bool) -> None:
        rules = self.program.rules
        sizes = dict(self.sizes)
        rec = comp if recursive else set()

        def plan(i: int, delta_literal: int = -1) -> P.RulePlan:
            return P.plan_rule(rules[i], i, sizes, rec, False, self.program.arity, delta_literal)

        only = next(iter(comp)) if len(comp) == 1 else None
        self.one_statement = only if self.one_statement_ok and only and self.key_columns(only) else None
        self.growth.start(lambda: self.data_range(comp))
        self.growth_due.clear()
        try:
            self._stratum(comp, indices, recursive, plan)
        finally:
            self.one_statement = None

    def _stratum(self, comp: set[str], indices: list[int], recursive: bool, plan: Any) -> None:
        rules = self.program.rules
        base = [self.compile(plan(i)) for i in indices]
        delta = self.round(base, comp)
        if not recursive or self._native(comp, indices, plan):
            return
        deltas: tuple[list[CompiledPlan], list[CompiledPlan]] = ([], [])
        naive: list[CompiledPlan] = []
        phase = self.phase
        for i in indices:
            bp = plan(i)
            if any(isinstance(s, P.AggregateStep) and s.recursive for s in bp.steps):
                naive.append(self.compile(bp))
                continue
            for j, lit in enumerate(rules[i].body):
                if isinstance(lit, n.Atom) and lit.pred in comp:
                    dp = plan(i, j)
                    for ph in (0, 1):  # one SELECT for each pair of delta tables
                        self.phase = ph
                        deltas[ph].append(self.compile(dp))
        self.phase = phase
        while any(delta.values()):
            active = [c for c in deltas[self.phase] if delta[_delta_pred(c.plan)]] + naive
            delta = self.round(active, comp)

    def _native(self, comp: set[str], indices: list[int], plan: Any) -> bool:
        """Run the rest of a recursive stratum as one recursive CTE, if it is eligible; False if not.

        Eligible (no memory limit; DuckDB, or PostgreSQL when only one rule
        reads p, as it allows one reference to the CTE in its recursive term): the stratum defines one predicate p, with
        value columns none of which mixes integers and decimals; no rule has an aggregate; each
        rule has p at most once in its body (linear); no recursive rule computes a value (so the
        fixpoint is finite: the CTE always ends) or needs a run-time check. Then

            WITH RECURSIVE x(cols) AS (SELECT cols FROM p UNION <the delta plans, reading x>)

        is semi-naive evaluation run by the database to the fixpoint: its UNION deduplicates
        against every row produced so far, and each iteration's recursive term reads only the
        last iteration's new rows. It is seeded with what p holds after the base round; the rows
        p lacks are inserted with `_r` NULL (no later statement reads it: p is complete when its
        stratum ends). DuckDB's recursive CTE keeps its rows in memory (it does not spill): under a
        memory limit the Python loop runs instead. The tuple limit is checked when the CTE ends; a
        time limit interrupts it.
        """
        plans = self._native_plans(comp, indices, plan)
        if plans is None:
            return False
        self._run_native(next(iter(comp)), plans)
        return True

    def _native_plans(self, comp: set[str], indices: list[int], plan: Any) -> list[CompiledPlan] | None:
        """The delta plans of a stratum eligible for one recursive CTE (see `_native`), reading the CTE; None if
        it is not eligible."""
        if not self.native_ok or len(comp) != 1:
            return None
        (pred,) = comp
        if not self.key_columns(pred) or "any" in self.reps[pred]:
            return None
        rules = self.program.rules
        chosen: list[tuple[int, int]] = []
        for i in indices:
            if any(isinstance(s, P.AggregateStep) for s in plan(i).steps):
                return None
            at = [j for j, lit in enumerate(rules[i].body) if isinstance(lit, n.Atom) and lit.pred == pred]
            if len(at) > 1:
                return None
            chosen.extend((i, j) for j in at)
        if not chosen or len(chosen) > self.store.recursive_cte_references:
            return None
        self.native = pred
        try:
            plans = [self.compile(plan(i, j)) for i, j in chosen]
        finally:
            self.native = None
        if any(c.checks for c in plans):
            return None
        if not self.store.recursive_cte_in_subquery and any(
                isinstance(c.plan.steps[0], P.Join) and not c.plan.steps[0].out_cols for c in plans):
            return None  # an existence test of the CTE is a subquery, which PostgreSQL refuses in a recursive term
        if any(isinstance(s, P.Bind) for c in plans for s in c.plan.steps) or \
                not all(isinstance(a, (P.Slot, P.Lit)) for c in plans for a in c.plan.head_args):
            return None  # arithmetic may make new values without end: rounds check the tuple limit
        return plans

    def _run_native(self, pred: str, plans: list[CompiledPlan]) -> None:
        """Run a stratum's recursive CTE to its fixpoint as one statement, interrupted at the deadline."""
        start = time.perf_counter()
        self.round_no += 1
        key = ("native", pred, tuple(id(c) for c in plans))
        if key not in self.rendered:
            self.rendered[key] = self.store.render(self._native_insert(pred, plans))
        timer = None
        if self.deadline is not None and self.store.interruptible:
            # one statement runs to the fixpoint: interrupt it at the deadline
            timer = threading.Timer(max(0.0, self.deadline - time.monotonic()), self.store.interrupt)
            timer.start()
        try:
            with self.at_rules(plans):
                got = self.store.run(self.rendered[key])
        except SyllogError:
            if self.deadline is not None and time.monotonic() > self.deadline:
                self.check_limits(plans)
            raise
        finally:
            if timer is not None:
                timer.cancel()
        self.native_preds.append(pred)
        self.sizes[pred] += got
        self.rounds.append((got, time.perf_counter() - start))
        self.check_limits(plans)  # the tuple limit: checked once the CTE is done

    def _native_insert(self, pred: str, plans: list[CompiledPlan]) -> exp.Insert:
        """INSERT INTO p the rows of the recursive CTE (see `_native`) that p lacks, with `_r` NULL."""
        names = [c for c, _t in self.value_columns(pred)]
        keys = self.key_columns(pred)
        name = exp.to_identifier(_native_name(pred), quoted=True)
        seed = exp.select(*[exp.column(c) for c in names]).from_(self.store.table(pred))
        selects = [exp.select("*").from_(c.select.subquery(f"u{k}")) for k, c in enumerate(plans)]
        step: exp.Query = selects[0]
        for s in selects[1:]:
            step = exp.union(step, s, distinct=False)
        if len(selects) > 1:  # one recursive term, not a chain of set operations
            step = exp.select("*").from_(step.subquery("r"))
        cte = exp.CTE(this=exp.union(seed, step, distinct=True),
                      alias=exp.TableAlias(this=name, columns=[exp.to_identifier(c) for c in names]))
        cond = [exp.EQ(this=exp.column(k, "t"), expression=exp.column(k, "c")) for k in keys]
        old = exp.select(exp.Literal.number(1)).from_(self.store.table(pred).as_("t")).where(exp.and_(*cond))
        rows = exp.select(*[exp.column(c, "c") for c in names],
                          exp.Cast(this=exp.Null(), to=self.d.int_type.copy()).as_("_r")) \
            .from_(exp.Table(this=name.copy()).as_("c")).where(exp.Not(this=exp.Exists(this=old)))
        rows.set("with_", exp.With(expressions=[cte], recursive=True))
        return exp.insert(rows, self.store.table(pred), columns=[exp.to_identifier(c) for c in names + ["_r"]])

    def round(self, plans: list[CompiledPlan], comp: set[str]) -> dict[str, int]:
        start = time.perf_counter()
        self.round_no += 1
        if self.one_statement is not None:
            self.store.run(f"SET VARIABLE {_ROUND_VARIABLE} = {int(self.round_no)}")
        self.run_checks(plans)
        by_head: dict[str, list[CompiledPlan]] = {}
        for c in plans:
            by_head.setdefault(c.plan.head, []).append(c)
        new: dict[str, int] = {p: 0 for p in comp}
        for pred in sorted(by_head):
            with self.at_rules(by_head[pred]):
                new[pred] = self._derive(pred, by_head[pred])
        added = sum(new[p] for p in by_head if p == self.one_statement)
        for pred in sorted(by_head):
            if not new[pred] or pred == self.one_statement:
                continue
            target = self.delta_names[pred][1 - self.phase]
            got = self.store.append_round(pred, self._stamp(pred, target), self.round_no)
            self.sizes[pred] += got
            added += got
        self.phase = 1 - self.phase
        self.fresh_statistics(by_head, new)
        self.rounds.append((added, time.perf_counter() - start))
        self.watch_growth(by_head, new)
        self.check_limits(plans)
        return new

    def fresh_statistics(self, by_head: dict[str, list[CompiledPlan]], new: dict[str, int]) -> None:
        """Between rounds (stores that keep `statistics`, PostgreSQL): ANALYZE the deltas the next round reads,
        and a relation whenever it has grown by half since it was last analyzed, so that no round is planned
        for the sizes of an earlier one (a nested loop over a delta thought empty). A relation that reaches
        INDEX_ROWS rows while its stratum runs is indexed on its key columns (stores that `index_relations`),
        built in bulk then: a round's anti-join may look its new tuples up rather than read it whole."""
        if not self.store.statistics:
            return
        for pred in sorted(by_head):
            if pred == self.one_statement or pred in self.stored:
                continue
            if new[pred]:
                self.store.analyze(self.delta_names[pred][self.phase])
            if self.store.index_relations and self.sizes[pred] >= INDEX_ROWS and pred not in self.indexed \
                    and self.key_columns(pred):
                self.store.index(pred, self.key_columns(pred))
                self.indexed.add(pred)
            if self.sizes[pred] >= 1.5 * self.analyzed.get(pred, 0) + 1000:
                self.store.analyze(pred)
                self.analyzed[pred] = self.sizes[pred]

    def watch_growth(self, by_head: dict[str, list[CompiledPlan]], new: dict[str, int]) -> None:
        """E601 for a rule that has made nothing but new numbers for too many rounds (engine.evaluation.growth).

        A predicate's new tuples are those of its first rule that computes a head value; a round of more
        than GROWTH_ROWS new tuples is judged on a sample of them. Reading them back costs a statement: a
        predicate that did not only grow is looked at again after twice as many rounds as the last time
        (up to 64), one that did every round.
        """
        grew: dict[int, int] = {}
        for pred, plans in by_head.items():
            makers = [c for c in plans if c.grows]
            if not makers:
                continue
            due, every = self.growth_due.get(pred, (0, 1))
            if self.round_no < due:
                continue
            if not new[pred]:
                grew[makers[0].plan.rule_index] = 0
                self.growth_due[pred] = (self.round_no + 1, 1)
                continue
            where = exp.EQ(this=exp.column("_r"), expression=exp.Literal.number(self.round_no))
            limit = GROWTH_ROWS if new[pred] <= GROWTH_ROWS else SAMPLE
            rows = {row for row, _meta in self.rows(pred, [], where, limit)}
            r = makers[0].plan.rule_index
            grew[r] = new[pred] if self.growth.only_grows(r, rows, makers[0].grows) else 0
            every = 1 if grew[r] else min(64, 2 * every)
            self.growth_due[pred] = (self.round_no + every, every)
        runaway = self.growth.after_round(grew)
        if runaway is not None:
            rule = self.program.rules[runaway]
            raise SyllogError([Diagnostic("E601", growth_message(self.growth, runaway, rule.head.pred), rule.span,
                                          "error", growth_help(self.growth.by_size(runaway)))], self.program.text)

    def data_range(self, comp: set[str]) -> Range:
        """The numbers of the program and of the data a stratum starts from (lower strata, its facts and inputs):
        the facts' and rules' numbers, and each table's largest magnitude, from the database."""
        found: list[Value] = []
        for pred in sorted(self.program.arity):
            cols = [(i, rep) for i, rep in enumerate(self.reps[pred]) if rep in ("int", "any")]
            if not cols or not self.sizes[pred]:
                continue
            biggest = [exp.Max(this=exp.Abs(this=self.d.num(exp.column(column_names(i, rep)[0])))) for i, rep in cols]
            q = exp.select(*biggest).from_(self.table(pred))
            if pred in comp:  # its base: facts and input rows
                q = q.where(exp.EQ(this=exp.column("_r"), expression=exp.Literal.number(0)))
            for (_i, rep), m in zip(cols, self.store.fetch(q)[0]):
                if m is not None:
                    found.append(decode((m, "", True, 0), "any") if rep == "any" else int(str(m)))
        return range_of(self.program.rules, [[v for _p, t, _c in self.program.facts.groups() for col in t.columns for v in col], found])

    def rows(self, pred: str, extra: list[str], where: exp.Expr | None = None,
             limit: int | None = None) -> Iterator[tuple[Row, tuple[Any, ...]]]:
        """The tuples of a predicate's table (those `where` selects, at most `limit`), decoded, with the columns
        `extra` as they are."""
        reps = self.reps[pred]
        names = [c for c, _t in self.value_columns(pred)]
        sel: list[exp.Expr] = [exp.column(c) for c in names + extra] or [exp.Literal.number(1)]
        q = exp.select(*sel).from_(self.table(pred))
        if where is not None:
            q = q.where(where)
        if limit is not None:
            q = q.limit(limit)
        for rec in self.store.stream(q):
            yield _decoded(rec, reps), tuple(rec[len(names):])

    def ordered_rows(self, pred: str) -> Iterator[Row]:
        """A predicate's tuples in value order (engine.values.row_key), sorted by the database, read in batches."""
        reps = self.reps[pred]
        names = [c for c, _t in self.value_columns(pred)]
        if not names:
            yield from (row for row, _meta in self.rows(pred, []))
            return
        for rec in self.store.stream(sorted_select(names, self.store.render(self.table(pred)), reps, self.d.name == "postgres")):
            yield _decoded(rec, reps)

    def run_checks(self, plans: list[CompiledPlan]) -> None:
        """Run each plan's checks: count the rows dropped for undefined arithmetic; refuse what stops evaluation."""
        for c in plans:
            for k, chk in enumerate(c.checks):
                ckey: tuple[Any, ...] = ("check", id(c), k)
                if ckey not in self.rendered:
                    self.rendered[ckey] = self.store.render(chk.query)
                with self.at_rules([c]):
                    hits = self.store.fetch(self.rendered[ckey])
                if not hits:
                    continue
                if chk.reason is not None:  # the rows were dropped: count them for W104
                    note_operands(self.dropped, c.plan.rule_index, chk, hits)
                    continue
                rule = self.program.rules[c.plan.rule_index]
                help = None if chk.code == "E602" else "evaluate this program in memory (without --backend)"
                raise SyllogError([Diagnostic(chk.code, f"{chk.message} in this rule", rule.span, "error", help)],
                                  self.program.text)

    @contextmanager
    def at_rules(self, plans: list[CompiledPlan]) -> Iterator[None]:
        """A database error in what runs inside is given the place of the rule it comes from.

        With several rules in one statement, each one's SELECT is run alone (only on the error path) to
        find the one that fails.
        """
        try:
            yield
        except SyllogError as exc:
            if not plans or any(d.span != NO_SPAN for d in exc.diagnostics):
                raise
            rule = self.program.rules[self._failing(plans)]
            raise SyllogError([dataclasses.replace(d, span=rule.span) for d in exc.diagnostics],
                              self.program.text) from None

    def _failing(self, plans: list[CompiledPlan]) -> int:
        """The index of the first rule whose SELECT alone raises a database error (the first rule if none does)."""
        for c in plans if len(plans) > 1 else []:
            every = exp.select(exp.Count(this=exp.Star())).from_(
                exp.select("*").from_(c.select.subquery("u")).distinct().subquery("v"))
            try:
                self.store.fetch(every)
            except SyllogError:
                return c.plan.rule_index
        return plans[0].plan.rule_index

    def _derive(self, pred: str, plans: list[CompiledPlan]) -> int:
        """One round's new tuples of `pred` from its rules' plans, into its next delta (or the relation)."""
        key = ("delta", pred, self.phase, tuple(id(c) for c in plans))
        selects = [exp.select("*").from_(c.select.subquery(f"u{k}")) for k, c in enumerate(plans)] \
            if key not in self.rendered else []
        union: exp.Query | None = selects[0] if selects else None
        for sel in selects[1:]:
            union = exp.union(union, sel, distinct=False)  # type: ignore[arg-type]
        target = self.delta_names[pred][1 - self.phase]
        if pred == self.one_statement:
            if union is not None:
                self.rendered[key] = self.store.render(self._one_statement(pred, union))
            got: int = self.store.run(self.rendered[key])
            self.sizes[pred] += got
            return got
        if self.part_rows is None:
            if union is not None:
                self.rendered[key] = self.store.render(self._new_delta(pred, union))
            return self.store.replace(target, self.rendered[key])
        if union is not None:
            self.rendered[key] = self.store.render(union)
        cand = f"_c_{pred}"
        found = self.store.replace(cand, self.rendered[key])
        parts = max(1, -(-found // self.part_rows)) if self.key_columns(pred) else 1
        self.store.run(exp.delete(self.store.table(target)))
        source = exp.select("*").from_(self.store.table(cand))
        return sum(self.store.append(target, self._new_delta(pred, source, (k, parts) if parts > 1 else None))
                   for k in range(parts))

    def _stamp(self, pred: str, table: str) -> str:
        """SELECT the delta's tuples with the round (a parameter) as `_r`; rendered once."""
        key = ("stamp", pred, table)
        if key not in self.rendered:
            names = [c for c, _t in self.value_columns(pred)]
            r = exp.Cast(this=exp.Placeholder(), to=self.d.int_type.copy())
            q = exp.select(*[exp.column(c) for c in names], r.as_("_r")).from_(self.store.table(table))
            self.rendered[key] = self.store.render(q)
        return self.rendered[key]

    def _one_statement(self, pred: str, union: exp.Query) -> exp.Insert:
        """A whole round for `pred` (DuckDB, no memory limit): one INSERT INTO `pred`.

        The candidate tuples of `union` that `pred` lacks (an anti-join first, then deduplicated:
        most candidates of a big round are old tuples), stamped with the round (the variable
        `syllog_r`). The next round reads them back as its delta through the view `_v_<pred>`
        (`_r` = the last round): rows are appended in round order, so DuckDB's zone maps on `_r`
        skip the older row groups. This saves the work tables' two statements a round.
        """
        keys = self.key_columns(pred)
        names = [c for c, _t in self.value_columns(pred)]
        on = exp.and_(*[exp.EQ(this=exp.column(k, "t"), expression=exp.column(k, "c")) for k in keys])
        fresh = exp.select(*[exp.column(c, "c") for c in names]).from_(union.subquery("c")) \
            .join(self.store.table(pred).as_("t"), on=on, join_type="left") \
            .where(exp.Is(this=exp.column("_r", "t"), expression=exp.Null()))
        dedup = self._dedup(pred, fresh.subquery("c"))
        rows = exp.select(*[exp.column(c, "c") for c in names], _round_variable().as_("_r")) \
            .from_(dedup.subquery("c"))
        return exp.insert(rows, self.store.table(pred), columns=[exp.to_identifier(c) for c in names + ["_r"]])

    def _new_delta(self, pred: str, union: exp.Query, part: tuple[int, int] | None = None) -> exp.Select:
        """The tuples of `union` that `pred` lacks.

        With `part` = (k, parts), only the tuples whose hash falls in part k.
        """
        keys = self.key_columns(pred)
        cond: list[exp.Expr] = [exp.EQ(this=exp.column(k, "t"), expression=exp.column(k, "c")) for k in keys]
        if part is not None and keys:
            def in_part(alias: str) -> exp.Expr:
                h = exp.Anonymous(this="hash", expressions=[exp.column(k, alias) for k in keys])
                return exp.EQ(this=exp.Mod(this=h, expression=exp.Literal.number(part[1])),
                              expression=exp.Literal.number(part[0]))
            union = exp.select("*").from_(union.subquery("c")).where(in_part("c"))
            cond.append(in_part("t"))
        dedup = self._dedup(pred, union.subquery("c"))
        names = [c for c, _t in self.value_columns(pred)]
        on = exp.and_(*cond) if cond else exp.true()
        missing = exp.Is(this=exp.column("_r", "t"), expression=exp.Null())
        cols: list[exp.Expr] = [exp.column(c, "c") for c in names] or [exp.Literal.number(1).as_("_u")]
        # an anti-join written as LEFT JOIN ... IS NULL: DuckDB then builds its hash table on
        # the (small) new tuples rather than on the (large) relation
        return exp.select(*cols).from_(dedup.subquery("c")) \
            .join(self.store.table(pred).as_("t"), on=on, join_type="left").where(missing)

    def check_limits(self, plans: list[CompiledPlan]) -> None:
        total = sum(self.sizes.values())
        over_time = self.deadline is not None and time.monotonic() > self.deadline
        if (self.max_tuples is not None and total > self.max_tuples) or over_time:
            what = (f"more than {self.max_tuples:,} tuples were derived" if not over_time
                    else f"evaluation ran past {self.max_seconds} seconds")
            # the rule at work: one that is making new values, if one is, else the first
            at = max(plans, key=lambda c: self.growth.growing(c.plan.rule_index)) if plans else None
            span = self.program.rules[at.plan.rule_index].span if at is not None else NO_SPAN
            growing = at is not None and self.growth.growing(at.plan.rule_index) > 0
            help = limit_help("--timeout" if over_time else "--max-tuples", growing)
            raise SyllogError([Diagnostic("E601", f"{what}; this rule was still deriving new tuples", span, "error",
                                          help)], self.program.text)


def _decoded(rec: tuple[Any, ...], reps: list[str]) -> Row:
    """The values of a row of physical columns, one column of `reps` after the other."""
    row: list[Value] = []
    k = 0
    for rep in reps:
        row.append(decode(tuple(rec[k:k + width(rep)]), rep))
        k += width(rep)
    return tuple(row)


def _same_predicates(program: Program, other: Program) -> set[str]:
    """The predicates `program` defines as `other` does: the same rules (none, for data), hence the same facts
    and inputs (a rewrite for demand keeps every fact and input of a predicate it reads) and, below them, the same
    predicates; so the same relation."""
    def rules(p: Program) -> dict[str, list[n.Rule]]:
        out: dict[str, list[n.Rule]] = {}
        for r in p.rules:
            out.setdefault(r.head.pred, []).append(r)
        return out

    mine, theirs = rules(program), rules(other)
    return {p for p in program.arity if p in other.arity and mine.get(p, []) == theirs.get(p, [])}


def note_operands(dropped: Dropped, where: int, chk: Check, found: list[tuple[Any, ...]]) -> None:
    """Tell `dropped` of the operands a check found an undefined operation on (their parts, decoded)."""
    for rec in found:
        operands: list[Value] = []
        k = 0
        for rep in chk.reps:
            operands.append(decode(tuple(rec[k:k + width(rep)]), rep))
            k += width(rep)
        dropped.add(where, chk.op, chk.reason or "", tuple(operands))


def _part_rows(store: Store) -> int | None:
    """Rows per part of a round's deduplication under DuckDB's memory limit (None: no limit set)."""
    limit = getattr(store, "memory_limit", None)
    if not isinstance(limit, str):
        return None
    units = {"kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30,
             "tib": 2**40, "b": 1, "": 1}
    text = limit.strip().lower().replace(" ", "")
    number = text.rstrip("abcdefghijklmnopqrstuvwxyz")
    try:
        size = float(number) * units[text[len(number):]]
    except (ValueError, KeyError):
        return 1_000_000
    # a part's candidates and the matching share of the relation, with hash tables, in a quarter
    return max(50_000, int(size / 4 / 32))


_ROUND_VARIABLE = "syllog_r"


def _round_variable() -> exp.Expr:
    """The round being run, as DuckDB's session variable (a constant to the planner, unlike a parameter)."""
    return exp.Cast(this=exp.Anonymous(this="getvariable", expressions=[exp.Literal.string(_ROUND_VARIABLE)]),
                    to=exp.DataType.build("BIGINT"))


def _native_name(pred: str) -> str:
    """The recursive CTE that evaluates `pred`'s stratum (see `_SqlEvaluator._native`)."""
    return f"_x_{pred}"


def _delta_pred(plan: P.RulePlan) -> str:
    step = plan.steps[0]
    assert isinstance(step, P.Join)
    return step.pred


class SqlModel:
    """Relations evaluated in a SQL database, read back as Python values.

    `relation(name)` returns the same set of tuples as `Model.relation`;
    `query(goal)` answers a goal in SQL. Grades (`grade`, a query's grades) and
    proofs (`why`, `explain`) are found on demand, as `Model`'s are: the part of
    the model a goal needs is computed in the database and searched in memory
    (engine.backends.proof), so they are the in-memory engine's.
    """

    def __init__(self, ev: _SqlEvaluator, keeper: Keeper | None = None) -> None:
        self._ev = ev
        self.program = ev.program
        self.store = ev.store
        self.backend = ev.d.name
        self.provenance = ev.provenance
        self.graded = ev.provenance and ev.program.has_citations
        self._models: dict[str, Model] = {}  # per goal (its text): the in-memory model that answers it
        self._run = False
        self.keeper = keeper
        self.kept: Kept | None = None  # the kept model answered from, when it was not evaluated here
        self.evaluations = 0  # evaluations of the program run by this model (0 when answered from a kept one)

    def reuse(self) -> bool:
        """Answer from the model kept in the database, when it holds this program complete (E906 when it holds an
        incomplete evaluation of it); False when there is none to use."""
        kept = self.keeper.current() if self.keeper is not None else None
        if kept is None:
            return False
        self.use(kept)
        return True

    def use(self, kept: Kept) -> None:
        """Answer from the relations a complete evaluation left in the schema."""
        self._run = True
        self.kept = kept
        self.store.attach()
        for pred in self._ev.sizes:
            self._ev.sizes[pred] = kept.sizes.get(pred, 0)

    @property
    def kept_note(self) -> str | None:
        """`answered from the model kept in D (evaluated T)` when answered from a kept model, else None."""
        if self.kept is None or self.keeper is None:
            return None
        return f"answered from the model kept in {self.keeper.database} (evaluated {self.kept.finished})"

    def evaluated(self) -> SqlModel:
        """The model with its program evaluated (evaluating it now if it was deferred); E907 once a later model of
        this process has evaluated the same schema again (engine.backends.catalog)."""
        if self.keeper is not None and self.keeper.superseded:
            raise in_use(self.keeper.database, 0, help="a later model of this process evaluated the same database "
                         "and schema again, which this one's tables now hold; evaluate again, or use the later model")
        if not self._run:
            self._run = True
            self.evaluations += 1
            if self.keeper is None:
                self._ev.run()
                return self
            with self.keeper.evaluating(lambda: (dict(self._ev.sizes), self.warnings)):
                self._ev.run()
        return self

    @property
    def warnings(self) -> list[Diagnostic]:
        """What evaluation warns of, as `Model.warnings`: W104 for rule instances whose arithmetic is undefined."""
        if self.kept is not None:
            return list(self.kept.warnings)
        return self._ev.dropped.rule_warnings(self.program.rules)

    @property
    def rounds(self) -> list[tuple[int, float]]:
        """(tuples added, seconds) for every round, in order."""
        return list(self._ev.rounds)

    @property
    def log(self) -> list[str]:
        """The SQL statements run, when evaluated with `log=True`."""
        return list(self.store.log or [])

    def close(self) -> None:
        if self.keeper is not None:
            try:
                self.keeper.close()
            except SyllogError:
                pass  # the connection is gone: so are its locks
        self.store.close()

    def __enter__(self) -> SqlModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- relations ----------------------------------------------------------------
    def relation(self, name: str) -> SqlRelation:
        """The tuples of a predicate, as a set read from the database in batches (empty for an unknown name)."""
        return SqlRelation(self.evaluated(), name)

    def write_output(self, spec: DataSpec, path: Path, params: tuple[n.Param, ...]) -> bool:
        """Write an `.output` from the database: csv and tsv by the database itself (engine.backends.transfer),
        jsonl, Parquet (and csv the database cannot write alike) from rows streamed in value order."""
        from ..evaluation.io import write_relation
        from ..evaluation.parquet import write_parquet_ordered

        ev = self.evaluated()._ev
        if spec.pred not in ev.reps or not isinstance(ev.store, (DuckDBStore, PostgresStore)):
            return False
        if spec.format == "parquet":
            write_parquet_ordered(lambda: ev.ordered_rows(spec.pred), path, spec, params)
            return True
        table = ev.store.render(ev.table(spec.pred))
        if not write_by_database(ev.store, table, ev.reps[spec.pred], path, spec, [p.name for p in params]):
            write_relation(ev.ordered_rows(spec.pred), path, spec, params, ordered=True)
        return True

    def size(self, name: str) -> int:
        return self.evaluated()._ev.sizes.get(name, 0)

    def in_memory(self) -> Model:
        """The whole model read back into an in-memory `Model` (for what searches every relation: `syllog test`,
        `syllog snapshot`); its grades and proofs are the same. E908 past IN_MEMORY_TUPLES: a model past memory
        is asked with queries, answered by the database."""
        self.evaluated()
        if self.count() > IN_MEMORY_TUPLES:
            raise SyllogError([error(
                "E908", f"`syllog test` and `syllog snapshot` read the model back into memory, and this one holds "
                        f"{self.count():,} tuples (more than {IN_MEMORY_TUPLES:,})", IN_USE_AT,
                help="ask it with `syllog query` and `syllog why` (answered by the database), or keep the "
                     "expectations and snapshots to a smaller program")], self.program.text)
        return Model(self.program, holding(self.program, _read(self._ev, set(self.program.arity))), self.provenance)

    def count(self) -> int:
        return sum(self.evaluated()._ev.sizes.values())

    def grade(self, pred: str, row: Row) -> Grade | None:
        """The tuple's best grade, as `Model.grade` (None when the program is ungraded or the tuple does not hold)."""
        atom = self._ground(pred, row)
        if not self.graded or atom is None or not self._matches((atom,)):
            return None
        return self._goal_model((atom,)).grade(pred, tuple(row))

    # -- queries ------------------------------------------------------------------
    def query(self, goal: str | tuple[n.Literal, ...], text: str | None = None) -> Answers:
        """Answer a goal in SQL; the same `Answers` as `Model.query` (grades found on demand)."""
        from ..model import checked_goal, goal_variables

        warnings: list[Diagnostic] = []
        sources: SourceMap | None = None
        if isinstance(goal, str):
            text = goal
            body, sources, warnings = checked_goal(self.program, goal)
        else:
            body = goal
        names = goal_variables(body)
        dropped = Dropped()  # the goal's matches whose arithmetic is undefined fail, as in memory
        rows = self._matches(body, names, dropped)
        answers = Answers(text or "", names, rows)
        if body:
            answers.warnings = dropped.goal_warnings(body, Span(body[0].span.file, body[0].span.line,
                                                                body[0].span.col, body[-1].span.end_line,
                                                                body[-1].span.end_col))
        if self.graded and rows:
            shown = self._goal_model(body).query(body)
            grades = dict(zip(shown.rows, shown.grades))
            answers.grades = [grades.get(r) for r in rows]
        answers.warnings, answers.sources = warnings + answers.warnings, sources  # the goal's, as Model.query
        return answers

    def _matches(self, body: tuple[n.Literal, ...], names: list[str] | None = None,
                 dropped: Dropped | None = None) -> list[Row]:
        """The distinct values of `names` over the matches of `body`, found in SQL, in value order."""
        names = names if names is not None else []
        self.evaluated()
        plan = P.plan_match(body, (), dict(self._ev.sizes))
        b = Builder(self._ev.d, self._ev.schema, lambda _lit: NO_SPAN)
        b.run(plan.steps)
        for chk in b.checks:
            found = self.store.fetch(chk.query)
            if found and chk.reason is not None:
                note_operands(dropped if dropped is not None else Dropped(), -1, chk, found)
            elif found:
                raise SyllogError([error(chk.code, f"{chk.message} in this query", NO_SPAN)])
        anys = [to_rep(b.slots[plan.slots[x]], "any", self._ev.d) for x in names]
        cols: list[exp.Expr] = []
        for k, v in enumerate(anys):
            cols.extend(part.copy().as_(f"o{k}{s}") for part, s in zip(v.parts, PARTS))
        q = b.select(cols, distinct=True)
        if not names:
            return [()] if self.store.fetch(q.limit(1)) else []
        # in value order, by the database: the answers come in batches, never held twice or sorted in Python
        keys: list[exp.Expr] = [exp.column(f"o{k}{s}") for k in range(len(names)) for s in "tnx"]
        if self.backend == "postgres":  # text in code point order
            keys = [exp.Collate(this=c, expression=exp.to_identifier("C", quoted=True)) if c.name.endswith("t") else c
                    for c in keys]
        out: list[Row] = []
        for rec in self.store.stream(exp.select("*").from_(q.subquery("a")).order_by(*keys)):
            row = _decoded(rec, ["any"] * len(names))
            if not out or out[-1] != row:  # 1 and 1.0 are one value: side by side in this order
                out.append(row)
        return out

    def violations(self, constraints: list[n.Constraint] | None = None) -> list[Violation]:
        """Every violation of the program's constraints, as `Model.violations` (the premises' proofs on demand)."""
        out: list[Violation] = []
        for k in self.program.constraints if constraints is None else constraints:
            if not self._matches(k.body):
                continue
            if self.provenance:
                out.extend(self._goal_model(k.body).violations([k]))
                continue
            answers = self.query(k.body)
            out.extend(Violation(k, dict(zip(answers.variables, row)), None, []) for row in answers.rows)
        return out

    # -- proofs -------------------------------------------------------------------
    def why(self, goal: str, alternatives: int = 1) -> list[ProofNode]:
        """Proofs (`ProofNode`s) for every match of an atom, as `Model.why`; a `missing` node if none."""
        from ..model import checked_why

        atom, _sources = checked_why(self.program, goal)
        body = (atom,)
        self._need_provenance()
        if not self._run:  # deferred: what the goal needs, evaluated on its own, tells whether it holds
            model = self._goal_model(body)
            if model.query(body).rows:
                return model.why(goal, alternatives)
        model = self._goal_model(body) if self._matches(body) else missing_model(_Database(self), atom)
        return model.why(goal, alternatives)

    def explain(self, pred: str, row: Row) -> ProofNode:
        """The proof of a tuple that holds, as `Model.explain` (a `missing` node if it does not)."""
        from ..values import show_atom

        self._need_provenance()
        atom = self._ground(pred, row)
        if atom is None or not self._matches((atom,)):
            return ProofNode("missing", show_atom(pred, tuple(row)), TOP, note="does not hold", pred=pred,
                             row=tuple(row))
        return self._goal_model((atom,)).explain(pred, tuple(row))

    def _ground(self, pred: str, row: Row) -> n.Atom | None:
        """The ground atom of a tuple (None for an unknown predicate or a row of the wrong length)."""
        if self.program.arity.get(pred) != len(row):
            return None
        return n.Atom(pred, tuple(n.Const(v) for v in row))

    def _goal_model(self, body: tuple[n.Literal, ...]) -> Model:
        from ..syntax.pretty import body as body_text

        key = body_text(body)
        if key not in self._models:
            self._models[key] = goal_model(_Database(self), body)
        return self._models[key]

    def _need_provenance(self) -> None:
        if not self.provenance:
            raise SyllogError([error("E802", "proofs need provenance; evaluate without --no-provenance "
                                     "(provenance=True)", Span("<why>", 1, 1, 1, 1))])


class SqlRelation(AbstractSet[Row]):
    """A predicate's tuples in the database, as a read-only set: iterating reads them in batches (never all at
    once), `len` is known, `in` asks the database."""

    def __init__(self, model: SqlModel, pred: str) -> None:
        self.model = model
        self.pred = pred

    def __iter__(self) -> Iterator[Row]:
        if self.pred in self.model._ev.reps:
            yield from (row for row, _meta in self.model._ev.rows(self.pred, []))

    def __len__(self) -> int:
        return self.model.size(self.pred)

    def __contains__(self, row: object) -> bool:
        if not isinstance(row, tuple):
            return False
        atom = self.model._ground(self.pred, row)
        return atom is not None and bool(self.model._matches((atom,)))

    def __repr__(self) -> str:
        return f"<{self.pred}: {len(self):,} tuples in {self.model.backend}>"

    @classmethod
    def _from_iterable(cls, rows: Any) -> Any:
        """What `|`, `&` and `-` make (collections.abc.Set's hook): a set in memory."""
        return set(rows)


class _Database:
    """A SQL model as the proof search reads it (engine.backends.proof.Database)."""

    def __init__(self, model: SqlModel) -> None:
        self.model = model
        self.ev = model._ev

    @property
    def program(self) -> Program:
        return self.ev.program

    def read(self, preds: set[str]) -> Fetched:
        self.model.evaluated()
        return _read(self.ev, preds)

    def evaluate_beside(self, program: Program) -> Fetched | None:
        """`program` evaluated in the work schema `<schema>_demand` (dropped afterwards), reading the relations it
        shares with the stored model from there (when the model is evaluated); None without a schema."""
        store = self.ev.store
        if not store.schema:
            return None
        work = store.in_schema(f"{store.schema}_demand_{os.getpid()}")  # a run's own: runs may be concurrent
        ev = _SqlEvaluator(program, work, True, self.ev.max_tuples, self.ev.max_seconds, self.ev.max_growing_rounds,
                           beside=self.ev if self.model._run else None)
        try:
            ev.run()
            return _read(ev, set(program.arity))
        finally:
            work.drop_schema()


def _read(ev: _SqlEvaluator, preds: set[str]) -> Fetched:
    """The tuples of `preds` as evaluated by `ev`, one query a predicate, and the facts and input rows among
    them (`_r` = 0)."""
    rels: dict[str, set[Row]] = {}
    base: dict[str, set[Row]] = {}
    for pred in sorted(preds):
        if pred not in ev.reps:
            continue
        rows, first = set(), set()
        for row, meta in ev.rows(pred, ["_r"]):
            rows.add(row)
            if meta[0] == 0:
                first.add(row)
        rels[pred], base[pred] = rows, first
    return rels, base


__all__ = ["BACKENDS", "SqlModel", "SqlRelation", "evaluate_sql", "open_store"]
