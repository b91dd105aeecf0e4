"""Random programs whose arithmetic makes long decimals: quotients (`1 / 3`) and products of decimals.

The SQL backends must answer them exactly as the in-memory engine does (tests/test_backends.py):
the values (34 significant digits, rounded half to even, as engine.values computes), their types,
equality in joins and `!=`, the order against integers, decimals, symbols and strings, `min`,
`max`, `count` and `sum`, and the instances dropped by a division by zero (W104).

The values stay where the SQL backends hold every result (docs/backends.md, "Values in columns"):
facts are integers of -9..9 and decimals of one or two digits after the point below 100, so a
quotient of two of them is 0 or at least about 0.001 (its 34 digits end by the 37th after the
point), a second step multiplies by at least 0.1 or divides by an integer of 1..9, and `+`/`-`
never make finer digits than their operands. `sum` ranges over products of facts (at most four
digits after the point), the one case the SQL backends sum exactly; a sum of quotients is refused
(E902, tests/golden/errors).
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

OPS = ("+", "-", "*", "/")
ORDER = ("<", "<=", ">", ">=")


@st.composite
def numbers(draw: st.DrawFn) -> str:
    """An integer of -9..9, or a decimal of one or two digits after the point, 0.1 to 99.99 either side of 0."""
    if draw(st.booleans()):
        return str(draw(st.integers(-9, 9)))
    places = draw(st.sampled_from((1, 2)))
    units = draw(st.integers(10, 999 if places == 1 else 9999).filter(lambda u: places == 1 or u % 10))
    # (no `-76.20`: the SQL backends give back a decimal without its trailing zeros, `-76.2`)
    return draw(st.sampled_from(("", "-"))) + str(Decimal(units).scaleb(-places))


@st.composite
def exact_programs(draw: st.DrawFn) -> str:
    """The text of one program (a few facts, then rules over them)."""
    nums = draw(st.lists(numbers(), min_size=2, max_size=6, unique=True))
    divisors = draw(st.lists(st.integers(0, 9), min_size=1, max_size=3, unique=True))
    lines = [" ".join(f"n({v})." for v in nums), " ".join(f"k({v})." for v in divisors),
             "w(a). w(zz). w(\"a\"). w(3). w(0.5)."]
    op1 = draw(st.sampled_from(("/", "/", "*", draw(st.sampled_from(OPS)))))
    lines.append(f"q(X, Y, Z) :- n(X), n(Y), Z = X {op1} Y.")
    op2 = draw(st.sampled_from(OPS))
    source = "k" if op2 == "/" else "n"
    lines.append(f"r(A, W, Z) :- q(_, _, A), {source}(W), Z = A {op2} W.")
    if draw(st.booleans()):
        lines.append("r(A, 4, Z) :- q(_, _, A), Z = -A * 2 + A / 4.")
    cmp = draw(st.sampled_from(ORDER))
    lines.append(f"lt(A, B) :- q(_, _, A), r(_, _, B), A {cmp} B.")
    lines.append("same(X, Y, Z) :- q(X, Y, Z), r(_, _, Z).")  # equality of computed values, in a join
    lines.append("differ(A, B) :- q(1, _, A), q(2, _, B), A != B.")
    lines.append("mix(V) :- q(_, _, V). mix(V) :- w(V).")
    lines.append(f"order(A, B) :- mix(A), w(B), A {draw(st.sampled_from(ORDER))} B.")
    lines.append("lo(M) :- M = min { Z : r(_, _, Z) }. hi(M) :- M = max { V : mix(V) }.")
    lines.append("lo_by(X, M) :- n(X), M = min { Z : q(X, _, Z) }. hi_by(X, M) :- n(X), M = max { Z : q(_, X, Z) }.")
    lines.append("cnt(N) :- N = count { Z : r(_, _, Z) }.")
    lines.append("prod(X, Y, Z) :- n(X), n(Y), Z = X * Y.")
    lines.append("total(S) :- S = sum { Z : prod(_, _, Z) }. total_by(X, S) :- n(X), S = sum { Z : prod(X, _, Z) }.")
    if draw(st.booleans()):
        lines.append("back(X, Y) :- q(X, Y, Z), Y != 0, X = Z * Y.")  # is (X / Y) * Y exactly X?
    return "\n".join(lines) + "\n"
