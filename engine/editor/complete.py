"""Editor support, completion: the words that may stand where the cursor is.

Input: the text of a file, a position, and the program's `NameIndex`. Output:
`Candidate`s, by what is typed before the cursor: directives after `.`,
`@cite` after `@`, the variables of the clause for a capitalised word, and
predicates, source ids and keywords (`not`, the aggregates) for a lowercase
one. The clause is found with the lexer, so a clause that does not parse
yet still offers its variables. `candidates` is shared with the REPL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ..aggregates import NAMES as AGGREGATES
from ..syntax import highlight as hl
from ..values import String
from .index import NameIndex, signature

KEYWORDS = ("not", *AGGREGATES)
WORD = re.compile(r"[.@]?[A-Za-z_][A-Za-z0-9_]*$|[.@]$")
_CITED = re.compile(r"@cite\(\s*$")

CandidateKind = Literal["directive", "citation", "keyword", "predicate", "source", "variable"]


@dataclass(frozen=True)
class Candidate:
    text: str
    kind: CandidateKind
    detail: str = ""
    doc: str = ""


def word_before(text: str) -> str:
    """The part of a word typed before the cursor (with its `.` or `@`).

    >>> word_before("p(X) :- ed"), word_before("  .de"), word_before("q(X, Y")
    ('ed', '.de', 'Y')
    """
    m = WORD.search(text)
    return m.group() if m else ""


def candidates(word: str, predicates: Iterable[str], sources: Iterable[str],
               variables: Iterable[str] = ()) -> list[Candidate]:
    """What `word` may complete to, in the order to show them (never the word itself)."""
    found: list[Candidate]
    if word.startswith("."):
        found = [Candidate(d, "directive") for d in hl.DIRECTIVES]
    elif word.startswith("@"):
        found = [Candidate("@cite", "citation")]
    elif word[:1].isupper() or word.startswith("_"):
        found = [Candidate(v, "variable") for v in variables]
    else:
        found = [Candidate(p, "predicate") for p in predicates]
        found += [Candidate(s, "source") for s in sources]
        found += [Candidate(k, "keyword") for k in KEYWORDS]
    seen: set[str] = set()
    out = []
    for c in found:
        if c.text.startswith(word) and c.text != word and c.text not in seen:
            seen.add(c.text)
            out.append(c)
    return out


def clause_variables(text: str, offset: int) -> list[str]:
    """The named variables of the clause that holds `offset`, in order of first appearance.

    >>> clause_variables("p(X) :- q(X, Y). r(Z) :- s(Z, W).", 20)
    ['Z', 'W']
    """
    found: list[str] = []
    for start, kind, value in hl.lex(text):
        ends = (kind is hl.PUNCTUATION and value == ".") or kind in (hl.DIRECTIVE, hl.CITATION)
        if ends and start >= offset:
            break  # the clause that holds the cursor ends here
        if ends:
            found = []  # a clause before the cursor ended
        elif kind is hl.VARIABLE and value != "_":
            found.append(value)
    return list(dict.fromkeys(found))


def complete(index: NameIndex, text: str, line: int, col: int) -> list[Candidate]:
    """Candidates at a position of a file's text (1-based line and column, in code points)."""
    lines = text.split("\n")
    before = lines[line - 1][: col - 1] if 1 <= line <= len(lines) else ""
    word = word_before(before)
    ahead = before[: len(before) - len(word)]
    if word.startswith(".") and ahead.strip():
        return []  # a `.` after something ends a clause: a directive starts a line
    offset = sum(len(x) + 1 for x in lines[: line - 1]) + len(before)
    variables = [v for v in clause_variables(text, offset - len(word)) if v != word]
    found = candidates(word, index.names("predicate"), index.names("source"), variables)
    if _CITED.search(ahead):
        found = [c for c in found if c.kind == "source"]
    return [_described(index, c) for c in found]


def _described(index: NameIndex, c: Candidate) -> Candidate:
    if c.kind == "predicate" and (decl := index.declaration(c.text)) is not None:
        return Candidate(c.text, c.kind, signature(decl), decl.doc or "")
    if c.kind == "source" and (src := index.source(c.text)) is not None:
        title = src.get("title")
        return Candidate(c.text, c.kind, "source", title.value.text if title and isinstance(title.value, String) else "")
    return c
