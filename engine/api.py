"""The public API: text or paths -> checked program -> model.

    >>> import engine
    >>> prog = engine.load_text("edge(a, b). edge(b, c). path(X, Y) :- edge(X, Y). "
    ...                         "path(X, Z) :- path(X, Y), edge(Y, Z).")
    >>> sorted(prog.evaluate().relation("path"))
    [('a', 'b'), ('a', 'c'), ('b', 'c')]

No global state: every `load` returns an independent program.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, overload

from .analysis import Program, check
from .collector import held_off
from .errors import Diagnostic
from .evaluation import BY_BACKEND, Evaluator, Limits
from .evaluation.limits import for_backend
from .evaluation.memory import default_max_memory
from .evaluation.options import DEFAULT_OPTIONS, EvaluationOptions
from .loader import load_paths, load_texts
from .model import Model, ModelLike, checked_goal
from .optional import SQL_EXTRA, MissingDependency, as_diagnostic, require

DEFAULT_MAX_MEMORY = default_max_memory()  # half the machine's memory


class Loaded:
    """A checked program, ready to evaluate any number of times."""

    def __init__(self, program: Program) -> None:
        self.program = program

    @property
    def warnings(self) -> list[Diagnostic]:
        return self.program.warnings

    @overload
    def evaluate(self, provenance: bool = ..., max_tuples: int | None = ..., max_seconds: float | None = ...,
                 backend: Literal["memory"] = ..., max_memory: int | None = ...,
                 progress: Callable[[int, int, int], None] | None = ..., max_growing_rounds: int | None = ...,
                 options: EvaluationOptions = ...) -> Model:
        ...

    @overload
    def evaluate(self, provenance: bool = ..., max_tuples: int | None = ..., max_seconds: float | None = ...,
                 backend: str = ..., max_memory: int | None = ...,
                 progress: Callable[[int, int, int], None] | None = ..., max_growing_rounds: int | None = ...,
                 options: EvaluationOptions = ..., **sql: Any) -> ModelLike:
        ...

    def evaluate(self, provenance: bool = True, max_tuples: int | None = BY_BACKEND,
                 max_seconds: float | None = None, backend: str = "memory",
                 max_memory: int | None = DEFAULT_MAX_MEMORY, progress: Callable[[int, int, int], None] | None = None,
                 max_growing_rounds: int | None = BY_BACKEND, options: EvaluationOptions = DEFAULT_OPTIONS,
                 **sql: Any) -> ModelLike:
        """Evaluate to a `Model` (or, with `backend="duckdb" | "postgres" | "spark"`, a
        `SqlModel` answering the same calls from the database; `sql` options go to
        `engine.backends.evaluate_sql`). Raises `SyllogError` (E601) past the limits:
        `max_tuples` derived tuples, `max_seconds`, `max_memory` bytes of resident
        memory (in memory only), `max_growing_rounds` rounds in a row in which a rule
        makes nothing but new numbers (engine.evaluation.growth). `BY_BACKEND` is the
        backend's default (engine.evaluation.limits), None no limit. `options`: the
        in-memory evaluator's strategies (engine.evaluation.options).
        `progress(rule_index, tuples, rounds)` hears how it goes.
        """
        max_tuples, max_growing_rounds = for_backend(backend, max_tuples, max_growing_rounds)
        if backend != "memory":
            sql_backends(backend)  # E903 when the `sql` extra is missing
            from .backends import evaluate_sql

            return evaluate_sql(self.program, backend=backend, provenance=provenance, max_tuples=max_tuples,
                                max_seconds=max_seconds, max_growing_rounds=max_growing_rounds, **sql)
        limits = Limits(max_tuples, max_seconds, max_memory, progress, max_growing_rounds)
        ev = Evaluator(self.program, limits, options=options)
        ev.run()
        return Model(self.program, ev, provenance)

    def evaluate_for(self, goal: str, demand: str = "auto", provenance: bool = True,
                     max_tuples: int | None = BY_BACKEND, max_seconds: float | None = None,
                     max_memory: int | None = DEFAULT_MAX_MEMORY,
                     progress: Callable[[int, int, int], None] | None = None) -> tuple[Model, Any]:
        """A model that answers (and proves) `goal` as the full model would, and the `engine.demand.Choice` made.

        `demand`: `auto` (the documented rule of `engine.demand.choose`), `on` or
        `off`. On demand, only what the goal depends on is evaluated (magic sets);
        the model's answers to the goal, their grades and proofs are the full
        model's; other goals may find it incomplete, and `why` of an atom that
        does not hold is best asked of the full model (`syllog why` does so).
        """
        from . import demand as D

        body, sources, _warnings = checked_goal(self.program, goal)
        choice = D.choose(self.program, body, demand)
        if not choice.used:
            return self.evaluate(provenance, max_tuples, max_seconds, max_memory=max_memory, progress=progress), choice
        max_tuples, growing = for_backend("memory", max_tuples, BY_BACKEND)
        limits = Limits(max_tuples, max_seconds, max_memory, progress, growing)
        return D.evaluate(choice, limits, provenance, guard=demand == "auto")


def sql_backends(backend: str) -> Any:
    """`engine.backends`, or E903 saying to install the `sql` extra when sqlglot or a driver is missing."""
    try:
        require("sqlglot", f"the `{backend}` backend", SQL_EXTRA)
        from . import backends
    except MissingDependency as exc:
        raise as_diagnostic(exc, "E903") from None
    return backends


def load(paths: list[str | Path] | str | Path, as_of: str | None = None) -> Loaded:
    """Load and check files and folders (every `.dl` below a folder, sorted).

    `as_of="YYYY-MM-DD"` keeps only the sources dated on or before that day
    (facts that cite no source always count).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    with held_off():  # AST nodes by the hundred thousand, no cycles (engine.collector)
        return Loaded(dated(check(load_paths(list(paths))), as_of))


def load_text(text: str, path: str = "<text>", base: str | Path | None = None, as_of: str | None = None) -> Loaded:
    """Load and check program text; `.include` and documents resolve against `base`."""
    with held_off():
        loaded = load_texts([(path, text)], Path(base) if base is not None else None)
        return Loaded(dated(check(loaded), as_of))


def dated(program: Program, as_of: str | None) -> Program:
    """The program as of a day: only the sources dated on or before it (see engine.whatif)."""
    if as_of is None:
        return program
    from .whatif import EvidenceChange, revise

    return revise(program, EvidenceChange(as_of=as_of)).program
