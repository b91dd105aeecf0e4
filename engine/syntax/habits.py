"""Syntax stage, hints: syntax errors that are habits from Soufflé and Prolog, told in their terms.

Input: a file's text and the place where the parser stopped (its offset, and
the type of the unexpected token, None for a character no token starts).
Output (`habit`): the diagnostic to report instead of the generic "unexpected
...", or None when the text there is no known habit. Each habit is one small
test of the text around that place, so a new one is one function in `HABITS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..errors import Diagnostic, Span, error

# the atom after a `!` or `\+`, to show it negated as Syllog writes it
_ATOM_AFTER = re.compile(r"[ \t]*([a-z][A-Za-z0-9_]*(?:\([^()\n]*\))?)")
# `.input NAME` or `.output NAME` just before the place, with no braces
_DIRECTIVE_BEFORE = re.compile(r"\.(input|output)[ \t\r\n]+([a-z][A-Za-z0-9_]*)[ \t\r\n]*\Z")
# a capitalised word just before an unexpected `(` on its line
_VAR_BEFORE = re.compile(r"([A-Z_][A-Za-z0-9_]*)[ \t]*\Z")
_BEFORE_WINDOW = 200  # how far back a directive's name is looked for


def position(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of an offset.

    >>> position("a.\\nbc", 4)
    (2, 2)
    """
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def span_at(text: str, path: str, offset: int, width: int = 1) -> Span:
    """The span of `width` characters from `offset`, on one line."""
    line, col = position(text, offset)
    return Span(path, line, col, line, col + width)


def capitalised_predicate(word: str, span: Span) -> Diagnostic:
    """E001 for a predicate written with a capital (`Edge(a, b)`): in Syllog that is a variable."""
    return error(
        "E001",
        f"unexpected variable `{word}`: predicate names start with a lowercase letter",
        span,
        help=f"write `{word[0].lower()}{word[1:]}`" if word[0].isalpha() else None,
    )


def _c_comment(text: str, path: str, offset: int, token: str | None) -> Diagnostic | None:
    """`// ...` and `/* ... */`: the lexer reads `/` as division, and `*` after it as a product."""
    if token != "MULOP":
        return None
    at = offset if text.startswith(("//", "/*"), offset) else offset - 1
    opener = text[at : at + 2] if at >= 0 else ""
    if opener not in ("//", "/*"):
        return None
    block = " (there are no block comments: `%` on every line)" if opener == "/*" else ""
    return error("E001", f"`{opener}` does not start a comment in Syllog", span_at(text, path, at, 2),
                 help=f"a comment starts with `%` and runs to the end of the line{block}")


def _bang_negation(text: str, path: str, offset: int, token: str | None) -> Diagnostic | None:
    """Soufflé's `!r(X)` and Prolog's `\\+ r(X)` for negation."""
    if token is not None:
        return None
    if text.startswith("!", offset) and not text.startswith("!=", offset):
        sign = "!"
    elif text.startswith("\\+", offset):
        sign = "\\+"
    else:
        return None
    atom = _ATOM_AFTER.match(text, offset + len(sign))
    shown = f"`not {atom[1]}`" if atom else "`not` before the atom"
    return error("E005", f"unexpected `{sign}`: negation is written `not`", span_at(text, path, offset, len(sign)),
                 help=f"write {shown}")


def _bare_io(text: str, path: str, offset: int, token: str | None) -> Diagnostic | None:
    """Soufflé's `.input edge` (or `.input edge(filename="...")`): Syllog names the file in braces."""
    del token  # after `.input NAME` only `{` may stand: whatever came instead, this is the habit
    start = max(0, offset - _BEFORE_WINDOW)
    m = _DIRECTIVE_BEFORE.search(text, start, offset)
    if m is None:
        return None
    kind, name = m[1], m[2]
    at = m.start()
    # Soufflé reads `edge.facts` and writes `path.csv`, both tab-separated
    file = f'file: "{name}.facts", format: tsv' if kind == "input" else f'file: "{name}.csv", format: tsv'
    return error("E001", f"`.{kind} {name}` names its file in braces", span_at(text, path, at, m.end(2) - at),
                 help=f"write `.{kind} {name} {{ {file} }}`; without `format:` the format is taken from "
                      "the file's suffix (csv, tsv, jsonl, parquet)")


def _capitalised_call(text: str, path: str, offset: int, token: str | None) -> Diagnostic | None:
    """`Exposure(X, Y)` where a variable cannot be followed by `(`: a predicate with a capital."""
    if token != "LPAR":
        return None
    line_start = text.rfind("\n", 0, offset) + 1
    m = _VAR_BEFORE.search(text[line_start:offset])
    if m is None:
        return None
    return capitalised_predicate(m[1], span_at(text, path, line_start + m.start(1), len(m[1])))


HABITS: tuple[Callable[[str, str, int, str | None], Diagnostic | None], ...] = (
    _c_comment,
    _bang_negation,
    _bare_io,
    _capitalised_call,
)


def habit(text: str, path: str, offset: int, token: str | None) -> Diagnostic | None:
    """The hint for a syntax error at `offset` that is a habit of another language, if it is one.

    >>> habit("p(a). // note", "f.dl", 6, "MULOP").message
    '`//` does not start a comment in Syllog'
    """
    for test in HABITS:
        diag = test(text, path, offset, token)
        if diag is not None:
            return diag
    return None


def lowercase_variables_help(symbols: list[str]) -> str:
    """The help for symbols that stand where variables are meant (Soufflé writes variables lowercase).

    >>> lowercase_variables_help(["x", "y"])
    'variables start with an uppercase letter or `_`: if `x`, `y` are meant as variables, write `X`, `Y`'
    """
    shown = ", ".join(f"`{x}`" for x in symbols)
    upper = ", ".join(f"`{x[0].upper()}{x[1:]}`" for x in symbols)
    meant = "is meant as a variable" if len(symbols) == 1 else "are meant as variables"
    return f"variables start with an uppercase letter or `_`: if {shown} {meant}, write {upper}"


def variable_field_help(field: str, value: str) -> str | None:
    """The help for a field whose value is written as a variable (`reliability: B`)."""
    if field == "reliability" and len(value) == 1 and value in "ABCDEF":
        return (f"a reliability is a lowercase letter `a` to `f`: write `reliability: {value.lower()}` "
                "(grades are shown uppercase, as in B3, but written lowercase)")
    if value[0].isalpha():
        return f"a value is a symbol (lowercase, `{value[0].lower()}{value[1:]}`), a string or a number"
    return None
