"""SQL backends: the kept model — which program a database holds, whether its evaluation completed, and who may
use it now.

Stage: around a SQL evaluation (engine.backends.sql). Input: a `Store` with a
schema, a checked `Program`. Output: a `Keeper` that records, in the table
`<schema>._model` (one row), the program's fingerprint (`fingerprint`: its
declarations, rules, facts and `.input` directives, and the contents of every
`.input` file), the state of its evaluation (`incomplete` from before the first
table is dropped; `complete` only after the last step; `failed` with the error
when evaluation stopped with one) and, once complete, each relation's size and
the evaluation's warnings. Each statement commits on its own (autocommit), so a
run killed at any point leaves `incomplete` (or no row at all), never a partial
model marked `complete`. On PostgreSQL the table is UNLOGGED like the
relations: a server crash empties both.

Concurrency: evaluation holds an exclusive lock on the schema, answering from
a kept model a shared one, until the model is closed (PostgreSQL: a
session-level advisory lock, waited for up to `wait` seconds, then E907;
DuckDB: the database file's own lock, taken when it is opened,
engine.backends.store). So a reader never sees a model being rebuilt, and two
evaluations of one schema run one after the other. A process never waits for
itself: a model it opens on a schema that an earlier model of its own still
holds does not wait. To read, an earlier model whose evaluation is complete
goes on reading beside it (its lock becomes shared); to evaluate again, the
earlier models let go and are superseded (`superseded`: their use is then
E907, saying to evaluate again).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlglot import exp

from .. import __version__
from ..analysis import Program
from ..errors import Diagnostic, Span, SyllogError, error
from ..syntax.pretty import fields, rule, value
from .store import IN_USE_AT, Store, in_use

# of the encoding and the catalog: a database written by another format is evaluated again (2: since E604, a
# model of format 1 may hold values of another type in a declared column)
FORMAT = 2
TABLE = "_model"
COLUMNS = ("fingerprint", "state", "started", "finished", "sizes", "warnings", "message", "version")
AT = IN_USE_AT
POLL = 0.2  # seconds between two tries of a lock held by another run
# the keepers of this process holding a schema's lock, by (database, schema)
_HOLDING: dict[tuple[str, str], weakref.WeakSet[Keeper]] = {}


@dataclass
class Kept:
    """The row of `<schema>._model`: what the database holds."""

    fingerprint: str
    state: str  # incomplete | complete | failed
    started: str
    finished: str | None = None
    sizes: dict[str, int] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)
    message: str = ""


def fingerprint(program: Program) -> str:
    """A hash of everything the relations of `program` depend on: declarations, rules, facts, `.input`
    directives and the bytes of each `.input` file (not citations, documents or queries: grades and proofs are
    found from the program at hand). The same program and inputs always give the same hash."""
    from ..evaluation.io import data_path

    h = hashlib.sha256()

    def put(*parts: str) -> None:
        h.update(("\x1f".join(parts) + "\x1e").encode("utf-8", "surrogateescape"))

    put("syllog kept model", str(FORMAT))
    for pred, k in sorted(program.arity.items()):
        decl = program.decls.get(pred)
        put("pred", pred, str(k), *(f"{p.name}:{p.type}" for p in (decl.params if decl else ())))
    for r in program.rules:
        put("rule", rule(r))
    for f in program.facts:
        put("fact", f.pred, *(f"{type(v).__name__}:{value(v)}" for v in f.row))
    for io in program.io:
        put("io", io.kind, io.pred, fields(io.fields))
        if io.kind == "input":
            put("file", file_digest(data_path(program, io)))
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes (of each file below a folder, with its name), or why it cannot be read."""
    if path.is_dir():
        h = hashlib.sha256()
        for p in sorted(q for q in path.rglob("*") if q.is_file()):
            h.update(f"{p.relative_to(path)}\x1f{file_digest(p)}\x1e".encode("utf-8", "surrogateescape"))
        return h.hexdigest()
    try:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()
    except OSError as exc:
        return f"unreadable: {exc.strerror}"


def shown(database: str) -> str:
    """A database as messages name it: a connection string without its password.

    >>> shown("host=db user=me password=s3cret dbname=x"), shown("postgresql://me:s3cret@db/x")
    ('host=db user=me password=*** dbname=x', 'postgresql://me:***@db/x')
    """
    hidden = re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", database)
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", hidden)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Keeper:
    """The catalog of one schema of one database, and its lock (see the module's docstring)."""

    def __init__(self, store: Store, program: Program, database: str, wait: float = 600.0,
                 notify: Callable[[str], None] | None = None) -> None:
        self.store = store
        self.program = program
        self.database = shown(database)
        self.wait = wait
        self.notify = notify
        self.fingerprint = fingerprint(program)
        self.key = (database, store.schema or "")
        self.shared = True
        self.superseded = False
        self.done = False  # its evaluation completed (or it answers from a complete model)

    # -- the lock ---------------------------------------------------------------------
    def lock(self, shared: bool) -> None:
        """Take the schema's lock, waiting for another run's for up to `wait` seconds (then E907)."""
        self.store.unlock()
        self.take_over(shared)
        start = time.monotonic()
        told = False
        while not self.store.try_lock(shared):
            waited = time.monotonic() - start
            if waited >= self.wait:
                raise in_use(self.database, round(waited, 1))
            if not told and self.notify is not None:
                self.notify(f"waiting for another run on {self.database} (up to {self.wait:g} s)")
                told = True
            time.sleep(POLL)
        self.shared = shared
        _HOLDING.setdefault(self.key, weakref.WeakSet()).add(self)

    def take_over(self, shared: bool) -> None:
        """Earlier keepers of this process on the same schema make way: to read, one whose evaluation is complete
        only reads from then on (its lock shared); to evaluate, or past one still evaluating, they let go of the
        lock and are superseded."""
        for other in [k for k in _HOLDING.get(self.key, weakref.WeakSet()) if k is not self]:
            if shared and other.shared:
                continue
            if shared and other.done:
                other.store.unlock()
                if other.store.try_lock(True):
                    other.shared = True
                    continue
            other.close()
            other.superseded = True

    def close(self) -> None:
        _HOLDING.get(self.key, weakref.WeakSet()).discard(self)
        self.store.unlock()

    # -- the catalog ------------------------------------------------------------------
    def read(self) -> Kept | None:
        """The catalog's row, or None when the schema holds none (never evaluated, or by another format)."""
        store = self.store
        if not store.has_table(TABLE):
            return None
        got = store.fetch(exp.select(*COLUMNS).from_(store.table(TABLE)))
        if len(got) != 1:
            return None
        fp, state, started, finished, sizes, warnings, message, _version = got[0]
        return Kept(str(fp), str(state), str(started), finished, json.loads(sizes or "{}"),
                    [diagnostic_of(w) for w in json.loads(warnings or "[]")], str(message or ""))

    def current(self) -> Kept | None:
        """The kept model of this program when it is complete (holding the shared lock until `close`); None when
        the database holds another program or none; E906 when it holds an incomplete evaluation of this one."""
        self.lock(shared=True)
        kept = self.read()
        if kept is None or kept.fingerprint != self.fingerprint:
            self.close()
            return None
        if kept.state != "complete":
            self.close()
            raise self.incomplete(kept)
        self.done = True
        return kept

    def incomplete(self, kept: Kept) -> SyllogError:
        why = (f"stopped with an error ({kept.message})" if kept.state == "failed" and kept.message
               else "did not finish (the run was killed or interrupted)")
        return SyllogError([error(
            "E906", f"the model kept in `{self.database}` is incomplete: its evaluation, started {kept.started}, {why}",
            AT, help="add --rebuild to evaluate the program again (evaluate_sql(..., reuse=False))")])

    @contextmanager
    def evaluating(self, result: Callable[[], tuple[dict[str, int], list[Diagnostic]]]) -> Iterator[None]:
        """Around an evaluation: the exclusive lock (kept until `close`), `incomplete` before it, `complete` with
        `result()` (sizes, warnings) after it, `failed` with the first error if it stops with one."""
        self.lock(shared=False)
        self.start()
        try:
            yield
        except SyllogError as exc:
            self.finish("failed", message=_first_line(exc))
            raise
        self.finish("complete", *result())
        self.done = True

    def start(self) -> None:
        store = self.store
        store.prepare()
        cols = [store.column_def(c, exp.DataType.build("TEXT")) for c in COLUMNS]
        store.run(exp.Create(this=exp.Schema(this=store.table(TABLE), expressions=cols), kind="TABLE", exists=True,
                             properties=store.table_properties()))
        store.run(exp.delete(store.table(TABLE)))
        row = (self.fingerprint, "incomplete", now(), None, None, None, None, f"syllog {__version__}")
        store.insert_rows(TABLE, list(COLUMNS), [row])

    def finish(self, state: str, sizes: dict[str, int] | None = None, warnings: list[Diagnostic] | None = None,
               message: str = "") -> None:
        """One UPDATE of the catalog's row: its state and, when complete, the relations' sizes and warnings."""
        values = {"state": state, "finished": now(), "message": message,
                  "sizes": json.dumps(sizes or {}, sort_keys=True),
                  "warnings": json.dumps([json_of(w) for w in warnings or []])}
        update = exp.update(self.store.table(TABLE), {k: exp.Literal.string(v) for k, v in values.items()})
        try:
            self.store.run(update)
        except SyllogError:
            if state == "complete":
                raise
            # failing: the row stays `incomplete`, which refuses as well


def _first_line(exc: SyllogError) -> str:
    d = exc.diagnostics[0] if exc.diagnostics else None
    return f"error[{d.code}]: {d.message}" if d is not None else "an error"


def json_of(d: Diagnostic) -> list[object]:
    s = d.span
    return [d.code, d.message, [s.file, s.line, s.col, s.end_line, s.end_col], d.severity, d.help]


def diagnostic_of(data: list[object]) -> Diagnostic:
    code, message, span, severity, help = data
    assert isinstance(span, list)
    return Diagnostic(str(code), str(message), Span(*span), severity, help)  # type: ignore[arg-type]
