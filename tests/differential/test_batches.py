"""Steps run in batches (engine.evaluation.batches) derive what steps run whole derive.

With batches of 2 rows and a look at the limits after every row, every join
of a generated program is cut into slices, every look counts the pending
tuples exactly (`Heads.new`), and the answers must still be the oracle's. The
general path only (chain strata and closures have their own looks).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given

from engine.evaluation import batches

from .generator import Program, programs
from .harness import diff_settings, relations_without, report
from .oracle import evaluate


@pytest.fixture(autouse=True)
def tiny_batches() -> Iterator[None]:
    saved = batches.BATCH_ROWS, batches.LOOK_ROWS
    batches.BATCH_ROWS, batches.LOOK_ROWS = 2, 1
    try:
        yield
    finally:
        batches.BATCH_ROWS, batches.LOOK_ROWS = saved


@diff_settings(150)
@given(programs())
def test_batches_of_two_rows_agree_with_the_oracle(program: Program) -> None:
    expected = evaluate(program)
    actual = relations_without("chain_strata", program)
    assert all(expected.get(p, set()) == actual[p] for p in program.preds), report(program, expected, actual)
