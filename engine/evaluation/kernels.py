"""Evaluation stage, the vectorized path's kernels: distinct values, orders and membership of int64 columns.

Contract: each function gives the same result for any column (keys, codes or
integer values; empty columns too). Where the column's values lie in a range
not much wider than the column is long (`dense`: codes of one column, ids,
amounts), they work by tables over that range, in one pass; otherwise by
sorting. Sorting a column of codes is then a radix sort on 16-bit digits
(numpy's stable sort of uint16 is one), not a comparison sort.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

Column = Any  # a numpy int64 array
SLACK = 1 << 16  # a range this wide is dense for any column
# Probing a table beats a binary search of the same keys by far more than it beats sorting them (a
# binary search of keys in random order misses the cache at every step): measured here, a membership
# table over a range 30 and 160 times the keys was 10 and 5 times faster than `searchsorted`, tables of
# counts and starts 27 times as wide 3 times faster. So a probe's table may span PROBE_WIDER times the
# keys, up to PROBE_MOST values (the tables' memory: a byte a value for membership, three int64 for
# counts and starts).
PROBE_WIDER = 32
PROBE_MOST = {"membership": 1 << 25, "ranges": 1 << 21}


def narrow(span: int, n: int) -> bool:
    """Whether a table over a range `span` wide costs less than sorting `n` elements."""
    return span <= 4 * n + SLACK


def probe_table(span: int, n: int, kind: str) -> bool:
    """Whether a table over a range `span` wide costs less than a binary search of `n` keys in it (`kind`:
    "membership" or "ranges", the table's elements, see PROBE_MOST)."""
    return span <= min(PROBE_WIDER * n + SLACK, PROBE_MOST[kind]) or narrow(span, n)


def dense(col: Column) -> tuple[int, int] | None:
    """The column's least value and the width of its range, when that is `narrow` for its length (a
    table over the range is then cheaper than sorting); None otherwise."""
    if not len(col):
        return None
    lo, hi = int(col.min()), int(col.max())
    return (lo, hi - lo + 1) if narrow(hi - lo + 1, len(col)) else None


def present(col: Column, lo: int, span: int) -> Column:
    """Over the range from `lo`: whether each value is in the column."""
    seen = np.zeros(span, dtype=bool)
    seen[col - lo] = True
    return seen


def unique_inverse(col: Column) -> tuple[Column, Column]:
    """The distinct values of `col` sorted, and each element's index among them."""
    d = dense(col)
    if d is not None:
        lo, span = d
        seen = present(col, lo, span)
        ranks = np.cumsum(seen) - 1
        return np.flatnonzero(seen) + lo, ranks[col - lo]
    order = np.argsort(col, kind="stable")
    s = col[order]
    first = starts_of_runs(s)
    ranks = np.cumsum(first) - 1
    inverse = np.empty(len(col), dtype=np.int64)
    inverse[order] = ranks
    return s[first], inverse


def first_of_each(keys: Column) -> Column:
    """The index of one element per distinct key, in the keys' order."""
    d = dense(keys)
    if d is not None:
        lo, span = d
        one = np.empty(span, dtype=np.int64)
        one[keys - lo] = np.arange(len(keys))  # (of equal keys, one index stays: which does not matter)
        return one[present(keys, lo, span)]
    order = stable_order(keys)
    return order[starts_of_runs(keys[order])]


def sorted_distinct(keys: Column) -> Column:
    """The distinct keys, sorted."""
    d = dense(keys)
    if d is not None:
        lo, span = d
        return np.flatnonzero(present(keys, lo, span)) + lo
    s = np.sort(keys)
    return s[starts_of_runs(s)]


def starts_of_runs(s: Column) -> Column:
    """For a sorted column: whether each element differs from the one before."""
    first = np.empty(len(s), dtype=bool)
    first[:1] = True
    np.not_equal(s[1:], s[:-1], out=first[1:])
    return first


def strictly_increasing(col: Column) -> bool:
    """Whether each element is greater than the one before (then the column is sorted and distinct)."""
    return bool((col[1:] > col[:-1]).all())


def stable_order(keys: Column) -> Column:
    """The permutation that sorts `keys`, equal keys in their order: least significant 16 bits first,
    for keys of a range up to 2**32 wide (two or fewer radix passes), else numpy's stable sort."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    lo = int(keys.min())
    span = int(keys.max()) - lo + 1
    if span > 1 << 32:
        return np.argsort(keys, kind="stable")
    rel = keys - lo
    order = np.argsort((rel & 0xFFFF).astype(np.uint16), kind="stable")
    if span > 1 << 16:
        order = order[np.argsort((rel[order] >> 16).astype(np.uint16), kind="stable")]
    return order


def lex_order(cols: list[Column]) -> Column:
    """The permutation that sorts the rows of `cols` (the first column first), equal rows in their order:
    one radix sort of the rows as numbers where the columns' ranges multiply to at most 2**62."""
    if not cols or not len(cols[0]):
        return np.zeros(len(cols[0]) if cols else 0, dtype=np.int64)
    los = [int(c.min()) for c in cols]
    spans = [int(c.max()) - lo + 1 for c, lo in zip(cols, los)]
    if math.prod(spans) > 1 << 62:
        return np.lexsort(cols[::-1])
    key = cols[0] - los[0]
    for c, lo, span in zip(cols[1:], los[1:], spans[1:]):
        key = key * span + (c - lo)
    return stable_order(key)


def in_range(keys: Column, lo: int, hi: int) -> Column:
    return (keys >= lo) & (keys <= hi)


def contains(sorted_keys: Column, keys: Column) -> Column:
    """For each of `keys`, whether it is in `sorted_keys` (sorted): by a table over their range when
    that is narrow enough, else by binary search."""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool)
    lo, hi = int(sorted_keys[0]), int(sorted_keys[-1])
    if probe_table(hi - lo + 1, len(keys) + len(sorted_keys), "membership"):
        table = present(sorted_keys, lo, hi - lo + 1)
        inside = in_range(keys, lo, hi)
        out = np.zeros(len(keys), dtype=bool)
        out[inside] = table[keys[inside] - lo]
        return out
    at: Any = np.searchsorted(sorted_keys, keys)
    np.minimum(at, len(sorted_keys) - 1, out=at)
    return sorted_keys[at] == keys


def positions(sorted_keys: Column, keys: Column) -> Column:
    """For each of `keys`, all of them in `sorted_keys` (sorted, distinct), its index there: by a table
    over their range when that is narrow enough, else by binary search."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    lo, hi = int(sorted_keys[0]), int(sorted_keys[-1])
    if probe_table(hi - lo + 1, len(keys) + len(sorted_keys), "ranges"):
        table = np.empty(hi - lo + 1, dtype=np.int64)
        table[sorted_keys - lo] = np.arange(len(sorted_keys))
        return table[keys - lo]
    return np.searchsorted(sorted_keys, keys)


def ranges(lk: Column, rk: Column, table: RangeTable | None = None) -> tuple[Column, Column]:
    """For each left key, where its matches start in `rk` (sorted) and how many there are: by tables of
    counts and starts over the range of `rk` (`table`, made by `range_table` when not given) when that
    is narrow enough, else by binary search."""
    if table is None and len(rk) and probe_table(int(rk[-1]) - int(rk[0]) + 1, len(lk) + len(rk), "ranges"):
        table = range_table(rk)
    if table is not None:
        lo, counts, starts = table
        inside = in_range(lk, lo, lo + len(counts) - 1)
        at = np.where(inside, lk - lo, 0)
        return starts[at], np.where(inside, counts[at], 0)
    start = np.searchsorted(rk, lk, "left")
    return start, np.searchsorted(rk, lk, "right") - start


RangeTable = tuple[int, Column, Column]  # (least key, the count of each key from it, where each starts)


def range_table(rk: Column) -> RangeTable:
    """The tables `ranges` reads for sorted keys `rk` (not empty), over their range: worth keeping for keys
    probed again and again (a relation joined by several rules)."""
    lo, hi = int(rk[0]), int(rk[-1])
    counts = np.bincount(rk - lo, minlength=hi - lo + 1)
    starts = np.cumsum(counts)
    starts -= counts
    return lo, counts, starts
