"""Syntax highlighting of the language: one Pygments lexer for every place that colours `.dl` text.

`SyllogLexer` is registered under the `pygments.lexers` entry point
(`pygmentize -l syllog rules/sanctions.dl`, `rich.syntax.Syntax(text,
"syllog")`, Markdown renderers that use Pygments), and the REPL colours what
is typed through it (engine.repl). Tokens: `%` comments (a `%` right after
an operand is the remainder operator, as in the grammar), strings, numbers,
variables (uppercase or `_` initial), names, the directives `.decl`,
`.source`, `.include`, `.input`, `.output` and `@cite`, the keywords `not`
and `expect` and an aggregate name before its `{`, `:-` and `?-`, operators,
and a REPL `:command` at the start of a line.
"""

from __future__ import annotations

from typing import ClassVar

from pygments.lexer import RegexLexer
from pygments.token import (
    Comment,
    Generic,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
    _TokenType,
)


class SyllogLexer(RegexLexer):
    """Pygments lexer for Syllog `.dl` files (and the REPL's `:commands`).

    >>> from pygments.token import Name
    >>> [(t, v) for t, v in SyllogLexer().get_tokens("p(X).") if v.strip()][:2]
    [(Token.Name, 'p'), (Token.Punctuation, '(')]
    """

    name = "Syllog"
    aliases: ClassVar[list[str]] = ["syllog"]
    filenames: ClassVar[list[str]] = ["*.dl"]
    mimetypes: ClassVar[list[str]] = ["text/x-syllog"]
    url = "https://github.com/"

    tokens: ClassVar[dict[str, list[tuple[str, _TokenType]]]] = {
        "root": [
            (r"^[ \t]*:[A-Za-z?]+", Generic.Prompt),
            (r"(?<![A-Za-z0-9_)])%.*", Comment.Single),
            (r'"(?:\\.|[^"\\\n])*"?', String.Double),
            (r"(?:\.(?:decl|source|include|input|output)|@cite)(?![A-Za-z0-9_])", Keyword.Declaration),
            (r"(?:not|expect)(?![A-Za-z0-9_])", Keyword),
            (r"(?:count|sum|min|max)(?=\s*\{)", Keyword),
            (r"\?-|:-", Keyword.Pseudo),
            (r"[0-9]+(?:_[0-9]+)*(?:\.[0-9]+(?:_[0-9]+)*)?", Number),
            (r"[A-Z_][A-Za-z0-9_]*", Name.Variable),
            (r"[a-z][A-Za-z0-9_]*", Name),
            (r"!=|<=|>=|[=<>+\-*/%]", Operator),
            (r"[(){}\[\],.:;@]", Punctuation),
            (r"\s+", Whitespace),
            (r".", Text),
        ]
    }
