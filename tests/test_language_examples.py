"""The example programs of the language contract (LANGUAGE.md) check clean and mean what it says."""

from __future__ import annotations

from pathlib import Path

import engine

STATEMENTS = """
.decl owns(owner: symbol, asset: symbol, pct: number)  "Owner holds pct percent of asset."
edge(a, b).                                   % a fact: ground atom
path(X, Y) :- edge(X, Y).                     % a rule
path(X, Z) :- path(X, Y), edge(Y, Z).         % recursion
isolated(X) :- node(X), not edge(X, _), not edge(_, X).
large(F) :- frozen(F, Amount), Amount >= 1_000_000.
total(C, T) :- company(C), T = sum { P : owns(_, C, P) }.
?- path(a, X).                                % a query; its answers are printed on run
node(a). node(b). node(c). frozen(nk, 9_000_000). company(acme). owns(x, acme, 25). owns(y, acme, 25).
"""

EVIDENCE = """
.source nyt_2024_02_06 { title: "Russia helped North Korea unblock frozen funds",
    publisher: "The New York Times", date: "2024-02-06", document: "article.txt", reliability: b }
@cite(nyt_2024_02_06, line: 7, credibility: 3) {
    opened_account(nk_front_company, south_ossetia).
    front_company_of(nk_front_company, north_korea).
}
expect opened_account(nk_front_company, south_ossetia).
expect not opened_account(turkey, _).
"""


def test_statements_example() -> None:
    program = engine.load_text(STATEMENTS, path="contract.dl")
    assert not [w for w in program.warnings if w.code != "W101"]
    m = program.evaluate()
    assert m.query("path(a, X)").rows == [("b",)]
    assert m.relation("isolated") == {("c",)}
    assert m.relation("large") == {("nk",)}
    assert m.relation("total") == {("acme", 50)}


def test_evidence_example(tmp_path: Path) -> None:
    article = Path(__file__).parent.parent / "facts" / "documents" / "nyt_2024_02_06.txt"
    (tmp_path / "article.txt").write_text(article.read_text(encoding="utf-8"), encoding="utf-8")
    program = engine.load_text(EVIDENCE, path="contract.dl", base=tmp_path)
    m = program.evaluate()
    from engine.expect import run_expectations

    assert all(o.passed for o in run_expectations(m))
    proof = m.why("opened_account(nk_front_company, south_ossetia)")[0]
    assert proof.grade_text == "B3"
    assert proof.evidence() == [("nyt_2024_02_06", 7)]
