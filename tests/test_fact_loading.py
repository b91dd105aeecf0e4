"""Facts into relations in bulk (engine/evaluation/facts.py): columns, grades, and the statements proofs read."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.analysis import Fact, Facts
from engine.evaluation import EvaluationOptions
from engine.provenance import show
from engine.syntax.parser import parse_by_grammar

DOC = "one\ntwo\nthree\n"
SOURCES = ('.source a { title: "A", publisher: "P", date: "d", document: "doc.txt", reliability: b }\n'
           '.source c { title: "C", publisher: "P", date: "d", document: "doc.txt", reliability: c }\n')


def load(tmp_path: Path, text: str) -> engine.Loaded:
    (tmp_path / "doc.txt").write_text(DOC, encoding="utf-8")
    (tmp_path / "p.dl").write_text(text, encoding="utf-8")
    return engine.load(tmp_path / "p.dl")


def grade(model: engine.Model, pred: str, row: tuple[object, ...]) -> str | None:
    g = model.grade(pred, row)  # type: ignore[arg-type]
    return show(g) if g is not None else None


def test_a_tuple_takes_the_best_grade_of_its_statements(tmp_path: Path) -> None:
    program = load(tmp_path, SOURCES + """
@cite(a, line: 1, credibility: 3) p(1).
@cite(c, line: 2, credibility: 2) { p(1). p(2). }
p(2). p(3).
@cite(a, line: 3, credibility: 4) p(3).
q(X) :- p(X).
""")
    model = program.evaluate()
    # credibility first: C2 is better than B3; a cited statement beats an uncited one
    assert [grade(model, "q", (k,)) for k in (1, 2, 3)] == ["C2", "C2", "B4"]
    assert grade(model, "p", (1,)) == "C2"


# a predicate's integer facts held as columns from any number of them (in use, from many)
EVERY = EvaluationOptions(columnar_values=1)


def test_integer_facts_held_as_columns_evaluate_as_tuples(tmp_path: Path) -> None:
    facts = "".join(f"e({i}, {(i * 7) % 50}).\n" for i in range(200)) + "e(-3, 99_999_999_999).\n"
    text = ".decl e(a: int, b: int)\n" + facts + "r(X, Z) :- e(X, Y), e(Y, Z).\nn(X) :- e(X, _), not e(_, X).\n"
    program = load(tmp_path, text)
    ev_columns = engine.evaluation.Evaluator(program.program, engine.evaluation.Limits(), options=EVERY)
    ev_columns.load_facts()
    assert ev_columns.rels["e"]._cols is not None  # held as columns
    columns = program.evaluate(provenance=False, options=EVERY)
    tuples = program.evaluate(provenance=False, options=EvaluationOptions(columnar=False))
    assert len(columns.relation("e")) == 201
    for pred in ("e", "r", "n"):
        assert columns.relation(pred) == tuples.relation(pred)


def test_a_column_of_mixed_values_stays_tuples(tmp_path: Path) -> None:
    program = load(tmp_path, "e(1, 2). e(2, a). e(3, 9223372036854775808).\n")
    ev = engine.evaluation.Evaluator(program.program, engine.evaluation.Limits(), options=EVERY)
    ev.load_facts()
    assert ev.rels["e"]._cols is None
    assert ev.rels["e"].tuples == {(1, 2), (2, "a"), (3, 9223372036854775808)}


def test_proofs_of_facts_read_in_bulk_keep_their_spans_and_citations(tmp_path: Path) -> None:
    facts = "".join(f"edge(n{i}, n{i + 1}).\n" for i in range(1000))
    program = load(tmp_path, SOURCES + facts + '@cite(a, line: 2, credibility: 1, originator: "x y") {\n'
                   "  edge(n1000, n1001).\n}\npath(X, Y) :- edge(X, Y).\n")
    model = program.evaluate()
    leaf = model.why("path(n500, n501)")[0].children[0]
    assert leaf.kind == "fact" and leaf.span is not None and (leaf.span.line, leaf.span.col) == (503, 1)
    cited = model.why("path(n1000, n1001)")[0].children[0]
    assert [(c.source, c.line, c.credibility) for c, _info in cited.citations] == [("a", 2, 1)]
    assert cited.span is not None and cited.span.line == 1004


def test_program_facts_are_those_lark_reads(tmp_path: Path) -> None:
    text = SOURCES + "edge(a, b). edge(b, 2.5).\n@cite(c, line: 1, credibility: 2) { edge(c, \"d\"). n. }\nn.\n"
    program = load(tmp_path, text).program
    assert len(program.facts) == 5 and program.has_citations
    module = parse_by_grammar(text, str(tmp_path / "p.dl"))
    expected = []
    for stmt in module.statements:
        clauses = getattr(stmt, "clauses", None)
        for r in clauses if clauses is not None else [stmt]:
            if getattr(r, "head", None) is not None:
                cites = getattr(stmt, "cites", ())
                expected.append(Fact(r.head.pred, tuple(a.value for a in r.head.args), cites, r.span))
    assert sorted(program.facts, key=lambda f: (f.span.line, f.span.col)) == expected


def test_retracting_a_fact_of_a_run_keeps_the_others(tmp_path: Path) -> None:
    program = load(tmp_path, "e(1). e(2). e(3).\n").program
    kept = program.facts.without({("e", (2,))})
    assert [f.row for f in kept] == [(1,), (3,)]
    assert [f.span.col for f in kept] == [1, 13]


def test_a_session_parses_its_files_once_and_updates_bulk_facts_incrementally(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.session as session_module

    (tmp_path / "e.dl").write_text("".join(f"e({i}, {i + 1}).\n" for i in range(3000))
                                   + "path(X, Y) :- e(X, Y).\n", encoding="utf-8")
    calls: list[object] = []
    real = session_module.load_paths
    monkeypatch.setattr(session_module, "load_paths", lambda paths: calls.append(paths) or real(paths))
    s = session_module.Session([tmp_path / "e.dl"])

    def runs() -> list[object]:
        return [x.run for x in s.program.facts.items if not isinstance(x, Fact)]

    before = runs()
    assert s.add("e(5000, 5001).").lines() == ["+ e(5000, 5001)", "+ path(5000, 5001)"]
    assert len(before) == 1 and runs()[0] is before[0]  # the same run: the file was parsed once
    assert s.retract("e(7, 8).").lines() == ["- e(7, 8)", "- path(7, 8)"]
    assert s.incremental_updates == 2 and len(calls) == 1
    assert len(s.program.facts) == 3000
    assert ("e", (7, 8)) not in {(f.pred, f.row) for f in s.program.facts}


def test_changes_between_programs_skip_the_runs_they_share(tmp_path: Path) -> None:
    from engine.analysis import Facts
    from engine.errors import Span

    base = load(tmp_path, "e(1). e(2).\n").program.facts
    typed = Fact("e", (3,), (), Span("<input 1>", 1, 1, 1, 6))
    added, removed = Facts([*base.items, typed]).changes(base)
    assert added == [typed] and removed == []
    added, removed = Facts([typed]).changes(base)
    assert added == [typed] and [f.row for f in removed] == [(1,), (2,)]


def test_the_statements_of_a_tuple_are_found_alone_as_among_all_facts(tmp_path: Path) -> None:
    program = load(tmp_path, SOURCES + "e(a, 1). e(b, 2). e(a, 1). n(1 + 2).\n"
                   "@cite(a, line: 1, credibility: 2) { e(b, 2). e(c, 3.0). z. }\nz. e(c, 3).\n").program
    every: dict[tuple[str, tuple[object, ...]], list[Fact]] = {}
    for f in program.facts:
        every.setdefault((f.pred, f.row), []).append(f)
    alone = Facts(program.facts.items)  # nothing built yet
    for (pred, row), facts in every.items():
        assert alone.statements_of(pred, row) == facts  # type: ignore[arg-type]
    assert alone._built is None
    assert [f.span.line for f in alone.statements_of("e", ("c", 3))] == [4, 5]  # 3.0 and 3 are one value
    assert alone.statements_of("e", ("q", 9)) == []


def test_a_proof_does_not_build_every_fact(tmp_path: Path) -> None:
    program = load(tmp_path, "".join(f"e(n{i}, n{i + 1}).\n" for i in range(500)) + "p(X) :- e(X, _).\n")
    model = program.evaluate()
    assert model.why("p(n7)")[0].children[0].span.line == 8  # type: ignore[union-attr]
    assert program.program.facts._built is None
