"""`syllog report`: one self-contained HTML file, opened in headless Chromium.

The test renders the report in a real browser (Debian's `chromium`, which
.ci/run installs), reads the DOM after the page's script ran, checks the
conclusions, grades, quotes, sources and expectations in it and the proof
pictures (Graphviz's SVG, and the page's own drawing where Graphviz is not
used), and takes a screenshot. Without Chromium the test fails under CI,
saying why, and is skipped with that message elsewhere.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from golden_util import run_cli

import engine
from engine.report import build_report

ROOT = Path(__file__).parent.parent
SHOTS = os.environ.get("SYLLOG_SCREENSHOTS")  # a folder to keep the screenshots in, to look at


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        message = "headless Chromium is not installed (Debian's `chromium` package; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return exe


def browse(page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", "--window-size=1200,1800", *args, page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"chromium could not render {page}: {proc.stderr[-2000:]}"
    return proc


class Dom(HTMLParser):
    """The rendered DOM as (tag, classes, text) per element, and the text inside each kind of element."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.elements: list[tuple[str, dict[str, str], list[str]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        entry = (tag, {k: v or "" for k, v in attrs}, [])
        self.elements.append(entry)
        if tag not in ("meta", "br", "img", "input", "link", "line", "rect", "path", "polygon", "ellipse"):
            self.stack.append((tag, entry[1]))
            self._open = getattr(self, "_open", []) + [entry]

    def handle_endtag(self, tag: str) -> None:
        opened = getattr(self, "_open", [])
        while opened:
            entry = opened.pop()
            if entry[0] == tag:
                break
        self._open = opened

    def handle_data(self, data: str) -> None:
        for entry in getattr(self, "_open", []):
            entry[2].append(data)

    def texts(self, tag: str, cls: str = "") -> list[str]:
        return [" ".join(" ".join(t).split()) for name, attrs, t in self.elements
                if name == tag and (not cls or cls in attrs.get("class", "").split())]

    def having(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for name, a, _t in self.elements if name == tag and all(a.get(k) == v for k, v in attrs.items())]


def rendered(tmp_path: Path, html: str, name: str) -> Dom:
    page = tmp_path / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    dom = Dom(browse(page, "--dump-dom").stdout)
    shot = tmp_path / f"{name}.png"
    browse(page, f"--screenshot={shot}")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000, "the screenshot is missing or blank"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1200, 1800)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(SHOTS) / shot.name)
    return dom


def test_the_report_of_the_main_job_in_a_browser(tmp_path: Path) -> None:
    assert shutil.which("dot"), "Graphviz's `dot` is not installed (.ci/run installs graphviz)"
    out = tmp_path / "report.html"
    code, text = run_cli(["report", "rules/", "facts/", "--out", str(out), "--title", "Frozen funds"], ROOT)
    assert code == 0, text
    html = out.read_text(encoding="utf-8")
    # self-contained: no stylesheet, script, image or font fetched from anywhere
    assert not re.search(r"<link|\ssrc=|url\(|@import", html)
    assert not re.findall(r"href=['\"](?!#)", html)
    dom = rendered(tmp_path, html, "report")
    assert dom.texts("h1") == ["Frozen funds"]
    answers = dom.texts("span", "answer")
    assert "Country = north_korea, Partner = south_africa" in answers
    assert "Country = north_korea, Partner = turkey" in answers
    first = dom.texts("summary")[0]
    assert first.startswith("Country = north_korea, Partner = south_africa B3 grade: B3; evidence: "
                            "nyt_2024_02_06 line 7, nyt_2024_02_06 line 10, nyt_2024_02_06 line 11")
    quotes = dom.texts("mark", "quote")
    assert any(q.startswith("Beyond helping access the preexisting funds, the intelligence sources said") for q in quotes)
    assert any(q.startswith("Russia is facing significant Western sanctions on its own") for q in quotes)
    assert "B3" in dom.texts("span", "grade") and "B1" in dom.texts("span", "grade")
    sources = dom.texts("tr")
    assert any(s.startswith("nyt_2024_02_06 Russia likely helped North Korea unblock frozen funds") and s.endswith(
        "B usually reliable") for s in sources)
    model = engine.load([ROOT / "rules", ROOT / "facts"]).evaluate()
    queries, expects = len(model.program.queries), len(model.program.expects)
    conclusions = sum(len(model.query(q.body).rows) for q in model.program.queries)
    constraints, violations = len(model.program.constraints), len(model.violations())
    assert dom.texts("p", "meta")[0].startswith(
        f"{queries} queries · {conclusions} conclusions · 1 source · {expects} expectations, 0 failed · "
        f"{constraints} constraints, {violations} violation{'s' * (violations != 1)}")
    assert len(dom.having("tr", **{"class": "pass"})) == expects
    # every constraint is listed, a violated one with each violation's values and proofs
    shown = dom.texts("article", "constraint")
    assert len(shown) == constraints and all(k.message and any(k.message in t for t in shown)
                                             for k in model.program.constraints)
    pictures = dom.having("figure", **{"data-drawn-by": "graphviz"})
    assert pictures and len(dom.having("svg")) >= len(pictures)
    # the document, line by line, with the cited lines marked and an anchor each citation links to
    assert dom.having("li", id="doc-nyt_2024_02_06-7", **{"class": "cited"})


def test_without_graphviz_the_page_draws_the_proofs(tmp_path: Path) -> None:
    model = engine.load([ROOT / "tests" / "golden" / "query" / "graded.dl"]).evaluate()
    html = build_report(model, "Without Graphviz", graphviz=False)
    assert "<svg" not in html  # nothing drawn before the page's script runs
    dom = rendered(tmp_path, html, "report_page")
    drawn = dom.having("svg", **{"class": "drawn"})
    assert [d["aria-label"] for d in drawn] == ["proof of reaches(acme, gamma)"]
    labels = dom.texts("text")
    assert "reaches(acme, gamma) [B3]" in labels and "owns(acme, beta) [B2]" in labels
    assert any(t.startswith("memo:1 \u201cAcme owns Beta outright.") for t in labels)
    assert dom.texts("mark", "quote") == ["Acme owns Beta outright.", "Beta trades with Gamma, a source said."]


def test_a_failed_expectation_and_an_empty_query_are_reported(tmp_path: Path) -> None:
    text = "e(1).\np(X) :- e(X).\n?- p(2).\nexpect p(2).\nexpect not p(1).\n"
    html = build_report(engine.load_text(text, "t.dl").evaluate(), graphviz=False)
    dom = Dom(html)
    assert dom.texts("p", "empty")[0] == "no answer: nothing in the evidence supports this conclusion"
    rows = dom.texts("tr")
    assert any(r.startswith("expect p(2). failed t.dl:4:1") for r in rows)
    assert any(r.startswith("expect not p(1). failed t.dl:5:1") for r in rows)
    assert dom.texts("p", "meta")[0].startswith("1 query · 0 conclusions · 0 sources · 2 expectations, 2 failed")
