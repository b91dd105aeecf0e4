"""engine.errors rendering: control characters shown, lines of data files quoted, long lines shown around the caret."""

from __future__ import annotations

from engine.errors import Diagnostic, SourceMap, Span, render


def test_control_characters_are_shown_as_pictures_one_column_each() -> None:
    sources = SourceMap({"a.dl": '.include "a\0b.dl"\n'})
    text = render(Diagnostic("E104", "m", Span("a.dl", 1, 13, 1, 14)), sources)
    assert text.splitlines()[1:] == ['1 | .include "a\u2400b.dl"', "  |             ^"]


def test_a_line_of_a_file_not_kept_whole_is_quoted() -> None:
    sources = SourceMap()
    sources.add_line("e.csv", 40, "7,x")
    text = render(Diagnostic("E704", "m", Span("e.csv", 40, 3, 40, 4)), sources)
    assert text.splitlines()[1:] == ["40 | 7,x", "   |   ^"]
    assert render(Diagnostic("E704", "m", Span("e.csv", 41, 1, 41, 2)), sources) == "e.csv:41:1: error[E704]: m"


def test_a_long_line_is_shown_around_its_caret() -> None:
    line = "a" * 1000 + "BAD" + "z" * 1000
    sources = SourceMap({"d.jsonl": line + "\n"})
    shown, caret = render(Diagnostic("E704", "m", Span("d.jsonl", 1, 1001, 1, 1004)), sources).splitlines()[1:]
    assert len(shown) < 420 and shown.startswith("1 | \u2026") and shown.endswith("\u2026")
    assert shown[caret.index("^"):caret.index("^") + 3] == "BAD" and caret.count("^") == 3
