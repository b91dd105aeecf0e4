"""Syntax stage, for people: the lexical classes of `.dl` text, for highlighting.

Input: program text. Output: (offset, kind, text) tokens that join back to the
text. One table, `RULES`, says which grammar terminals make which kind of
token; the regular expressions are the grammar's own (`terminal_patterns`),
so a highlighter never disagrees with the parser about where a string, a
comment or a variable ends. From that table come the Pygments lexer
(registered as the `syllog` entry point of `pygments.lexers`, used by the
REPL and by `pygmentize -l syllog`), the TextMate grammar shipped for VS Code
and the semantic token types of the language server.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pygments.lexer import RegexLexer
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
    _TokenType,
)

from ..aggregates import NAMES as AGGREGATES
from .parser import terminal_patterns


@dataclass(frozen=True)
class Kind:
    """A class of token: its Pygments type, TextMate scope and LSP semantic token type (None: left plain)."""

    name: str
    pygments: _TokenType
    scope: str | None
    semantic: str | None


COMMENT = Kind("comment", Comment.Single, "comment.line.percentage.syllog", "comment")
STRING = Kind("string", String.Double, "string.quoted.double.syllog", "string")
DIRECTIVE = Kind("directive", Keyword.Declaration, "keyword.other.directive.syllog", "keyword")
CITATION = Kind("citation", Name.Decorator, "storage.type.annotation.cite.syllog", "decorator")
KEYWORD = Kind("keyword", Keyword, "keyword.control.syllog", "keyword")
AGGREGATE = Kind("aggregate", Name.Builtin, "support.function.aggregate.syllog", "keyword")
NUMBER = Kind("number", Number, "constant.numeric.syllog", "number")
VARIABLE = Kind("variable", Name.Variable, "variable.other.syllog", "variable")
PREDICATE = Kind("predicate", Name.Function, "entity.name.function.predicate.syllog", "function")
NAME = Kind("name", Name, "constant.other.symbol.syllog", None)
OPERATOR = Kind("operator", Operator, "keyword.operator.syllog", "operator")
PUNCTUATION = Kind("punctuation", Punctuation, "punctuation.separator.syllog", None)
SPACE = Kind("space", Whitespace, None, None)
ERROR = Kind("error", Error, "invalid.illegal.syllog", None)

_WORD_END = r"(?![A-Za-z0-9_])"
DIRECTIVES = (".decl", ".source", ".include", ".input", ".output")  # the DIRECTIVE rule's terminals, as written


@dataclass(frozen=True)
class TokenRule:
    """Tokens of one kind: an alternation of grammar terminals, or a pattern of its own, then a lookahead."""

    kind: Kind
    terminals: tuple[str, ...] = ()
    pattern: str | None = None
    lookahead: str = ""

    def regex(self, patterns: dict[str, str]) -> str:
        body = self.pattern or "|".join(patterns[t] for t in self.terminals)
        return f"(?:{body}){self.lookahead}"


# First match wins, in this order (the parser's priorities: directives and
# keywords before names, a decimal before an integer, `?-` and `:-` before
# `-` and `:`). Rules without terminals cover what the grammar makes of
# context: an aggregate's name before its `{`, a predicate's before its `(`.
RULES: tuple[TokenRule, ...] = (
    TokenRule(COMMENT, ("COMMENT",)),
    TokenRule(STRING, ("STRING",)),
    TokenRule(STRING, pattern=r'"(?:\\.|[^"\\\n])*'),  # not yet closed: still a string while it is typed
    TokenRule(DIRECTIVE, ("DECL_KW", "INCLUDE_KW", "SOURCE_KW", "INPUT_KW", "OUTPUT_KW")),
    TokenRule(CITATION, ("CITE",)),
    TokenRule(KEYWORD, ("EXPECT_NOT", "EXPECT", "NOT", "GRADE_KW", "VIOLATED_KW")),
    TokenRule(AGGREGATE, pattern="|".join(AGGREGATES), lookahead=_WORD_END + r"(?=\s*\{)"),
    TokenRule(PUNCTUATION, ("QUERY", "IMPLIES")),
    TokenRule(NUMBER, ("DECIMAL", "INT")),
    TokenRule(VARIABLE, ("VAR",)),
    TokenRule(PREDICATE, ("NAME",), lookahead=r"(?=\s*\()"),
    TokenRule(NAME, ("NAME",)),
    TokenRule(OPERATOR, ("CMP", "PLUS", "MINUS", "MULOP")),
    TokenRule(PUNCTUATION, ("DOT", "COMMA", "COLON", "LPAR", "RPAR", "LBRACE", "RBRACE")),
    TokenRule(SPACE, ("WS",)),
    TokenRule(ERROR, pattern="."),
)

KINDS: tuple[Kind, ...] = tuple(dict.fromkeys(r.kind for r in RULES))
_BY_TOKEN = {k.pygments: k for k in KINDS}


def _root() -> list[Any]:
    patterns = terminal_patterns()
    return [(rule.regex(patterns), rule.kind.pygments) for rule in RULES]


class SyllogLexer(RegexLexer):
    """Pygments lexer for Syllog `.dl` files (`pygmentize -l syllog`)."""

    name = "Syllog"
    aliases = ["syllog"]
    filenames = ["*.dl"]
    mimetypes = ["text/x-syllog"]
    url = "https://github.com/syllog"
    tokens = {"root": _root()}


def lex(text: str) -> Iterator[tuple[int, Kind, str]]:
    """Tokens of the text with their offsets; they join back to the text.

    >>> [(k.name, t) for _, k, t in lex("p(X) :- not q(X).")][:5]
    [('predicate', 'p'), ('punctuation', '('), ('variable', 'X'), ('punctuation', ')'), ('space', ' ')]
    """
    for offset, token, value in SyllogLexer(stripnl=False, ensurenl=False).get_tokens_unprocessed(text):
        yield offset, _BY_TOKEN[token], value


def textmate_grammar() -> dict[str, Any]:
    """The TextMate grammar (`editors/vscode/syntaxes/syllog.tmLanguage.json`), rule for rule the lexer's."""
    patterns = terminal_patterns()
    return {
        "name": "Syllog",
        "scopeName": "source.syllog",
        "fileTypes": ["dl"],
        "comment": "Generated by editors/vscode/build_grammar.py from engine/syntax/highlight.py; do not edit.",
        "patterns": [{"match": rule.regex(patterns), **({"name": rule.kind.scope} if rule.kind.scope else {})}
                     for rule in RULES],
    }
