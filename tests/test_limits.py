"""Inputs at the size limits (issue 23): each is handled, or refused with a positioned error, never a traceback.

The inputs are generated (they are megabytes); what the CLI prints is compared
with `tests/golden/limits/<case>.expected`. Rewrite with `pytest --update-goldens`.
"""

from __future__ import annotations

from pathlib import Path

from golden_util import compare, run_cli

HERE = Path(__file__).parent / "golden" / "limits"
MB = 1 << 20


def _golden(tmp_path: Path, name: str, text: str, args: list[str], update: bool) -> str:
    (tmp_path / f"{name}.dl").write_text(text, encoding="utf-8")
    code, out = run_cli([args[0], f"{name}.dl", *args[1:]], tmp_path)
    assert "Traceback" not in out
    compare(HERE / f"{name}.expected", f"exit {code}\n{out}", update)
    return out


def test_a_10_mb_string_in_a_fact_and_in_a_rule(tmp_path: Path, update_goldens: bool) -> None:
    big = "x" * (10 * MB)
    text = f'% a string of 10 MB in a fact and in a rule\ns("{big}").\nr(X) :- s(X), X = "{big}".\n?- r(_).\n'
    out = _golden(tmp_path, "string_10mb", text, ["run"], update_goldens)
    assert "true" in out


def test_an_integer_of_5000_digits_in_a_query_goal(tmp_path: Path, update_goldens: bool) -> None:
    out = _golden(tmp_path, "integer_5000_digits_in_goal", "n(1).\n", ["query", f"n({'9' * 5000})"], update_goldens)
    assert "error[E010]" in out


def test_a_rule_body_of_10000_literals_is_refused(tmp_path: Path, update_goldens: bool) -> None:
    body = ",\n".join(f"    e(X{i}, X{i + 1})" for i in range(10_000))
    text = f"% a rule whose body has 10,000 literals, one a line\ne(1, 2).\nq(X0) :-\n{body}.\n"
    out = _golden(tmp_path, "body_10000_literals", text, ["run"], update_goldens)
    assert "error[E011]" in out


def test_a_rule_body_of_1000_literals_is_evaluated(tmp_path: Path, update_goldens: bool) -> None:
    body = ", ".join(f"e(X{i}, X{i + 1})" for i in range(1000))
    text = f"% a rule whose body has 1,000 literals, the most a body may have\ne(1, 1).\nq(X0) :- {body}.\n?- q(X).\n"
    out = _golden(tmp_path, "body_1000_literals", text, ["run"], update_goldens)
    assert "1 answer" in out


def _long_line() -> str:
    """About 10 MB of facts on one line, a rule in their middle."""
    facts = [f"p({i})." for i in range(1_100_000)]
    facts.insert(550_000, "r(X) :- p(X), X > 1_099_990.")
    return " ".join(facts)


def test_a_10_mb_line_of_facts_with_a_rule_among_them(tmp_path: Path, update_goldens: bool) -> None:
    text = f"% a line of 10 MB: 1,100,000 facts and a rule\n{_long_line()}\n?- r(X).\n"
    out = _golden(tmp_path, "line_10mb", text, ["run"], update_goldens)
    assert "9 answers" in out


def test_an_error_after_a_10_mb_line_is_placed(tmp_path: Path, update_goldens: bool) -> None:
    text = f"% an error on the line after 10 MB of facts\n{_long_line()}\nq(X).\n"
    out = _golden(tmp_path, "line_10mb_then_error", text, ["check"], update_goldens)
    assert "line_10mb_then_error.dl:3:3: error[E206]" in out
