"""Evaluation: the default limits of each backend, and what `BY_BACKEND` stands for.

In memory the limits guard the machine: 20,000,000 derived tuples, half of
its memory (engine.evaluation.memory), and a rule may make nothing but new
numbers for 100,000 rounds in a row (engine.evaluation.growth; about a
second of `n(X + 1) :- n(X).`). The SQL backends are for data past memory,
on disk: their tuple limit is 1,000,000,000 rows (DuckDB spills to its temp
directory; `max_temp_directory_size` bounds the disk it may fill), and as a
round there costs milliseconds, not microseconds, a rule may only grow for
1,000 rounds in a row (a few seconds of the same runaway on DuckDB).

    >>> for_backend("duckdb", BY_BACKEND, None)
    (1000000000, None)
"""

from __future__ import annotations

BY_BACKEND = -1  # a limit left to the backend's default

DEFAULT_MAX_TUPLES = 20_000_000
DEFAULT_GROWING_ROUNDS = 100_000
SQL_MAX_ROWS = 1_000_000_000
SQL_GROWING_ROUNDS = 1_000


def for_backend(backend: str, max_tuples: int | None, max_growing_rounds: int | None) -> tuple[int | None, int | None]:
    """The tuple and growth limits for `backend` ("memory" or a SQL one), `BY_BACKEND` replaced by its default."""
    memory = backend == "memory"
    if max_tuples == BY_BACKEND:
        max_tuples = DEFAULT_MAX_TUPLES if memory else SQL_MAX_ROWS
    if max_growing_rounds == BY_BACKEND:
        max_growing_rounds = DEFAULT_GROWING_ROUNDS if memory else SQL_GROWING_ROUNDS
    return max_tuples, max_growing_rounds
