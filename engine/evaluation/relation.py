"""Relations: a set of tuples with lazily built, incrementally kept hash indexes.

An index is described by a signature (key columns, constant columns, equal
column pairs, output columns). It maps a key to the list of output tuples of
the matching tuples (a set when the output drops columns, so the same output
is never listed twice), or, with no output columns, is the set of keys that
have a match: an existence test. Indexes are built on first use and then kept
up to date as tuples are added, so each costs its build once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter
from typing import Any

from ..values import Value

Row = tuple[Value, ...]
Columns = tuple[Any, ...]  # numpy int64 arrays, one per column
Sig = tuple[tuple[int, ...], tuple[tuple[int, Value], ...], tuple[tuple[int, int], ...], tuple[int, ...]]



@dataclass(frozen=True)
class CodedColumns:
    """A relation as dictionary-encoded columns (a large file read by engine.evaluation.coded, a vectorized
    stratum's new rows): per column an int64 numpy array of codes, rows distinct and in lexicographic order
    of their codes, and a numpy object array of the values the codes stand for, no value twice in it."""

    codes: Columns
    values: Columns

    def rows(self) -> set[Row]:
        """The tuples, decoded a column at a time in C."""
        return set(zip(*[v[c].tolist() for c, v in zip(self.codes, self.values)]))


# Past this many tuples, a column's distinct values are estimated from this many of them (`distinct_in`).
SAMPLE = 50_000


def getter(cols: tuple[int, ...]) -> Callable[[Row], Any]:
    """A function from a tuple to the key of `cols`: a value for one column, a tuple for several."""
    if len(cols) == 0:
        return lambda t: ()
    return itemgetter(*cols)


def tuple_getter(cols: tuple[int, ...]) -> Callable[[Row], Row]:
    """A function from a tuple to the tuple of `cols` (always a tuple)."""
    if len(cols) == 0:
        return lambda t: ()
    if len(cols) == 1:
        c = cols[0]
        return lambda t: (t[c],)
    return itemgetter(*cols)


class Index:
    __slots__ = ("sig", "data", "exists", "unique", "_add")

    def __init__(self, sig: Sig, arity: int) -> None:
        self.sig = sig
        key_cols, consts, eqs, outs = sig
        self.exists = not outs
        covered = set(key_cols) | set(outs) | {c for c, _ in consts} | {b for _, b in eqs}
        self.unique = covered == set(range(arity))
        self.data: Any = set() if self.exists else {}
        self._add = index_adder(self.data, sig, arity, self.exists, self.unique)


    def view(self, data: GroupedView) -> None:
        """Answer from `data`, which its owner keeps up to date: adding tuples here does nothing."""
        self.data = data
        self._add = lambda ts: None

    def add(self, ts: Iterable[Row]) -> None:
        if type(self.data) is ColumnIndex:
            self.data.thaw()  # its dict or set is the one `_add` fills
        self._add(ts)

    def fill(self, cols: Columns) -> bool:
        """Build the index from integer columns (see `Relation.set_columns`), sorted in C.

        False (nothing built) when a constant is not an integer: the tuple way then.
        """
        import numpy as np  # imported by whoever made the columns (engine.evaluation.io)

        key_cols, consts, eqs, outs = self.sig
        if any(type(v) is not int for _c, v in consts):
            return False
        sel = None
        if consts or eqs:
            mask = np.ones(len(cols[0]), dtype=bool)
            for c, v in consts:
                mask &= cols[c] == v
            for a, b in eqs:
                mask &= cols[a] == cols[b]
            sel = np.flatnonzero(mask)
        picked = [cols[c] if sel is None else cols[c][sel] for c in range(len(cols))]
        n = len(picked[0])
        if n == 0:
            return True
        if not key_cols:
            if self.exists:
                self.data.add(())
            else:
                vals = list(zip(*[picked[o].tolist() for o in outs]))
                self.data[()] = vals if self.unique else set(vals)
            return True
        if len(key_cols) == 1 and len(outs) == len(set(outs)) and n > 4096:
            k = picked[key_cols[0]]
            low, high = int(k.min()), int(k.max())
            if high - low < 2 * n:
                # keys dense enough for a table of offsets: probed in place until probes are many
                order = None if key_cols == (0,) and sel is None else np.argsort(k, kind="stable")
                ks = k if order is None else k[order]
                offsets = np.searchsorted(ks, np.arange(low, high + 2)).tolist()
                self.data = ColumnIndex(low, offsets, [picked[o] if order is None else picked[o][order] for o in outs],
                                        self.unique, self.exists, self.data)
                return True
        if self.exists:
            self.data.update(picked[key_cols[0]].tolist() if len(key_cols) == 1
                             else zip(*[picked[c].tolist() for c in key_cols]))
            return True
        keys, starts, order = _sorted_groups([picked[c] for c in key_cols], key_cols == (0,) and sel is None)
        vals = list(zip(*[(picked[o] if order is None else picked[o][order]).tolist() for o in outs]))
        ends = starts[1:] + [n]
        if self.unique:
            self.data.update({k: vals[s:e] for k, s, e in zip(keys, starts, ends)})
        else:
            self.data.update({k: set(vals[s:e]) for k, s, e in zip(keys, starts, ends)})
        return True



def row_filter(sig: Sig) -> Callable[[Row], bool] | None:
    """The test a row must pass to enter an index of `sig` (its constants and repeated columns); None: all pass."""
    _key_cols, consts, eqs, _outs = sig
    if not consts and not eqs:
        return None

    def matches(t: Row) -> bool:
        for c, v in consts:
            if t[c] != v:
                return False
        for a, b in eqs:
            if t[a] != t[b]:
                return False
        return True

    return matches


def index_adder(data: Any, sig: Sig, arity: int, exists: bool, unique: bool) -> Callable[[Iterable[Row]], None]:
    """The function that adds rows to an index's `data`, specialised to its shape (a hot loop: the
    common shapes are unrolled, with no test per row that the shape makes needless)."""
    key_cols, _consts, _eqs, outs = sig
    kf = getter(key_cols)
    matches = row_filter(sig)
    if exists:
        return key_set_adder(data, kf, matches)
    if unique and matches is None and arity == 2 and len(key_cols) == 1 and len(outs) == 1:
        return binary_adder(data, key_cols[0])
    return grouped_adder(data, kf, tuple_getter(outs), matches, list if unique else set)


def key_set_adder(data: set[Any], kf: Callable[[Row], Any],
                  matches: Callable[[Row], bool] | None) -> Callable[[Iterable[Row]], None]:
    """Existence indexes: the set of keys of the rows that pass."""
    if matches is None:
        def add(ts: Iterable[Row]) -> None:
            data.update(map(kf, ts))
    else:
        def add(ts: Iterable[Row]) -> None:
            data.update(kf(t) for t in ts if matches(t))
    return add


def binary_adder(data: dict[Any, list[Row]], key_col: int) -> Callable[[Iterable[Row]], None]:
    """Binary relations keyed on one column, the most common index: each key's list of the other column.

    (One loop per key column, not one loop reading `t[key_col]`: unpacking `a, b` is the hot loop of index
    building, and indexing a tuple per row costs measurably more.)"""
    if key_col == 0:
        def add(ts: Iterable[Row]) -> None:
            get = data.get
            for a, b in ts:
                lst = get(a)
                if lst is None:
                    data[a] = [(b,)]
                else:
                    lst.append((b,))
    else:
        def add(ts: Iterable[Row]) -> None:
            get = data.get
            for a, b in ts:
                lst = get(b)
                if lst is None:
                    data[b] = [(a,)]
                else:
                    lst.append((a,))
    return add


def grouped_adder(data: dict[Any, Any], kf: Callable[[Row], Any], of: Callable[[Row], Row],
                  matches: Callable[[Row], bool] | None, group: type[list[Any]] | type[set[Any]]
                  ) -> Callable[[Iterable[Row]], None]:
    """Each key's group of output columns: a list when the key and outputs cover the row (no two
    rows give the same entry), else a set."""
    if group is list:
        def add(ts: Iterable[Row]) -> None:
            get = data.get
            for t in ts:
                if matches is None or matches(t):
                    k = kf(t)
                    lst = get(k)
                    if lst is None:
                        data[k] = [of(t)]
                    else:
                        lst.append(of(t))
    else:
        def add(ts: Iterable[Row]) -> None:
            get = data.get
            for t in ts:
                if matches is None or matches(t):
                    k = kf(t)
                    s = get(k)
                    if s is None:
                        data[k] = {of(t)}
                    else:
                        s.add(of(t))
    return add


class ColumnIndex:
    """An index of a column relation, answered from a table of offsets into its sorted rows.

    Building a dict for every key of a large file costs a pass in Python over
    all its rows; a rule often probes only a few of them (the few thousand
    owners that are blocked, among 100,000). For integer keys in a dense range
    (at most twice as many values as rows), the rows sorted by key and the
    offset where each key's rows start answer a probe by two list lookups and
    a slice (or, for an existence index, a comparison). After a quarter as
    many probes as rows, or a key that is not an int (a Decimal or a bool may
    equal one), the dict or set is built (`thaw`) and answers from then on:
    at worst about twice the cost of building it at once.
    """

    __slots__ = ("low", "offsets", "outs", "unique", "exists", "limit", "probes", "d", "into")

    def __init__(self, low: int, offsets: list[int], outs: list[Any], unique: bool, exists: bool,
                 into: Any) -> None:
        self.low = low
        self.offsets = offsets  # rows of key low + i: offsets[i] to offsets[i + 1]
        self.outs = outs  # numpy columns, sorted by key
        self.unique = unique
        self.exists = exists
        self.limit = offsets[-1] // 4
        self.probes = 0
        self.d: Any = None
        self.into = into  # the dict or set to build, which the owning Index keeps up to date after that

    def _rows(self, k: Any) -> tuple[int, int] | None:
        """Where key `k`'s rows are, None when it has none; the built index once there is one."""
        self.probes += 1
        if type(k) is not int or self.probes > self.limit:
            self.thaw()
            return None
        i = k - self.low
        if i < 0 or i >= len(self.offsets) - 1:
            return None
        lo, hi = self.offsets[i], self.offsets[i + 1]
        return (lo, hi) if lo != hi else None

    def get(self, k: Any, default: Any = None) -> Any:
        if self.d is None:
            at = self._rows(k)
            if self.d is None:
                if at is None:
                    return default
                got = list(zip(*[o[at[0]:at[1]].tolist() for o in self.outs]))
                return got if self.unique else set(got)
        return self.d.get(k, default)

    def __contains__(self, k: Any) -> bool:
        if self.d is None:
            at = self._rows(k)
            if self.d is None:
                return at is not None
        return k in self.d

    def thaw(self) -> Any:
        """The whole index as a dict, or a set for an existence index (built once)."""
        if self.d is None:
            d = self.into
            offsets, low = self.offsets, self.low
            groups = [(low + i, offsets[i], offsets[i + 1]) for i in range(len(offsets) - 1) if offsets[i] != offsets[i + 1]]
            if self.exists:
                d.update(k for k, _lo, _hi in groups)
            else:
                vals = list(zip(*[o.tolist() for o in self.outs]))
                if self.unique:
                    d.update({k: vals[lo:hi] for k, lo, hi in groups})
                else:
                    d.update({k: set(vals[lo:hi]) for k, lo, hi in groups})
            self.d = d
            self.offsets, self.outs = [0], []
        return self.d


def _sorted_groups(keys: list[Any], presorted: bool) -> tuple[list[Any], list[int], Any]:
    """Rows grouped by the key columns: (the distinct keys, where each group starts, the row order).

    A key is a value for one column, a tuple for several. `presorted`: the
    rows already come in key order (the first column of a column relation).
    """
    import numpy as np
    if presorted:
        order = None
        ks = keys
    else:
        order = np.argsort(keys[0], kind="stable") if len(keys) == 1 else np.lexsort(keys[::-1])
        ks = [k[order] for k in keys]
    change = ks[0][1:] != ks[0][:-1]
    for k in ks[1:]:
        change |= k[1:] != k[:-1]
    starts = np.concatenate(([0], np.flatnonzero(change) + 1))
    firsts = [k[starts].tolist() for k in ks]
    distinct = firsts[0] if len(firsts) == 1 else list(zip(*firsts))
    return distinct, starts.tolist(), order


def group_into(g: dict[Value, set[Value]], ts: Iterable[Row], key: int, val: int) -> None:
    """Add the (key column, value column) pairs of `ts` to `g`: {key: set of values}."""
    get = g.get
    for t in ts:
        k = t[key]
        s = get(k)
        if s is None:
            g[k] = {t[val]}
        else:
            s.add(t[val])


class GroupedView:
    """An index of a binary relation answered from its grouping {first value: set of second values}.

    `pairs`: an existence test on both columns; else the first column is the
    key and a probe lists the matching second values as 1-tuples. Nothing is
    built: a point query on a closure of millions of pairs costs one lookup.
    """

    __slots__ = ("g", "pairs")

    def __init__(self, g: dict[Value, set[Value]], pairs: bool) -> None:
        self.g = g
        self.pairs = pairs

    def get(self, k: Any, default: Any = None) -> Any:
        ys = self.g.get(k)
        return [(y,) for y in ys] if ys else default

    def __contains__(self, k: Any) -> bool:
        if self.pairs:
            ys = self.g.get(k[0])
            return ys is not None and k[1] in ys
        return bool(self.g.get(k))


# index signatures a GroupedView answers: the grouping it reads, and whether it tests pairs
_GROUPED_SIGS: dict[Sig, tuple[tuple[int, int], bool]] = {
    ((0, 1), (), (), ()): ((0, 1), True),
    ((0,), (), (), (1,)): ((0, 1), False),
    ((0,), (), (), ()): ((0, 1), False),
    ((1,), (), (), (0,)): ((1, 0), False),
    ((1,), (), (), ()): ((1, 0), False),
}


class Relation:
    """The tuples of one predicate, with their indexes."""

    __slots__ = ("name", "arity", "_tuples", "_pending", "_cols", "_coded", "indexes", "groups", "_stats", "version")

    def __init__(self, name: str, arity: int) -> None:
        self.name = name
        self.arity = arity
        self._tuples: set[Row] = set()
        # A binary relation evaluated set-at-a-time (engine.evaluation.binary)
        # is held as {first value: set of second values} with its size; its
        # tuples are built on first use only (a count never needs them).
        self._pending: tuple[dict[Value, set[Value]], int] | None = None
        # A relation read from a file of integers is held as numpy columns of
        # distinct rows in lexicographic order; its indexes are built from them
        # in C, and its tuples only when something needs them (a scan, a
        # change). A change (the `tuples` setter, add_new) drops the columns.
        self._cols: Columns | None = None
        # Or as dictionary-encoded columns, held the same way (tuples built when needed).
        self._coded: CodedColumns | None = None
        self.indexes: dict[Sig, Index] = {}
        # binary relations grouped by one column: (key col, value col) -> {key: set of values}
        self.groups: dict[tuple[int, int], dict[Value, set[Value]]] = {}
        # (size, {column: distinct values}) for the planner, until the relation changes
        self._stats: tuple[int, dict[int, int]] | None = None
        self.version = 0  # one more at every change (engine.evaluation.vector keeps encodings by it)

    @property
    def tuples(self) -> set[Row]:
        if self._cols is not None and not self._tuples:
            # the columns stay (indexes are still built from them) until the relation changes
            self._tuples = set(zip(*[c.tolist() for c in self._cols]))
        if self._coded is not None and not self._tuples:
            self._tuples = self._coded.rows()
        if self._pending is not None:
            g = self._pending[0]
            self._tuples = {(x, y) for x, ys in g.items() for y in ys}
            self._pending = None
        return self._tuples

    @tuples.setter
    def tuples(self, ts: set[Row]) -> None:
        self.version += 1
        self._pending = None
        self._cols = None
        self._coded = None
        self._tuples = ts
        self._stats = None

    def reset_to(self, ts: set[Row]) -> None:
        """Hold exactly these tuples, dropping the indexes built of the ones before."""
        self.tuples = ts
        self.indexes.clear()
        self.groups.clear()

    def set_columns(self, cols: Columns) -> None:
        """Hold the relation as integer columns of distinct rows, sorted (see engine.evaluation.io)."""
        assert len(cols) == self.arity
        self.version += 1
        # (no rows: no columns, so that `tuples` is one set that plans can hold on to)
        self._cols = cols if len(cols[0]) else None
        self._coded = None
        self._pending = None
        self._tuples = set()
        self._stats = None
        self.indexes.clear()
        self.groups = {}

    def set_coded(self, coded: CodedColumns) -> None:
        """Hold the relation as dictionary-encoded columns of distinct rows (see `CodedColumns`)."""
        assert len(coded.codes) == self.arity and self.arity
        self.set_columns(tuple(coded.codes))  # (clears what it held)
        self._cols = None
        self._coded = coded if len(coded.codes[0]) else None

    def int_columns(self) -> Columns | None:
        """The relation as integer columns of distinct rows, when it is held so (else None)."""
        return self._cols

    def coded_columns(self) -> CodedColumns | None:
        """The relation as dictionary-encoded columns, when it is held so (else None)."""
        return self._coded

    def grouping(self) -> dict[Value, set[Value]] | None:
        """A binary relation as {first value: set of second values} when it holds that grouping (kept up
        to date with its tuples; nothing is built), else None."""
        return self.groups.get((0, 1))

    def set_grouped(self, g: dict[Value, set[Value]], size: int) -> None:
        """Hold the relation as {first value: set of second values} (`size` pairs); tuples on demand."""
        assert self.arity == 2
        self.version += 1
        self._cols = None
        self._coded = None
        self._pending = (g, size)
        self._tuples = set()
        self._stats = None
        self.indexes.clear()
        self.groups = {(0, 1): g}

    def index(self, sig: Sig) -> Index:
        idx = self.indexes.get(sig)
        if idx is None:
            idx = Index(sig, self.arity)
            view = _GROUPED_SIGS.get(sig) if (0, 1) in self.groups else None
            if view is not None:
                # kept up to date with the grouping, which add_new updates
                idx.view(GroupedView(self.grouped(*view[0]), view[1]))
            elif self._cols is None or not idx.fill(self._cols):
                idx.add(self.tuples)
            self.indexes[sig] = idx
        return idx

    def grouped(self, key: int, val: int) -> dict[Value, set[Value]]:
        """A binary relation as {value of column `key`: set of values of column `val`}, kept up to date."""
        g = self.groups.get((key, val))
        if g is None:
            g = {}
            forward = self.groups.get((val, key))
            if forward is not None:
                # the other way round, without building the tuples
                get = g.get
                for x, ys in forward.items():
                    for y in ys:
                        s = get(y)
                        if s is None:
                            g[y] = {x}
                        else:
                            s.add(x)
            elif self._cols is not None and len(self._cols[0]):
                keys, starts, order = _sorted_groups([self._cols[key]], key == 0)
                col = self._cols[val] if order is None else self._cols[val][order]
                vals = col.tolist()
                g.update({k: set(vals[s:e]) for k, s, e in zip(keys, starts, starts[1:] + [len(vals)])})
            else:
                group_into(g, self.tuples, key, val)
            self.groups[(key, val)] = g
        return g

    def sorted_groups(self) -> list[tuple[Value, list[Value]]] | None:
        """A binary relation held grouped, in value order: (first value, its second values sorted).

        None when it is not held grouped, or mixes kinds of values in a
        column (`engine.values.sort_rows` then sorts its tuples).
        """
        g = self.groups.get((0, 1))
        if g is None:
            return None
        try:
            return [(x, sorted(g[x])) for x in sorted(g) if g[x]]
        except (TypeError, AttributeError):
            return None

    def extreme_values(self) -> Iterable[Value]:
        """Values whose largest magnitude and finest decimal place are those of the relation's numbers.

        Every value, or of a relation held as integer columns, each column's least and greatest.
        """
        if self._cols is not None:
            return [int(v) for c in self._cols if len(c) for v in (c.min(), c.max())]
        if self._coded is not None:
            return [v for vals in self._coded.values for v in vals.tolist()]
        if self._pending is not None:
            g = self._pending[0]
            return [*g, *(y for ys in g.values() for y in ys)]
        return (v for t in self._tuples for v in t)

    def add_new(self, new: set[Row]) -> None:
        """Add tuples known not to be present yet."""
        if not new:
            return
        self.version += 1
        self.tuples.update(new)
        self._cols = self._coded = None  # (the getter has built the tuples from them)
        self._stats = None
        for idx in self.indexes.values():
            idx.add(new)
        for (key, val), g in self.groups.items():
            group_into(g, new, key, val)

    def statistics(self, cols: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
        """(size, distinct values of each of `cols`), for the planner's cost model (engine.plan).

        Each column's count is computed when first asked for, once per version of the
        relation (any change drops them), from what it holds cheapest: a grouping or a
        one-column index (exact), its integer columns (numpy), else its tuples, sampled
        past SAMPLE of them.
        """
        size = len(self)
        if self._stats is None or self._stats[0] != size:
            self._stats = (size, {})
        known = self._stats[1]
        for c in cols:
            if c not in known:
                known[c] = self.distinct(c)
        return size, tuple(known[c] for c in cols)

    def distinct(self, col: int) -> int:
        """The number of distinct values in column `col` (an estimate past SAMPLE tuples held as tuples)."""
        if self.arity == 2 and (col, 1 - col) in self.groups:
            return len(self.groups[(col, 1 - col)])
        if self.arity == 2 and (1 - col, col) in self.groups:
            return len(set().union(*self.groups[(1 - col, col)].values()))
        cols = self._cols if self._cols is not None else self._coded.codes if self._coded is not None else None
        if cols is not None:
            import numpy as np  # imported by whoever made the columns (engine.evaluation.io)
            c = cols[col] if col == 0 else np.sort(cols[col])  # (np.unique is ten times slower)
            return int(np.count_nonzero(c[1:] != c[:-1])) + 1
        for sig, idx in self.indexes.items():
            if sig[:3] == ((col,), (), ()) and type(idx.data) in (dict, set):
                return len(idx.data)
        return distinct_in(self.tuples, col)

    def __len__(self) -> int:
        if self._cols is not None:
            return len(self._cols[0])
        if self._coded is not None:
            return len(self._coded.codes[0])
        if self._pending is not None:
            return self._pending[1]
        return len(self._tuples)


def distinct_in(ts: set[Row], col: int) -> int:
    """The distinct values of column `col` of `ts`: counted, or past SAMPLE tuples estimated from SAMPLE of them.

    The estimate is Duj1 (Haas, Naughton, Seshadri and Stokes, VLDB 1995): with n sampled, d distinct
    among them and f of those seen once, n·d / (n - f + f·n / size). Every value distinct in the sample
    scales to the size; with none seen once it stays d. A set's order is a hash order, so its first
    tuples serve as a sample.
    """
    get = itemgetter(col)
    if len(ts) <= SAMPLE:
        return len(set(map(get, ts)))
    seen: Counter[Value] = Counter(map(get, islice(ts, SAMPLE)))
    once = sum(1 for k in seen.values() if k == 1)
    guess = SAMPLE * len(seen) / (SAMPLE - once + once * SAMPLE / len(ts))
    return max(len(seen), min(len(ts), round(guess)))
