"""Seeded fuzzing of the command line on bad input: every failure is a rendered diagnostic, never a traceback.

Each test builds many bad inputs from a seeded `random.Random` and runs
`engine.cli.main` on them in-process (as `syllog run`, `check`, `query`,
`snapshot` would), asserting that nothing but `SyllogError` reaches the top,
that an exit of 1 comes with `error[CODE]` text, and that no Python
traceback is printed. Categories:

- crafted extremes: huge numbers, deep nesting, long names and lines, odd
  characters, through facts, rules, goals and data files;
- file-system oddities: includes, inputs, outputs, documents and snapshots
  naming a FIFO, a device, a symlink loop, a dangling symlink, a folder, a
  missing folder, a name with a NUL or too long;
- data files: csv, tsv and jsonl files of random and mutated lines read into
  predicates of every type;
- mutated OFAC programs: the 50 percent rule with its numbers and variables
  replaced, with and without provenance.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from golden_util import run_cli
from oddities import make_oddities

ROOT = Path(__file__).parent.parent
TYPES = ["int", "number", "symbol", "string", "any"]


def run(args: list[str], cwd: Path) -> tuple[int, str]:
    """`syllog ARGS` in `cwd`, in-process; fails the test on anything but a rendered diagnostic."""
    try:
        code, text = run_cli(args, cwd)
    except BaseException as exc:  # noqa: B036 - anything at all is the failure this test looks for
        programs = [(cwd / a).read_text(encoding="utf-8") for a in args if a.endswith(".dl") and (cwd / a).is_file()]
        pytest.fail(f"syllog {' '.join(args)} raised {type(exc).__name__}: {exc}\n" + "".join(programs))
    assert "Traceback" not in text, text
    assert code in (0, 1), (code, text)
    if code == 1 and args[0] != "test":
        assert re.search(r"error\[E\d{3}\]", text), (args, text)
    return code, text


@pytest.fixture
def oddities(tmp_path: Path) -> Path:
    return make_oddities(tmp_path)


ODD_PATHS = ["fifo", "loop", "dangling", "folder", "/dev/zero", "/dev/null", "nowhere/x.csv", "n\0ul.csv",
             "x" * 300, "e.csv/inside", "", ".", "/", "doc.txt", "e.csv", "folder/", "../" * 40 + "x"]


def test_file_system_oddities_give_diagnostics(oddities: Path) -> None:
    rng = random.Random(2323)
    for k in range(60):
        p = rng.choice(ODD_PATHS).replace('"', "")
        kind = rng.choice(["include", "input", "output", "document", "snapshot", "argument"])
        text = "e(1).\nf(X) :- e(X).\n.decl f(a: int)\n"
        args = ["run", "p.dl"]
        if kind == "include":
            text += f'.include "{p}"\n'
        elif kind == "input":
            text += f'.decl g(a: int, b: int)\n.input g {{ file: "{p}", format: {rng.choice(["csv", "tsv", "jsonl"])} }}\n'
        elif kind == "output":
            text += f'.output f {{ file: "{p}", format: {rng.choice(["csv", "tsv", "jsonl"])} }}\n'
        elif kind == "document":
            text += f'.source s {{ title: "t", publisher: "p", date: "d", document: "{p}", reliability: b }}\n'
        elif kind == "snapshot":
            args = rng.choice([["snapshot", "p.dl", "--out", p], ["test", "p.dl", "--snapshot", p]])
        else:
            args = [rng.choice(["check", "run"]), p or "."]
        if "\0" in " ".join(args):
            continue  # a command line cannot hold a NUL
        (oddities / "p.dl").write_text(text, encoding="utf-8")
        run(args, oddities)
        assert (oddities / "fifo").exists() and (oddities / "folder").is_dir(), f"case {k} damaged an oddity"


def _random_field(rng: random.Random) -> str:
    return rng.choice([
        str(rng.randint(-10**6, 10**6)), "9" * rng.choice([18, 19, 40, 5000]), "-", "1.5", "1e999999999", "NaN",
        "inf", '"quoted, with comma"', '"open', 'a"b', "", " 7 ", "\u00e9t\u00e9", "x\0y", "\ufeff1", "1_000",
        "0x10", "[1]", "{}", "true", "null", '"\\u0000"', "\r", "\u2028",
    ])


def _random_data(rng: random.Random, fmt: str) -> str:
    lines = []
    for _ in range(rng.randint(0, 6)):
        fields = [_random_field(rng) for _ in range(rng.randint(0, 4))]
        if fmt == "jsonl":
            lines.append(rng.choice(["[" + ", ".join(fields) + "]", "[" * rng.randint(1, 3000), "{}", ""]))
        else:
            lines.append(("\t" if fmt == "tsv" else ",").join(fields))
    return rng.choice(["\n", "\r\n", "\r"]).join(lines) + rng.choice(["", "\n"])


def test_bad_data_files_give_diagnostics(tmp_path: Path) -> None:
    rng = random.Random(2222)
    for _ in range(120):
        fmt = rng.choice(["csv", "tsv", "jsonl"])
        types = [rng.choice(TYPES) for _ in range(rng.randint(1, 3))]
        data = _random_data(rng, fmt)
        raw = data.encode("utf-8", "surrogatepass")
        if rng.random() < 0.15:
            raw = raw[: rng.randint(0, len(raw))] + bytes([rng.choice([0xff, 0xc3, 0x00, 0x80])]) + raw
        (tmp_path / f"d.{fmt}").write_bytes(raw)
        params = ", ".join(f"c{i}: {t}" for i, t in enumerate(types))
        header = rng.choice(["", ", header: true"])
        (tmp_path / "p.dl").write_text(f'.decl d({params})\n.input d {{ file: "d.{fmt}"{header} }}\n'
                                       f'?- d({", ".join(f"X{i}" for i in range(len(types)))}).\n', encoding="utf-8")
        run(["run", "p.dl", rng.choice(["--no-provenance", "--max-tuples=100000"])], tmp_path)


EXTREMES = [
    "e({n}).", "e(-{n}).", "e({n}.5).", "e(0.{n}).", "p(Y) :- e(X), Y = X * X * X * X.",
    "p(Y) :- e(X), Y = X / 0.000000000000000000001.", "p(Y) :- e(X), Y = X % 7.", "p(Y) :- e(X), Y = -X - X.",
    "q(Y) :- q(X), Y = X * X, X < 10.", "q(2).", "r(Y) :- r(X), Y = X * 1000000000000.5.", "r(1.5).",
    "s({name}).", '"{long}".', 't("{long}").', "u(X) :- e(X), X = {deep}.", "?- e(X), Y = X + {n}.",
    "e(\u00e9t\u00e9).", 'w("\\u0000").', "v(" + ", ".join("a" for _ in range(300)) + ").",
]


def test_crafted_extremes_give_diagnostics(tmp_path: Path) -> None:
    rng = random.Random(2121)
    for _ in range(50):
        picks = rng.sample(EXTREMES, rng.randint(1, 5))
        n = "9" * rng.choice([1, 30, 400, 4000])
        text = "\n".join(x.format(n=n, name="a" * rng.choice([10, 10_000]), long="s" * rng.choice([5, 100_000]),
                                  deep="(" * 200 + "X" + ")" * 200) for x in picks) + "\n"
        (tmp_path / "p.dl").write_text(text, encoding="utf-8")
        code, _ = run(["run", "p.dl", "--max-tuples", "2000", "--timeout", "5"], tmp_path)
        if code == 0:
            run(["query", "p.dl", rng.choice(["e(X)", "p(X), X > 1", "q(X)", "e(X), Y = X * X"]), "--format",
                 rng.choice(["json", "csv", "table"])], tmp_path)


def _mutants(rng: random.Random, text: str, count: int) -> list[str]:
    numbers = list(re.finditer(r"(?<![\w.])\d+(?![\w.])", text))
    names = list(re.finditer(r"\b(P|O|C|S|E)\b", text))
    out = []
    for _ in range(count):
        t = text
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.6 and numbers:
                m = rng.choice(numbers)
                new = rng.choice(["-10", "-1", "0", "49.5", "x", '"50"', "1000000000000000000000", "P - 60"])
            else:
                m = rng.choice(names)
                new = rng.choice(["P", "O", "C", "S", "E", "P - 60", "-P", "P / 0", "P * P"])
            t = t[: m.start()] + new + t[m.end():]
            numbers = list(re.finditer(r"(?<![\w.])\d+(?![\w.])", t))
            names = list(re.finditer(r"\b(P|O|C|S|E)\b", t))
        out.append(t)
    return out


def test_mutated_ofac_programs_give_diagnostics(tmp_path: Path) -> None:
    rule = (ROOT / "rules" / "ofac.dl").read_text(encoding="utf-8")
    examples = (ROOT / "examples" / "ofac" / "ofac_50_percent.dl").read_text(encoding="utf-8")
    text = rule + examples.replace('.include "../../rules/ofac.dl"', "").split("% ---- Example 6")[0]
    rng = random.Random(5050)
    e602 = 0
    for mutant in _mutants(rng, text, 40):
        (tmp_path / "m.dl").write_text(mutant, encoding="utf-8")
        for extra in ([], ["--no-provenance"]):
            code, out = run(["test", "m.dl", *extra], tmp_path)
            e602 += "error[E602]" in out
    assert e602, "some mutants must reach the run-time arithmetic checks"


def test_an_integer_literal_past_4300_digits_gives_a_diagnostic(tmp_path: Path) -> None:
    (tmp_path / "p.dl").write_text("e(" + "9" * 4301 + ").\n", encoding="utf-8")
    code, out = run(["check", "p.dl"], tmp_path)
    assert code == 1 and "p.dl:1:3: error[E010]" in out
