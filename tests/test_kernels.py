"""The vectorized path's kernels against numpy's own unique/sort, on dense and sparse columns."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.evaluation.kernels import (
    contains,
    dense,
    first_of_each,
    lex_order,
    ranges,
    sorted_distinct,
    stable_order,
    strictly_increasing,
    unique_inverse,
)

INT64 = st.integers(-(1 << 63), (1 << 63) - 1)
# columns of a narrow range (the table paths), of a wide one (sorting), and of ranges about 2**16 and 2**32
columns = st.one_of(
    st.lists(st.integers(0, 50), max_size=60),
    st.lists(st.integers(-(1 << 20), 1 << 20), max_size=60),
    st.lists(st.integers(0, (1 << 32) + 5), max_size=60),
    st.lists(INT64, max_size=60),
    st.lists(st.sampled_from([0, 1 << 16, (1 << 16) - 1, 1 << 31, (1 << 32) - 1, 7]), max_size=60),
).map(lambda xs: np.array(xs, dtype=np.int64))


@settings(max_examples=400, deadline=None)
@given(columns)
def test_kernels_agree_with_numpy(col: np.ndarray) -> None:
    distinct, inverse = unique_inverse(col)
    assert distinct.tolist() == np.unique(col).tolist()
    assert distinct[inverse].tolist() == col.tolist()
    firsts = first_of_each(col)
    assert col[firsts].tolist() == np.unique(col).tolist()  # one each, in order
    assert sorted_distinct(col).tolist() == np.unique(col).tolist()
    assert strictly_increasing(col) == (col.tolist() == sorted(set(col.tolist())))
    assert strictly_increasing(np.unique(col))
    order = stable_order(col)
    assert order.tolist() == np.argsort(col, kind="stable").tolist()
    probe = np.concatenate([col, col + 1]) if len(col) and col.max() < (1 << 62) else col
    assert contains(sorted_distinct(col), probe).tolist() == np.isin(probe, col).tolist()


@settings(max_examples=300, deadline=None)
@given(columns, columns)
def test_ranges_are_where_each_key_matches_in_a_sorted_column(left: np.ndarray, right: np.ndarray) -> None:
    rk = np.sort(np.concatenate([right, left[: len(left) // 2]]))  # some keys match, some do not
    start, counts = ranges(left, rk)
    for k, a, n in zip(left.tolist(), start.tolist(), counts.tolist()):
        assert n == int((rk == k).sum())
        assert n == 0 or (rk[a:a + n] == k).all()


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 3).flatmap(lambda w: st.lists(st.tuples(*[st.one_of(st.integers(-5, 5), INT64)] * w),
                                                    max_size=40)))
def test_lex_order_sorts_rows_stably(rows: list[tuple[int, ...]]) -> None:
    if not rows:
        return
    cols = [np.array(c, dtype=np.int64) for c in zip(*rows)]
    assert lex_order(cols).tolist() == np.lexsort(cols[::-1]).tolist()


def test_dense_is_the_narrow_ranges_only() -> None:
    assert dense(np.array([5, 9, 7], dtype=np.int64)) == (5, 5)
    assert dense(np.array([0, 1 << 40], dtype=np.int64)) is None
    assert dense(np.zeros(0, dtype=np.int64)) is None
