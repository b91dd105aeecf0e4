"""Errors and diagnostics: the one place that renders `path:line:col` plus a caret.

Every stage reports problems as `Diagnostic` values with a `Span`; a stage
collects all of its diagnostics and raises one `SyllogError` holding them.
Rendering never needs the original file on disk: the loader registers the
source text of every file it reads in a `SourceMap`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Span:
    """A place in a source file: 1-based line and column, end inclusive-exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


NO_SPAN = Span("<unknown>", 0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in the user's input."""

    code: str
    message: str
    span: Span
    severity: Severity = "error"
    help: str | None = None
    notes: tuple[tuple[str, Span], ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


@dataclass(slots=True)
class SourceMap:
    """Source text by file name, so diagnostics can quote the offending line.

    Files read streaming (bulk data) are not kept whole: the line a
    diagnostic points at is kept alone, as an excerpt.
    """

    texts: dict[str, str] = field(default_factory=dict)
    excerpts: dict[tuple[str, int], str] = field(default_factory=dict)
    # each text with its lines, split when a diagnostic first quotes one (a
    # thousand diagnostics in a large file would split it a thousand times)
    split: dict[str, tuple[str, list[str]]] = field(default_factory=dict, repr=False, compare=False)

    def add(self, name: str, text: str) -> None:
        self.texts[name] = text

    def add_line(self, name: str, line: int, text: str) -> None:
        """Keep one line of a file that is not kept whole (without its line end)."""
        self.excerpts[(name, line)] = text

    def update(self, other: SourceMap) -> None:
        self.texts.update(other.texts)
        self.excerpts.update(other.excerpts)

    def line(self, name: str, line: int) -> str | None:
        text = self.texts.get(name)
        if text is None:
            return self.excerpts.get((name, line))
        if line < 1:
            return None
        cached = self.split.get(name)
        if cached is None or cached[0] is not text:  # `texts` may have been given another text
            cached = self.split[name] = (text, text.splitlines())
        lines = cached[1]
        if line > len(lines):
            return "" if line == len(lines) + 1 else None
        return lines[line - 1]


def _snippet(span: Span, sources: SourceMap | None) -> list[str]:
    if sources is None or span.line < 1:
        return []
    text = sources.line(span.file, span.line)
    if text is None:
        return []
    text = visible(text.replace("\t", " "))
    gutter = str(span.line)
    pad = " " * len(gutter)
    start = max(span.col, 1)
    if span.end_line == span.line and span.end_col > span.col:
        width = span.end_col - span.col
    else:
        width = 1
    width = max(1, min(width, max(1, len(text) - start + 1)))
    text, start, width = _window(text, start, width)
    return [f"{gutter} | {text}", f"{pad} | {' ' * (start - 1)}{'^' * width}"]


SNIPPET_COLUMNS = 400  # a longer line (minified data, a runaway literal) is shown around its caret


def _window(text: str, start: int, width: int) -> tuple[str, int, int]:
    """At most `SNIPPET_COLUMNS` of a line, from a little before the caret, `…` where it is cut."""
    if len(text) <= SNIPPET_COLUMNS:
        return text, start, width
    left = max(0, start - 1 - 40)
    shown = text[left : left + SNIPPET_COLUMNS]
    if left:
        shown, start = "…" + shown, start - left + 1
    last = len(shown)  # the last column of the line's own text
    if left + SNIPPET_COLUMNS < len(text):
        shown += "…"
    return shown, start, max(1, min(width, last - start + 1))


_PICTURES = {c: 0x2400 + c for c in range(32)} | {0x7F: 0x2421}


def visible(text: str) -> str:
    """Control characters as their Unicode pictures (NUL as `␀`), one column each, so carets stay aligned."""
    return text.translate(_PICTURES)


def render(diag: Diagnostic, sources: SourceMap | None = None) -> str:
    """Render a diagnostic as `path:line:col: error[CODE]: message` + snippet.

    >>> render(Diagnostic("E201", "bad", Span("a.dl", 1, 1, 1, 2)))
    'a.dl:1:1: error[E201]: bad'
    """
    out = [f"{diag.span}: {diag.severity}[{diag.code}]: {diag.message}"]
    snippet = _snippet(diag.span, sources)
    out.extend(snippet)
    pad = " " * (len(str(diag.span.line)) if snippet else 1)
    for message, span in diag.notes:
        out.append(f"{pad} = note: {message} at {span}")
    if diag.help:
        out.append(f"{pad} = help: {diag.help}")
    return "\n".join(out)


class SyllogError(Exception):
    """The only exception Syllog raises for bad input: it holds diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic], sources: SourceMap | None = None):
        self.diagnostics = list(diagnostics)
        self.sources = sources
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(render(d, self.sources) for d in self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def error(code: str, message: str, span: Span, help: str | None = None) -> Diagnostic:
    return Diagnostic(code, message, span, "error", help)


def warning(code: str, message: str, span: Span, help: str | None = None) -> Diagnostic:
    return Diagnostic(code, message, span, "warning", help)
