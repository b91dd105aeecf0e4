"""HTML of the public API's values: answer tables and proof trees, for notebooks and the report.

Pure functions of `Answers`-like columns and `ProofNode`s (engine.proof.tree),
returning HTML fragments with their classes; `NOTEBOOK_STYLE` is the little
CSS a notebook cell carries inline (a notebook shows no page-wide style).
`ProofNode._repr_html_`, `Answers._repr_html_` (Jupyter) and engine.report
all draw through here, so a proof looks the same in a notebook and in a
report.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .proofs import citation_text
from .provenance import CREDIBILITY_WORDS, RELIABILITY_WORDS
from .syntax.pretty import rule as rule_text
from .values import Value, show

if TYPE_CHECKING:  # annotations only: engine.proof.tree imports this module
    from .proof.tree import ProofNode

CONTEXT_LINES = 1  # document lines shown around a quoted one
NOTEBOOK_STYLE = (
    "<style>.syllog .grade{font:600 12px monospace;padding:1px 5px;border-radius:4px;background:#e9ecf3}"
    ".syllog .g1,.syllog .g2{background:#d7f0de}.syllog .g3{background:#fdf1c7}"
    ".syllog .g4,.syllog .g5,.syllog .g6{background:#fbdcdc}.syllog ul{list-style:none;padding-left:18px}"
    ".syllog .rule{color:#5b6275;font-size:90%;margin-left:6px}.syllog mark.quote{background:#fff3a8}"
    ".syllog blockquote{margin:2px 0 2px 4px;padding:2px 8px;border-left:3px solid #7a8cc4;font-size:90%}"
    ".syllog .ctx,.syllog .ln{color:#8a90a0}.syllog .ln{display:inline-block;width:2.2em;font-size:80%}"
    ".syllog .line{display:block}</style>")


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def grade_words(grade: str) -> str:
    """`B3`: `usually reliable source; claim possibly true`."""
    credibility = CREDIBILITY_WORDS.get(int(grade[1:]), "?") if grade[1:].isdigit() else "?"
    return f"{RELIABILITY_WORDS.get(grade[0].lower(), '?')} source; claim {credibility}"


def grade_badge(grade: str | None) -> str:
    if not grade:
        return "<span class='grade none'>ungraded</span>"
    return f"<span class='grade g{esc(grade[1])}' title='{esc(grade_words(grade))}'>{esc(grade)}</span>"


def table_html(columns: Sequence[str], rows: Sequence[tuple[Value, ...]], grades: Sequence[str | None],
               caption: str = "", limit: int = 200) -> str:
    """A table of rows (values as the language writes them), a grade column when graded; the first `limit` rows."""
    head = "".join(f"<th>{esc(c)}</th>" for c in columns) + ("<th>grade</th>" if grades else "")
    body = []
    for k, row in enumerate(rows[:limit]):
        cells = "".join(f"<td>{esc(show(v))}</td>" for v in row)
        body.append(f"<tr>{cells}{f'<td>{grade_badge(grades[k])}</td>' if grades else ''}</tr>")
    more = f"<p>... and {len(rows) - limit:,} more rows</p>" if len(rows) > limit else ""
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (f"<div class='syllog'>{NOTEBOOK_STYLE}<table>{cap}<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>{more}</div>")


def proof_html(node: ProofNode, links: bool = True) -> str:
    """One proof node as a list item: its line, its citations, its premises below.

    `links`: each citation links to its line in the report's documents (`#doc-SOURCE-LINE`).
    """
    grade = grade_badge(node.grade_text) if node.grade_text else ""
    if node.kind == "rule" and node.rule is not None:
        where = f"{node.rule.span.file}:{node.rule.span.line}"
        line = (f"<span class='fact derived'>{esc(node.fact)}</span> {grade}"
                f"<span class='rule'>by <code>{esc(rule_text(node.rule))}</code> ({esc(where)})</span>")
    elif node.kind == "fact":
        where = "" if node.citations or node.span is None else \
            f"<span class='rule'>a fact at {esc(node.span.file)}:{node.span.line}</span>"
        line = f"<span class='fact'>{esc(node.fact)}</span> {grade}{where}"
    elif node.kind == "absent":
        line = f"<span class='absent'>{esc(node.note or node.fact)}</span>"
    elif node.kind == "aggregate":
        line = f"<span class='fact'>{esc(node.fact)}</span> {grade}<span class='rule'>{esc(node.note or '')}</span>"
    else:
        line = f"<span class='missing'>{esc(node.fact)}</span> <span class='rule'>{esc(node.note or '')}</span>"
    cites = "".join(citation_html(c, info, links) for c, info in node.citations)
    kids = "".join(proof_html(k, links) for k in node.children)
    return f"<li class='{esc(node.kind)}'>{line}{cites}" + (f"<ul>{kids}</ul>" if kids else "") + "</li>"


def citation_html(citation: Any, info: Any, link: bool = True) -> str:
    """The quoted sentence, highlighted among its neighbours in the document, and where it is."""
    quote, where = citation_text(citation, info)
    lines = list(info.lines) if info is not None else []
    k = citation.line
    context = []
    for j in range(max(1, k - CONTEXT_LINES), min(len(lines), k + CONTEXT_LINES) + 1):
        text = esc(lines[j - 1])
        context.append(f"<span class='line'><span class='ln'>{j}</span>"
                       + (f"<mark class='quote'>{text}</mark>" if j == k else f"<span class='ctx'>{text}</span>")
                       + "</span>")
    if not context:
        context.append(f"<mark class='quote'>{esc(quote)}</mark>")
    place = f"<a href='#doc-{esc(citation.source)}-{k}'>{esc(where)}</a>" if link else esc(where)
    return f"<blockquote class='citation'>{''.join(context)}<footer>{place}</footer></blockquote>"


def proof_tree_html(node: ProofNode) -> str:
    """A whole proof for a notebook: the tree with its style."""
    return f"<div class='syllog'>{NOTEBOOK_STYLE}<ul class='tree'>{proof_html(node, links=False)}</ul></div>"
