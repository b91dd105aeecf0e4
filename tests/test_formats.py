"""Bulk data formats: one spec per `.input` / `.output` (engine.formats.DataSpec), readers and writers by format.

Every format of FORMATS has a reader and a writer; the csv/tsv options
`delimiter:` and `header:` are honoured alike when reading and writing (the
in-memory writer used to ignore both); options that cannot be honoured are
E707 (golden: tests/golden/errors/io_bad_options). The SQL writers are held
to the same bytes by tests/test_sql_transfer.py.
"""

from __future__ import annotations

from pathlib import Path

import engine
from engine.evaluation.io import READERS, WRITERS, write_outputs
from engine.formats import FORMATS


def test_every_format_has_a_reader_and_a_writer() -> None:
    assert set(READERS) == set(FORMATS) == set(WRITERS)


def test_an_output_with_a_delimiter_and_a_header_reads_back_the_same(tmp_path: Path) -> None:
    facts = 'e(1, "a"). e(2, "b;c"). e(3, "say \\"hi\\"").'
    (tmp_path / "w.dl").write_text('.decl e(n: int, s: string)\n' + facts +
                                   '\n.output e { file: "e.csv", delimiter: ";", header: true }\n')
    written = engine.load(str(tmp_path / "w.dl"))
    write_outputs(written.program, written.evaluate().relation)
    text = (tmp_path / "e.csv").read_text(encoding="utf-8")
    assert text.splitlines()[:3] == ["n;s", "1;a", '2;"b;c"']
    (tmp_path / "r.dl").write_text('.decl e(n: int, s: string)\n.input e { file: "e.csv", delimiter: ";", header: true }\n')
    read = engine.load(str(tmp_path / "r.dl")).evaluate().relation("e")
    assert read == written.evaluate().relation("e")


def test_a_tsv_output_is_split_by_tabs_without_a_header_by_default(tmp_path: Path) -> None:
    (tmp_path / "p.dl").write_text('.decl e(a: int, b: int)\ne(1, 2).\n.output e { file: "e.tsv" }\n')
    loaded = engine.load(str(tmp_path / "p.dl"))
    write_outputs(loaded.program, loaded.evaluate().relation)
    assert (tmp_path / "e.tsv").read_text() == "1\t2\n"
