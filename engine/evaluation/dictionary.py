"""Evaluation stage, the vectorized path's encoding: one integer code for every value.

Contract: two values get the same code exactly when they are equal (`50` and
`50.0` are, `turkey` and `"turkey"` are not: engine.values), and a value
keeps its code for the whole evaluation; codes are dense, 0, 1, 2, ... in the
order values were first met, and `values[code]` is the value as first met.

Integers of int64, and decimals equal to one, are held in sorted numpy arrays
(`IntCodes`), so that a column of integers is encoded by sorting and
searching, in C; every other value in a dict. A column of Python values is
encoded whole by the arrays when it holds integers of int64 only (numpy's
type inference tells, in C), else each of its distinct values is looked up
once. `numbers()` gives, per code, the value as an int64 where it is an
integer of moderate size (for order comparisons and sums done on whole
columns), kept up to date as values are added, a column of integers at a time.
"""

from __future__ import annotations

from bisect import bisect_right
from decimal import Decimal
from typing import Any

import numpy as np

from ..values import Value
from .kernels import probe_table, unique_inverse

Column = Any  # a numpy int64 array
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
# a code decoded from the list costs about as much as this many values taken into the object array
DECODE_BY_LIST = 4
SAFE_INT = 1 << 53  # integers that sum without overflow in int64 over any realistic group


def int_key(v: Value) -> int | None:
    """The int64 integer `v` equals (an integer, or a decimal such as `50.0`), or None."""
    if type(v) is int:
        return v if INT64_MIN <= v <= INT64_MAX else None
    if type(v) is Decimal and v.is_finite() and v.adjusted() < 19 and v == v.to_integral_value():
        k = int(v)
        return k if INT64_MIN <= k <= INT64_MAX else None
    return None


def moderate(col: Column) -> Column:
    """Whether each int64 of `col` is of moderate size (|v| < SAFE_INT)."""
    return (col > -SAFE_INT) & (col < SAFE_INT)


def int64_values(vals: list[Value]) -> Column | None:
    """The values as an int64 array when every one is an integer of int64, else None. numpy infers the
    array's type in C, in one pass: a decimal or a string among the values makes it an object array, a
    symbol one of text, an integer past int64 one of objects, uint64 or floats. (A bool would pass as 0
    or 1: bools are no values, engine.values, and no input gives one.)"""
    if not vals or type(vals[0]) is not int:  # (a column of symbols is not made an array of text first)
        return None
    try:
        got = np.array(vals)
    except (OverflowError, ValueError, TypeError):
        return None
    return got if got.dtype == np.int64 and got.ndim == 1 else None


class IntCodes:
    """The codes of int64 integers: sorted keys with their codes, and those added one at a time since
    (a dict, merged into the arrays before a column is looked up). Over a range of keys narrow enough
    (ids, amounts), a column is looked up by a table of codes over it (`by_key`), made again only after
    keys are added."""

    def __init__(self) -> None:
        self.keys = np.zeros(0, np.int64)
        self.codes = np.zeros(0, np.int64)
        self.recent: dict[int, int] = {}
        self._by_key: tuple[int, Column] | None = None

    def get(self, k: int) -> int | None:
        c = self.recent.get(k)
        if c is not None or not len(self.keys):
            return c
        i = int(np.searchsorted(self.keys, k))
        return int(self.codes[i]) if i < len(self.keys) and int(self.keys[i]) == k else None

    def lookup(self, distinct: Column) -> Column:
        """The codes of sorted distinct integers, -1 for those without one."""
        self.merge()
        if not len(self.keys):
            return np.full(len(distinct), -1, np.int64)
        table = self.by_key(len(distinct))
        if table is not None:
            lo, codes = table
            out = np.full(len(distinct), -1, np.int64)
            inside = (distinct >= lo) & (distinct < lo + len(codes))
            out[inside] = codes[distinct[inside] - lo]
            return out
        at: Any = np.searchsorted(self.keys, distinct)
        np.minimum(at, len(self.keys) - 1, out=at)
        return np.where(self.keys[at] == distinct, self.codes[at], -1)

    def by_key(self, probes: int) -> tuple[int, Column] | None:
        """(least key, the code of each key from it, -1 for none) when the keys' range is narrow enough
        for a table (`probe_table`, for the keys and `probes` more), else None."""
        if self._by_key is None:
            lo, span = int(self.keys[0]), int(self.keys[-1]) - int(self.keys[0]) + 1
            if not probe_table(span, len(self.keys) + probes, "ranges"):
                return None
            codes = np.full(span, -1, np.int64)
            codes[self.keys - lo] = self.codes
            self._by_key = (lo, codes)
        return self._by_key

    def insert(self, keys: Column, codes: Column) -> None:
        """Add sorted distinct integers not held yet, with their codes."""
        self._by_key = None
        at = np.searchsorted(self.keys, keys)
        self.keys = np.insert(self.keys, at, keys)
        self.codes = np.insert(self.codes, at, codes)

    def merge(self) -> None:
        if self.recent:
            keys = np.fromiter(self.recent, np.int64, len(self.recent))
            codes = np.fromiter(self.recent.values(), np.int64, len(self.recent))
            order = np.argsort(keys)
            self.recent = {}
            self.insert(keys[order], codes[order])


class Dictionary:
    """One code for every value (the module's contract)."""

    def __init__(self) -> None:
        self.codes: dict[Value, int] = {}  # the values equal to no int64 integer
        self._values: list[Value] = []  # the values of the first codes (`values`)
        # the values of the codes after those, in order: int64 columns of integers (made Python ints only
        # when `values` is asked for) and lists; the code of each one's first value
        self._later: list[Any] = []
        self._starts: list[int] = []
        self._size = 0
        self.ints = IntCodes()
        self._objects: Any = np.empty(0, dtype=object)  # the values as a numpy object array, for decoding
        # per code, (int64 value, of moderate size): arrays, then the values added one at a time since
        self._numbers: list[tuple[Column, Column]] = []
        self._recent_numbers: tuple[list[int], list[bool]] = ([], [])

    def __len__(self) -> int:
        """The number of codes."""
        return self._size

    @property
    def values(self) -> list[Value]:
        """Each code's value as first met, by code (the integers coded a column at a time made Python ints now)."""
        if self._later:
            for part in self._later:
                self._values.extend(part.tolist() if isinstance(part, np.ndarray) else part)
            self._later, self._starts = [], []
        return self._values

    def append(self, part: list[Value] | Column) -> int:
        """The values of new codes (a list, or an int64 column of integers), after those coded before; the
        first new code."""
        start = self._size
        self._size += len(part)
        if self._later and isinstance(part, list) and isinstance(self._later[-1], list):
            self._later[-1].extend(part)
        elif self._later or isinstance(part, np.ndarray):
            self._later.append(list(part) if isinstance(part, list) else part)  # (a list of its own: extended later)
            self._starts.append(start)
        else:
            self._values.extend(part)
        return start

    def value(self, c: int) -> Value:
        """The value of code `c` (an integer coded in a column made a Python int alone)."""
        if c < len(self._values):
            return self._values[c]
        i = bisect_right(self._starts, c) - 1
        got = self._later[i][c - self._starts[i]]
        return int(got) if isinstance(self._later[i], np.ndarray) else got

    def find(self, v: Value) -> int | None:
        """The code of `v`, or None when it has none (nothing is added)."""
        return self.found(v, int_key(v))

    def found(self, v: Value, k: int | None) -> int | None:
        return self.codes.get(v) if k is None else self.ints.get(k)

    def code(self, v: Value) -> int:
        k = int_key(v)
        c = self.found(v, k)
        if c is not None:
            return c
        c = self.append([v])
        small = type(v) is int and -SAFE_INT < v < SAFE_INT
        self._recent_numbers[0].append(v if small else 0)  # type: ignore[arg-type]
        self._recent_numbers[1].append(small)
        if k is None:
            self.codes[v] = c
        else:
            self.ints.recent[k] = c
        return c

    def encode(self, vals: list[Value]) -> Column:
        """Codes of a column of values: integers of int64 only (the common case: ids) by sorting and
        searching (`encode_ints`), any other column by a dict, each distinct value looked up once."""
        ints = int64_values(vals)
        if ints is not None:
            return self.encode_ints(ints)
        types = set(map(type, vals))
        if int not in types and Decimal not in types:
            return self.encode_others(vals, set(vals))
        # numbers among other values: each distinct value coded alone, in the order first met (an integer
        # equal to a decimal shares its code), then each value's code from one dict of the column's own
        first = dict.fromkeys(vals)
        local: dict[Value, int] = dict(zip(first, map(self.code, first)))
        return np.fromiter(map(local.__getitem__, vals), np.int64, len(vals))

    def encode_others(self, vals: list[Value], distinct: set[Value]) -> Column:
        """Codes of symbols and strings (values no integer equals), by the dict a column at a time;
        `distinct` is the set of `vals`."""
        missing = list(distinct.difference(self.codes))
        if missing and len(missing) == len(vals):  # distinct, none coded yet (a file's own values): in their order
            return np.arange(self.added(vals), len(self), dtype=np.int64)
        if missing:
            self.added(missing)
        return np.fromiter(map(self.codes.__getitem__, vals), np.int64, len(vals))

    def added(self, new: list[Value]) -> int:
        """Code distinct values that no integer equals and that have no code yet, in their order; the first
        code given."""
        start = self.append(new)
        self.codes.update(zip(new, range(start, start + len(new))))
        self.numbered(np.zeros(len(new), np.int64), np.zeros(len(new), bool))
        return start

    def encode_ints(self, col: Column) -> Column:
        """An int64 column of values (not codes) to codes."""
        if not len(col):
            return np.zeros(0, np.int64)
        distinct, inverse = unique_inverse(col)
        return self.int_codes(distinct)[inverse]

    def int_codes(self, distinct: Column) -> Column:
        """The codes of sorted distinct int64 integers, new ones added."""
        got = self.ints.lookup(distinct)
        new = got < 0
        if new.any():
            fresh = distinct[new]
            codes = np.arange(len(self), len(self) + len(fresh), dtype=np.int64)
            got[new] = codes
            self.ints.insert(fresh, codes)
            self.append(fresh)
            small = moderate(fresh)
            self.numbered(np.where(small, fresh, 0), small)
        return got

    def numbered(self, nums: Column, small: Column) -> None:
        """The numbers of the codes just added, after those added before."""
        self.flush_numbers()
        self._numbers.append((nums, small))

    def flush_numbers(self) -> None:
        nums, small = self._recent_numbers
        if nums:
            self._numbers.append((np.array(nums, np.int64), np.array(small, bool)))
            self._recent_numbers = ([], [])

    def numbers(self) -> tuple[Column, Column]:
        """Per code: its value as an int64 where it is an int of moderate size, and whether it is."""
        self.flush_numbers()
        if len(self._numbers) != 1:
            parts = self._numbers or [(np.zeros(0, np.int64), np.zeros(0, bool))]
            self._numbers = [(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))]
        return self._numbers[0]

    def objects(self) -> Any:
        """The values as a numpy object array (by code), extended with the values added since last asked."""
        done = len(self._objects)
        if done != len(self):
            more = np.empty(len(self) - done, dtype=object)
            more[:] = self.values[done:]
            self._objects = np.concatenate([self._objects, more])
        return self._objects

    def decode(self, codes: Column) -> list[Value]:
        """The values of `codes`: through the object array (`objects`), or, for fewer codes than values
        that array would have to take in first, from the list one at a time."""
        if len(codes) * DECODE_BY_LIST < len(self) - len(self._objects):
            if self._later:  # (without making every integer coded in a column a Python int first)
                return [self.value(c) for c in codes.tolist()]
            values = self._values
            return [values[c] for c in codes.tolist()]
        return self.objects()[codes].tolist()  # type: ignore[no-any-return]
