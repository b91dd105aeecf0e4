"""Proofs as data: the JSON tree of LANGUAGE.md and Graphviz text.

Pure functions of `ProofNode`; the CLI and REPL draw them with rich.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .provenance import citation_grade
from .provenance import show as show_grade
from .syntax.pretty import rule as rule_text
from .values import show

if TYPE_CHECKING:  # only for annotations: engine.proof.tree draws its HTML through engine.html, which uses this
    from .proof.tree import ProofNode


def quote_of(citation: Any, info: Any) -> str | None:
    if info is None or not (1 <= citation.line <= len(info.lines)):
        return None
    return str(info.lines[citation.line - 1])


def citation_text(citation: Any, info: Any) -> tuple[str, str]:
    """(the quoted sentence, `source line N [B2], originator: x`) of one citation of a leaf."""
    quote = quote_of(citation, info) or ""
    grade = show_grade(g) if (g := citation_grade(citation, info)) is not None else "?"
    who = f", originator: {show(citation.originator)}" if citation.originator is not None else ""
    return quote, f"{citation.source} line {citation.line} [{grade}]{who}"


def evidence(node: ProofNode) -> list[dict[str, Any]]:
    out: dict[tuple[str, int], dict[str, Any]] = {}
    stack = [node]
    while stack:
        cur = stack.pop()
        for c, info in cur.citations:
            out[(c.source, c.line)] = {"source": c.source, "line": c.line, "quote": quote_of(c, info)}
        stack.extend(cur.children)
    return [out[k] for k in sorted(out)]


def to_json(node: ProofNode, root: bool = True) -> dict[str, Any]:
    """The proof tree: `fact`, `children`, and `rule` / citation fields."""
    d: dict[str, Any] = {"fact": node.fact, "kind": node.kind}
    if node.grade_text is not None:
        d["grade"] = node.grade_text
    if node.kind == "rule" and node.rule is not None:
        d["rule"] = {"text": rule_text(node.rule), "file": node.rule.span.file, "line": node.rule.span.line}
    if node.kind == "fact":
        if node.citations:
            first, info = node.citations[0]
            d["source"] = first.source
            d["line"] = first.line
            d["quote"] = quote_of(first, info)
            d["credibility"] = first.credibility
            if first.originator is not None:
                d["originator"] = _value(first.originator)
            if len(node.citations) > 1:
                d["citations"] = [
                    {"source": c.source, "line": c.line, "quote": quote_of(c, i), "credibility": c.credibility,
                     **({"originator": _value(c.originator)} if c.originator is not None else {})}
                    for c, i in node.citations
                ]
        elif node.span is not None:
            d["file"] = node.span.file
            d["line"] = node.span.line
    if node.note:
        d["note"] = node.note
    d["children"] = [to_json(c, False) for c in node.children]
    if root:
        d["grade"] = node.grade_text
        d["evidence"] = evidence(node)
    return d


def _value(v: Any) -> Any:
    from .values import to_json as vj

    return vj(v)


def to_dot(nodes: list[ProofNode]) -> str:
    """Graphviz text: rule nodes as boxes, cited facts as notes with their quote."""
    lines = ["digraph proof {", "  rankdir=BT;", '  node [fontname="Helvetica", fontsize=10];']
    ids: dict[int, str] = {}

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    def visit(node: ProofNode) -> str:
        if id(node) in ids:
            return ids[id(node)]
        name = f"n{len(ids)}"
        ids[id(node)] = name
        label = esc(node.fact)
        if node.grade_text:
            label += f"\\n[{node.grade_text}]"
        shape = {"rule": "box", "fact": "note", "absent": "ellipse", "aggregate": "hexagon",
                 "missing": "octagon"}.get(node.kind, "box")
        if node.kind == "rule" and node.rule is not None:
            label += f"\\n{esc(node.rule.span.file)}:{node.rule.span.line}"
        if node.kind == "fact" and node.citations:
            c, info = node.citations[0]
            q = quote_of(c, info) or ""
            if len(q) > 60:
                q = q[:57] + "..."
            label += f"\\n{c.source}:{c.line} \\\"{esc(q)}\\\""
        style = ', style="dashed"' if node.kind in ("absent", "missing") else ""
        lines.append(f'  {name} [shape={shape}, label="{label}"{style}];')
        for child in node.children:
            lines.append(f"  {visit(child)} -> {name};")
        return name

    for node in nodes:
        visit(node)
    lines.append("}")
    return "\n".join(lines) + "\n"
