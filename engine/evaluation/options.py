"""Evaluation options: how the in-memory evaluator goes about it, one value passed in.

The strategies of engine.evaluation.fixpoint (chain strata, closed-form
closures, the vectorized path of engine.evaluation.vector) and when inputs and
facts are held as numpy columns (engine.evaluation.io, facts). Every choice
changes only the speed, never a model: the differential tests evaluate with
each strategy off (or forced on) and compare. There is no global state: a
caller that wants other choices passes another `EvaluationOptions`.
"""

from __future__ import annotations

from dataclasses import dataclass

VECTORIZED = ("auto", "on", "off")


@dataclass(frozen=True)
class EvaluationOptions:
    """`chain_strata`: strata of chain rules set-at-a-time (engine.evaluation.binary); `closures`: a linear
    stratum of one binary predicate in closed form (engine.evaluation.closure); `columnar`: csv/tsv files of
    `columnar_file_bytes` up, together `columnar_bytes` or more (some 50,000 rows of integers, what takes
    a stratum to the vectorized path, which imports numpy anyway), held as numpy columns (integers) or
    dictionary-encoded ones (engine.evaluation.coded, through pyarrow), and a predicate's integer facts of
    `columnar_values` values up, held as numpy columns (numpy takes some 0.1 s to import, pyarrow 0.1 s
    more: small programs start without them); `vectorized`: `auto` (a stratum whose rules the vectorized path can run and whose
    relations hold `vector_rows` tuples or more between them, or `vector_rows_encoded` when each of them is
    held encoded already by a stratum that went vectorized: see engine.evaluation.vector), `on` (every
    stratum it can run) or `off`; a join on that path holds about `vector_piece_rows` rows at once (larger
    ones run on pieces of their input in turn)."""

    chain_strata: bool = True
    closures: bool = True
    columnar: bool = True
    columnar_bytes: int = 1 << 19
    columnar_file_bytes: int = 1 << 16
    columnar_values: int = 1 << 16
    vectorized: str = "auto"
    vector_rows: int = 50_000
    vector_rows_encoded: int = 5_000
    vector_piece_rows: int = 1 << 20

    def __post_init__(self) -> None:
        if self.vectorized not in VECTORIZED:
            raise ValueError(f"vectorized must be one of {', '.join(VECTORIZED)}, not {self.vectorized!r}")


DEFAULT_OPTIONS = EvaluationOptions()
