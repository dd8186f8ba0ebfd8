"""Turn any CSV (a path, an http(s) URL or uploaded bytes) into a typed frame
plus a report that accounts for every row.

Invariant: ``len(result.frame) + result.rejected_rows == result.rows_in_file``.
Every row that is rejected or corrected is logged with its CSV line number (a
physical line; the header is line 1), the column and the reason (``IssueLog``,
compact); the first DETAIL_ROWS of each reason are also ``Issue`` objects.

Hostile files are bounded: at most MAX_COLUMNS columns and (for uploads)
MAX_UPLOAD_ROWS rows, linear reading whatever the quotes, and a time budget
(LOAD_SECONDS).

The work is vectorised: a UTF-8 file goes straight from its bytes to Arrow
columns (``_read_fast``), values are checked per *distinct* value and mapped
back, and only the columns that need it are stripped, so a million rows cost
little more than parsing them. Anything the fast reader is not sure about
(another encoding, a lone CR, blank lines, quoted line breaks, ragged rows,
broken quotes) goes the careful way (``_read_general``); both feed the same
checks (``_Checker``).
"""
from __future__ import annotations

import csv
import io
import re
import string
import time
import urllib.request
from array import array
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from . import contract
from .contract import BY_NAME, COLUMN_NAMES, COLUMNS, MAX_COLUMNS, MAX_UPLOAD_BYTES, MAX_UPLOAD_MB, REQUIRED
from .vocab import CONFIDENCE, PILLARS, STATUSES, THEME_SLUG, THEMES, fold

Translator = Callable[[str], str]

REJECTED = "rejected"
CORRECTED = "corrected"
FILE = "file"

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
URL_PATTERN = r"^https?://[^\s/?#]+\.[^\s]*$|^https?://(localhost|127\.0\.0\.1)(:\d+)?(/[^\s]*)?$"
# The csv module refuses a value longer than its field limit (128 Ki characters by
# default). Any value of an upload must be readable: the limit is at least the
# upload limit. (It is process-wide; it is only ever raised here.)
FIELD_LIMIT = max(csv.field_size_limit(), MAX_UPLOAD_BYTES)
csv.field_size_limit(FIELD_LIMIT)
TRUE_WORDS = {"true", "yes", "y", "1", "x", "oui", "vrai", "si", "verdadero"}
FALSE_WORDS = {"", "false", "no", "n", "0", "non", "faux", "falso"}


LOAD_SECONDS = 30  # a load that runs longer stops with a message (load(budget=...) to change it)


class LoadError(Exception):
    """A file-level problem: the whole file cannot be read as the contract asks."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason.format(**params))
        self.reason = reason
        self.params = params


@dataclass(frozen=True)
class Issue:
    line: int | None  # CSV line number, header = 1; None for the file as a whole
    column: str | None
    value: str
    reason: str  # English message id with {named} placeholders
    kind: str  # REJECTED | CORRECTED | FILE
    params: tuple[tuple[str, object], ...] = ()

    def text(self, tr: Translator = lambda s: s) -> str:
        return tr(self.reason).format(**dict(self.params))


DETAIL_ROWS = 1000  # rows per reason kept as Issue objects (LoadResult.issues); all are counted and exported
VALUE_CHARS = 200  # a cell is quoted in a report up to this many characters
_OUTCOME_ORDER = (CORRECTED, FILE, REJECTED)  # issues of one line are listed in this order


def _fields(reason: str) -> frozenset[str]:
    """The ``{named}`` placeholders of a message."""
    return frozenset(name for _text, name, _spec, _conv in string.Formatter().parse(reason) if name)


class _Unknown(dict):
    """Format parameters where a parameter that differs per row reads as '…'."""

    def __missing__(self, key: str) -> str:
        return "…"


@dataclass
class _Part:
    """The rows one check flagged for one reason (or one batch of the careful reader's)."""
    reason: int  # index into IssueLog.reasons
    lines: np.ndarray  # the CSV line of each row, ascending (int32 while lines fit)
    values: pa.Array | None  # the cell of each row (at most VALUE_CHARS characters); None: all ""
    per_row: dict[str, np.ndarray]  # message parameters that differ per row, aligned with ``lines``


class IssueLog:
    """Every rejected or corrected row, kept compactly: per reason (an ``Issue``
    with no line: message id, outcome, column and the parameters all its rows
    share), numpy arrays of lines and per-row parameters and an Arrow array of
    cells (none when every cell is empty). No Python object is made per row: a
    file of millions of bad rows costs a few bytes per row and reason, and
    ``Issue`` objects are made for the first rows of each reason (``details``)
    or a chunk at a time while an export is written (``frames``)."""

    def __init__(self) -> None:
        self.reasons: list[Issue] = []
        self._index: dict[tuple, int] = {}
        self.parts: list[_Part] = []
        self._rows: dict[str, int] = {}

    def add(self, reason: Issue, lines: np.ndarray, values: pa.Array | None = None,
            per_row: dict[str, np.ndarray] | None = None) -> None:
        """Log ``reason`` for the rows on ``lines``; ``values`` and each of ``per_row``
        have one entry per line."""
        if not len(lines):
            return
        lines = np.asarray(lines)
        per_row = per_row or {}
        if (lines[1:] < lines[:-1]).any():
            order = np.argsort(lines, kind="stable")
            lines = lines[order]
            values = values.take(pa.array(order)) if values is not None else None
            per_row = {name: a[order] for name, a in per_row.items()}
        lines = lines.astype(np.int32 if lines[-1] < 2 ** 31 else np.int64)
        if values is not None and not pc.sum(pc.binary_length(values)).as_py():
            values = None
        key = (reason.reason, reason.kind, reason.column, reason.params)
        k = self._index.get(key)
        if k is None:
            k = self._index[key] = len(self.reasons)
            self.reasons.append(reason)
        self.parts.append(_Part(k, lines, values, per_row))
        self._rows.clear()

    def __len__(self) -> int:
        return sum(len(p.lines) for p in self.parts)

    def rows(self, kind: str) -> int:
        """Distinct lines with an issue of this kind."""
        if kind not in self._rows:
            parts = [p.lines for p in self.parts if self.reasons[p.reason].kind == kind]
            top = max((int(lines[-1]) for lines in parts), default=0)
            if top <= 8 * sum(len(lines) for lines in parts) + (1 << 20):
                seen = np.zeros(top + 1, dtype=bool)
                for lines in parts:
                    seen[lines] = True
                self._rows[kind] = int(np.count_nonzero(seen))
            else:  # a few lines far apart
                lines = np.sort(np.concatenate(parts))
                self._rows[kind] = int(1 + np.count_nonzero(lines[1:] != lines[:-1]))
        return self._rows[kind]

    def counts(self) -> list[tuple[Issue, int]]:
        n = np.zeros(len(self.reasons), dtype=np.int64)
        for p in self.parts:
            n[p.reason] += len(p.lines)
        return list(zip(self.reasons, n.tolist()))

    def _issues(self, part: _Part, at: np.ndarray) -> Iterator[Issue]:
        """The rows ``at`` (positions in ``part``) as Issue objects."""
        proto = self.reasons[part.reason]
        values = part.values.take(pa.array(at)).to_pylist() if part.values is not None else [""] * len(at)
        per_row = {name: a[at].tolist() for name, a in part.per_row.items()}
        with_value = "value" in _fields(proto.reason) and "value" not in per_row
        for j, (line, value) in enumerate(zip(part.lines[at].tolist(), values)):
            params = proto.params + tuple((name, v[j]) for name, v in per_row.items())
            if with_value:
                params += (("value", value),)
            yield Issue(line, proto.column, value, proto.reason, proto.kind, params)

    def details(self, limit: int = DETAIL_ROWS) -> list[Issue]:
        """The first ``limit`` rows (by line) of each reason, in line order."""
        out: list[Issue] = []
        for k in range(len(self.reasons)):
            parts = [p for p in self.parts if p.reason == k]
            heads = [p.lines[:limit] for p in parts]  # each part is in line order
            owner = np.repeat(np.arange(len(parts)), [len(h) for h in heads])
            at = np.concatenate([np.arange(len(h)) for h in heads])
            first = np.argsort(np.concatenate(heads), kind="stable")[:limit]
            for i, part in enumerate(parts):
                out.extend(self._issues(part, np.sort(at[first[owner[first] == i]])))
        out.sort(key=lambda i: i.line or 0)
        return out

    def frames(self, tr: Translator, chunk: int = 100_000) -> Iterator[pd.DataFrame]:
        """Every issue, ordered as ``LoadResult.issues_frame`` (by line, then
        outcome), as frames (line, column, value, outcome, reason) of about
        ``chunk`` rows: the parts are merged a window of lines at a time."""
        columns = ["line", "column", "value", "outcome", "reason"]
        total = len(self)
        if not total:
            yield pd.DataFrame({c: pd.Series(dtype=np.int64 if c == "line" else object) for c in columns})
            return
        rank = [_OUTCOME_ORDER.index(self.reasons[p.reason].kind) for p in self.parts]
        low = min(int(p.lines[0]) for p in self.parts)
        high = max(int(p.lines[-1]) for p in self.parts) + 1
        span = max(1, (high - low) * chunk // total)
        done = [0] * len(self.parts)
        for top in range(low + span, high + span, span):
            pieces = []
            for i, p in enumerate(self.parts):
                end = int(np.searchsorted(p.lines, top))
                if end > done[i]:
                    pieces.append((i, np.arange(done[i], end)))
                    done[i] = end
            if not pieces:
                continue
            lines = np.concatenate([self.parts[i].lines[at] for i, at in pieces]).astype(np.int64)
            ranks = np.concatenate([np.full(len(at), rank[i]) for i, at in pieces])
            order = np.lexsort((np.arange(len(lines)), ranks, lines))
            out = {c: np.empty(len(lines), dtype=object) for c in columns[1:]}
            start = 0
            for i, at in pieces:
                issues = list(self._issues(self.parts[i], at))
                here = slice(start, start + len(at))
                out["column"][here] = [x.column or "" for x in issues]
                out["value"][here] = [x.value for x in issues]
                out["outcome"][here] = [x.kind for x in issues]
                out["reason"][here] = [x.text(tr) for x in issues]
                start += len(at)
            yield pd.DataFrame({"line": lines[order], **{c: v[order] for c, v in out.items()}}, columns=columns)


@dataclass
class LoadResult:
    """A load: the valid rows and a report on the others.

    ``issues`` holds the first DETAIL_ROWS rows of each reason as ``Issue``
    objects (every issue when there are fewer); ``log`` has every one, compactly:
    the counts (``rejected_rows``, ``counts_by_reason``) are exact and
    ``issue_frames`` / ``all_issues_frame`` list them all."""
    frame: pd.DataFrame
    issues: list[Issue]
    rows_in_file: int
    source: str
    fatal: Issue | None = None
    extra_columns: tuple[str, ...] = ()
    notes: list[Issue] = field(default_factory=list)  # file-level notes (encoding, delimiter)
    log: IssueLog | None = field(default=None, repr=False, compare=False)

    @property
    def rejected_rows(self) -> int:
        """Rows not kept (each counted once, whatever its number of reasons)."""
        if self.log is not None:
            return self.log.rows(REJECTED)
        return len({i.line for i in self.issues if i.kind == REJECTED})

    @property
    def corrected_rows(self) -> int:
        """Rows kept with at least one value corrected."""
        if self.log is not None:
            return self.log.rows(CORRECTED)
        return len({i.line for i in self.issues if i.kind == CORRECTED})

    @property
    def ok(self) -> bool:
        return self.fatal is None

    @property
    def issue_count(self) -> int:
        """Every issue (a row with three problems has three), listed in ``issues`` or not."""
        return len(self.log) if self.log is not None else len(self.issues)

    @property
    def issues_truncated(self) -> bool:
        """True when ``issues`` holds only the first DETAIL_ROWS rows of some reason."""
        return self.issue_count > len(self.issues)

    def issues_frame(self, tr: Translator = lambda s: s) -> pd.DataFrame:
        """``issues`` (the bounded details) as a table, by line."""
        rows = [
            {"line": i.line, "column": i.column or "", "value": i.value,
             "outcome": i.kind, "reason": i.text(tr)}
            for i in sorted(self.issues, key=lambda i: (i.line or 0, i.kind))
        ]
        return pd.DataFrame(rows, columns=["line", "column", "value", "outcome", "reason"])

    def counts_by_reason(self, tr: Translator = lambda s: s) -> pd.DataFrame:
        """One row per reason: outcome (``rejected``/``corrected``), column ('' for
        the row as a whole), the reason (a parameter that differs per row reads
        '…') and how many rows have it. Rejected first, then most rows first."""
        counted = self.log.counts() if self.log is not None else [(i, 1) for i in self.issues]
        totals: dict[tuple, int] = {}
        for reason, n in counted:
            text = tr(reason.reason).format_map(_Unknown(reason.params if self.log is not None else ()))
            key = (reason.kind, reason.column or "", text)
            totals[key] = totals.get(key, 0) + n
        table = pd.DataFrame([(*k, n) for k, n in totals.items()], columns=["outcome", "column", "reason", "rows"])
        if table.empty:
            return table.astype({"rows": np.int64})
        table["_rank"] = table["outcome"].map(lambda o: o != REJECTED)
        return (table.sort_values(["_rank", "rows"], ascending=[True, False], kind="stable")
                .drop(columns="_rank").reset_index(drop=True))

    def issue_frames(self, tr: Translator = lambda s: s) -> Iterator[pd.DataFrame]:
        """Every issue, as ``issues_frame`` (line, column, value, outcome, reason) but
        not bounded, a chunk at a time, built on demand from the compact log."""
        if self.log is not None:
            return self.log.frames(tr)
        return iter([self.issues_frame(tr)])

    def all_issues_frame(self, tr: Translator = lambda s: s) -> pd.DataFrame:
        """Every issue in one frame (large for a bad file)."""
        return pd.concat(list(self.issue_frames(tr)), ignore_index=True)


# --------------------------------------------------------------------------- input


class _Clock:
    """A load's time budget: ``check()`` raises a LoadError once it is spent. The
    readers and the checks call it between steps and every few thousand lines,
    so a load ends soon after its budget whatever the file."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise LoadError("Reading this file took longer than the {seconds} seconds allowed; it was not loaded.",
                            seconds=format(self.seconds, "g"))


_NO_LIMIT = _Clock(float("inf"))


def read_source(source: str | Path | bytes, *, limit: int | None = MAX_UPLOAD_BYTES,
                clock: _Clock = _NO_LIMIT) -> bytes:
    """Bytes from uploaded bytes, a local path, or an http(s) URL.

    ``limit`` applies to uploads and URLs. Local files named by the operator
    (``DASHBOARD_DATA``) are trusted and may be larger: pass ``limit=None``.
    A download stops when ``clock`` runs out.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif _is_address(source):
        if not source.lower().startswith(("http://", "https://")):
            raise LoadError("Only http:// and https:// addresses can be loaded, not {source}.", source=source)
        try:
            with urllib.request.urlopen(source, timeout=20) as resp:  # noqa: S310 (scheme checked above)
                parts, size, most = [], 0, (limit or 1 << 40) + 1
                while size < most and (part := resp.read(min(1 << 16, most - size))):
                    parts.append(part)
                    size += len(part)
                    clock.check()
                data = b"".join(parts)
        except OSError as exc:
            raise LoadError("Could not download {source}: {error}", source=source, error=str(exc)) from None
    else:
        path = Path(source)
        if not path.is_file():
            raise LoadError("The data file {source} does not exist.", source=str(path))
        data = path.read_bytes()
        limit = None
    if limit is not None and len(data) > limit:
        raise LoadError("The file is larger than the {limit} MB limit.", limit=MAX_UPLOAD_MB)
    return data


def _is_address(source: object) -> bool:
    return isinstance(source, str) and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source) is not None


def _read_input(source: str | Path | bytes, *, limit: int | None, clock: _Clock = _NO_LIMIT) -> bytes | Path:
    """``read_source``, except that a local file is not read here: the fast reader
    has pyarrow stream it from disk (a large file is never held whole in memory,
    and reading overlaps parsing); only the careful reader reads it whole."""
    if not isinstance(source, (bytes, bytearray, memoryview)) and not _is_address(source):
        path = Path(source)
        if path.is_file():
            return path
    return read_source(source, limit=limit, clock=clock)


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: UTF-8 (with or without BOM), else Windows-1252/Latin-1."""
    if b"\x00" in data[:8192]:
        raise LoadError("This is not a CSV text file (it looks binary).")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "UTF-8 (BOM)"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def _header_line(text: str) -> str:
    """The first line, which ends at the first LF or CR."""
    return re.match(r"[^\r\n]*", text).group()


def _first_line(text: str) -> str:
    """``text.split("\n", 1)[0]`` without copying the rest of a large file."""
    end = text.find("\n")
    return text if end < 0 else text[:end]


def sniff_delimiter(text: str) -> str:
    header = _first_line(text)
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def normalise_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lstrip("\ufeff").strip().lower())


def _parse_fast(text: str, sep: str, utf8: bytes | None = None) -> tuple[pd.DataFrame, np.ndarray] | None:
    """pyarrow parse; returns None when line numbers can't be derived directly
    (quoted newlines, blank lines) or the file is ragged.

    ``utf8``, when given, is exactly ``text.encode("utf-8")`` (the file as read):
    parsing and counting the bytes saves re-encoding a large file."""
    src = text if utf8 is None else utf8
    try:
        df = pd.read_csv(io.StringIO(text) if utf8 is None else io.BytesIO(utf8), sep=sep, dtype=str,
                         keep_default_na=False, engine="pyarrow")
    except Exception:  # ragged rows, odd quoting: the careful path handles and reports them
        return None
    nl = "\n" if utf8 is None else b"\n"
    body_lines = src.count(nl) + (0 if src.endswith(nl) else 1) - 1
    if body_lines != len(df):
        return None
    return df, np.arange(2, len(df) + 2)


MAX_RECORD_LINES = 50  # a quoted cell may span this many lines before the quote counts as broken
MAX_BROKEN_LINES = 10_000  # more lines than this with a broken quote: the file is refused
_WINDOW = 8192  # lines one csv reader may read before the careful reader takes stock
_BATCH = 65_536  # records per Arrow chunk (and issues per log batch) in the careful reader
_BLANK = " \t\n\r\x0b\x0c"  # whitespace that both str.strip and Arrow's utf8_trim_whitespace remove


class _RunawayQuote(Exception):
    """A quoted cell ran past MAX_RECORD_LINES: treat its first line as unreadable."""


class _Pending:
    """Issues of one reason found a row at a time, handed to the log in batches."""

    def __init__(self, log: IssueLog, reason: Issue, *, values: bool = True, per_row: tuple[str, ...] = ()) -> None:
        self.log, self.reason, self.keep_values, self.names = log, reason, values, per_row
        self.count = 0  # issues added, flushed or not
        self._reset()

    def _reset(self) -> None:
        self.lines = array("q")
        self.values: list[str] = []
        self.per_row = {name: array("q") for name in self.names}

    def add(self, line: int, value: str = "", **per_row: int) -> None:
        self.count += 1
        self.lines.append(line)
        if self.keep_values:
            self.values.append(value[:VALUE_CHARS])
        for name, v in per_row.items():
            self.per_row[name].append(v)
        if len(self.lines) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self.log.add(self.reason, np.array(self.lines, dtype=np.int64),
                         pa.array(self.values, type=pa.large_string()) if self.keep_values else None,
                         {name: np.array(a, dtype=np.int64) for name, a in self.per_row.items()})
        self._reset()


def _read_careful(text: str, sep: str, clock: _Clock = _NO_LIMIT,
                  max_rows: int | None = None) -> tuple[list[str], list[pa.ChunkedArray], np.ndarray, IssueLog]:
    """csv-module parse -> (header, one Arrow string column per header name, each
    row's first line, the rows rejected here).

    Line numbers are physical lines: a line ends at LF, CRLF, or a lone CR
    outside a quoted value (old Mac exports). A lone CR inside a quoted value is
    part of the value (a text editor of a CRLF file shows no break there), an
    LF inside one is a line break. The fast reader takes only files without a
    lone CR, whose lines end at LF or CRLF: the two agree.

    It knows each record's first line, reports ragged rows, and survives a broken
    quote: the line where it opens is reported (or read on its own, if it can
    be) and reading resumes on the next line, so no later row is swallowed.

    One pass over the text through a csv reader (no list of lines); records are
    gathered into Arrow chunks and rejections into the compact log, so memory
    stays a small multiple of the file. A record may span at most
    MAX_RECORD_LINES lines and each line is read a bounded number of times (no
    quadratic blow-up on files full of stray quotes); a file with more than
    MAX_BROKEN_LINES broken quotes is refused. A record with fewer or more
    fields than the header, all of them blank, is rejected as empty here (the
    checks would say the same), so a flood of them costs no rows. Past
    ``max_rows`` records the file is refused."""
    buf = io.StringIO(text, newline="")
    head = buf.readline()
    try:
        header = next(csv.reader([head.rstrip("\r\n")], delimiter=sep))
    except (StopIteration, csv.Error):
        raise LoadError("The header line could not be read.") from None
    width = len(header)
    log = IssueLog()
    empty = array("q")  # lines of blank records
    ragged = _Pending(log, Issue(None, None, "", "This row has {n} fields but the header has {m}.", REJECTED,
                                 (("m", width),)), per_row=("n",))
    unreadable = _Pending(log, Issue(None, None, "", "This line could not be read as CSV "
                                     "(a quote is not closed or is misplaced).", REJECTED))
    too_long = _Pending(log, Issue(None, None, "", "This line could not be read as CSV "
                                   "(a value is longer than {limit} characters).", REJECTED,
                                   (("limit", FIELD_LIMIT),)))
    batch: list[list[str]] = []
    pad = [""] * width
    chunks: list[list[pa.Array]] = [[] for _ in range(width)]
    starts = array("q")

    def flush() -> None:
        for k, values in enumerate(zip(*batch)):
            chunks[k].append(pa.array(values, type=pa.large_string()))
        batch.clear()

    def keep(rec: list[str], start: int) -> None:
        """A record (its first line ``start``) as a row, padded or cut to the header, or an issue."""
        n = len(rec)
        if n == width:
            batch.append(rec)
            starts.append(start)
        elif not n:
            return  # a blank line is not a row
        elif n > width and any(v.strip() for v in rec[width:]):
            ragged.add(start, sep.join(rec), n=n)
        elif not "".join(rec).strip(_BLANK):
            empty.append(start)
        else:
            batch.append(rec[:width] if n > width else rec + pad[n:])
            starts.append(start)
        if len(batch) >= _BATCH:
            flush()

    def refuse_long() -> None:
        records = len(starts) + len(empty) + ragged.count + unreadable.count + too_long.count
        if max_rows is not None and records > max_rows:
            _refuse_rows(max_rows)

    cr = "\r" in text
    line = 1  # lines read so far (the header)
    pos = buf.tell()  # where the current record begins
    size = _WINDOW  # lines the next reader may read
    broken, first_broken = 0, 0
    while True:
        # Each reader reads a window of lines from wherever buf is. A record that
        # does not end inside its window is read again in a window that starts
        # with it; after a broken record the window is MAX_RECORD_LINES + 1 lines
        # and doubles with each window read cleanly, so a quote that never closes
        # is read at most that far, and reading stays linear.
        clock.check()
        refuse_long()
        reader = csv.reader(islice(iter(buf.readline, ""), size), delimiter=sep, strict=True)
        seen = 0  # reader.line_num when the current record began
        try:
            for rec in reader:
                used = reader.line_num - seen
                if used > MAX_RECORD_LINES:
                    raise _RunawayQuote
                seen += used
                start = line + 1
                line += used
                if used > 1 and cr:  # the reader splits lines at every lone CR: not at those inside values
                    joined = sep.join(rec)
                    line -= joined.count("\r") - joined.count("\r\n")
                n = len(rec)
                if n == width or 0 < n < width and "".join(rec).strip(_BLANK):  # (keep()'s cases, inlined)
                    if n < width:
                        rec.extend(pad[n:])
                    batch.append(rec)
                    starts.append(start)
                    if len(batch) >= _BATCH:
                        flush()
                elif 0 < n < width:
                    empty.append(start)
                else:
                    keep(rec, start)
                pos = buf.tell()
        except csv.Error:
            if reader.line_num == size and 0 < seen and reader.line_num - seen <= MAX_RECORD_LINES:
                buf.seek(pos)  # the window ended inside a record: read it again from its start
                size = _WINDOW
                continue
        except _RunawayQuote:
            pass
        else:
            if reader.line_num < size:
                break  # the end of the text
            size = min(2 * size, _WINDOW)
            continue
        # a broken record: its first line on its own, then on from the next line
        start = line + 1
        buf.seek(pos)
        lone = buf.readline().rstrip("\r\n")
        line, pos, size = start, buf.tell(), MAX_RECORD_LINES + 1
        # the lenient reader may still read this line on its own, as pyarrow does ('"Title" extra')
        try:
            lenient = list(csv.reader([lone], delimiter=sep))
        except csv.Error:  # the line alone holds a value longer than the field limit
            too_long.add(start, lone)
            continue
        if lone.count('"') % 2 == 0 and len(lenient) == 1:
            keep(lenient[0], start)
        else:
            unreadable.add(start, lone)
        broken += 1
        first_broken = first_broken or start
        if broken > MAX_BROKEN_LINES:
            raise LoadError("This file has too many broken quotes to be read as CSV (a quote is not closed "
                            "or is misplaced), the first on line {line}.", line=first_broken)
    refuse_long()
    flush()
    for pending in (ragged, unreadable, too_long):
        pending.flush()
    log.add(Issue(None, None, "", "The row is empty.", REJECTED), np.array(empty, dtype=np.int64))
    columns = [pa.chunked_array(c, type=pa.large_string()) for c in chunks]
    if "\r\n" in text:  # a CRLF inside a value reads as LF, as in a file without lone CRs (made LF first)
        columns = [pc.replace_substring(c, "\r\n", "\n") if pc.any(pc.match_substring(c, "\r\n")).as_py() else c
                   for c in columns]
    return header, columns, np.array(starts, dtype=np.int64), log


def _parse_careful(text: str, sep: str) -> tuple[pd.DataFrame, np.ndarray, list[Issue]]:
    """``_read_careful`` as (a frame of strings, each row's first line, the issues)."""
    header, columns, lines, log = _read_careful(text, sep)
    frame = pd.DataFrame({k: c.to_pandas() for k, c in enumerate(columns)}, index=pd.RangeIndex(len(lines)))
    frame.columns = header
    return frame, lines, log.details(len(log))


# ----------------------------------------------------------------- value parsers


def _to_datetime(values: pd.Series, fmt: str) -> pd.Series:
    """``pd.to_datetime(values, format=fmt, errors="coerce")``, parsed once per
    distinct value (a date column has a few thousand; pandas' own cache first
    turns every row into a Python object, ~7x slower at a million rows)."""
    if len(values) < 1000:
        return pd.to_datetime(values, format=fmt, errors="coerce")
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    parsed = pd.to_datetime(pd.Series(uniques, dtype=values.dtype), format=fmt, errors="coerce")
    return pd.Series(parsed.to_numpy()[codes], index=values.index, name=values.name, dtype=parsed.dtype)


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """-> (datetime64 values, bad mask, widened mask) for stripped strings; '' is NaT, not bad."""
    full = _to_datetime(values, "%Y-%m-%d")
    missing = full.isna() & (values != "")
    widened = pd.Series(False, index=values.index)
    if missing.any():
        rest = values[missing]
        month = pd.to_datetime(rest.where(rest.str.fullmatch(r"\d{4}-\d{2}")), format="%Y-%m", errors="coerce")
        year = pd.to_datetime(rest.where(rest.str.fullmatch(r"\d{4}")), format="%Y", errors="coerce")
        part = month.fillna(year)
        full.loc[missing] = part
        widened.loc[missing] = part.notna()
    bad = full.isna() & (values != "")
    return full, bad, widened


def theme_slug(raw: str) -> str:
    key = fold(raw)
    if not key:
        return ""
    known = THEMES.lookup.get(key)
    return known or key.replace(" ", "_")


def parse_themes(raw: str, slug: Callable[[str], str] = theme_slug) -> str:
    parts = [slug(p) for p in re.split(r"[;|]", raw)]
    seen: list[str] = []
    for p in parts:
        if p and THEME_SLUG.match(p) and p not in seen:
            seen.append(p)
    return ";".join(seen)


# ---------------------------------------------------------------------- the load


def load(source: str | Path | bytes, *, name: str | None = None,
         limit: int | None = MAX_UPLOAD_BYTES, budget: float | None = None) -> LoadResult:
    """Load and validate. Never raises for bad input: file-level problems come
    back as ``result.fatal``, among them a load that takes longer than
    ``budget`` seconds (LOAD_SECONDS by default)."""
    label = name or (str(source) if not isinstance(source, (bytes, bytearray)) else "upload")
    clock = _Clock(LOAD_SECONDS if budget is None else budget)
    try:
        try:
            max_rows = contract.MAX_UPLOAD_ROWS if limit is not None else None
            return _load(_read_input(source, limit=limit, clock=clock), label, clock, max_rows)
        except FileNotFoundError:  # removed while it was being read
            raise LoadError("The data file {source} does not exist.", source=str(source)) from None
        except csv.Error as exc:  # every csv.Error the readers expect is handled where it arises
            raise LoadError("The file could not be read as CSV: {error}.", error=str(exc)) from None
    except LoadError as exc:
        fatal = Issue(None, None, "", exc.reason, FILE, tuple(exc.params.items()))
        return LoadResult(empty_frame(), [], 0, label, fatal=fatal)


def empty_frame() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype=str) for c in COLUMN_NAMES})
    for c in COLUMNS:
        if c.kind == "date":
            df[c.name] = pd.Series(dtype="datetime64[ns]")
    df["milestone"] = pd.Series(dtype=bool)
    df["line"] = pd.Series(dtype=int)
    return df


_NOT_SPACE = re.compile(rb"[^ \t\n\r\x0b\x0c]")  # what bytes.strip() keeps


@dataclass
class _Parsed:
    """A parsed file: the header as written, one Arrow string column per header
    name (no nulls, not stripped yet), each row's CSV line number, the rows the
    parser itself rejected (a log the checks add to), and file-level notes
    (encoding, delimiter)."""
    header: list[str]
    columns: list[pa.ChunkedArray]
    lines: np.ndarray
    log: IssueLog
    notes: list[Issue]


def _records(text: str, sep: str, most: int) -> int:
    """Records with at least one field, up to ``most``, as a lenient csv reader
    counts them at C speed (no row is kept). The careful reader, which splits
    broken quotes into lines, counts at least as many: this decides early that
    a file has too many rows, never that it has few enough."""
    try:
        return sum(1 for _ in islice(filter(None, csv.reader(io.StringIO(text, newline=""), delimiter=sep)), most))
    except csv.Error:
        return 0


def _refuse_rows(limit: int) -> None:
    raise LoadError("The file has more than {limit} rows; an uploaded file may have at most {limit}.", limit=limit)


def _load(data: bytes | Path, label: str, clock: _Clock = _NO_LIMIT, max_rows: int | None = None) -> LoadResult:
    """``max_rows``: more rows than this refuse the file (None: any number)."""
    src = data if isinstance(data, Path) else pa.py_buffer(data)
    if not any(_NOT_SPACE.search(part) for part in _chunks(src)):  # == not data.strip(), in pieces
        raise LoadError("The file is empty.")
    _refuse_wide(src)
    # the fast reader parses the whole file: with more lines than rows allowed, the
    # careful one counts the rows (blank lines and line breaks in values are no rows)
    too_many = max_rows is not None and _line_feeds(src) > max_rows + 1
    parsed = None if too_many else _read_fast(src)
    clock.check()
    if parsed is None:
        parsed = _read_general(data if isinstance(data, bytes) else read_source(data, limit=None), clock, max_rows)
        clock.check()
    del src, data  # the columns hold all that is needed from here on

    names = [normalise_header(c) for c in parsed.header]
    _refuse_repeats(names)
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise LoadError(
            "Required column(s) missing: {missing}. Expected at least: {expected}.",
            missing=", ".join(missing), expected=", ".join(REQUIRED))
    log = parsed.log
    rows_in_file = len(parsed.lines) + log.rows(REJECTED)
    if rows_in_file == 0:
        raise LoadError("The file has a header but no rows. Expected columns: {expected}.",
                        expected=", ".join(REQUIRED))

    columns = dict(zip(names, parsed.columns))
    blank = _blank(len(parsed.lines))  # one array for every missing column (Arrow arrays are immutable)
    for c in COLUMN_NAMES:
        if c not in columns:
            columns[c] = blank
    extra = tuple(c for c in columns if c not in BY_NAME)
    checker = _Checker(columns, parsed.lines, log)
    del columns
    clock.check()
    frame = checker.run(clock)
    result = LoadResult(frame, log.details(), rows_in_file, label, extra_columns=extra, notes=parsed.notes, log=log)
    assert len(frame) + result.rejected_rows == rows_in_file, "loader lost a row"
    return result


def _notes(encoding: str, sep: str) -> list[Issue]:
    notes = []
    if encoding not in ("UTF-8", "UTF-8 (BOM)"):
        notes.append(Issue(None, None, "", "The file was read as {encoding} text.", FILE, (("encoding", encoding),)))
    if sep == "\t":
        notes.append(Issue(None, None, "", "Columns are separated by tabs.", FILE))
    elif sep != ",":
        notes.append(Issue(None, None, "", "Columns are separated by '{sep}'.", FILE, (("sep", sep),)))
    return notes


def _header_names(line: str, sep: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(line), delimiter=sep))
    except (StopIteration, csv.Error):
        return []


def _refuse_repeats(names: list[str]) -> None:
    """A LoadError naming every header name (normalised) that occurs more than once."""
    index = pd.Index(names, dtype=object)
    dupes = sorted(set(index[index.duplicated()]))
    if dupes:
        raise LoadError("The header repeats the column(s): {columns}.", columns=", ".join(dupes))


def _refuse_wide(src: pa.Buffer | Path) -> None:
    """A LoadError when the first line has more than MAX_COLUMNS fields, counted
    before any parse (the checks are per column: a 100k-column header is no data
    file). Delimiters and quotes are ASCII, so Latin-1 reads them right whatever
    the encoding."""
    line = _head_line(src).removeprefix(_BOM)
    end = line.find(b"\r")
    text = (line if end < 0 else line[:end]).decode("latin-1")
    count = len(_header_names(text, sniff_delimiter(text)))
    if count > MAX_COLUMNS:
        raise LoadError("The header has {count} columns; at most {limit} are allowed.",
                        count=count, limit=MAX_COLUMNS)


# ----------------------------------------------------------- the careful reader


def _read_general(data: bytes, clock: _Clock = _NO_LIMIT, max_rows: int | None = None) -> _Parsed:
    """Any file: decoded to text (UTF-8, else Windows-1252/Latin-1), CRLF made
    LF, parsed by pandas if the line numbers follow from the row count, else by
    the csv module, which reports ragged rows and broken quotes. A lone CR is
    left to the csv module: a line break outside quotes, a character inside."""
    text, encoding = decode(data)
    same_bytes = encoding == "UTF-8"  # text.encode() == data until a line ending is rewritten
    if "\r" in text:
        same_bytes = False
        if text.count("\r") == text.count("\r\n"):  # (with a lone CR, "\r\r\n" would become one break)
            text = text.replace("\r\n", "\n")
    head = _header_line(text)
    sep = sniff_delimiter(head)
    notes = _notes(encoding, sep)
    _refuse_repeats([normalise_header(c) for c in _header_names(head, sep)])

    too_many = max_rows is not None and text.count("\n") + text.count("\r") > max_rows + 1
    if too_many and _records(text, sep, max_rows + 2) > max_rows + 1:  # the header and more than max_rows
        _refuse_rows(max_rows)
    fast = None if "\r" in text or too_many else _parse_fast(text, sep, data if same_bytes else None)
    clock.check()
    if fast is None:
        header, columns, lines, log = _read_careful(text, sep, clock, max_rows)
        return _Parsed(header, columns, lines, log, notes)
    del text
    raw, lines = fast
    columns = [_arrow_text(raw.iloc[:, k]) for k in range(raw.shape[1])]
    return _Parsed([str(c) for c in raw.columns], columns, lines, IssueLog(), notes)


def _arrow_text(values: pd.Series) -> pa.ChunkedArray:
    arr = pa.array(values.array if isinstance(values.dtype, pd.StringDtype) else values.to_numpy(object),
                   type=pa.large_string(), from_pandas=True)
    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr], type=pa.large_string())
    return arr.cast(pa.large_string()) if arr.type != pa.large_string() else arr


# -------------------------------------------------------------- the fast reader

_BOM = b"\xef\xbb\xbf"
_SCAN = 1 << 20  # bytes per numpy pass when counting line breaks
_BLOCK = 4 << 20  # pyarrow block size (fewer, larger chunks than its 1 MB default)


def _chunks(src: pa.Buffer | Path) -> Iterator[memoryview]:
    """The bytes of ``src`` in pieces of up to _SCAN bytes. A file is read into one
    reused buffer: use each piece before asking for the next."""
    if isinstance(src, Path):
        buf = bytearray(_SCAN)
        view = memoryview(buf)
        with open(src, "rb", buffering=0) as f:
            while k := f.readinto(buf):
                yield view[:k]
    else:
        view = memoryview(src)
        for at in range(0, len(view), _SCAN):
            yield view[at: at + _SCAN]


def _identity(src: pa.Buffer | Path) -> tuple | None:
    """What says a file is still the one being read (inode, size, mtime); None for a buffer."""
    if isinstance(src, Path):
        st = src.stat()
        return st.st_ino, st.st_size, st.st_mtime_ns
    return None


def _head(src: pa.Buffer | Path, size: int) -> bytes:
    if isinstance(src, Path):
        with open(src, "rb") as f:
            return f.read(size)
    return memoryview(src)[:size].tobytes()


def _head_line(src: pa.Buffer | Path) -> bytes:
    """The bytes of the first line, without its line break."""
    size = 1 << 16
    while True:
        head = _head(src, size)
        end = head.find(b"\n")
        if end >= 0:
            return head[:end]
        if len(head) < size:
            return head
        size *= 8


def _line_feeds(src: pa.Buffer | Path) -> int:
    """How many LF bytes the file holds."""
    return sum(int(np.count_nonzero(np.frombuffer(piece, dtype=np.uint8) == 10)) for piece in _chunks(src))


def _line_breaks(src: pa.Buffer | Path) -> tuple[int, bool] | None:
    """How many LF bytes the file holds, and whether its last byte is one; None if
    it has a CR that does not start a CRLF (old Mac line breaks, or a CR inside a
    value), which the careful reader turns into a line break."""
    count, cr_last, last = 0, False, -1
    for piece in _chunks(src):
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


def _read_fast(src: pa.Buffer | Path) -> _Parsed | None:
    """A UTF-8 file (BOM or not) with one row per line, parsed by pyarrow from
    its bytes (an upload's buffer, or a local file streamed from disk): no
    decoding of the whole file to text. Returns None whenever the
    careful reader must decide (another encoding, a lone CR, a header pyarrow
    and the csv module read differently, blank lines, quoted line breaks,
    ragged rows): that path gives the same result, more slowly.

    Line numbers follow from the row count only when the file has exactly one
    line per row, which is checked: rows == LF count (+1 without a final LF) - 1."""
    before = _identity(src)
    if b"\x00" in _head(src, 8192):
        return None  # decode() says it is binary
    line = _head_line(src)
    if line.startswith(_BOM):
        line = line[len(_BOM):]
    if line.endswith(b"\r"):
        line = line[:-1]
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None
    sep = sniff_delimiter(text)
    header = _header_names(text, sep)
    names = [normalise_header(c) for c in header]
    if not header or "" in header or len(set(names)) < len(names):
        return None  # pandas would rename empty names; repeated names are reported by the careful reader
    with ThreadPoolExecutor(max_workers=1) as pool:  # counted while pyarrow parses (it leaves a core idle at times)
        counting = pool.submit(_line_breaks, src)
        try:
            # a file as a plain stream: no decompression guessed from its name
            with (pa.input_stream(str(src), compression=None) if isinstance(src, Path)
                  else pa.BufferReader(src)) as stream:
                table = pa_csv.read_csv(
                    stream, read_options=pa_csv.ReadOptions(block_size=_BLOCK),
                    parse_options=pa_csv.ParseOptions(delimiter=sep),
                    convert_options=pa_csv.ConvertOptions(column_types={c: pa.large_string() for c in header},
                                                          strings_can_be_null=False))
        except (pa.ArrowException, ValueError):  # ragged rows, invalid UTF-8, odd quoting
            return None
        finally:
            breaks = counting.result()
    if breaks is None or _identity(src) != before:  # replaced or rewritten while read: read it once, whole
        return None
    if table.column_names != header or any(t != pa.large_string() for t in table.schema.types):
        return None
    count, ends_with_lf = breaks
    if count + (0 if ends_with_lf else 1) - 1 != table.num_rows:
        return None
    return _Parsed(header, list(table.columns), np.arange(2, table.num_rows + 2), IssueLog(), _notes("UTF-8", sep))


# ------------------------------------------------------- Arrow string helpers


def _blank(n: int) -> pa.ChunkedArray:
    """``n`` empty strings."""
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(np.zeros(n + 1, dtype=np.int64)), pa.py_buffer(b""))
    return pa.chunked_array([arr], type=pa.large_string())


def _utf8(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, UTF-8 bytes) of a large_string array, offsets indexing the bytes."""
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)[chunk.offset: chunk.offset + len(chunk) + 1]
    data = chunk.buffers()[2]
    return offsets, (np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8))


# A value may need stripping only if its first or last byte is ASCII space or
# control (<= 0x20) or part of a non-ASCII character (>= 0x80): a superset of
# every character utf8_trim_whitespace removes.
_EDGE = np.zeros(256, dtype=bool)
_EDGE[:0x21] = True
_EDGE[0x80:] = True


def _may_need_strip(col: pa.ChunkedArray) -> bool:
    for chunk in col.chunks:
        if chunk.null_count:
            return True
        offsets, data = _utf8(chunk)
        if not len(data) or len(offsets) < 2:
            continue
        last = len(data) - 1
        # an empty value reads a byte of a neighbour: more work at worst, never less
        if _EDGE[data[np.minimum(offsets[:-1], last)]].any() or _EDGE[data[np.maximum(offsets[1:] - 1, 0)]].any():
            return True
    return False


def _strip(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """``Series.str.strip()`` of an Arrow string column, skipped when no value
    starts or ends with a byte that could be whitespace."""
    return pc.utf8_trim_whitespace(col) if _may_need_strip(col) else col


def _bools(values: pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow column (no nulls) as a numpy array."""
    if not len(values):
        return np.zeros(0, dtype=bool)
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=bool)


def _to_pandas_text(col: pa.ChunkedArray | pa.Array) -> pd.Series:
    """The column in pandas' default string dtype (what ``pd.read_csv(dtype=str)`` gives)."""
    return col.to_pandas()


def _take(values: pd.Series, codes: np.ndarray) -> pd.Series:
    """The distinct values' results, back at the rows (the dtype as it is: no re-inference)."""
    return pd.Series(values.array.take(codes), dtype=values.dtype, copy=False)


# ----------------------------------------------------------------- the checks


def _map_uniques(uniques: pd.Series, fn: Callable[[str], object]) -> pd.Series:
    """``fn`` of each distinct value (the dtype is inferred as for a per-row map)."""
    return uniques.map({u: fn(u) for u in uniques})


_URL_RE = re.compile(URL_PATTERN, re.IGNORECASE)

# ID_PATTERN is one allowed first character then allowed characters, all ASCII:
# as byte tables, derived from the pattern itself.
_ID_RE = re.compile(ID_PATTERN)
_ID_FIRST = np.array([b < 0x80 and _ID_RE.fullmatch(chr(b)) is not None for b in range(256)])
_ID_NEXT = np.array([b < 0x80 and _ID_RE.fullmatch("0" + chr(b)) is not None for b in range(256)])
assert _ID_RE.fullmatch("0") and not (_ID_FIRST & ~_ID_NEXT).any(), "ID_PATTERN no longer fits _id_ok"


def _id_ok(col: pa.ChunkedArray) -> np.ndarray:
    """``col`` fully matches ID_PATTERN, per value (byte tables: ~5x faster than the regex)."""
    parts = []
    for chunk in col.chunks:
        offsets, data = _utf8(chunk)
        data = data[offsets[0]: offsets[-1]]
        starts, lengths = offsets[:-1] - offsets[0], np.diff(offsets)
        ok = lengths > 0
        ok[ok] = _ID_FIRST[data[starts[ok]]]
        wrong = np.flatnonzero(~_ID_NEXT[data])
        if len(wrong):
            ok[np.searchsorted(starts, wrong, side="right") - 1] = False
        parts.append(ok)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def _dictionary(col: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """(code of each row, distinct values in order of first appearance)."""
    enc = col.dictionary_encode()
    chunks = enc.chunks
    if chunks and not all(_same_buffers(ch.dictionary, chunks[0].dictionary) for ch in chunks[1:]):
        enc = col.combine_chunks().dictionary_encode()  # not one shared dictionary: make it one
        chunks = [enc]
    if not chunks:
        return np.zeros(0, dtype=np.int32), pa.array([], type=col.type)
    codes = np.concatenate([ch.indices.to_numpy(zero_copy_only=False) for ch in chunks])
    return codes, chunks[0].dictionary


def _encode(col: pa.ChunkedArray) -> tuple[np.ndarray, pd.Series, bool]:
    """-> (code of each row, the distinct values *stripped*, whether stripping changed any).

    Stripping the distinct values instead of the rows: two of them may become
    equal (' a', 'a'), which is harmless, as results are looked up by code."""
    codes, dictionary = _dictionary(col)
    stripped = pc.utf8_trim_whitespace(dictionary) if _may_need_strip(pa.chunked_array([dictionary])) else dictionary
    return codes, stripped.to_pandas(), stripped is not dictionary and not stripped.equals(dictionary)


def _same_buffers(a: pa.Array, b: pa.Array) -> bool:
    return len(a) == len(b) and all(
        (x is None and y is None) or (x is not None and y is not None and x.address == y.address)
        for x, y in zip(a.buffers(), b.buffers()))


# Columns whose values are few and checked or mapped: dictionary-encoded, checked
# (and stripped) once per distinct value. The others (id, text) are stripped as columns.
_CODED = frozenset(c.name for c in COLUMNS if c.kind not in ("id", "text"))
_PARALLEL_ROWS = 50_000  # from here, prepare columns on two threads (Arrow kernels release the GIL)


def _prepare(item: tuple[str, pa.ChunkedArray]) -> tuple[str, object]:
    name, col = item
    return name, (_encode(col) if name in _CODED else _strip(col))


class _Checker:
    """Column-by-column checks; logs issues (``log``) and keeps a mask of rejected rows.

    Columns come as Arrow strings (no nulls, not stripped) from either reader.
    The contract's coded columns (``_CODED``) are dictionary-encoded and every
    check or mapping runs once per distinct value, reaching the rows through
    the codes; the text columns are stripped (only if a value needs it)."""

    def __init__(self, columns: dict[str, pa.ChunkedArray], lines: np.ndarray, log: IssueLog | None = None) -> None:
        self.lines = lines
        self.log = log if log is not None else IssueLog()
        self.n = len(lines)
        self.order = list(columns)
        if self.n >= _PARALLEL_ROWS:
            with ThreadPoolExecutor(max_workers=2) as pool:
                prepared = dict(pool.map(_prepare, columns.items()))
        else:
            prepared = dict(map(_prepare, columns.items()))
        self.raw = {c: columns[c] for c in columns if c in _CODED}  # for coded columns that are output as text
        self.cols = {c: v for c, v in prepared.items() if c not in _CODED}  # stripped text columns
        self.coded = {c: v for c, v in prepared.items() if c in _CODED}
        self.bad = np.zeros(self.n, dtype=bool)
        self.live = np.ones(self.n, dtype=bool)  # False for empty rows: one issue each is enough
        self.clock = _NO_LIMIT
        self._empty: dict[str, np.ndarray] = {}
        self._uniques: dict[str, pa.Array] = {}

    # --- column views

    def empty(self, column: str) -> np.ndarray:
        hit = self._empty.get(column)
        if hit is None:
            if column in self.coded:
                codes, uniques = self.encoded(column)
                hit = (uniques.str.len() == 0).to_numpy(dtype=bool)[codes]
            else:
                hit = _bools(pc.equal(pc.binary_length(self.cols[column]), 0))
            self._empty[column] = hit
        return hit

    def encoded(self, column: str) -> tuple[np.ndarray, pd.Series]:
        """(code of each row, the distinct stripped values as a pandas Series)."""
        codes, uniques, _changed = self.coded[column]
        return codes, uniques

    def text(self, column: str) -> pa.ChunkedArray:
        """The stripped values of a column, as Arrow strings."""
        if column in self.cols:
            return self.cols[column]
        codes, uniques, changed = self.coded[column]
        return pc.utf8_trim_whitespace(self.raw[column]) if changed else self.raw[column]

    def cells(self, column: str, idx: np.ndarray) -> pa.Array:
        """The stripped values at rows ``idx``, cut to VALUE_CHARS characters, for a report."""
        if column in self.coded:
            codes, uniques = self.encoded(column)
            if column not in self._uniques:
                self._uniques[column] = pa.array(uniques.to_numpy(dtype=object), type=pa.large_string())
            values = self._uniques[column].take(pa.array(codes[idx]))
        else:
            values = self.cols[column].take(pa.array(idx)).combine_chunks()
        return pc.utf8_slice_codeunits(values, 0, VALUE_CHARS)

    def mapped(self, column: str, results: pd.Series, rows: np.ndarray | None) -> pd.Series:
        """``results`` (one per distinct value) at the kept ``rows``. When every
        result is its value unchanged (already a slug, already canonical) the
        column itself is that: no new strings are made."""
        codes, uniques = self.encoded(column)
        if results.dtype == uniques.dtype and results.equals(uniques):
            col = self.text(column)
            return _to_pandas_text(col if rows is None else col.take(pa.array(rows)))
        return _take(results, codes if rows is None else codes[rows])

    def duplicated(self, column: str) -> tuple[np.ndarray, np.ndarray | None]:
        """(rows whose value an earlier row already has, index of the first such row per row)."""
        col = self.cols[column]
        if self.n < 2:
            return np.zeros(self.n, dtype=bool), None
        flat = col.combine_chunks()
        if pc.all(pc.less(flat.slice(0, self.n - 1), flat.slice(1))).as_py():
            return np.zeros(self.n, dtype=bool), None  # strictly increasing: all distinct
        enc = flat.dictionary_encode()
        codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        # dictionary_encode numbers values in order of first appearance: a row
        # repeats an earlier value iff its code is not above every earlier code
        seen = np.empty(self.n, dtype=np.int64)
        seen[0] = -1
        np.maximum.accumulate(codes[:-1], out=seen[1:])
        dup = codes <= seen
        firsts = np.flatnonzero(~dup)
        if not np.array_equal(codes[firsts], np.arange(len(enc.dictionary))):  # not in that order after all
            _, firsts = np.unique(codes, return_index=True)
            dup = np.ones(self.n, dtype=bool)
            dup[firsts] = False
        return dup, firsts[codes]

    # --- issues

    def flag(self, mask: np.ndarray, column: str | None, reason: str, kind: str = REJECTED,
             params: dict | None = None,
             per_row: Callable[[np.ndarray], dict[str, np.ndarray]] | None = None) -> None:
        """Log ``reason`` for the live rows in ``mask``. ``params`` are the message's
        parameters that all those rows share; ``per_row(idx)`` gives the others, one
        per flagged row; ``{value}`` is the row's cell in ``column``."""
        self.clock.check()
        mask = mask & self.live
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        self.log.add(Issue(None, column, "", reason, kind, tuple((params or {}).items())), self.lines[idx],
                     self.cells(column, idx) if column else None, per_row(idx) if per_row else None)
        if kind == REJECTED:
            self.bad |= mask

    def vocab(self, column: str, vocabulary, *, reject: bool) -> tuple[np.ndarray, pd.Series]:
        """-> (codes, slug or NaN per distinct value)."""
        table = vocabulary.lookup
        codes, uniques = self.encoded(column)
        mapped = _map_uniques(uniques, lambda v: table.get(fold(v)))
        unknown = mapped.isna().to_numpy()[codes]
        allowed = ", ".join(vocabulary.slugs)
        if reject:
            self.flag(unknown, column, "'{value}' is not a known {name}. Use one of: {allowed}.",
                      params={"name": vocabulary.name, "allowed": allowed})
        else:
            self.flag(unknown & ~self.empty(column), column,
                      "'{value}' is not a known {name} ({allowed}); it was left empty.", CORRECTED,
                      params={"name": vocabulary.name, "allowed": allowed})
        return codes, mapped

    def run(self, clock: _Clock = _NO_LIMIT) -> pd.DataFrame:
        self.clock = clock  # checked by each flag() and between the slower steps
        empty_row = np.ones(self.n, dtype=bool)
        for c in COLUMN_NAMES:
            if not empty_row.any():
                break
            empty_row &= self.empty(c)
        self.flag(empty_row, None, "The row is empty.")
        self.live = live = ~empty_row

        for c in REQUIRED:
            if c == "status":
                continue  # empty status is read as 'unknown' below
            self.flag(live & self.empty(c), c, "The required value '{column}' is empty.", params={"column": c})

        self.flag(live & ~self.empty("id") & ~_id_ok(self.cols["id"]),
                  "id", "The id may only use letters, digits, '.', '_' and '-', and must start with a letter or digit.")
        dup, first = self.duplicated("id")
        dup &= live & ~self.empty("id")
        if dup.any():
            self.flag(dup, "id", "Duplicate id: it is already used on line {first}.",
                      per_row=lambda idx: {"first": self.lines[first[idx]]})

        pillar_codes, pillar = self.vocab("pillar", PILLARS, reject=True)
        status_codes, status = self.vocab("status", STATUSES, reject=True)
        self.flag(live & self.empty("status"), "status", "Empty status read as 'unknown'.", CORRECTED)
        confidence_codes, confidence = self.vocab("confidence", CONFIDENCE, reject=False)

        url_codes, urls = self.encoded("source_url")
        url_bad = np.array([u != "" and _URL_RE.match(u) is None for u in urls], dtype=bool)
        self.flag(url_bad[url_codes], "source_url", "The link must be a web address starting with http:// or https://.")

        dates: dict[str, tuple[np.ndarray, pd.Series]] = {}
        for c in (col.name for col in COLUMNS if col.kind == "date"):
            codes, uniques = self.encoded(c)
            values, bad_u, widened_u = parse_dates(uniques)
            bad, widened = bad_u.to_numpy(dtype=bool)[codes], widened_u.to_numpy(dtype=bool)[codes]
            if c == "last_updated":
                self.flag(bad, c, "'{value}' is not a date (YYYY-MM-DD); it was left empty.", CORRECTED)
            else:
                self.flag(bad, c, "'{value}' is not a date. Use YYYY-MM-DD (or YYYY-MM, YYYY).")
            read_as = values.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
            self.flag(widened & ~bad, c, "'{value}' was read as {date}, the start of that period.", CORRECTED,
                      per_row=lambda idx, d=read_as, k=codes: {"date": d[k[idx]]})
            dates[c] = (codes, values)
        end = dates["end_date"][1].to_numpy()[dates["end_date"][0]]
        start = dates["start_date"][1].to_numpy()[dates["start_date"][0]]
        backwards = ~np.isnat(end) & ~np.isnat(start) & (end < start)
        self.flag(backwards, "end_date", "The end date {end} is before the start date {start}.",
                  per_row=lambda idx: {c: self.cells(f"{c}_date", idx).to_numpy(zero_copy_only=False)
                                       for c in ("end", "start")})
        del end, start, backwards

        ms_codes, ms_uniques = self.encoded("milestone")
        ms = _map_uniques(ms_uniques, fold)
        truthy = ms.isin(TRUE_WORDS).to_numpy(dtype=bool)
        falsy = ms.isin(FALSE_WORDS).to_numpy(dtype=bool)
        self.flag(~truthy[ms_codes] & ~falsy[ms_codes], "milestone",
                  "'{value}' is not true or false; it was read as false.", CORRECTED)

        theme_codes, theme_uniques = self.encoded("themes")
        slugs: dict[str, str] = {}  # theme_slug per part, across all the distinct values
        themes = _map_uniques(theme_uniques, lambda v: parse_themes(
            v, lambda p: slugs[p] if p in slugs else slugs.setdefault(p, theme_slug(p))))
        clock.check()

        keep = ~self.bad
        rows = None if keep.all() else np.flatnonzero(keep)

        def kept(codes: np.ndarray) -> np.ndarray:
            return codes if rows is None else codes[rows]

        out: dict[str, object] = {}
        for c in self.order:
            if c in self.cols or c == "source_url":
                col = self.text(c)
                out[c] = _to_pandas_text(col if rows is None else col.take(pa.array(rows)))
            else:
                out[c] = None  # set below, in this position
        out["pillar"] = pd.Categorical.from_codes(
            pd.Index(PILLARS.slugs).get_indexer(pillar)[kept(pillar_codes)], categories=PILLARS.slugs)
        out["status"] = pd.Categorical.from_codes(
            pd.Index(STATUSES.slugs).get_indexer(status.fillna("unknown"))[kept(status_codes)],
            categories=STATUSES.slugs)
        out["confidence"] = self.mapped("confidence", confidence.fillna(""), rows)
        for c, (codes, values) in dates.items():
            out[c] = _take(values, kept(codes))
        out["milestone"] = truthy[kept(ms_codes)]
        out["themes"] = self.mapped("themes", themes, rows)
        out["line"] = self.lines if rows is None else self.lines[rows]
        return pd.DataFrame(out, copy=False)


def theme_index(frame: pd.DataFrame) -> pd.DataFrame:
    """Long (row, theme) table so theme filters and counts are vectorised.

    Multi-theme rows appear once per theme."""
    try:  # Arrow split: ~10x faster than a Python split per row
        import pyarrow as pa
        import pyarrow.compute as pc

        col = frame["themes"]
        if pd.api.types.is_string_dtype(col.dtype) and col.dtype != object:
            arr = pa.array(col)
            if len(arr) >= _PARALLEL_ROWS and not arr.null_count:
                return _theme_index_coded(arr, frame.index.to_numpy(), col.dtype)
            lists = pc.split_pattern(arr, ";")
            flat = pc.list_flatten(lists)
            parent = pc.list_parent_indices(lists).to_numpy()
            keep = pc.fill_null(pc.not_equal(flat, ""), False).to_numpy(zero_copy_only=False)
            theme = pc.filter(flat, pa.array(keep)).to_numpy(zero_copy_only=False)
            return pd.DataFrame({"row": frame.index.to_numpy()[parent[keep]], "theme": _categories(theme, col.dtype)})
    except (ImportError, TypeError, ValueError, NotImplementedError):
        pass
    exploded = frame["themes"].str.split(";").explode()
    exploded = exploded[exploded.notna() & (exploded != "")]
    return pd.DataFrame({"row": exploded.index.to_numpy(),
                         "theme": _categories(exploded.to_numpy(dtype=object), frame["themes"].dtype)})


def _categories(values: np.ndarray, dtype) -> pd.Categorical:
    """Theme names as a categorical with sorted categories (the same from every path)."""
    codes, names = pd.factorize(values, sort=True)
    return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=dtype if dtype != object else None))


def _theme_index_coded(arr: pa.Array | pa.ChunkedArray, index: np.ndarray, dtype) -> pd.DataFrame:
    """``theme_index`` splitting each distinct value once (a file has a few
    thousand theme combinations), then expanding to the rows with numpy."""
    codes, dictionary = _dictionary(arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr]))
    lists = pc.split_pattern(dictionary, ";")
    flat = pc.list_flatten(lists)
    keep = pc.not_equal(flat, "").to_numpy(zero_copy_only=False)
    pieces = flat.filter(pa.array(keep))
    per_value = np.bincount(pc.list_parent_indices(lists).to_numpy()[keep], minlength=len(dictionary))
    first_piece = np.cumsum(per_value) - per_value
    per_row = per_value[codes]
    first_out = np.cumsum(per_row) - per_row
    total = int(per_row.sum())
    which = np.repeat(first_piece[codes] - first_out, per_row) + np.arange(total)
    # a categorical over the distinct themes: integer codes, no string copied per row
    piece_codes, names = pd.factorize(pieces.to_numpy(zero_copy_only=False), sort=True)
    theme = pd.Categorical.from_codes(piece_codes[which], categories=pd.Index(names, dtype=dtype))
    return pd.DataFrame({"row": np.repeat(index, per_row), "theme": theme})
