"""Grades: the Admiralty code as one ordered integer, and how grades combine.

A grade is reliability (a-f) and credibility (1-6), written `B3`. The order
is credibility first, then reliability; `f` and `6` are the weakest. Grades
are encoded as integers where larger is better, so a derivation's grade is
`min` over its premises and a tuple's grade is `max` over its derivations.
`TOP` is the grade of an uncited fact: it never lowers a grade.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .analysis.program import SourceInfo
    from .nodes import Citation

RELIABILITY = "abcdef"
TOP = 1000

# what each grade means, as the Admiralty code says it (for people: the REPL, hovers)
RELIABILITY_WORDS = {
    "a": "completely reliable",
    "b": "usually reliable",
    "c": "fairly reliable",
    "d": "not usually reliable",
    "e": "unreliable",
    "f": "cannot be judged",
}
CREDIBILITY_WORDS = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "cannot be judged",
}


def encode(reliability: str, credibility: int) -> int:
    """>>> encode("b", 3) > encode("a", 4)
    True
    """
    return (6 - credibility) * 6 + (5 - RELIABILITY.index(reliability))


def decode(grade: int) -> tuple[str, int] | None:
    if grade >= TOP:
        return None
    credibility = 6 - grade // 6
    reliability = RELIABILITY[5 - grade % 6]
    return reliability, credibility


def show(grade: int) -> str | None:
    """`B3`, or None for an ungraded (uncited) conclusion."""
    d = decode(grade)
    if d is None:
        return None
    return f"{d[0].upper()}{d[1]}"


class Grade(int):
    """A grade as the API returns it: ordered as its integer encoding (larger is better), shown `B3`.

    >>> g = Grade(encode("b", 3)); str(g), repr(g), g > Grade(encode("c", 3))
    ('B3', "Grade('B3')", True)
    """

    __slots__ = ()

    @property
    def text(self) -> str | None:
        """`B3`, or None for the grade of an uncited conclusion."""
        return show(int(self))

    def __str__(self) -> str:
        return self.text or "ungraded"

    def __repr__(self) -> str:
        return f"Grade({str(self)!r})"


def citation_grade(cite: Citation, info: SourceInfo | None) -> int | None:
    """The grade of one citation: its source's reliability and its credibility. None when the source is not
    known (`info` is None) or the credibility is not 1-6 (in an editor, before the program is checked):
    shown as `?`."""
    if info is None or not 1 <= cite.credibility <= 6:
        return None
    return encode(info.reliability, cite.credibility)


def cite_grade(cite: Citation, sources: Mapping[str, SourceInfo]) -> int:
    """The grade a citation gives a fact in evaluation: `citation_grade`, with reliability `f` (cannot be
    judged) for a source that is not known."""
    got = citation_grade(cite, sources.get(cite.source))
    return got if got is not None else encode("f", cite.credibility)
