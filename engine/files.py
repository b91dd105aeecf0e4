"""File-system boundary: every file Syllog reads is read bounded, every file it writes is replaced whole.

Stage: below the loader (sources and includes), the evidence pass (source
documents), bulk data (`.input`, `.output`), snapshots and the REPL's
`:save`. Input: a path; output: its bytes, text or lines, or a file written.

Guarantees:
- only regular files are read: a device (`/dev/zero`), a FIFO, a socket or a
  folder is refused before a byte is read (a FIFO is opened without waiting
  for a writer), so nothing hangs and nothing grows without bound;
- a whole-file read stops at a size limit (`MAX_TEXT_BYTES`); data files are
  streamed in blocks of lines (`CHUNK`), and more than `MAX_LINE_CHARS`
  characters without a line end is refused;
- a file is written to a temporary file in its folder, flushed to disk and
  renamed over the old one (`replacing`), so a failure, Ctrl-C or kill leaves
  the old file whole (a kill may leave a `.syllog-*.tmp` file beside it); an
  existing device or FIFO (`/dev/null`, a pipe) is written in place;
- every failure is a `FileTrouble`, an `OSError` whose `reason` is a short
  phrase for a diagnostic ("it is a FIFO, not a regular file", "a symlink
  loop", "its name holds a NUL byte"); callers add the code and the place.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from itertools import chain
from pathlib import Path
from typing import BinaryIO, TextIO

MAX_TEXT_BYTES = 64 << 20  # a source file, an included file or a document, read whole
MAX_LINE_CHARS = 1 << 20  # one line of a bulk data file, read streaming
CHUNK = 1 << 20

_READ_REASONS = {
    errno.ENOENT: "no such file",
    errno.EISDIR: "it is a folder",
    errno.ENOTDIR: "a part of its path is not a folder",
    errno.ELOOP: "a symlink loop",
    errno.ENAMETOOLONG: "its name is too long",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}
_WRITE_REASONS = _READ_REASONS | {
    errno.ENOENT: "its folder does not exist",
    errno.ENXIO: "it is a FIFO that no one is reading",
    errno.ENOSPC: "the disk is full",
    errno.EROFS: "the file system is read-only",
}
NUL_REASON = "its name holds a NUL byte"


class FileTrouble(OSError):
    """A file that cannot be read or written, with the reason as a phrase for a diagnostic."""

    def __init__(self, path: Path, reason: str, code: int = 0) -> None:
        super().__init__(code, reason, str(path))
        self.path = path
        self.reason = reason

    @property
    def missing(self) -> bool:
        return self.errno == errno.ENOENT


class NotUtf8(FileTrouble):
    """A file whose bytes are not UTF-8, with the 1-based line and column of the first bad byte."""

    def __init__(self, path: Path, line: int, col: int, byte: int | None) -> None:
        what = f" (byte 0x{byte:02x})" if byte is not None else ""
        super().__init__(path, f"this file is not UTF-8 text{what}", errno.EILSEQ)
        self.line, self.col = line, col


class LineTooLong(FileTrouble):
    """A line of a data file longer than `MAX_LINE_CHARS` (no line break in sight); `line` 0 when not known."""

    def __init__(self, path: Path, line: int) -> None:
        super().__init__(path, f"a line longer than {MAX_LINE_CHARS:,} characters", errno.EFBIG)
        self.line = line


def trouble(path: Path, exc: OSError | ValueError, writing: bool = False) -> FileTrouble:
    """The `FileTrouble` for an exception of the operating system (a `ValueError` is a NUL in the name)."""
    if isinstance(exc, FileTrouble):
        return exc
    if isinstance(exc, ValueError):
        return FileTrouble(path, NUL_REASON, errno.EINVAL)
    reasons = _WRITE_REASONS if writing else _READ_REASONS
    reason = reasons.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()
    return FileTrouble(path, reason, exc.errno or 0)


def _refusal(path: Path, mode: int) -> FileTrouble | None:
    """Why a file of this mode is not read (it is not a regular file), or None."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return FileTrouble(path, "it is a folder", errno.EISDIR)
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return FileTrouble(path, f"it is {name}, not a regular file", errno.ENODEV)
    return FileTrouble(path, "it is not a regular file", errno.ENODEV)


def open_regular(path: Path) -> BinaryIO:
    """Open a regular file for reading; anything else is refused before a byte is read.

    `open_regular(Path("/dev/zero"))` raises `FileTrouble` with the reason
    "it is a character device, not a regular file".
    """
    try:
        refused = _refusal(path, os.stat(path).st_mode)
        if refused is not None:
            raise refused
        # without waiting for a writer, should a FIFO have taken the file's place since
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError as exc:
        if os.path.islink(path):
            raise FileTrouble(path, "a symlink to a file that does not exist", errno.ENOENT) from None
        raise trouble(path, exc) from None
    except (OSError, ValueError) as exc:
        raise trouble(path, exc) from None
    try:
        refused = _refusal(path, os.fstat(fd).st_mode)
        if refused is not None:
            raise refused
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: Path, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes."""
    with open_regular(path) as fh:
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise trouble(path, exc) from None
    if len(data) > limit:
        raise FileTrouble(path, f"it is larger than {_size(limit)}, the most Syllog reads from one file",
                          errno.EFBIG)
    return data


def read_text(path: Path, limit: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes; `NotUtf8` names the first bad byte.

    A byte order mark at the start (some Windows editors write one) is dropped, as most tools do:
    the text and its positions are those of the file without it.
    """
    data = read_bytes(path, limit)
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, data, exc.start) from None


def open_text(path: Path) -> TextIO:
    """A regular file as UTF-8 text for streaming, with line ends as written (`newline=""`); a byte
    order mark at its start is dropped (`utf-8-sig`: a spreadsheet's CSV export often has one)."""
    return io.TextIOWrapper(open_regular(path), encoding="utf-8-sig", newline="")


def bounded_lines(fh: TextIO, path: Path, limit: int = MAX_LINE_CHARS) -> Iterator[str]:
    """The lines of `fh` with their ends, split as a file's lines are (`\\n`, `\\r\\n`, `\\r`).

    Read in blocks (`line_blocks`); raises `LineTooLong` (its line unknown:
    0) past `limit` characters without a line end.
    """
    return chain.from_iterable(io.StringIO(block, newline="") for block in line_blocks(fh, path, CHUNK, limit))


def line_blocks(fh: TextIO, path: Path, size: int = CHUNK, limit: int = MAX_LINE_CHARS) -> Iterator[str]:
    """Text of `fh` in blocks of whole lines, about `size` characters each.

    Raises `LineTooLong` (its line unknown: 0) when more than `limit`
    characters without a line end are held: no more than `limit + size` are.
    """
    rest = ""
    while chunk := fh.read(size):
        text = rest + chunk if rest else chunk
        # after the last line end; a final `\r` may be the first half of `\r\n`
        cut = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1
        rest = text[cut:]
        if len(rest) > limit:
            raise LineTooLong(path, 0)
        if cut:
            yield text[:cut]
    if rest:
        yield rest


def first_bad_utf8(path: Path) -> NotUtf8 | None:
    """Where a file stops being UTF-8, read in chunks; None when it is UTF-8 throughout."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    done = lines = 0  # bytes read before this chunk, and the line breaks among them
    last_break = -1  # offset in the file of the last line break read
    with open_regular(path) as fh:
        while True:
            chunk = fh.read(CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                data = exc.object  # the chunk after the bytes the decoder held back (never a line break)
                at = exc.start
                start = done - (len(data) - len(chunk))  # offset in the file of data[0]
                nl = data.rfind(b"\n", 0, at)
                line = lines + data.count(b"\n", 0, at) + 1
                col = at - nl if nl >= 0 else start + at - last_break
                return NotUtf8(path, line, col, data[at] if at < len(data) else None)
            if not chunk:
                return None
            lines += chunk.count(b"\n")
            nl = chunk.rfind(b"\n")
            if nl >= 0:
                last_break = done + nl
            done += len(chunk)


def _not_utf8(path: Path, data: bytes, at: int) -> NotUtf8:
    line = data.count(b"\n", 0, at) + 1
    col = at - (data.rfind(b"\n", 0, at) + 1) + 1
    return NotUtf8(path, line, col, data[at] if at < len(data) else None)


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 and not n % (1 << 20) else f"{n:,} bytes"


def identity(path: Path) -> Path:
    """The file a path names, symlinks resolved, for telling files apart (never raises)."""
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):  # a NUL in the name: reading it says so
        return Path(os.path.abspath(path))


def write_text(path: Path, text: str) -> None:
    """Replace a file by `text` whole (see `replacing`)."""
    with replacing(path) as fh:
        fh.write(text)


@contextmanager
def replacing(path: Path) -> Iterator[TextIO]:
    """Write a text file whole or not at all: to a temporary file in its folder, then renamed over it.

    `with replacing(Path("out.csv")) as fh: fh.write("1,2\\n")` leaves either
    the old `out.csv` or the new one, never a part of it, whatever stops it.
    """
    temporary: list[str] = []  # the temporary file's name, known before it is made: Ctrl-C may come at any point
    writing = False
    try:
        mode = _mode(path)
        if mode is not None and stat.S_ISDIR(mode):
            raise FileTrouble(path, "it is a folder", errno.EISDIR)
        if writes_in_place(path):
            # a device, a FIFO, or /dev/stdout: a stream, with no old content to keep
            target = path
            out = _open_in_place(path)
        else:
            target = Path(os.path.realpath(path))  # through a symlink, to the file it names
            out = _temporary(target.parent, stat.S_IMODE(mode) if mode is not None else None, temporary)
        writing = True
        with out:
            yield out
            if temporary:
                out.flush()
                os.fsync(out.fileno())
        if temporary:
            os.replace(temporary[0], target)
    except BaseException as exc:
        for name in temporary:
            with suppress(OSError):
                os.unlink(name)
        if isinstance(exc, OSError) or (isinstance(exc, ValueError) and not writing):
            raise trouble(path, exc, writing=True) from None
        raise


def writes_in_place(path: Path) -> bool:
    """Whether `replacing(path)` writes to `path` itself (a device, a FIFO, a stream such as /dev/stdout)
    rather than to a temporary file, named by the handle's `name`, renamed over it."""
    mode = _mode(path)
    return mode is not None and (not stat.S_ISREG(mode) or _is_stream(path))


def _mode(path: Path) -> int | None:
    """The mode of an existing file, None when there is none."""
    try:
        return os.stat(path).st_mode
    except FileNotFoundError:
        return None


def _temporary(folder: Path, mode: int | None, names: list[str]) -> TextIO:
    """A new file in `folder` with a name of its own (put in `names` before the file is made), for writing.

    It is readable as a new file would be, or as the old one was (`mode`).
    """
    while True:
        name = os.path.join(folder, f".syllog-{os.urandom(6).hex()}.tmp")
        names[:] = [name]
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
        except FileExistsError:
            continue  # someone else's: another name (and not theirs to remove)
        if mode is not None:
            with suppress(OSError):
                os.fchmod(fd, mode)
        out = os.fdopen(fd, "w", encoding="utf-8", newline="")
        out.buffer.raw.name = name  # type: ignore[attr-defined]  # for a writer of its own (a database's COPY)
        return out


def _is_stream(path: Path) -> bool:
    """A name under /dev or /proc (`/dev/stdout`, `/proc/self/fd/1`): the stream it stands for, even when that is a file."""
    parts = Path(os.path.abspath(path)).parts
    return len(parts) > 2 and parts[1] in ("dev", "proc")


def _descriptor(path: Path) -> int | None:
    """The descriptor a name stands for: 1 for `/dev/stdout`, N for `/dev/fd/N` or `/proc/self/fd/N`."""
    name = os.path.abspath(path)
    named = {"/dev/stdout": 1, "/dev/stderr": 2}.get(name)
    if named is not None:
        return named
    head, _, number = name.rpartition("/")
    return int(number) if head in ("/dev/fd", "/proc/self/fd") and number.isdigit() else None


def _open_in_place(target: Path) -> TextIO:
    """An existing device, FIFO or stream opened for writing at its end; a FIFO that no one reads is refused.

    `/dev/stdout` and the like are written through the descriptor itself,
    after what this process printed, as a shell's `>` file would be.
    """
    import fcntl  # POSIX only, as devices and FIFOs are

    fd = _descriptor(target)
    if fd is not None:
        for stream in (sys.stdout, sys.stderr):
            with suppress(Exception):
                stream.flush()
        return open(os.dup(fd), "w", encoding="utf-8", newline="")
    flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(target, flags)
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~getattr(os, "O_NONBLOCK", 0))
    return open(fd, "w", encoding="utf-8", newline="")
