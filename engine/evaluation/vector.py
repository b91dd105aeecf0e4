"""Evaluation stage, the vectorized path: a stratum's rule plans a column at a time in numpy.

Input: the stratum's rule plans (engine.plan, the same plain data the tuple
path compiles) and the relations below it. Every value is encoded as an
integer by one dictionary for all values (engine.evaluation.dictionary: two
codes are equal exactly when the values are, so `50` and `50.0` share one,
symbols and strings never; integers are encoded a column at a time); a relation is a list of int64 columns of distinct
rows. Each step runs over whole columns: a join is sort + searchsorted, a
semi-join or `not` a membership test of row keys, a filter compares codes
(`=`, `!=`) or the decoded values (`<` and the others, by
`engine.values.compare`), an aggregate groups the distinct inner rows. A
recursive stratum runs semi-naive rounds; each round's head rows are deduplicated
and differenced against the full relation by sorted keys.

Output: the stratum's new tuples, decoded to the same Python values, written
into its relations at the end (nothing is written before, so `Unsupported`
anywhere hands the stratum back to the tuple path unchanged). What it does not
run (arithmetic, recursive aggregates, an aggregate over non-integers, too many
distinct values for the row keys) raises `Unsupported`. Proofs and grades are
found afterwards over the relations, as for the tuple path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain
from typing import Any, Union

import numpy as np

from .. import plan as P
from ..aggregates import AGGREGATES
from ..values import compare
from .dictionary import INT64_MAX, INT64_MIN, SAFE_INT, Dictionary
from .kernels import (
    RangeTable,
    contains,
    first_of_each,
    lex_order,
    positions,
    probe_table,
    range_table,
    ranges,
    sorted_distinct,
    stable_order,
    starts_of_runs,
    strictly_increasing,
    unique_inverse,
)
from .relation import CodedColumns, Relation, Row

Column = Any  # a numpy int64 array of codes
KEY_BITS = 62  # a row key is a number below 2**KEY_BITS
COMPARE = {"=": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal, ">": np.greater,
           ">=": np.greater_equal}
KEY_ROOM = 64  # codes a stratum may add before its keys are made again (at least 1), or an eighth more


class Unsupported(Exception):
    """The vectorized path does not run this stratum: the tuple path does."""


@dataclass
class Rows:
    """A plan's rows as columns, one per slot bound so far, `n` rows (one empty row to start with). A slot
    that nothing after its join reads has no column (None: `Stratum.run`)."""

    cols: list[Column]  # (None for a slot without a column)
    n: int

    def take(self, index: Column) -> Rows:
        return Rows([None if c is None else c[index] for c in self.cols], len(index))


class Table:
    """A relation's columns of codes, `n` rows, each column encoded the first time it is read (`make`):
    a column no step reads (an id under `_` in an aggregate's body, see `Stratum.run`) is never encoded.
    Read as the list of its columns is: `t[c]`, `len(t)` its arity, iterated every column."""

    def __init__(self, n: int, arity: int, make: Callable[[int], Column]) -> None:
        self.n = n
        self.cols: list[Column | None] = [None] * arity
        self.make = make

    def __getitem__(self, c: int) -> Column:
        got = self.cols[c]
        if got is None:
            got = self.cols[c] = self.make(c)
        return got

    def __len__(self) -> int:
        return len(self.cols)

    def __iter__(self) -> Iterator[Column]:
        return (self[c] for c in range(len(self.cols)))


Columns = Union[list[Column], Table]  # a relation's columns of codes


def encode_now(t: Columns, cols: Iterable[int]) -> None:
    """Have these columns of `t` encoded now (a `Table`'s are when first read), before keys that must be
    comparable are made: encoding adds codes, and may widen the keys' radix (`Keys.check`)."""
    if isinstance(t, Table):
        for c in cols:
            t[c]  # noqa: B018 - encoded, and kept


def height(t: Columns) -> int:
    """The rows of a relation's columns (of a `Table`, without encoding a column)."""
    return t.n if isinstance(t, Table) else len(t[0])


class Keys:
    """Row keys: the codes of some columns as one int64, the codes read as digits in base `radix`, a
    little more than the dictionary has codes. Keys are so as narrow as the codes allow, and tables over
    their range stay small (engine.evaluation.kernels). When the dictionary outgrows the radix, the radix
    grows and `generation` counts up: keys made before are stale (whoever keeps keys keeps their
    generation); the order of keys is the rows' order of codes in any radix."""

    def __init__(self, dictionary: Dictionary, widest: int) -> None:
        self.dictionary = dictionary
        self.widest = max(widest, 1)
        self.generation = 0
        self.radix = self.fitted()

    def fitted(self) -> int:
        n = len(self.dictionary)
        most = largest_radix(self.widest)
        if n >= most:
            raise Unsupported("too many distinct values for row keys")
        return min(n + max(KEY_ROOM, n // 8), most)

    def check(self) -> None:
        if len(self.dictionary) >= self.radix:
            self.radix = self.fitted()
            self.generation += 1

    def fits(self, width: int) -> bool:
        """Whether keys of `width` columns fit in KEY_BITS."""
        return bool(self.radix ** width <= 1 << KEY_BITS)

    def of(self, cols: list[Column], n: int) -> Column:
        """One key per row; equal keys exactly for equal rows (all columns' codes below the radix)."""
        self.check()
        if not cols:
            return np.zeros(n, dtype=np.int64)
        if not self.fits(len(cols)):
            raise Unsupported("a key wider than the widest relation")
        k = cols[0].copy()
        for c in cols[1:]:
            k *= self.radix
            k += c
        return k


def largest_radix(width: int) -> int:
    """The largest radix whose keys of `width` digits fit in KEY_BITS."""
    r = int(2 ** (KEY_BITS / width)) + 1
    while r ** width > 1 << KEY_BITS:
        r -= 1
    return r


def joint_keys(left: list[Column], right: list[Column], keys: Keys, n: int, m: int) -> tuple[Column, Column]:
    """Keys of the left and right rows over paired columns, comparable with each other."""
    if keys.fits(len(left)):
        return keys.of(left, n), keys.of(right, m)
    lk, rk = left[0], right[0]
    for a, b in zip(left[1:], right[1:]):  # many columns: renumber the pairs so far densely, then go on
        _, inv = unique_inverse(np.concatenate([lk, rk]))
        lk, rk = inv[:n], inv[n:]
        shift = int(max(int(inv.max(initial=0)), len(keys.dictionary))).bit_length()
        lk = (lk << shift) | a
        rk = (rk << shift) | b
    return lk, rk


def matches(lo: Column, counts: Column) -> tuple[Column, Column]:
    """Every pair (left index, right index) with equal keys, from `ranges`."""
    total = int(counts.sum())
    left = np.repeat(np.arange(len(lo)), counts)
    starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    return left, starts + np.arange(total)


def pieces(counts: Column, most: int) -> list[tuple[int, int]]:
    """Row ranges whose matches (`counts`) add up to about `most` or fewer each: a range ends before and
    after each row where the running total passes a multiple of `most` (so two rows or more are cut)."""
    cum = np.cumsum(counts)
    crossing = np.searchsorted(cum, np.arange(most, int(cum[-1]), most), "right")
    bounds = sorted({0, len(counts), *crossing.tolist(), *(crossing + 1).tolist()})
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if a < b <= len(counts)]


@dataclass
class Sorted:
    """A relation's tuples that a join allows, sorted by the key of its joined columns: their indices in
    the relation's columns, the keys (in `radix`, 0 for keys made with the rows') and the sorted columns
    asked for so far. The order is the same in any radix (the keys' order is the codes' order)."""

    source: Columns  # the relation's columns
    at: Column
    radix: int
    keys: Column
    cols: dict[int, Column] = field(default_factory=dict)
    table: RangeTable | None = None  # `kernels.range_table` of `keys`, once made

    def column(self, c: int) -> Column:
        got = self.cols.get(c)
        if got is None:
            got = self.cols[c] = self.source[c][self.at]
        return got

    def ranges(self, lk: Column) -> tuple[Column, Column]:
        """`kernels.ranges` of the row keys `lk` in these keys, its tables kept for the next rows once
        their range is narrow enough for a table (`probe_table` of these keys alone)."""
        if self.table is None and len(self.keys) and \
                probe_table(int(self.keys[-1]) - int(self.keys[0]) + 1, len(self.keys), "ranges"):
            self.table = range_table(self.keys)
        return ranges(lk, self.keys, self.table)


class Encodings:
    """What the vectorized strata of one evaluation share: the dictionary, and each relation's columns
    of codes as of a version of it (`Relation.version`), so that a relation is encoded once."""

    def __init__(self) -> None:
        self.dictionary = Dictionary()
        self.columns: dict[str, tuple[int, Columns]] = {}
        self.pending: dict[str, Columns] = {}  # a stratum's relations, until written (`written`)
        # a full relation's tuples that a join allows, sorted by its key (`Stratum.matching`), by what
        # decides them: the predicate, the joined columns, constants, equal columns and filters on columns
        self.sorted: dict[tuple[Any, ...], Sorted] = {}

    def get(self, rel: Relation) -> Columns | None:
        got = self.columns.get(rel.name)
        return got[1] if got is not None and got[0] == rel.version else None

    def written(self, rels: dict[str, Relation]) -> None:
        """The stratum's new tuples are in `rels`: its relations' columns are those versions'."""
        for p, cols in self.pending.items():
            self.columns[p] = (rels[p].version, cols)
        self.pending = {}
        current = {p: cols for p, (_v, cols) in self.columns.items()}
        self.sorted = {k: s for k, s in self.sorted.items() if current.get(k[0]) is s.source}


class Stratum:
    """A stratum's relations as columns (`full`, and `delta` for a round), and its plans run on them."""

    def __init__(self, rels: dict[str, Relation], encodings: Encodings, widest: int, piece_rows: int) -> None:
        self.rels = rels
        self.piece_rows = piece_rows  # the rows of a join held at once, about (`run`)
        # a join of more rows than this goes to the tuple path (its looks give E601 its message)
        self.row_limit: int | None = None
        self.tick: Callable[[int], None] = lambda rule: None
        self.rule = -1  # the rule whose plan runs
        self.encodings = encodings
        dictionary = self.dictionary = encodings.dictionary
        self.keys = Keys(dictionary, widest)
        self.full: dict[str, Columns] = {}
        self.full_keys: dict[str, tuple[int, Column]] = {}  # sorted distinct row keys of `full`, their generation
        self.delta: dict[str, list[Column]] = {}

    # -- relations --------------------------------------------------------
    def table(self, pred: str) -> Columns:
        got = self.full.get(pred)
        if got is None:
            rel = self.rels[pred]
            got = self.encodings.get(rel)
            if got is None:
                got = self.encoded(rel)
                self.encodings.columns[pred] = (rel.version, got)
            self.full[pred] = got
        return got

    def encoded(self, rel: Relation) -> Columns:
        """The relation's columns of codes: of integer or encoded columns (a file's, a vectorized stratum's),
        a `Table` that encodes a column when it is read; of tuples, every column at once."""
        if not rel.arity:  # a predicate of no arguments: one column of nothing, a row if it holds
            return [np.zeros(len(rel), np.int64)]
        dictionary = self.dictionary
        ints = rel.int_columns()
        if ints is not None:
            return Table(len(ints[0]), rel.arity, lambda c: dictionary.encode_ints(ints[c]))
        coded = rel.coded_columns()
        if coded is not None:  # a file's own codes: its dictionaries merged into this one, a value a code
            return Table(len(coded.codes[0]), rel.arity,
                         lambda c: dictionary.encode(coded.values[c].tolist())[coded.codes[c]])
        grouping = rel.grouping()
        if grouping is not None:  # a closure's result (engine.evaluation.closure): its tuples not built
            return grouped_codes(self.dictionary, grouping)
        ts = rel.tuples
        if not ts:
            return [np.zeros(0, np.int64) for _ in range(rel.arity)]
        # in the order of their codes (a radix sort, cheap next to encoding tuples): rows made from scans of
        # such relations come in key order, which `new_rows` then takes as distinct without a pass
        cols = [self.dictionary.encode(c) for c in value_columns(ts, rel.arity)]
        order = lex_order(cols)
        return [c[order] for c in cols]

    def keys_of(self, pred: str) -> Column:
        """The sorted distinct keys of the relation's rows, of the keys' generation now."""
        got = self.full_keys.get(pred)
        if got is not None and got[0] == self.keys.generation:
            return got[1]
        t = list(self.table(pred))
        keys = sorted_distinct(self.keys.of(t, len(t[0])))
        self.full_keys[pred] = (self.keys.generation, keys)
        return keys

    def new_rows(self, pred: str, cols: list[Column]) -> list[Column]:
        """The distinct rows of `cols` not in `pred` yet, added to it; in the order of their keys (of their
        codes, the first column first)."""
        n = len(cols[0]) if cols else 0
        if not n:
            return cols
        encode_now(self.table(pred), range(len(cols)))  # (before the keys)
        k = self.keys.of(cols, n)
        rows = None if strictly_increasing(k) else first_of_each(k)  # None: every row, in key order already
        if rows is not None:
            k = k[rows]
        known = self.keys_of(pred)
        if len(known):
            fresh = ~contains(known, k)
            if not fresh.all():
                rows = np.flatnonzero(fresh) if rows is None else rows[fresh]
                k = k[fresh]
            k = np.sort(np.concatenate([known, k]), kind="stable")
        out = cols if rows is None else [c[rows] for c in cols]
        full = self.table(pred)
        self.full[pred] = [np.concatenate([a, b]) for a, b in zip(full, out)] if height(full) else out
        self.full_keys[pred] = (self.keys.generation, k)
        return out

    def statistics(self, pred: str, cols: tuple[int, ...]) -> tuple[int, tuple[int, ...]] | None:
        """A relation's size and distinct values in `cols` as it is now (`engine.plan.Statistics`)."""
        t = self.full.get(pred)
        if t is None:
            rel = self.rels.get(pred)
            return rel.statistics(cols) if rel is not None else None
        return height(t), tuple(len(sorted_distinct(t[c])) for c in cols)

    # -- steps -------------------------------------------------------------
    def run(self, steps: tuple[P.Step, ...], rows: Rows, needed: frozenset[int] | None = None) -> Rows:
        """The rows of `steps` from `rows`. A join that would make more than `piece_rows` rows runs, with
        the steps after it, on pieces of its input rows in turn: what is held at once stays bounded.
        `needed`: the slots read once the steps are done (None: all of them); a join's new slot that is
        not needed and no later step reads gets no column (nor is its relation's column encoded)."""
        later = read_later(steps, needed)
        k = 0
        while k < len(steps):
            step = steps[k]
            if not rows.n:
                return rows
            if isinstance(step, P.Join) and step.out_cols:
                filters = pushable(steps, k, len(rows.cols))
                t, lk, rk = self.matching(step, rows, filters)
                lo, counts = t.ranges(lk)
                total = int(counts.sum())
                if self.row_limit is not None and total > self.row_limit:
                    raise Unsupported("a join of more rows than the tuple limit leaves")
                if rows.n > 1 and total > self.piece_rows:
                    return self.in_pieces(steps[k:], rows, counts, needed)
                left, right = matches(lo, counts)
                out = rows.take(left)
                width = len(rows.cols)
                rows = Rows(out.cols + [t.column(c)[right] if later is None or width + j in later[k] else None
                                        for j, c in enumerate(step.out_cols)], out.n)
                k += len(filters)  # (done on the relation's tuples, before the join)
            else:
                rows = self.step(step, rows)
            k += 1
        return rows

    def in_pieces(self, steps: tuple[P.Step, ...], rows: Rows, counts: Column, needed: frozenset[int] | None) -> Rows:
        parts = []
        for a, b in pieces(counts, self.piece_rows):
            self.tick(self.rule)  # the time and memory limits, between pieces
            got = self.run(steps, rows.take(np.arange(a, b)), needed)
            if got.n:
                parts.append(got)
        if not parts:
            return Rows([], 0)
        return Rows([None if parts[0].cols[j] is None else np.concatenate([p.cols[j] for p in parts])
                     for j in range(len(parts[0].cols))], sum(p.n for p in parts))

    def step(self, step: P.Step, rows: Rows) -> Rows:
        if isinstance(step, P.Join):
            return self.join(step, rows)
        if isinstance(step, P.AntiJoin):
            return self.anti_join(step, rows)
        if isinstance(step, P.Filter):
            return rows.take(np.flatnonzero(self.test(step, rows)))
        if isinstance(step, P.Bind):
            return Rows(rows.cols + [self.column(step.expr, rows)], rows.n)
        if isinstance(step, P.AggregateStep):
            return self.aggregate(step, rows)
        raise Unsupported(type(step).__name__)

    def column(self, e: P.PExpr, rows: Rows) -> Column:
        if isinstance(e, P.Slot):
            return rows.cols[e.index]
        if isinstance(e, P.Lit):
            return np.full(rows.n, self.dictionary.code(e.value), dtype=np.int64)
        raise Unsupported("arithmetic")

    def matching(self, step: P.Join | P.AntiJoin, rows: Rows,
                 filters: tuple[P.Filter, ...] = ()) -> tuple[Sorted, Column, Column]:
        """The tuples of the step's relation its constants, equal columns and `filters` (`pushable`)
        allow, sorted by key: the tuples (`Sorted`), the row keys and the tuples' keys (sorted). Kept for
        a full relation until it grows, and shared by the later strata (`Encodings.sorted`)."""
        delta = isinstance(step, P.Join) and step.delta
        slots = [(c, e) for c, e in zip(step.key_cols, step.key) if not isinstance(e, P.Lit)]
        key_cols = tuple(c for c, _e in slots)
        left = [self.column(e, rows) for _c, e in slots]
        source = self.delta[step.pred] if delta else self.table(step.pred)
        encode_now(source, columns_read(step, filters, len(rows.cols)))  # (before the keys)
        if not self.keys.fits(len(slots)):  # keys too wide for one number: made with the rows'
            at = self.allowed(step, source, filters, len(rows.cols))
            right = [source[c] if at is None else source[c][at] for c in key_cols]
            lk, rk = joint_keys(left, right, self.keys, rows.n, len(right[0]))
            order = stable_order(rk)
            rk = rk[order]
            return Sorted(source, order if at is None else at[order], 0, rk), lk, rk
        lk = self.keys.of(left, rows.n)  # (first: it may make the keys kept before stale)
        radix = self.keys.radix
        what = None if delta else (step.pred, key_cols, tuple((c, type(v), v) for c, v in constants(step)), step.eq_cols,
                                   filters_on_columns(step, filters, len(rows.cols)))
        got = None if what is None else self.encodings.sorted.get(what)
        if got is None or got.source is not source:
            at = self.allowed(step, source, filters, len(rows.cols))
            rk = self.keys.of([source[c] if at is None else source[c][at] for c in key_cols],
                              height(source) if at is None else len(at))
            order = stable_order(rk)
            got = Sorted(source, order if at is None else at[order], self.keys.radix, rk[order])
            if what is not None:
                self.encodings.sorted[what] = got
        elif got.radix != self.keys.radix:  # the same order in any radix: only the keys are made again
            got.keys = self.keys.of([got.column(c) for c in key_cols], len(got.at))
            got.radix, got.table = self.keys.radix, None
        if got.radix != radix:  # a filter's constant, coded since (`allowed`), widened the radix
            lk = self.keys.of(left, rows.n)
        return got, lk, got.keys

    def allowed(self, step: P.Join | P.AntiJoin, t: Columns, filters: tuple[P.Filter, ...] = (),
                width: int = 0) -> Column | None:
        """The indices of the tuples of `t` whose columns hold the step's constants, are equal where it
        says and pass `filters` (`pushable` after a join whose rows have `width` slots before it); None
        when all do."""
        mask = np.ones(height(t), dtype=bool)
        if filters:
            cols = columns_of_slots(step, width)
            as_rows = Rows([t[cols[i]] if i in cols else None for i in range(max(cols, default=-1) + 1)], height(t))
            for f in filters:
                mask &= self.test(f, as_rows)
        for c, v in constants(step):
            col = t[c]  # (encoded before its constant is looked up)
            code = self.dictionary.find(v)
            mask &= col == (-1 if code is None else code)
        for a, b in step.eq_cols:
            mask &= t[a] == t[b]
        return None if mask.all() else np.flatnonzero(mask)

    def join(self, step: P.Join, rows: Rows) -> Rows:
        """A semi-join (`run` does the joins that bind something): the rows with a match."""
        assert not step.out_cols
        _t, lk, rk = self.matching(step, rows)
        return rows.take(np.flatnonzero(contains(rk, lk)))

    def anti_join(self, step: P.AntiJoin, rows: Rows) -> Rows:
        """The rows with no match. `not p(X, Y)`, a variable a column, is a membership test of the rows'
        keys in the relation's own sorted keys (`keys_of`, by a table over their range): no tuple is sorted."""
        if whole_rows(step) and self.keys.fits(step.arity):
            encode_now(self.table(step.pred), range(step.arity))  # (before the keys)
            lk = self.keys.of([self.column(e, rows) for e in step.key], rows.n)  # (first: it may make kept keys stale)
            rk = self.keys_of(step.pred)
        else:
            _t, lk, rk = self.matching(step, rows)
        return rows.take(np.flatnonzero(~contains(rk, lk)))

    def test(self, step: P.Filter, rows: Rows) -> Column:
        if not isinstance(step.left, (P.Slot, P.Lit)) or not isinstance(step.right, (P.Slot, P.Lit)):
            return COMPARE[step.op](self.integers(step.left, rows), self.integers(step.right, rows))
        a, b = self.column(step.left, rows), self.column(step.right, rows)
        if step.op == "=":
            return a == b
        if step.op == "!=":
            return a != b
        nums, small = self.dictionary.numbers()
        if small[a].all() and small[b].all():
            return COMPARE[step.op](nums[a], nums[b])
        objects = self.dictionary.objects()
        op = step.op
        ok = np.frompyfunc(lambda x, y: compare(op, x, y), 2, 1)
        return ok(objects[a], objects[b]).astype(bool)

    def integers(self, e: P.PExpr, rows: Rows) -> Column:
        """The int64 values of `e` (integers, `+`, `-` and `*` of them, a minus) for each row, exactly as
        the tuple path's arithmetic makes them. Unsupported for a value that is no integer of moderate
        size, or a result that could pass int64: the tuple path's arithmetic then (and its W104 notes
        of what is undefined)."""
        if isinstance(e, P.Slot):
            nums, small = self.dictionary.numbers()
            codes = rows.cols[e.index]
            if not small[codes].all():
                raise Unsupported("arithmetic on a value that is not an integer of moderate size")
            return nums[codes]
        if isinstance(e, P.Lit):
            if type(e.value) is not int or not -SAFE_INT < e.value < SAFE_INT:
                raise Unsupported("arithmetic on a constant that is not an integer of moderate size")
            return np.full(rows.n, e.value, dtype=np.int64)
        if isinstance(e, P.Minus):
            return -self.integers(e.operand, rows)
        if isinstance(e, P.Op) and e.op in ("+", "-", "*"):
            a, b = self.integers(e.left, rows), self.integers(e.right, rows)
            most_a, most_b = int(np.abs(a).max(initial=0)), int(np.abs(b).max(initial=0))
            if (most_a * most_b if e.op == "*" else most_a + most_b) >= 1 << 62:
                raise Unsupported("arithmetic that could pass int64")
            return {"+": np.add, "-": np.subtract, "*": np.multiply}[e.op](a, b)
        raise Unsupported("arithmetic")

    # -- aggregates ---------------------------------------------------------
    def aggregate(self, step: P.AggregateStep, rows: Rows) -> Rows:
        """Each row with its group's value appended (rows of groups with no value drop)."""
        kind = AGGREGATES[step.func]
        if step.recursive:
            raise Unsupported("a recursive aggregate")
        gcols = [rows.cols[s] for s in step.group]
        gk = self.keys.of(gcols, rows.n) if step.group else np.zeros(rows.n, dtype=np.int64)
        distinct_keys, inverse = unique_inverse(gk)
        # a row of each group, in key order (the groups' order, in any generation of keys): which row of
        # a group does not matter, its group columns are the group's
        one = np.empty(len(distinct_keys), dtype=np.int64)
        one[inverse] = np.arange(rows.n)
        groups = Rows([c[one] for c in gcols], len(one))
        # what the groups' values read of the inner rows: the groups and the term; every slot when the
        # rows must be made distinct first (`group_values`)
        needed = frozenset(range(len(gcols))) | expr_slots(step.term) if distinct_rows(step.body) else None
        inner = self.run(step.body, groups, needed)
        value, has = self.group_values(step, inner, groups)
        if kind.empty is not None:
            value[~has] = self.dictionary.code(kind.empty)
            has[:] = True
        keep = np.flatnonzero(has[inverse])
        out = rows.take(keep)
        return Rows(out.cols + [value[inverse[keep]]], out.n)

    def group_values(self, step: P.AggregateStep, inner: Rows, groups: Rows) -> tuple[Column, Column]:
        """Per group (`groups`: their columns, in key order): the code of its value, and whether it has one."""
        value = np.zeros(groups.n, dtype=np.int64)
        has = np.zeros(groups.n, dtype=bool)
        if not inner.n:
            return value, has
        distinct = inner if distinct_rows(step.body) else \
            inner.take(first_of_each(Keys(self.dictionary, len(inner.cols)).of(inner.cols, inner.n)))
        ng = len(groups.cols)
        gk = self.keys.of(distinct.cols[:ng], distinct.n) if ng else np.zeros(distinct.n, dtype=np.int64)
        at = positions(self.keys.of(groups.cols, groups.n), gk) if ng else gk
        if step.func == "count":
            counts = np.bincount(at, minlength=groups.n)
            has[:] = counts > 0
            value[has] = self.dictionary.encode_ints(counts[has])
            return value, has
        assert step.term is not None
        terms = self.column(step.term, distinct)
        nums, small = self.dictionary.numbers()
        if step.func in ("sum", "min", "max") and small[terms].all():
            vals = nums[terms]
            if step.func == "sum" and np.abs(vals).max(initial=0) * len(vals) >= 1 << 62:
                raise Unsupported("a sum that could pass int64")
            has[at] = True
            value[has] = self.dictionary.encode_ints(reduced(step.func, at, vals, groups.n)[has])
            return value, has
        # avg, or decimals, symbols, strings, large integers: each group folded in Python
        order = stable_order(at)
        at, terms = at[order], terms[order]
        starts = np.flatnonzero(starts_of_runs(at))
        has[at[starts]] = True
        value[at[starts]] = self.folded(step, terms, starts)
        return value, has

    def folded(self, step: P.AggregateStep, terms: Column, starts: Column) -> Column:
        """The codes of each group's value, the terms of a group from each of `starts` to the next, by the
        aggregate's own fold (engine.aggregates). Unsupported for a non-number in a numeric aggregate
        (the tuple path tells it as a dropped instance, W104)."""
        kind = AGGREGATES[step.func]
        vals = self.dictionary.decode(terms)
        if kind.numeric and not all(type(v) is int or type(v) is Decimal for v in vals):
            raise Unsupported("a non-number in a numeric aggregate")
        ends = starts[1:].tolist() + [len(vals)]
        got = [kind.value(vals[a:b]) for a, b in zip(starts.tolist(), ends)]
        return np.array([self.dictionary.code(v) for v in got], dtype=np.int64)  # type: ignore[arg-type]

    # -- plans -------------------------------------------------------------
    def heads(self, plan: P.RulePlan) -> list[Column]:
        self.rule = plan.rule_index
        rows = self.run(plan.steps, Rows([], 1), frozenset().union(*map(expr_slots, plan.head_args)))
        if not rows.n:  # (the steps stopped early: not every slot has a column)
            return [np.zeros(0, np.int64) for _ in range(max(len(plan.head_args), 1))]
        return [self.column(a, rows) for a in plan.head_args] or [np.zeros(rows.n, np.int64)]


def grouped_codes(dictionary: Dictionary, g: dict[Any, set[Any]]) -> list[Column]:
    """The code columns of a binary relation's distinct rows from its grouping {first value: set of second
    values}: each first value's code once per value of its set, and the codes of the sets' values, a
    column at a time."""
    firsts = dictionary.encode(list(g))
    sizes = np.fromiter(map(len, g.values()), np.int64, len(g))
    return [np.repeat(firsts, sizes), dictionary.encode(list(chain.from_iterable(g.values())))]


def value_columns(ts: set[Row], arity: int) -> list[list[Any]]:
    """The tuples' values a column at a time: one flat list of the values, sliced. (`zip(*ts)` makes an
    iterator per tuple, and a million of them set the garbage collector going over the whole heap again
    and again: 4.3 s against 0.5 s for a million pairs in a process holding three million tuples.)"""
    flat = list(chain.from_iterable(ts))
    return [flat[i::arity] for i in range(arity)]


def whole_rows(step: P.AntiJoin) -> bool:
    """Whether the step's key is every column of its relation in order, each a slot (no constant, no
    repeated column): its matches are the relation's rows equal to the key."""
    return bool(step.arity) and step.key_cols == tuple(range(step.arity)) and not step.const_cols and \
        not step.eq_cols and all(isinstance(e, P.Slot) for e in step.key)


def expr_slots(e: P.PExpr | None) -> frozenset[int]:
    """The slots an expression reads."""
    if isinstance(e, P.Slot):
        return frozenset((e.index,))
    if isinstance(e, P.Op):
        return expr_slots(e.left) | expr_slots(e.right)
    if isinstance(e, P.Minus):
        return expr_slots(e.operand)
    return frozenset()


def step_slots(step: P.Step) -> frozenset[int]:
    """The slots of its rows a step reads (an aggregate's: its groups; its body reads only those)."""
    if isinstance(step, (P.Join, P.AntiJoin)):
        return frozenset().union(*map(expr_slots, step.key))
    if isinstance(step, P.Filter):
        return expr_slots(step.left) | expr_slots(step.right)
    if isinstance(step, P.Bind):
        return expr_slots(step.expr)
    if isinstance(step, P.AggregateStep):
        return frozenset(step.group)
    raise Unsupported(type(step).__name__)


def read_later(steps: tuple[P.Step, ...], needed: frozenset[int] | None) -> list[frozenset[int]] | None:
    """Per step, the slots read after it: by the steps that follow, and `needed` once they are done
    (None: every slot, and None back)."""
    if needed is None:
        return None
    later = [needed] * len(steps)
    for k in range(len(steps) - 1, 0, -1):
        later[k - 1] = later[k] | step_slots(steps[k])
    return later


def reduced(func: str, at: Column, vals: Column, groups: int) -> Column:
    """Per group, the `func` ("sum", "min" or "max") of the integers `vals` whose group is `at` (the
    groups of none hold the operation's identity): one unbuffered pass, no sort."""
    op, identity = {"sum": (np.add, 0), "min": (np.minimum, INT64_MAX), "max": (np.maximum, INT64_MIN)}[func]
    acc = np.full(groups, identity, dtype=np.int64)
    op.at(acc, at, vals)
    return acc


def distinct_rows(steps: tuple[P.Step, ...]) -> bool:
    """Whether the rows `steps` make from distinct rows are distinct: every join keeps each tuple it
    matches whole (its columns are bound by the row, a constant, or are new slots, directly or by an
    equality with one of those), and every other step keeps or drops rows (a semi-join too), or adds a
    value to each."""
    for s in steps:
        if isinstance(s, P.Join) and s.out_cols:
            covered = set(s.key_cols) | set(s.out_cols) | {c for c, _v in s.const_cols}
            for _ in s.eq_cols:  # (as many passes as pairs reach every chain of equalities)
                covered |= {b for a, b in s.eq_cols if a in covered} | {a for a, b in s.eq_cols if b in covered}
            if len(covered) < s.arity:
                return False
    return True


def constants(step: P.Join | P.AntiJoin) -> tuple[tuple[int, Any], ...]:
    """The columns the step holds to constants, with them (its constant columns and constant keys)."""
    return tuple(step.const_cols) + tuple((c, e.value) for c, e in zip(step.key_cols, step.key) if isinstance(e, P.Lit))


def filters_on_columns(step: P.Join | P.AntiJoin, filters: tuple[P.Filter, ...], width: int) -> tuple[Any, ...]:
    """`filters` (`pushable`) on the step's columns and constants, whatever slots the rule gives them:
    what they allow of the relation's tuples. A constant is told with its type (a symbol and a string
    of the same text are two values)."""
    cols = columns_of_slots(step, width)

    def side(e: P.PExpr) -> tuple[Any, ...]:
        return ("col", cols[e.index]) if isinstance(e, P.Slot) else ("lit", type(e.value), e.value)  # type: ignore[union-attr]

    return tuple((f.op, side(f.left), side(f.right)) for f in filters)


def columns_read(step: P.Join | P.AntiJoin, filters: tuple[P.Filter, ...], width: int) -> set[int]:
    """The columns of its relation a step reads to find its matches (`Stratum.matching`): its keys, its
    constants, its equal columns and those `filters` (`pushable`, after `width` slots) read."""
    cols = set(step.key_cols) | {c for c, _v in step.const_cols} | {c for pair in step.eq_cols for c in pair}
    of_slots = columns_of_slots(step, width)
    return cols | {of_slots[i] for f in filters for i in expr_slots(f.left) | expr_slots(f.right) if i in of_slots}


def columns_of_slots(step: P.Join | P.AntiJoin, width: int) -> dict[int, int]:
    """The slots whose values are a column of the step's relation in every row it makes (rows of `width`
    slots before it): its new slots, and the slots it joins on."""
    cols = {e.index: c for c, e in zip(step.key_cols, step.key) if isinstance(e, P.Slot)}
    if isinstance(step, P.Join):
        cols.update({width + j: c for j, c in enumerate(step.out_cols)})
    return cols


def pushable(steps: tuple[P.Step, ...], k: int, width: int) -> tuple[P.Filter, ...]:
    """The filters right after the join `steps[k]` that read only its relation's columns
    (`columns_of_slots`) and constants: done on its tuples before the join, they pass the rows it would
    make exactly when done after it, and fewer rows are made."""
    join = steps[k]
    assert isinstance(join, P.Join)
    cols = columns_of_slots(join, width)
    out = []
    for s in steps[k + 1:]:
        if not isinstance(s, P.Filter) or not all(isinstance(e, P.Lit) or (isinstance(e, P.Slot) and e.index in cols)
                                                  for e in (s.left, s.right)):
            break
        out.append(s)
    return tuple(out)


def check_plan(plan: P.RulePlan) -> None:
    """Unsupported unless every step and expression of `plan` is one the vectorized path runs."""
    def expr(e: P.PExpr | None) -> None:
        if e is not None and not isinstance(e, (P.Slot, P.Lit)):
            raise Unsupported("arithmetic")

    def integers(e: P.PExpr) -> None:  # (a comparison's sides: `Stratum.integers`)
        if isinstance(e, P.Op) and e.op in ("+", "-", "*"):
            integers(e.left)
            integers(e.right)
        elif isinstance(e, P.Minus):
            integers(e.operand)
        else:
            expr(e)

    def steps(ss: tuple[P.Step, ...]) -> None:
        for s in ss:
            if isinstance(s, (P.Join, P.AntiJoin)):
                for e in s.key:
                    expr(e)
            elif isinstance(s, P.Filter):
                integers(s.left)
                integers(s.right)
            elif isinstance(s, P.Bind):
                expr(s.expr)
            elif isinstance(s, P.AggregateStep):
                if s.recursive:
                    raise Unsupported("a recursive aggregate")
                expr(s.term)
                steps(s.body)

    steps(plan.steps)
    for a in plan.head_args:
        expr(a)


def preds_of(steps: tuple[P.Step, ...]) -> set[str]:
    """The predicates the steps read, inside aggregates too."""
    out: set[str] = set()
    for s in steps:
        if isinstance(s, (P.Join, P.AntiJoin)):
            out.add(s.pred)
        elif isinstance(s, P.AggregateStep):
            out |= preds_of(s.body)
    return out


@dataclass(frozen=True)
class Budget:
    """What a recursive stratum may take here before it is handed back (Unsupported): `rounds` rounds,
    `rows` new rows. For strata another path may do better (a closure in closed form), tried here first."""

    rounds: int
    rows: int

    def check(self, rounds: int, rows: int) -> None:
        if rounds > self.rounds or rows > self.rows:
            raise Unsupported("past the stratum's budget")


def evaluate(rels: dict[str, Relation], encodings: Encodings, comp: set[str], first: list[P.RulePlan],
             deltas: Callable[[P.Statistics], list[P.RulePlan]] | None,
             look: Callable[[int, int], None], piece_rows: int,
             row_limit: int | None = None, budget: Budget | None = None) -> dict[str, set[Row] | list[Column] | CodedColumns]:
    """A stratum's new tuples by predicate (a set, or integer columns: see `decoded`): `first` plans once over the relations, then (a recursive
    stratum) rounds of the `deltas` plans over the last round's new rows, to the fixpoint. `deltas`
    plans them after the first round, from the statistics of the relations then.

    `look(rule_index, new so far)` is called after each round (it raises past a limit); a join holds
    about `piece_rows` rows at once (`Stratum.run`), and Unsupported past `row_limit` rows or the
    `budget`. Nothing is
    written into `rels` (call `encodings.written` once they are); Unsupported when a plan cannot run here (the recursive ones are checked
    before the first round)."""
    preds = set(comp)
    for plan in first:
        check_plan(plan)
        preds |= preds_of(plan.steps)
    st = Stratum(rels, encodings, max(rels[p].arity for p in preds), piece_rows)
    st.row_limit = row_limit
    st.tick = lambda rule: look(rule, 0)
    if deltas is not None:  # (a delta plan has the same atoms and steps as the rule's first plan)
        for plan in deltas(st.statistics):  # (before the first round: the relations' own statistics)
            check_plan(plan)
    made: dict[str, list[list[Column]]] = {p: [] for p in comp}
    delta = round_of(st, first, comp, made)
    total = sum(len(c[0]) for c in delta.values())
    look(first[0].rule_index if first else -1, total)
    later = deltas(st.statistics) if deltas is not None and total else []
    rounds = 1
    while any(len(c[0]) for c in delta.values()):
        st.delta = delta
        active = [p for p in later if len(delta[p.steps[0].pred][0])]  # type: ignore[union-attr]
        delta = round_of(st, active, comp, made)
        total += sum(len(c[0]) for c in delta.values())
        rounds += 1
        if budget is not None:
            budget.check(rounds, total)
        look(active[0].rule_index if active else -1, total)
    encodings.pending = {p: st.table(p) for p in comp}
    return {p: decoded(st.dictionary, chunks, rels[p].arity) for p, chunks in made.items()}


def round_of(st: Stratum, plans: list[P.RulePlan], comp: set[str],
             made: dict[str, list[list[Column]]]) -> dict[str, list[Column]]:
    """One round: the new rows of each predicate of `comp` from `plans`, added to the full relations."""
    heads: dict[str, list[list[Column]]] = {p: [] for p in comp}
    for plan in plans:
        got = st.heads(plan)
        if len(got[0]):
            heads[plan.head].append(got)
    new: dict[str, list[Column]] = {}
    for p in comp:
        parts = heads[p]
        arity = max(st.rels[p].arity, 1)  # (a predicate of no arguments has a column of nothing)
        cols = [np.concatenate([part[j] for part in parts]) for j in range(arity)] if parts else \
            [np.zeros(0, np.int64) for _ in range(arity)]
        new[p] = st.new_rows(p, cols)
        if len(new[p][0]):
            made[p].append(new[p])
    return new


def decoded(dictionary: Dictionary, chunks: list[list[Column]], arity: int) -> set[Row] | list[Column] | CodedColumns:
    """New rows as int64 columns of distinct rows in lexicographic order (what `Relation.set_columns`
    holds, tuples built when needed) when every value is an integer, else as encoded columns
    (`coded_rows`); a set of tuples when there are none, or of no arguments."""
    if not chunks:
        return set()
    if not arity:
        return {()}
    codes = chunks[0] if len(chunks) == 1 else [np.concatenate([ch[j] for ch in chunks]) for j in range(len(chunks[0]))]
    nums, small = dictionary.numbers()
    used = [sorted_distinct(c) for c in codes]  # the codes each column holds
    if all(small[u].all() for u in used):
        # (a column whose codes are their own values, as ids 0, 1, 2 ... encoded first, is its values)
        cols = [c if (nums[u] == u).all() else nums[c] for c, u in zip(codes, used)]
        if len(chunks) == 1 and all(strictly_increasing(nums[u]) for u in used):
            return cols  # (a chunk's rows are in the order of their codes, `Stratum.new_rows`: of their values too)
        order = lex_order(cols)
        return [c[order] for c in cols]
    return coded_rows(dictionary, codes, used, in_order=len(chunks) == 1)


def coded_rows(dictionary: Dictionary, codes: list[Column], used: list[Column], in_order: bool) -> CodedColumns:
    """Distinct rows of codes (`used`: each column's distinct codes, sorted) as a relation holds them
    encoded (`Relation.set_coded`: each column's own codes and values, rows in their order), so that
    no tuple is built before something asks for the relation's tuples. `in_order`: the rows are in the
    order of their codes already (one chunk of `Stratum.new_rows`), and so of their own codes."""
    own = [positions(u, c) for u, c in zip(used, codes)]
    if not in_order:
        order = lex_order(own)
        own = [c[order] for c in own]
    values = []
    for u in used:
        vals = np.empty(len(u), dtype=object)
        vals[:] = dictionary.decode(u)
        values.append(vals)
    return CodedColumns(tuple(own), tuple(values))
