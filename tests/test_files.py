"""engine.files: regular files only, reads bounded, lines split as a file's are, writes whole or not at all."""

from __future__ import annotations

import os
import random
import stat
from pathlib import Path

import pytest
from oddities import make_oddities

from engine import files
from engine.files import FileTrouble, LineTooLong, NotUtf8


@pytest.fixture
def odd(tmp_path: Path) -> Path:
    return make_oddities(tmp_path)


@pytest.mark.parametrize("name, reason", [
    ("fifo", "it is a FIFO, not a regular file"),
    ("loop", "a symlink loop"),
    ("dangling", "a symlink to a file that does not exist"),
    ("folder", "it is a folder"),
    ("missing", "no such file"),
    ("nul\0name", "its name holds a NUL byte"),
    ("doc.txt/x", "a part of its path is not a folder"),
])
def test_reading_an_oddity_gives_its_reason(odd: Path, name: str, reason: str) -> None:
    with pytest.raises(FileTrouble) as exc:
        files.read_text(odd / name)
    assert exc.value.reason == reason
    assert exc.value.missing == (name in ("missing", "dangling"))


def test_a_device_is_refused_before_a_byte_is_read() -> None:
    with pytest.raises(FileTrouble, match="it is a character device, not a regular file"):
        files.read_bytes(Path("/dev/zero"))
    with pytest.raises(FileTrouble, match="character device"):
        files.open_text(Path("/dev/zero"))


def test_a_whole_read_stops_at_its_limit(tmp_path: Path) -> None:
    p = tmp_path / "big.txt"
    p.write_bytes(b"x" * 1000)
    assert files.read_bytes(p, 1000) == b"x" * 1000
    with pytest.raises(FileTrouble, match="larger than 999 bytes"):
        files.read_bytes(p, 999)
    # a /proc file says it has 0 bytes: the limit holds on what is read, not on what stat says
    with pytest.raises(FileTrouble, match="larger than 10 bytes"):
        files.read_bytes(Path("/proc/self/status"), 10)
    with pytest.raises(FileTrouble, match="larger than 64 MiB, the most Syllog reads from one file"):
        files.read_text(_sparse(tmp_path))


def _sparse(folder: Path) -> Path:
    """A file one byte past the limit of a whole read, without writing 64 MiB (a hole)."""
    p = folder / "sparse.txt"
    with p.open("wb") as fh:
        fh.truncate(files.MAX_TEXT_BYTES + 1)
    return p


def test_not_utf8_names_the_first_bad_byte(tmp_path: Path) -> None:
    p = tmp_path / "latin1.txt"
    p.write_bytes("ok\nna\u00efve\n".encode("latin-1"))
    with pytest.raises(NotUtf8) as exc:
        files.read_text(p)
    assert (exc.value.line, exc.value.col, exc.value.reason) == (2, 3, "this file is not UTF-8 text (byte 0xef)")
    found = files.first_bad_utf8(p)
    assert found is not None and (found.line, found.col) == (2, 3)


def test_first_bad_utf8_streaming_agrees_with_a_whole_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 7 bytes: a bad byte, a multi-byte character or a line break may fall on any boundary."""
    monkeypatch.setattr(files, "CHUNK", 7)
    rng = random.Random(23)
    p = tmp_path / "t.txt"
    for _ in range(300):
        parts = [rng.choice(["a", "\n", "é", "€", "\U0001f600", "\r\n"]) for _ in range(rng.randint(0, 30))]
        data = bytearray("".join(parts).encode("utf-8"))
        if data and rng.random() < 0.8:
            data[rng.randrange(len(data))] = rng.choice([0xff, 0xc3, 0x80, 0xe2])
        p.write_bytes(bytes(data))
        try:
            files.read_text(p)
            expected = None
        except NotUtf8 as exc:
            expected = (exc.line, exc.col)
        got = files.first_bad_utf8(p)
        assert ((got.line, got.col) if got is not None else None) == expected, bytes(data)


def test_bounded_lines_split_as_a_file_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 5 characters: line ends (`\\n`, `\\r\\n`, `\\r`) cut anywhere, and come out as iteration gives them."""
    monkeypatch.setattr(files, "CHUNK", 5)
    rng = random.Random(22)
    p = tmp_path / "t.csv"
    for _ in range(300):
        text = "".join(rng.choice(["a", "b,", "\n", "\r", "\r\n", "\u2028", "\x0c", '"']) for _ in range(rng.randint(0, 25)))
        p.write_bytes(text.encode("utf-8"))
        with p.open(encoding="utf-8", newline="") as fh:
            expected = list(fh)
        with files.open_text(p) as fh:
            assert list(files.bounded_lines(fh, p)) == expected, repr(text)


def test_a_line_past_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What is held at once stays bounded: the text after the last line end of a block of `CHUNK`."""
    monkeypatch.setattr(files, "CHUNK", 8)
    p = tmp_path / "long.csv"
    p.write_text("a\n" + "b" * 50 + "\nc\n", encoding="utf-8")
    with files.open_text(p) as fh:
        assert len(list(files.bounded_lines(fh, p, limit=50))) == 3
    with files.open_text(p) as fh, pytest.raises(LineTooLong):
        list(files.bounded_lines(fh, p, limit=20))


def test_replacing_writes_the_new_file_whole(tmp_path: Path) -> None:
    p = tmp_path / "out.csv"
    files.write_text(p, "old\n")
    os.chmod(p, 0o640)
    files.write_text(p, "new\n")
    assert p.read_text() == "new\n"
    assert stat.S_IMODE(p.stat().st_mode) == 0o640  # the old file's permissions are kept
    assert sorted(x.name for x in tmp_path.iterdir()) == ["out.csv"]  # no temporary file left


def test_a_failure_half_way_leaves_the_old_file(tmp_path: Path) -> None:
    p = tmp_path / "out.csv"
    p.write_text("old\n")
    for failure in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(failure)), files.replacing(p) as fh:
            fh.write("half of the new")
            fh.flush()
            raise failure
        assert p.read_text() == "old\n"
        assert sorted(x.name for x in tmp_path.iterdir()) == ["out.csv"]


def test_replacing_through_a_symlink_writes_the_file_it_names(tmp_path: Path) -> None:
    (tmp_path / "real.csv").write_text("old\n")
    (tmp_path / "link.csv").symlink_to("real.csv")
    files.write_text(tmp_path / "link.csv", "new\n")
    assert (tmp_path / "link.csv").is_symlink()
    assert (tmp_path / "real.csv").read_text() == "new\n"


@pytest.mark.parametrize("name, reason", [
    ("folder", "it is a folder"),
    ("nowhere/out.csv", "its folder does not exist"),
    ("doc.txt/out.csv", "a part of its path is not a folder"),
    ("x" * 300, "its name is too long"),
    ("nul\0name", "its name holds a NUL byte"),
    ("fifo", "it is a FIFO that no one is reading"),
])
def test_writing_an_oddity_gives_its_reason(odd: Path, name: str, reason: str) -> None:
    before = sorted(x.name for x in odd.iterdir())
    with pytest.raises(FileTrouble) as exc:
        files.write_text(odd / name, "data\n")
    assert exc.value.reason == reason
    assert sorted(x.name for x in odd.iterdir()) == before  # nothing left behind


def test_a_device_is_written_in_place() -> None:
    files.write_text(Path("/dev/null"), "gone\n")
    assert Path("/dev/null").exists() and not Path("/dev/null").is_file()


def test_a_fifo_with_a_reader_is_written_in_place(odd: Path) -> None:
    fd = os.open(odd / "fifo", os.O_RDONLY | os.O_NONBLOCK)
    try:
        files.write_text(odd / "fifo", "through the pipe\n")
        assert os.read(fd, 100) == b"through the pipe\n"
    finally:
        os.close(fd)


def test_file_trouble_is_an_os_error_with_the_reason_as_strerror(tmp_path: Path) -> None:
    """Callers that catch OSError (the REPL's :save) print the reason."""
    with pytest.raises(OSError) as exc:
        files.write_text(tmp_path / "no" / "x.dl", "")
    assert exc.value.strerror == "its folder does not exist"


def test_a_byte_order_mark_is_dropped_and_positions_are_the_texts(tmp_path: Path) -> None:
    import engine
    from engine import SyllogError

    bom = tmp_path / "bom.dl"
    bom.write_bytes(b"\xef\xbb\xbfEdge(a, b).\n")
    assert files.read_text(bom) == "Edge(a, b).\n"
    with pytest.raises(SyllogError) as exc:
        engine.load([bom])
    assert exc.value.diagnostics[0].code == "E001"
    assert (exc.value.diagnostics[0].span.line, exc.value.diagnostics[0].span.col) == (1, 1)
    data = tmp_path / "e.csv"
    data.write_bytes(b"\xef\xbb\xbfa,b\n")
    with files.open_text(data) as fh:
        assert fh.read() == "a,b\n"
