"""`syllog report`: one self-contained HTML file to hand to a colleague.

Input: an evaluated `Model` (with provenance). Output: HTML text with its
style and script inlined and no reference to anything outside the file, so
it opens anywhere with no network. It holds:

- the conclusions of every `?-` query (every derived relation when the
  program has none), each answer with its grade, each expandable into its
  proof tree: premises under conclusions, each cited leaf with its quoted
  sentence highlighted among the lines around it in its document, and a
  link to that line in the document itself;
- each proof drawn as a picture: SVG from Graphviz (`dot`) when it is
  installed, else drawn by the page's own script from the proof's JSON;
- the sources with their reliability, and their documents line by line;
- the expectations (`expect`, `expect not`) and whether each held, and the
  constraints (`:- "message": body.`), each violation with its values,
  grade and the proofs of its premises.

Presentation only: proofs come from `Model.explain`, their JSON and
Graphviz text from engine.proofs, their HTML (the same as in a notebook)
from engine.html, the grade-and-evidence line from engine.render.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from . import __version__
from . import nodes as n
from .analysis.walk import body_atoms
from .expect import Outcome, run_expectations
from .html import esc, grade_badge, proof_html
from .model import Answers, Model, ground
from .proof.tree import ProofNode
from .proofs import to_dot, to_json
from .provenance import RELIABILITY_WORDS
from .render import plural, proof_summary
from .syntax.pretty import body as body_text
from .values import Value, show

MAX_ANSWERS = 200  # answers shown with their proofs, per query


@dataclass
class ReportedAnswer:
    """One answer of a query: its values, its grade and the proofs of its positive premises."""

    label: str
    values: tuple[Value, ...]
    grade: str | None
    proofs: list[ProofNode]


@dataclass
class Section:
    """One query (or one derived relation) and its answers."""

    title: str
    variables: list[str]
    conclusions: list[ReportedAnswer]
    total: int


def build_report(model: Model, title: str | None = None, graphviz: bool | None = None) -> str:
    """The report as HTML text. `graphviz=None` uses `dot` when it is installed; False draws in the page."""
    use_dot = shutil.which("dot") is not None if graphviz is None else graphviz
    sections = conclusions(model)
    outcomes = run_expectations(model)
    page = Page(model, use_dot)
    body = [
        f"<header><h1>{esc(title or 'Syllog report')}</h1>"
        f"<p class='meta'>{page.counts(sections, outcomes)} &middot; made by Syllog {esc(__version__)}</p></header>",
        page.conclusions(sections),
        page.expectations(outcomes),
        page.constraints(),
        page.sources(),
        page.documents(),
    ]
    return TEMPLATE.format(title=esc(title or "Syllog report"), style=STYLE, body="\n".join(body),
                           script=SCRIPT if not use_dot else "")


# -- what the report says -------------------------------------------------------------
def conclusions(model: Model) -> list[Section]:
    """Every query's answers with proofs; every derived relation when the program asks nothing."""
    program = model.program
    if program.queries:
        return [query_section(model, q) for q in program.queries]
    out = []
    for pred in sorted({r.head.pred for r in program.rules}):
        k = program.arity[pred]
        atom = n.Atom(pred, tuple(n.Var(f"X{i + 1}") for i in range(k)))
        out.append(query_section(model, n.Query((atom,)), title=f"{pred}: every derived tuple"))
    return out


def query_section(model: Model, query: n.Query, title: str | None = None) -> Section:
    text = body_text(query.body)
    answers = model.query(query.body, text)
    shown = []
    for k, row in enumerate(answers.rows[:MAX_ANSWERS]):
        grade = answers.grades[k] if answers.grades else None
        shown.append(ReportedAnswer(answer_label(answers, row), row, grade, premises(model, query.body, answers, row)))
    return Section(title or f"?- {text}.", answers.variables, shown, len(answers.rows))


def answer_label(answers: Answers, row: tuple[Value, ...]) -> str:
    if not answers.variables:
        return "true"
    return ", ".join(f"{v} = {show(x)}" for v, x in zip(answers.variables, row))


def premises(model: Model, body: tuple[n.Literal, ...], answers: Answers, row: tuple[Value, ...]) -> list[ProofNode]:
    """The proofs of the positive atoms of the first match of `body` that gives this answer."""
    if not model.provenance:
        return []
    binding = dict(zip(answers.variables, row))
    positive = [a for a, negated in body_atoms(body) if not negated]
    if all(v.name in binding and not v.anonymous for a in positive for x in a.args for v in n.expr_vars(x)):
        keys = [(a.pred, tuple(ground(x, binding) for x in a.args)) for a in positive]
    else:
        matches = model.matches(body, binding)
        keys = list(matches[0]) if matches else []
    return [model.explain(pred, r) for pred, r in keys]


# -- how it is shown ---------------------------------------------------------------------
class Page:
    """The parts of the page, drawn from one model."""

    def __init__(self, model: Model, use_dot: bool) -> None:
        self.model = model
        self.use_dot = use_dot
        self.pictures = 0

    def counts(self, sections: Sequence[Section], outcomes: Sequence[Outcome]) -> str:
        answers = sum(s.total for s in sections)
        failed = sum(not o.passed for o in outcomes)
        parts = [plural(len(sections), "query", "queries") if self.model.program.queries else plural(len(sections), "relation"),
                 plural(answers, "conclusion"), plural(len(self.model.program.sources), "source")]
        if outcomes:
            parts.append(f"{plural(len(outcomes), 'expectation')}, {failed} failed")
        if self.model.program.constraints:
            parts.append(f"{plural(len(self.model.program.constraints), 'constraint')}, "
                         f"{plural(len(self.model.violations()), 'violation')}")
        return " &middot; ".join(parts)

    # -- conclusions ------------------------------------------------------------------
    def conclusions(self, sections: Sequence[Section]) -> str:
        out = ["<section id='conclusions'><h2>Conclusions</h2>"]
        first = True
        for s in sections:
            out.append(f"<article class='query'><h3><code>{esc(s.title)}</code> "
                       f"<span class='count'>{plural(s.total, 'answer')}</span></h3>")
            if not s.conclusions:
                out.append("<p class='empty'>no answer: nothing in the evidence supports this conclusion</p>")
            for c in s.conclusions:
                out.append(self.conclusion(c, open_=first))
                first = False
            if s.total > len(s.conclusions):
                out.append(f"<p class='more'>... and {s.total - len(s.conclusions):,} more answers "
                           "(<code>syllog query</code> lists them all)</p>")
            out.append("</article>")
        out.append("</section>")
        return "\n".join(out)

    def conclusion(self, c: ReportedAnswer, open_: bool) -> str:
        evidence = "; ".join(proof_summary(p) for p in c.proofs) if c.proofs else ""
        parts = [f"<details class='conclusion'{' open' if open_ else ''}>",
                 f"<summary><span class='answer'>{esc(c.label)}</span> {grade_badge(c.grade)}"
                 f"<span class='evidence'>{esc(evidence)}</span></summary>"]
        for proof in c.proofs:
            parts.append(f"<div class='proof'>{self.picture(proof)}<ul class='tree'>{proof_html(proof)}</ul></div>")
        parts.append("</details>")
        return "".join(parts)

    def picture(self, proof: ProofNode) -> str:
        """The proof as SVG: Graphviz's when it is installed, else a placeholder the page's script draws in."""
        self.pictures += 1
        if self.use_dot:
            svg = graphviz_svg(to_dot([proof]))
            if svg is not None:
                return f"<figure class='picture' data-drawn-by='graphviz'>{svg}</figure>"
        data = json.dumps(to_json(proof), ensure_ascii=False).replace("</", "<\\/")
        name = f"proof-{self.pictures}"
        return (f"<figure class='picture' data-drawn-by='page' data-proof='{name}'></figure>"
                f"<script type='application/json' id='{name}'>{data}</script>")

    # -- expectations, sources, documents ---------------------------------------------------
    def expectations(self, outcomes: Sequence[Outcome]) -> str:
        if not outcomes:
            return ("<section id='expectations'><h2>Expectations</h2>"
                    "<p class='empty'>the program states no <code>expect</code></p></section>")
        rows = []
        for o in outcomes:
            status = "<span class='pass'>held</span>" if o.passed else "<span class='fail'>failed</span>"
            details = f"<pre>{esc(chr(10).join(o.details))}</pre>" if o.details else ""
            rows.append(f"<tr class='{'pass' if o.passed else 'fail'}'><td><code>{esc(o.text)}</code></td>"
                        f"<td>{status}</td><td>{esc(o.expect.span)}</td><td>{details}</td></tr>")
        return ("<section id='expectations'><h2>Expectations</h2><table><thead><tr><th>expectation</th>"
                "<th>result</th><th>where</th><th>what was derived instead</th></tr></thead><tbody>"
                + "".join(rows) + "</tbody></table></section>")

    def constraints(self) -> str:
        program = self.model.program
        if not program.constraints:
            return ""
        found = self.model.violations()
        parts = ["<section id='constraints'><h2>Constraints</h2>"]
        for k in program.constraints:
            mine = [v for v in found if v.constraint is k]
            what = esc(k.message) if k.message else f"<code>:- {esc(body_text(k.body))}.</code>"
            status = ("<span class='pass'>no violation</span>" if not mine
                      else f"<span class='fail'>{plural(len(mine), 'violation')}</span>")
            parts.append(f"<article class='constraint'><h3>{what} {status} "
                         f"<span class='count'>{esc(k.span.file)}:{k.span.line}</span></h3>")
            for v in mine[:MAX_ANSWERS]:
                values = ", ".join(f"{name} = {show(x)}" for name, x in v.binding.items()) or "the body holds"
                trees = "".join(f"<div class='proof'><ul class='tree'>{proof_html(p)}</ul></div>" for p in v.premises)
                parts.append(f"<details class='conclusion violation'><summary><span class='answer'>{esc(values)}"
                             f"</span> {grade_badge(v.grade)}</summary>{trees}</details>")
            parts.append("</article>")
        parts.append("</section>")
        return "".join(parts)

    def sources(self) -> str:
        sources = self.model.program.sources
        if not sources:
            return ("<section id='sources'><h2>Sources</h2>"
                    "<p class='empty'>no source is declared: the conclusions are ungraded</p></section>")
        rows = []
        for sid in sorted(sources):
            s = sources[sid]
            rel = s.reliability.upper()
            rows.append(f"<tr id='source-{esc(sid)}'><td><code>{esc(sid)}</code></td><td>{esc(s.title)}</td>"
                        f"<td>{esc(s.publisher)}</td><td>{esc(s.date)}</td>"
                        f"<td><span class='reliability'>{esc(rel)}</span> "
                        f"{esc(RELIABILITY_WORDS.get(s.reliability.lower(), '?'))}</td></tr>")
        return ("<section id='sources'><h2>Sources</h2><table><thead><tr><th>id</th><th>title</th>"
                "<th>publisher</th><th>date</th><th>reliability</th></tr></thead><tbody>"
                + "".join(rows) + "</tbody></table></section>")

    def documents(self) -> str:
        cited = cited_lines(self.model)
        parts = ["<section id='documents'><h2>Documents</h2>"]
        for sid in sorted(self.model.program.sources):
            s = self.model.program.sources[sid]
            items = "".join(f"<li id='doc-{esc(sid)}-{k}'{' class=cited' if (sid, k) in cited else ''}>"
                            f"{esc(line)}</li>" for k, line in enumerate(s.lines, 1))
            parts.append(f"<details class='document'><summary><code>{esc(sid)}</code> {esc(s.title)} "
                         f"<span class='count'>{plural(len(s.lines), 'line')}</span></summary>"
                         f"<ol>{items}</ol></details>")
        parts.append("</section>")
        return "".join(parts)


def cited_lines(model: Model) -> set[tuple[str, int]]:
    return {(c.source, c.line) for f in model.program.facts for c in f.cites}


def graphviz_svg(dot: str) -> str | None:
    """Graphviz's SVG of a DOT text, without its XML prologue; None if `dot` fails."""
    try:
        done = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    start = done.stdout.find("<svg")
    return done.stdout[start:] if done.returncode == 0 and start >= 0 else None


TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
{body}
<script>{script}</script>
</body>
</html>
"""

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2330;
       max-width: 1100px; margin: 0 auto; padding: 24px; background: #fbfbfd; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 20px; border-bottom: 1px solid #d8dbe3; padding-bottom: 4px;
     margin-top: 32px; } h3 { font-size: 16px; margin: 18px 0 8px; }
.meta, .count, .more, .empty { color: #5b6275; font-size: 13px; }
code { font: 13px ui-monospace, "SF Mono", Menlo, Consolas, monospace; }
details.conclusion { background: #fff; border: 1px solid #d8dbe3; border-radius: 6px; margin: 6px 0; }
details.conclusion > summary { cursor: pointer; padding: 8px 12px; }
.answer { font-weight: 600; } .evidence { color: #5b6275; font-size: 12px; margin-left: 12px; }
.grade { display: inline-block; font: 600 12px ui-monospace, Menlo, monospace; padding: 1px 6px; border-radius: 4px;
         background: #e9ecf3; margin-left: 6px; }
.grade.g1, .grade.g2 { background: #d7f0de; color: #175c2c; } .grade.g3 { background: #fdf1c7; color: #6b5200; }
.grade.g4, .grade.g5, .grade.g6 { background: #fbdcdc; color: #7d1f1f; } .grade.none { color: #5b6275; }
.proof { padding: 4px 12px 12px; border-top: 1px solid #eceef3; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 18px; border-left: 1px dashed #c5c9d4; }
ul.tree { border-left: none; padding-left: 0; } ul.tree li { margin: 6px 0; }
.fact.derived { font-weight: 600; } .rule { color: #5b6275; font-size: 12px; margin-left: 8px; }
.absent { font-style: italic; color: #5b6275; } .missing { color: #9b1c1c; }
blockquote.citation { margin: 4px 0 4px 4px; padding: 6px 10px; background: #f6f7fb; border-left: 3px solid #7a8cc4;
                      font-size: 13px; }
blockquote .line { display: block; } .ln { display: inline-block; width: 2.5em; color: #8a90a0; font-size: 11px; }
.ctx { color: #8a90a0; } mark.quote { background: #fff3a8; padding: 0 2px; }
blockquote footer { font-size: 12px; margin-top: 2px; } a { color: #2e4fb3; }
figure.picture { margin: 8px 0 10px; overflow-x: auto; background: #fff; border: 1px solid #eceef3; border-radius: 4px; }
figure.picture svg { max-width: 100%; height: auto; display: block; margin: 6px auto; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 14px; }
th, td { border: 1px solid #d8dbe3; padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #f0f2f7; } tr.fail td { background: #fdf0f0; } .pass { color: #175c2c; font-weight: 600; }
.fail { color: #9b1c1c; font-weight: 600; } pre { margin: 0; font-size: 12px; white-space: pre-wrap; }
.reliability { font: 600 13px ui-monospace, Menlo, monospace; }
details.document { margin: 6px 0; } details.document ol { font-size: 13px; color: #3a4150; }
details.document li.cited { background: #fff8d1; } details.document li:target { background: #fff3a8; outline: 2px solid #e0c200; }
"""

# Draws a proof (its JSON, as engine.proofs.to_json writes it) as a top-down tree of boxes in SVG,
# for reports made where Graphviz is not installed.
SCRIPT = r"""
(function () {
  var NS = "http://www.w3.org/2000/svg", W = 210, H = 46, GAP_X = 16, GAP_Y = 34;
  function el(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function clip(s, n) { return s.length > n ? s.slice(0, n - 1) + "\u2026" : s; }
  function layout(node, depth, next) {
    node.depth = depth;
    if (!node.children.length) { node.x = next.x; next.x += W + GAP_X; return; }
    node.children.forEach(function (c) { layout(c, depth + 1, next); });
    node.x = (node.children[0].x + node.children[node.children.length - 1].x) / 2;
  }
  function walk(node, f) { f(node); node.children.forEach(function (c) { walk(c, f); }); }
  function draw(figure, proof) {
    var next = {x: 8}, depth = 0;
    layout(proof, 0, next);
    walk(proof, function (n) { depth = Math.max(depth, n.depth); });
    var width = next.x - GAP_X + 8, height = (depth + 1) * (H + GAP_Y) - GAP_Y + 16;
    var svg = el("svg", {viewBox: "0 0 " + width + " " + height, width: width, height: height, role: "img",
                         "aria-label": "proof of " + proof.fact, "class": "drawn"});
    walk(proof, function (n) {
      var y = 8 + n.depth * (H + GAP_Y);
      n.children.forEach(function (c) {
        var cy = 8 + c.depth * (H + GAP_Y);
        svg.appendChild(el("line", {x1: n.x + W / 2, y1: y + H, x2: c.x + W / 2, y2: cy, stroke: "#9aa3b8"}));
      });
      var fill = n.kind === "rule" ? "#eef2fb" : n.kind === "fact" ? "#fffbe6" : "#f4f4f6";
      var box = el("rect", {x: n.x, y: y, width: W, height: H, rx: 6, fill: fill, stroke: "#7a8cc4"});
      if (n.kind === "absent" || n.kind === "missing") box.setAttribute("stroke-dasharray", "4 3");
      svg.appendChild(box);
      svg.appendChild(el("text", {x: n.x + 8, y: y + 18, "font-size": 12, "font-weight": n.kind === "rule" ? 600 : 400,
                                  "font-family": "system-ui, sans-serif"}, clip(n.fact, 30) + (n.grade ? "  [" + n.grade + "]" : "")));
      var sub = n.kind === "rule" && n.rule ? n.rule.file + ":" + n.rule.line
              : n.quote ? n.source + ":" + n.line + " \u201c" + n.quote + "\u201d" : (n.note || "");
      svg.appendChild(el("text", {x: n.x + 8, y: y + 36, "font-size": 10, fill: "#5b6275",
                                  "font-family": "system-ui, sans-serif"}, clip(sub, 34)));
    });
    figure.appendChild(svg);
  }
  document.querySelectorAll("figure[data-proof]").forEach(function (figure) {
    var data = document.getElementById(figure.getAttribute("data-proof"));
    if (data) draw(figure, JSON.parse(data.textContent));
  });
})();
"""
