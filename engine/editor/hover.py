"""Editor support, hover: what the name or the cited fact under the cursor means, as Markdown.

Input: an `NameIndex`, the checked sources (`SourceInfo` by id, for quotes and
grades) and a position. Output: Markdown text, or None where there is
nothing to say.
- a predicate: its `.decl` (types and doc string) and where it is declared,
  how many rules derive it and where, how many facts it has;
- a cited fact (the cursor anywhere on it): each citation's quoted
  sentence, its source and its grade; then its predicate as above;
- a source id: the source's title, publisher, date and reliability, how
  many facts cite it, and in a `@cite` the sentence of the cited line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .. import nodes as n
from ..analysis import SourceInfo
from ..errors import Span
from ..provenance import CREDIBILITY_WORDS, RELIABILITY_WORDS, citation_grade, show
from ..values import show as show_value
from .index import NameIndex, Occurrence, signature

_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|])")


def escape(text: str) -> str:
    """Text shown as itself in Markdown."""
    return _MARKDOWN.sub(r"\\\1", text)


def place(span: Span) -> str:
    return f"`{span.file}:{span.line}`"


def hover(index: NameIndex, sources: Mapping[str, SourceInfo], file: str, line: int, col: int) -> str | None:
    """Markdown for the position (1-based line and column in code points)."""
    occ = index.at(file, line, col)
    if occ is not None and occ.kind == "source":
        return source_hover(index, sources, occ)
    parts = []
    clause = index.clause_at(file, line, col)
    if clause is not None and clause.cites and not clause.body:
        parts.append(citations_hover(clause, sources))
    if occ is not None and occ.kind == "predicate":
        parts.append(predicate_hover(index, occ.name))
    elif clause is not None and parts:
        parts.append(predicate_hover(index, clause.head.pred))
    return "\n\n---\n\n".join(parts) or None


def predicate_hover(index: NameIndex, pred: str) -> str:
    """The `.decl` with its doc string, where it is declared, the rules that derive it and its facts."""
    decl = index.declaration(pred)
    lines = []
    if decl is not None:
        lines.append(f"```syllog\n{signature(decl)}\n```")  # the doc string goes below, as prose
        if decl.doc:
            lines.append(escape(decl.doc))
        lines.append(f"declared at {place(decl.span)}")
    else:
        lines.append(f"**{escape(pred)}** (not declared)")
    rules = [c for c in index.clauses if c.head.pred == pred and c.body]
    facts = [c for c in index.clauses if c.head.pred == pred and not c.body]
    if rules:
        noun = "rule" if len(rules) == 1 else "rules"
        lines.append(f"derived by {len(rules)} {noun}: " + ", ".join(place(r.span) for r in rules))
    else:
        lines.append("derived by no rule")
    inputs = [d for d in index.io if d.pred == pred and d.kind == "input"]
    if facts or not inputs:
        files = sorted({c.span.file for c in facts})
        where = f" in {', '.join(f'`{f}`' for f in files)}" if files else ""
        lines.append(f"{len(facts)} fact{'s' * (len(facts) != 1)}{where}")
    if inputs:
        lines.append("facts read by `.input` at " + ", ".join(place(d.span) for d in inputs))
    return "\n\n".join(lines)


def grade(info: SourceInfo, cite: n.Citation) -> str:
    """`B3 (usually reliable source; possibly true)`."""
    text = show(g) if (g := citation_grade(cite, info)) is not None else "?"
    words = f"{RELIABILITY_WORDS.get(info.reliability, '?')} source; {CREDIBILITY_WORDS.get(cite.credibility, '?')}"
    return f"**{text}** ({words})"


def citation_text(cite: n.Citation, sources: Mapping[str, SourceInfo]) -> str:
    """The quoted sentence, then the source, the line, the grade and the originator."""
    info = sources.get(cite.source)
    who = f", originator: {escape(show_value(cite.originator))}" if cite.originator is not None else ""
    if info is None:
        return f"`{cite.source}` line {cite.line} (the source is not checked yet){who}"
    quote = info.lines[cite.line - 1] if 1 <= cite.line <= len(info.lines) else None
    said = f"> “{escape(quote)}”\n\n" if quote is not None else f"> (its document has no line {cite.line})\n\n"
    source = f"*{escape(info.title)}*, {escape(info.publisher)}, {escape(info.date)}"
    return f"{said}— {source} (`{cite.source}`), line {cite.line}; grade {grade(info, cite)}{who}"


def citations_hover(clause: n.Rule, sources: Mapping[str, SourceInfo]) -> str:
    return "\n\n".join(citation_text(c, sources) for c in clause.cites)


def source_hover(index: NameIndex, sources: Mapping[str, SourceInfo], occ: Occurrence) -> str:
    """A source's title, publisher, date and reliability; in a `@cite`, the cited sentence too."""
    info = sources.get(occ.name)
    cited = [c for c in index.clauses if any(x.source == occ.name for x in c.cites)]
    lines = []
    if info is not None:
        rel = info.reliability
        lines.append(f"**{escape(info.title)}**\n\n{escape(info.publisher)}, {escape(info.date)}; "
                     f"reliability **{rel.upper()}** ({RELIABILITY_WORDS.get(rel, '?')})")
        lines.append(f"document `{info.document.name}`, {len(info.lines)} lines")
    elif index.source(occ.name) is None:
        lines.append(f"**{escape(occ.name)}**: no `.source` declares it")
    else:
        lines.append(f"source **{escape(occ.name)}** (not checked yet)")
    lines.append(f"cited by {len(cited)} fact{'s' * (len(cited) != 1)}")
    for clause in cited:
        for cite in clause.cites:
            if cite.source_span == occ.span:
                lines.append(citation_text(cite, sources))
                return "\n\n".join(lines)
    return "\n\n".join(lines)
