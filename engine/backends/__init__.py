"""SQL backends: evaluate a checked program inside a SQL engine instead of in memory.

`evaluate_sql(program, backend="duckdb" | "postgres" | "spark", ...)` runs the
same rule plans as the in-memory evaluator, compiled to SQL through sqlglot,
and returns a `SqlModel` whose `relation(name)` gives the same tuples as
`Model.relation`. See docs/backends.md.
"""

from __future__ import annotations

from .sql import BACKENDS, SqlModel, evaluate_sql, open_store

__all__ = ["BACKENDS", "SqlModel", "evaluate_sql", "open_store"]
