"""Where a file's bytes come from (a path, an http(s) URL, an upload) and what is read
off them before any parse: the time budget, the encoding, the delimiter, the header
names, line breaks counted in pieces."""

from __future__ import annotations

import csv
import io
import re
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias, TypeGuard

import numpy as np
import pyarrow as pa

from . import safe
from .contract import MAX_COLUMNS, MAX_UPLOAD_BYTES, MAX_UPLOAD_MB
from .report import FILE, Issue, IssueLog, LoadError

LOAD_SECONDS = 30  # a load that runs longer stops with a message (load(budget=...) to change it)
BOM = b"\xef\xbb\xbf"
SCAN = 1 << 20  # bytes per numpy pass when counting line breaks
_NOT_SPACE = re.compile(rb"[^ \t\n\r\x0b\x0c]")  # what bytes.strip() keeps

Source: TypeAlias = pa.Buffer | Path  # bytes in memory, or a local file read in pieces


@dataclass
class Parsed:
    """A parsed file, as either reader gives it to the checks."""

    header: list[str]  # as written
    columns: list[pa.ChunkedArray]  # one string column per header name (no nulls, not stripped yet)
    lines: np.ndarray  # each row's CSV line number
    log: IssueLog  # the rows the parser itself rejected (the checks add theirs)
    notes: list[Issue]  # file-level notes (encoding, delimiter)


class Clock:
    """A load's time budget: ``check()``, called between steps, raises a LoadError once it is spent."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise LoadError(
                "Reading this file took longer than the {seconds} seconds allowed; it was not loaded.",
                seconds=format(self.seconds, "g"),
            )


NO_LIMIT = Clock(float("inf"))


def read_source(source: str | Path | bytes, *, limit: int | None = MAX_UPLOAD_BYTES, clock: Clock = NO_LIMIT) -> bytes:
    """Bytes from uploaded bytes, a local path, or an http(s) URL; ``limit`` applies to uploads and URLs
    (a local file the operator names is trusted), and a download stops when ``clock`` runs out."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif _is_address(source):
        if not source.lower().startswith(("http://", "https://")):
            raise LoadError("Only http:// and https:// addresses can be loaded, not {source}.", source=source)
        try:
            with urllib.request.urlopen(source, timeout=20) as resp:  # noqa: S310 (scheme checked above)
                got, most = bytearray(), (limit or 1 << 40) + 1
                while len(got) < most and (part := resp.read(min(1 << 16, most - len(got)))):
                    got += part
                    clock.check()
                data = bytes(got)
        except OSError as exc:
            raise LoadError("Could not download {source}: {error}", source=source, error=str(exc)) from None
    else:
        path = Path(source)
        if path.is_dir():
            raise LoadError("{source} is a directory, not a file.", source=str(path))
        if not path.is_file():
            raise LoadError("The data file {source} does not exist.", source=str(path))
        data = path.read_bytes()
        limit = None
    if limit is not None and len(data) > limit:
        raise LoadError("The file is larger than the {limit} MB limit.", limit=MAX_UPLOAD_MB)
    return data


def public_name(source: str) -> str:
    """What a viewer may see of a source: a file's name, never the server's directories; an http(s) URL
    without its query string (which may carry a token)."""
    text = str(source)
    if safe.http_url(text):
        return text.split("?", 1)[0].split("#", 1)[0]
    return Path(text).name or text


def _is_address(source: object) -> TypeGuard[str]:
    return isinstance(source, str) and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source) is not None


def read_input(source: str | Path | bytes, *, limit: int | None, clock: Clock = NO_LIMIT) -> bytes | Path:
    """``read_source``, except that a local file is left for the fast reader to stream from disk
    (never held whole in memory); only the careful reader reads it whole."""
    if isinstance(source, (str, Path)) and not _is_address(source) and Path(source).is_file():
        return Path(source)
    return read_source(source, limit=limit, clock=clock)


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: UTF-8 (with or without BOM), else Windows-1252/Latin-1."""
    if b"\x00" in data[:8192]:
        raise LoadError("This is not a CSV text file (it looks binary).")
    if data.startswith(BOM):
        return data[len(BOM) :].decode("utf-8", errors="replace"), "UTF-8 (BOM)"
    for codec, encoding in (("utf-8", "UTF-8"), ("cp1252", "Windows-1252")):
        try:
            return data.decode(codec), encoding
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1"), "Latin-1"


def header_line(text: str) -> str:
    """The first line, which ends at the first LF or CR."""
    match = re.match(r"[^\r\n]*", text)
    assert match is not None  # the pattern matches the empty string
    return match.group()


def sniff_delimiter(text: str) -> str:
    header = header_line(text)
    best = max((",", ";", "\t"), key=header.count)  # the first of the most frequent
    return best if header.count(best) else ","


def normalise_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lstrip("\ufeff").strip().lower())


def file_notes(encoding: str, sep: str) -> list[Issue]:
    notes = []
    if encoding not in ("UTF-8", "UTF-8 (BOM)"):
        notes.append(Issue(None, None, "", "The file was read as {encoding} text.", FILE, (("encoding", encoding),)))
    if sep == "\t":
        notes.append(Issue(None, None, "", "Columns are separated by tabs.", FILE))
    elif sep != ",":
        notes.append(Issue(None, None, "", "Columns are separated by '{sep}'.", FILE, (("sep", sep),)))
    return notes


def header_names(line: str, sep: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(line), delimiter=sep))
    except (StopIteration, csv.Error):
        return []


def refuse_repeats(names: list[str]) -> None:
    """A LoadError naming every header name (normalised) that occurs more than once."""
    dupes = sorted(name for name, n in Counter(names).items() if n > 1)
    if dupes:
        raise LoadError("The header repeats the column(s): {columns}.", columns=", ".join(dupes))


def refuse_wide(src: Source) -> None:
    """A LoadError when the first line has more than MAX_COLUMNS fields, counted before any parse
    (read as Latin-1: delimiters and quotes are ASCII whatever the encoding)."""
    text = header_line(head_line(src).removeprefix(BOM).decode("latin-1"))
    count = len(header_names(text, sniff_delimiter(text)))
    if count > MAX_COLUMNS:
        raise LoadError("The header has {count} columns; at most {limit} are allowed.", count=count, limit=MAX_COLUMNS)


def chunks(src: Source) -> Iterator[memoryview]:
    """The bytes of ``src`` in pieces of up to SCAN bytes (a file's in one reused buffer: use each in turn)."""
    if isinstance(src, Path):
        buf = bytearray(SCAN)
        view = memoryview(buf)
        with open(src, "rb", buffering=0) as f:
            while k := f.readinto(buf):
                yield view[:k]
    else:
        view = memoryview(src)
        for at in range(0, len(view), SCAN):
            yield view[at : at + SCAN]


def identity(src: Source) -> tuple | None:
    """What says a file is still the one being read (inode, size, mtime); None for a buffer."""
    if isinstance(src, Path):
        st = src.stat()
        return st.st_ino, st.st_size, st.st_mtime_ns
    return None


def head(src: Source, size: int) -> bytes:
    if isinstance(src, Path):
        with open(src, "rb") as f:
            return f.read(size)
    return memoryview(src)[:size].tobytes()


def head_line(src: Source) -> bytes:
    """The bytes of the first line, without its line break."""
    size = 1 << 16
    while b"\n" not in (first := head(src, size)) and len(first) == size:
        size *= 8
    return first.split(b"\n", 1)[0]


def line_feeds(src: Source) -> int:
    """How many LF bytes the file holds."""
    return sum(int(np.count_nonzero(np.frombuffer(piece, dtype=np.uint8) == 10)) for piece in chunks(src))


def line_breaks(src: Source) -> tuple[int, bool] | None:
    """How many LF bytes the file holds, and whether its last byte is one; None if it has a CR that
    does not start a CRLF (old Mac line breaks, or a CR inside a value): the careful reader's case."""
    count, cr_last, last = 0, False, -1
    for piece in chunks(src):
        part = np.frombuffer(piece, dtype=np.uint8)
        if cr_last and part[0] != 10:  # a CR ended the previous piece
            return None
        count += int(np.count_nonzero(part == 10))
        cr = np.flatnonzero(part == 13)
        cr_last = bool(len(cr)) and cr[-1] == len(part) - 1
        inner = cr[:-1] if cr_last else cr
        if len(inner) and not (part[inner + 1] == 10).all():
            return None
        last = int(part[-1])
    return None if cr_last else (count, last == 10)


def is_blank(src: Source) -> bool:
    """``not data.strip()``, read in pieces."""
    return not any(_NOT_SPACE.search(part) for part in chunks(src))
