"""Syntax stage, fast path: runs of ground facts read in bulk; everything else is left to lark.

Input: one file's text. Output (`Scanner.scan`): its statements as parts in
order, each `(start, end, run)`: a `FactRun` for consecutive facts whose
arguments are constants (symbols, integers, decimals, strings), for one fact
under `@cite` and for a cite block of such facts; `run` is None for a hole,
text that lark parses. The regular expressions are made of the grammar's own
terminals (`syllog.lark`), so both readers agree on what a name, a number, a
string and a comment are. Whatever the fast path does not recognise, errors
included, is a hole; `statement_end` finds where such a statement ends, so
that facts after it are read fast again.

A run holds its values by predicate and column (`FactTable`); its nodes are
built on demand by the same patterns, with the values and spans lark gives
(`tests/test_fast_facts.py` compares both readers on generated and mutated
files).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from operator import itemgetter, methodcaller

from .. import nodes as n
from ..errors import NO_SPAN, Span
from ..values import MAX_DIGITS, String, Value
from .build import Fault, citation, decimal_literal, int_literal, negated, unescape

Part = tuple[int, int, "n.FactRun | None"]  # start and end offsets; None for a hole

_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_NUMERIC = frozenset("0123456789-")
_WHITESPACE = (" ", "\n", "\t", "\r", "\f")
_UNQUOTED = itemgetter(slice(1, -1))
# characters of facts of one predicate that make a run of their own
ALIKE_RUN = 4096
# every byte but the newline to a space: blanks an ASCII run for lark, keeping offsets and lines
_BLANK = bytes(10 if b == 10 else 32 for b in range(256))


def token_pattern(rx: str) -> str:
    """A terminal's regular expression as one token of a larger one: no capturing groups, and every
    repetition possessive, so that a token is matched longest and never given back, as lark's lexer
    does (and Python's matcher runs such patterns several times faster)."""
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(rx):
        c = rx[i]
        if c == "\\":
            out.append(rx[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            j = i + 1 + (rx[i + 1 : i + 2] == "^")
            j += rx[j : j + 1] == "]"  # a `]` first in a class is a literal
            out.append(rx[i:j])
            i = j
            continue
        if c == "(":
            if rx[i + 1 : i + 2] != "?":
                out.append("(?:")
                i += 1
                continue
            j = i + 3 if rx[i + 2 : i + 3] in ":!=>" else i + 4  # (?: (?! (?= (?> or (?<! (?<=
            out.append(rx[i:j])
            i = j
            continue
        if c in "*+?{":
            j = rx.index("}", i) + 1 if c == "{" else i + 1
            out.append(rx[i:j])
            if rx[j : j + 1] not in ("?", "+"):
                out.append("+")
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out)


class Positions:
    """Line and column (1-based, as lark counts them) of offsets in a text, met mostly in order."""

    __slots__ = ("text", "offset", "line", "line_start")

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.line = 1
        self.line_start = 0

    def at(self, offset: int) -> tuple[int, int]:
        """Counted from the last offset asked, either way: linear in the distance."""
        if offset >= self.offset:
            newlines = self.text.count("\n", self.offset, offset)
            if newlines:
                self.line += newlines
                self.line_start = self.text.rfind("\n", self.offset, offset) + 1
        else:
            self.line -= self.text.count("\n", offset, self.offset)
            self.line_start = self.text.rfind("\n", 0, offset) + 1
        self.offset = offset
        return self.line, offset - self.line_start + 1

    def span(self, path: str, start: int, end: int) -> Span:
        line, col = self.at(start)
        end_line, end_col = self.at(end)
        return Span(path, line, col, end_line, end_col)


def blank(text: str) -> str:
    """`text` with every character but the newline turned into a space."""
    if text.isascii():
        return text.encode("ascii").translate(_BLANK).decode("ascii")
    return "\n".join(" " * len(line) for line in text.split("\n"))


class _Unusual(Exception):
    """A run holds something the fast path leaves to lark (a value it would refuse, an odd escape)."""


def _number(text: str) -> int | Decimal:
    """An integer or decimal literal, with an optional minus, as lark's nodes fold it."""
    body = text[1:] if text[0] == "-" else text
    value: int | Decimal
    if "." in body:
        value = decimal_literal(body)
    else:
        try:
            value = int_literal(body, NO_SPAN)
        except Fault:
            raise _Unusual from None  # lark reports E010 where it is
    return negated(value) if text[0] == "-" else value


def _value(text: str) -> Value:
    """The value of one argument token (a symbol, a number or a string)."""
    c = text[0]
    if c in _LOWER:
        return text
    if c == '"':
        try:
            return String(unescape(text, NO_SPAN))
        except Fault:
            raise _Unusual from None  # lark reports E008 where it is
    return _number(text)


def _column(fields: list[str]) -> list[Value]:
    """One column of argument tokens as values: all symbols, or all integers, in bulk."""
    firsts = set(map(itemgetter(0), fields))
    if firsts <= _LOWER:
        return fields  # type: ignore[return-value]  # symbols are their text
    if firsts <= _NUMERIC and max(map(len, fields)) <= MAX_DIGITS:
        try:
            return list(map(int, fields))  # validated ASCII digits, `_` and a leading `-`: read as lark reads them
        except ValueError:
            pass  # a decimal among them
    if firsts == {'"'} and not any(map(methodcaller("count", "\\"), fields)):
        return list(map(String, map(_UNQUOTED, fields)))  # no escapes: the text between the quotes
    return list(map(_value, fields))


def _table(pred: str, arity: int, fields: list[str], count: int, places: list[int] | None = None) -> n.FactTable:
    """A predicate's facts from their argument tokens, fact after fact."""
    return n.FactTable(pred, tuple(_column(fields[j::arity]) for j in range(arity)), count, places)


class Scanner:
    """The fast path, built from the grammar's terminals (name -> regular expression).

    Each pattern is compiled when first used (compiling all of them costs
    several milliseconds, most of a short run's first parse; a file of rules
    never asks for some), then kept on the instance.
    """

    def __init__(self, terminals: Mapping[str, str]) -> None:
        t = {k: token_pattern(v) for k, v in terminals.items()}
        self.t = t
        self.ws = f"(?:{t['WS']})?+"
        self.sep_rx = f"(?:{t['WS']}|{t['COMMENT']})*+"
        self.number = f"{t['MINUS']}?+(?:{t['DECIMAL']}|{t['INT']})"
        self.arg_rx = f"(?:{t['NAME']}|{self.number}|{t['STRING']})"
        # `expect` alone is the keyword where a statement starts: lark decides what follows
        self.pred = f"(?!{t['EXPECT']}){t['NAME']}"
        ws = self.ws
        self.args = (f"{ws}{t['LPAR']}{ws}(?:{self.arg_rx}(?:{ws}{t['COMMA']}{ws}{self.arg_rx})*+)?+"
                     f"{ws}{t['RPAR']}")
        self.fact_rx = f"{self.pred}(?:{self.args})?+{ws}{t['DOT']}"

    @functools.cached_property
    def sep(self) -> re.Pattern[str]:
        return _own_groups(self.sep_rx)

    @functools.cached_property
    def fact(self) -> re.Pattern[str]:
        return _own_groups(self.fact_rx)

    @functools.cached_property
    def run(self) -> re.Pattern[str]:
        return _own_groups(f"{self.fact_rx}(?:{self.sep_rx}{self.fact_rx})*+")

    @functools.cached_property
    def run_alike(self) -> re.Pattern[str]:
        """Facts of the first one's predicate (a backreference; what follows a name ends it)."""
        t, args, ws = self.t, self.args, self.ws
        return _own_groups(f"(?P<p>{self.pred})(?:{args})?+{ws}{t['DOT']}"
                           f"(?:{self.sep_rx}(?P=p)(?:{args})?+{ws}{t['DOT']})*+")

    @functools.cached_property
    def fact_node(self) -> re.Pattern[str]:
        """One fact a match: its predicate, then its parenthesised arguments."""
        return re.compile(f"({self.pred})({self.args})?+{self.ws}{self.t['DOT']}")

    @functools.cached_property
    def arg(self) -> re.Pattern[str]:
        return _own_groups(self.arg_rx)

    @functools.cached_property
    def fact_tokens(self) -> re.Pattern[str]:
        """The tokens of a run of facts, whitespace left out: an argument, a comment or a bracket, `,` or `.`."""
        t = self.t
        return _own_groups(f"{t['STRING']}|{self.number}|{t['NAME']}|{t['COMMENT']}|{t['LPAR']}|{t['RPAR']}"
                           f"|{t['COMMA']}|{t['DOT']}")

    @functools.cached_property
    def cite(self) -> re.Pattern[str]:
        t, ws = self.t, self.ws
        return re.compile(
            f"{t['CITE']}{ws}{t['LPAR']}{ws}({t['NAME']})"
            f"((?:{ws}{t['COMMA']}{ws}{t['NAME']}{ws}{t['COLON']}{ws}(?:{t['STRING']}|{t['INT']}|{t['NAME']}))*+)"
            f"{ws}{t['RPAR']}")

    @functools.cached_property
    def field(self) -> re.Pattern[str]:
        t, ws = self.t, self.ws
        return re.compile(f"{ws}{t['COMMA']}{ws}({t['NAME']}){ws}{t['COLON']}{ws}({t['STRING']}|{t['INT']}|{t['NAME']})")

    @functools.cached_property
    def block_open(self) -> re.Pattern[str]:
        return re.compile(f"{self.t['LBRACE']}{self.sep_rx}")

    @functools.cached_property
    def block_close(self) -> re.Pattern[str]:
        return re.compile(f"{self.sep_rx}{self.t['RBRACE']}")

    @functools.cached_property
    def token(self) -> re.Pattern[str]:
        """The statement skipper's tokens: what can hide a `.` or a bracket, then single characters."""
        t = self.t
        directives = "|".join(t[k] for k in ("DECL_KW", "INCLUDE_KW", "SOURCE_KW", "INPUT_KW", "OUTPUT_KW"))
        return _own_groups(
            f"(?P<skip>{t['WS']}|{t['COMMENT']})|(?P<string>{t['STRING']})|(?P<number>{t['DECIMAL']})"
            f"|(?P<directive>{directives})|(?P<cite>{t['CITE']})|(?P<word>[A-Za-z0-9_]+)|(?P<char>.)",
            re.DOTALL)

    # -- the statement loop -------------------------------------------------------
    def scan(self, text: str, path: str) -> list[Part]:
        """The file's statements as fact runs and holes, in order (holes merged when adjacent)."""
        parts: list[Part] = []
        lines = Positions(text)
        size = len(text)
        pos = 0
        while True:
            pos = self.sep.match(text, pos).end()  # type: ignore[union-attr]  # matches the empty text
            if pos >= size:
                return parts
            got = self.cited(text, pos, path, lines) if text.startswith("@", pos) else self.facts(text, pos, path, lines)
            if got is not None:
                parts.append(got)
                pos = got[1]
                continue
            end = self.statement_end(text, pos)
            end = size if end is None else end
            if parts and parts[-1][2] is None:
                pos = parts[-1][0]
                parts.pop()
            parts.append((pos, end, None))
            pos = end

    def facts(self, text: str, pos: int, path: str, lines: Positions) -> Part | None:
        """Plain facts from `pos` on: those of one predicate if they are many (read fastest, split
        at their `).`), else as many as follow one another."""
        m = self.run_alike.match(text, pos)
        if m is None:
            return None
        if m.end() - pos < ALIKE_RUN:
            m = self.run.match(text, pos)
            assert m is not None
        run = self.bulk(text, pos, m.end(), path, (), lines.span(path, pos, m.end()), None)
        return None if run is None else (pos, m.end(), run)

    def cited(self, text: str, pos: int, path: str, lines: Positions) -> Part | None:
        """`@cite(...)`s and the one fact or the block of facts they stand before."""
        start = pos
        cites: list[n.Citation] = []
        while text.startswith("@", pos):
            c = self.citation(text, pos, path, lines)
            if c is None:
                return None
            cites.append(c[0])
            pos = self.sep.match(text, c[1]).end()  # type: ignore[union-attr]
        opened = self.block_open.match(text, pos)
        if opened is None:
            m = self.fact.match(text, pos)
            if m is None:
                return None
            run = self.bulk(text, pos, m.end(), path, tuple(cites), lines.span(path, start, m.end()), None)
            return None if run is None else (start, m.end(), run)
        inner = opened.end()
        m = self.run.match(text, inner)
        last = m.end() if m is not None else inner
        closed = self.block_close.match(text, last)
        if closed is None:
            return None
        span = lines.span(path, start, closed.end())
        # the block's span is lark's: from the first citation to the closing brace
        run = self.bulk(text, inner, last, path, tuple(cites), span, span)
        return None if run is None else (start, closed.end(), run)

    def citation(self, text: str, pos: int, path: str, lines: Positions) -> tuple[n.Citation, int] | None:
        m = self.cite.match(text, pos)
        if m is None:
            return None
        fields: list[n.Field] = []
        for f in self.field.finditer(text, m.start(2), m.end(2)):
            raw = f[2]
            try:
                value: Value = (String(unescape(raw, lines.span(path, f.start(2), f.end(2)))) if raw[0] == '"'
                                else raw if raw[0] in _LOWER else int_literal(raw, NO_SPAN))
            except Fault:
                return None  # lark reports it
            fields.append(n.Field(f[1], value, lines.span(path, f.start(1), f.end(2))))
        try:
            return citation(m[1], fields, lines.span(path, pos, m.end()), lines.span(path, m.start(1), m.end(1))), m.end()
        except Fault:
            return None

    # -- values in bulk -------------------------------------------------------------
    def bulk(self, text: str, start: int, end: int, path: str, cites: tuple[n.Citation, ...], span: Span,
             block: Span | None) -> n.FactRun | None:
        """The facts of text[start:end] (a run the patterns matched) by predicate; None if lark must read them."""
        region = text[start:end]
        try:
            if not region:
                tables: tuple[n.FactTable, ...] = ()  # an empty block
            else:
                tables = self._tables_of_one(region) or self._tables_by_token(region)
        except _Unusual:
            return None
        return n.FactRun(tables, cites, span, _Reader(self, text, start, end, path, cites, block))

    def _tables_of_one(self, region: str) -> tuple[n.FactTable, ...] | None:
        """Facts without strings or comments, all of the first one's predicate and arity (the usual
        generated file), split at each `).`; None when they are not all alike."""
        if '"' in region or "%" in region:
            return None
        first = self.fact_node.match(region)
        assert first is not None, "a run starts with a fact"
        pred, args = first[1], first[2]
        if args is None or self.arg.search(args) is None:
            return None  # it has no arguments
        for w in _WHITESPACE:
            if w in region:
                region = region.replace(w, "")
        contents = region.split(").")
        if contents.pop():
            return None  # the last fact has no arguments
        prefix = pred + "("
        if not all(map(methodcaller("startswith", prefix), contents)):
            return None
        commas = args.count(",")
        if set(map(methodcaller("count", ","), contents)) != {commas}:
            return None
        fields = ",".join(contents).replace(prefix, "").split(",")  # no `(` in arguments: each prefix is a fact's
        if not all(fields):
            return None  # a `p()` among them
        return (_table(pred, commas + 1, fields, len(contents)),)

    def _tables_by_token(self, region: str) -> tuple[n.FactTable, ...]:
        """Any run of facts, from its tokens: a predicate, then `.`, or `(`, arguments between
        commas up to the `)`, and `.` (the patterns matched the run: no need to check it again)."""
        toks = self.fact_tokens.findall(region)
        index = toks.index
        groups: dict[tuple[str, int], list[str]] = {}
        places: dict[tuple[str, int], list[int]] = {}
        i, size, place = 0, len(toks), 0
        while i < size:
            pred = toks[i]
            if pred[0] == "%":  # a comment between facts
                i += 1
                continue
            if toks[i + 1] == ".":
                fields: list[str] = []
                i += 2
            else:
                close = index(")", i + 2)
                fields = toks[i + 2 : close : 2]
                i = close + 2
            key = (pred, len(fields))
            groups.setdefault(key, []).extend(fields)
            places.setdefault(key, []).append(place)
            place += 1
        if len(groups) == 1:
            return tuple(_table(pred, arity, fields, len(places[pred, arity])) for (pred, arity), fields in groups.items())
        return tuple(_table(pred, arity, fields, len(places[pred, arity]), places[pred, arity])
                     for (pred, arity), fields in groups.items())

    # -- nodes on demand ------------------------------------------------------------
    def nodes(self, text: str, start: int, end: int, path: str, cites: tuple[n.Citation, ...],
              block: Span | None) -> tuple[n.Statement, ...]:
        """The nodes lark builds for the facts of text[start:end]: Rules, or one CiteBlock when `block`."""
        lines = Positions(text)
        own = () if block is not None else cites  # a block's clauses carry no citations of their own
        rules: list[n.Rule] = []
        pos = start
        while True:
            pos = self.sep.match(text, pos).end()  # type: ignore[union-attr]
            if pos >= end:
                break
            rule, pos = self.fact_at(text, pos, path, own, lines)
            rules.append(rule)
        if block is not None:
            return (n.CiteBlock(cites, tuple(rules), block),)
        return tuple(rules)

    def fact_at(self, text: str, pos: int, path: str, cites: tuple[n.Citation, ...],
                lines: Positions) -> tuple[n.Rule, int]:
        """The fact statement starting at `pos` as lark's node, and where it ends."""
        m = self.fact_node.match(text, pos)
        assert m is not None, "a run is made of facts"
        pred_span = lines.span(path, m.start(1), m.end(1))
        if m[2] is None:
            head = n.Atom(m[1], (), pred_span)
        else:
            args = tuple(n.Const(_value(a[0]), lines.span(path, a.start(), a.end()))
                         for a in self.arg.finditer(text, m.start(2), m.end(2)))
            head = n.Atom(m[1], args, _joined(pred_span, lines.span(path, m.end(2) - 1, m.end(2))))
        return n.Rule(head, (), cites, _joined(pred_span, lines.span(path, m.end() - 1, m.end()))), m.end()

    def fact_starts(self, text: str, start: int, end: int) -> list[int]:
        """Where each fact of the run text[start:end] starts."""
        out: list[int] = []
        pos = start
        while True:
            pos = self.sep.match(text, pos).end()  # type: ignore[union-attr]
            if pos >= end:
                return out
            out.append(pos)
            pos = self.fact.match(text, pos).end()  # type: ignore[union-attr]


    # -- holes -----------------------------------------------------------------------
    def statement_end(self, text: str, pos: int) -> int | None:
        """Where the statement at `pos` ends, by the grammar's shape of each kind; None when unsure.

        A clause, query or expectation ends at its first `.` (outside strings,
        comments and decimals); `.decl` at its `)` or the doc string after it;
        `.include` at its string; `.source`, `.input`, `.output` and a cite
        block at their closing `}`. Ending a hole later than lark would end
        the statement costs only speed: lark reads the whole hole.
        """
        tokens = (m for m in self.token.finditer(text, pos) if m.lastgroup != "skip")
        first = next(tokens, None)
        if first is None:
            return None
        if first.lastgroup == "directive":
            if first[0] == ".include":
                s = next(tokens, None)
                return s.end() if s is not None and s.lastgroup == "string" else None
            end = _closing(tokens, ")" if first[0] == ".decl" else "}")
            if end is None or first[0] != ".decl":
                return end
            doc = self.token.match(text, self.sep.match(text, end).end())  # type: ignore[union-attr]
            return doc.end() if doc is not None and doc.lastgroup == "string" else end
        while first is not None and first.lastgroup == "cite":
            if _closing(tokens, ")") is None:
                return None
            first = next(tokens, None)
        if first is None:
            return None
        if first[0] == "{":
            return _closing(tokens, "}", depth=1)
        if first[0] == ".":
            return first.end()
        return next((m.end() for m in tokens if m[0] == "."), None)


class _Reader:
    """A fact run's nodes, from its text (the `nodes.FactReader` of the runs the scanner reads)."""

    __slots__ = ("scanner", "text", "start", "end", "path", "cites", "block", "starts", "lines")

    def __init__(self, scanner: Scanner, text: str, start: int, end: int, path: str,
                 cites: tuple[n.Citation, ...], block: Span | None) -> None:
        self.scanner = scanner
        self.text = text
        self.start, self.end = start, end
        self.path = path
        self.cites = cites
        self.block = block
        self.starts: list[int] | None = None  # each fact's offset, found on the first `fact`
        self.lines: Positions | None = None

    def statements(self) -> tuple[n.Statement, ...]:
        return self.scanner.nodes(self.text, self.start, self.end, self.path, self.cites, self.block)

    def fact(self, place: int) -> n.Rule:
        if self.lines is None:
            self.lines = Positions(self.text)
        if place == 0:  # where an arity was fixed: no need to find the others
            at = self.scanner.sep.match(self.text, self.start).end()  # type: ignore[union-attr]
        else:
            if self.starts is None:
                self.starts = self.scanner.fact_starts(self.text, self.start, self.end)
            at = self.starts[place]
        own = () if self.block is not None else self.cites
        return self.scanner.fact_at(self.text, at, self.path, own, self.lines)[0]


def _own_groups(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`pattern` compiled, checked to hold only our own groups (token_pattern made the terminals' non-capturing)."""
    rx = re.compile(pattern, flags)
    assert rx.groups == len(rx.groupindex), rx.pattern
    return rx


def _closing(tokens: Iterator[re.Match[str]], closer: str, depth: int = 0) -> int | None:
    """The end of the bracket `closer` that brings the depth back to 0 (brackets of any kind counted)."""
    for m in tokens:
        c = m[0]
        if c in "({":
            depth += 1
        elif c in ")}":
            depth -= 1
            if depth < 0:
                return None
            if depth == 0 and c == closer:
                return m.end()
    return None


def _joined(a: Span, b: Span) -> Span:
    return Span(a.file, a.line, a.col, b.end_line, b.end_col)
