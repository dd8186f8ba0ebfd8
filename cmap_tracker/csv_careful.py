"""The careful reader: any text, through the csv module, a window of lines at a time.
It knows each record's physical line, reports ragged rows and broken quotes, and
stays linear whatever the quotes."""

from __future__ import annotations

import csv
import io
from array import array
from itertools import islice

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .contract import MAX_UPLOAD_BYTES
from .report import REJECTED, VALUE_CHARS, Issue, IssueLog, LoadError
from .sources import (
    NO_LIMIT,
    Clock,
    Parsed,
    decode,
    file_notes,
    header_line,
    header_names,
    normalise_header,
    refuse_repeats,
    sniff_delimiter,
)

# The csv module refuses a value longer than its field limit (128 Ki characters by
# default). Any value of an upload must be readable: the limit is at least the
# upload limit. (It is process-wide; it is only ever raised here.)
FIELD_LIMIT = max(csv.field_size_limit(), MAX_UPLOAD_BYTES)
csv.field_size_limit(FIELD_LIMIT)

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
            self.log.add(
                self.reason,
                np.array(self.lines, dtype=np.int64),
                pa.array(self.values, type=pa.large_string()) if self.keep_values else None,
                {name: np.array(a, dtype=np.int64) for name, a in self.per_row.items()},
            )
        self._reset()


class _Reader:
    """One careful read of a text (see ``read_text``): the records so far, as Arrow
    chunks, each one's first line, and the rows rejected on the way."""

    def __init__(self, text: str, sep: str, clock: Clock, max_rows: int | None) -> None:
        self.buf = io.StringIO(text, newline="")
        try:
            self.header = next(csv.reader([self.buf.readline().rstrip("\r\n")], delimiter=sep))
        except (StopIteration, csv.Error):
            raise LoadError("The header line could not be read.") from None
        self.text, self.sep, self.clock, self.max_rows = text, sep, clock, max_rows
        self.width = width = len(self.header)
        self.log = log = IssueLog()
        self.empty = array("q")  # lines of blank records
        self.ragged = _Pending(
            log,
            Issue(None, None, "", "This row has {n} fields but the header has {m}.", REJECTED, (("m", width),)),
            per_row=("n",),
        )
        self.unreadable = _Pending(
            log,
            Issue(
                None, None, "", "This line could not be read as CSV (a quote is not closed or is misplaced).", REJECTED
            ),
        )
        self.too_long = _Pending(
            log,
            Issue(
                None,
                None,
                "",
                "This line could not be read as CSV (a value is longer than {limit} characters).",
                REJECTED,
                (("limit", FIELD_LIMIT),),
            ),
        )
        self.batch: list[list[str]] = []
        self.pad = [""] * width
        self.chunks: list[list[pa.Array]] = [[] for _ in range(width)]
        self.starts = array("q")
        self.cr = "\r" in text
        self.line = 1  # lines read so far (the header)
        self.pos = self.buf.tell()  # where the current record begins
        self.broken, self.first_broken = 0, 0

    def flush(self) -> None:
        for k, values in enumerate(zip(*self.batch)):
            self.chunks[k].append(pa.array(values, type=pa.large_string()))
        self.batch.clear()

    def keep(self, rec: list[str], start: int) -> None:
        """A record (its first line ``start``) as a row, padded or cut to the header, or an issue."""
        n, width = len(rec), self.width
        if n == width:
            self.batch.append(rec)
            self.starts.append(start)
        elif not n:
            return  # a blank line is not a row
        elif n > width and any(v.strip() for v in rec[width:]):
            self.ragged.add(start, self.sep.join(rec), n=n)
        elif not "".join(rec).strip(_BLANK):
            self.empty.append(start)
        else:
            self.batch.append(rec[:width] if n > width else rec + self.pad[n:])
            self.starts.append(start)
        if len(self.batch) >= _BATCH:
            self.flush()

    def refuse_long(self) -> None:
        records = len(self.starts) + len(self.empty) + self.ragged.count + self.unreadable.count + self.too_long.count
        if self.max_rows is not None and records > self.max_rows:
            refuse_rows(self.max_rows)

    def read(self) -> tuple[list[str], list[pa.ChunkedArray], np.ndarray, IssueLog]:
        # Each reader reads a window of lines from wherever buf is. A record that
        # does not end inside its window is read again in a window that starts
        # with it; after a broken record the window is MAX_RECORD_LINES + 1 lines
        # and doubles with each window read cleanly, so a quote that never closes
        # is read at most that far, and reading stays linear.
        size: int | None = _WINDOW
        while size is not None:
            self.clock.check()
            self.refuse_long()
            size = self.window(size)
        return self.finish()

    def window(self, size: int) -> int | None:
        """Read up to ``size`` lines -> the size of the next window; None at the end of the text."""
        reader = csv.reader(islice(iter(self.buf.readline, ""), size), delimiter=self.sep, strict=True)
        seen = 0  # reader.line_num when the current record began
        try:
            for rec in reader:
                used = reader.line_num - seen
                if used > MAX_RECORD_LINES:
                    raise _RunawayQuote
                seen += used
                self.record(rec, used)
                self.pos = self.buf.tell()
        except csv.Error:
            if reader.line_num == size and 0 < seen and reader.line_num - seen <= MAX_RECORD_LINES:
                self.buf.seek(self.pos)  # the window ended inside a record: read it again from its start
                return _WINDOW
        except _RunawayQuote:
            pass
        else:
            return None if reader.line_num < size else min(2 * size, _WINDOW)
        self.broken_record()
        return MAX_RECORD_LINES + 1

    def record(self, rec: list[str], used: int) -> None:
        """A record the reader read from ``used`` lines."""
        start = self.line + 1
        self.line += used
        if used > 1 and self.cr:  # the reader splits lines at every lone CR: not at those inside values
            joined = self.sep.join(rec)
            self.line -= joined.count("\r") - joined.count("\r\n")
        n, width = len(rec), self.width
        if n == width or 0 < n < width and "".join(rec).strip(_BLANK):  # (keep()'s cases, inlined)
            if n < width:
                rec.extend(self.pad[n:])
            self.batch.append(rec)
            self.starts.append(start)
            if len(self.batch) >= _BATCH:
                self.flush()
        elif 0 < n < width:
            self.empty.append(start)
        else:
            self.keep(rec, start)

    def broken_record(self) -> None:
        """A record that does not parse: its first line on its own, then on from the next line."""
        start = self.line + 1
        self.buf.seek(self.pos)
        lone = self.buf.readline().rstrip("\r\n")
        self.line, self.pos = start, self.buf.tell()
        # the lenient reader may still read this line on its own, as pyarrow does ('"Title" extra')
        try:
            lenient = list(csv.reader([lone], delimiter=self.sep))
        except csv.Error:  # the line alone holds a value longer than the field limit
            self.too_long.add(start, lone)
            return
        if lone.count('"') % 2 == 0 and len(lenient) == 1:
            self.keep(lenient[0], start)
        else:
            self.unreadable.add(start, lone)
        self.broken += 1
        self.first_broken = self.first_broken or start
        if self.broken > MAX_BROKEN_LINES:
            raise LoadError(
                "This file has too many broken quotes to be read as CSV (a quote is not closed "
                "or is misplaced), the first on line {line}.",
                line=self.first_broken,
            )

    def finish(self) -> tuple[list[str], list[pa.ChunkedArray], np.ndarray, IssueLog]:
        self.refuse_long()
        self.flush()
        for pending in (self.ragged, self.unreadable, self.too_long):
            pending.flush()
        self.log.add(Issue(None, None, "", "The row is empty.", REJECTED), np.array(self.empty, dtype=np.int64))
        columns = [pa.chunked_array(c, type=pa.large_string()) for c in self.chunks]
        if "\r\n" in self.text:  # a CRLF inside a value reads as LF, as in a file without lone CRs (made LF first)
            columns = [
                pc.replace_substring(c, "\r\n", "\n") if pc.any(pc.match_substring(c, "\r\n")).as_py() else c
                for c in columns
            ]
        return self.header, columns, np.array(self.starts, dtype=np.int64), self.log


def read_text(
    text: str, sep: str, clock: Clock = NO_LIMIT, max_rows: int | None = None
) -> tuple[list[str], list[pa.ChunkedArray], np.ndarray, IssueLog]:
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
    return _Reader(text, sep, clock, max_rows).read()


def parse(text: str, sep: str) -> tuple[pd.DataFrame, np.ndarray, list[Issue]]:
    """``read_text`` as (a frame of strings, each row's first line, the issues)."""
    header, columns, lines, log = read_text(text, sep)
    frame = pd.DataFrame({k: c.to_pandas() for k, c in enumerate(columns)}, index=pd.RangeIndex(len(lines)))
    frame.columns = header
    return frame, lines, log.details(len(log))


def _records(text: str, sep: str, most: int) -> int:
    """Records with at least one field, up to ``most``, as a lenient csv reader
    counts them at C speed (no row is kept). The careful reader, which splits
    broken quotes into lines, counts at least as many: this decides early that
    a file has too many rows, never that it has few enough."""
    try:
        return sum(1 for _ in islice(filter(None, csv.reader(io.StringIO(text, newline=""), delimiter=sep)), most))
    except csv.Error:
        return 0


def refuse_rows(limit: int) -> None:
    raise LoadError("The file has more than {limit} rows; an uploaded file may have at most {limit}.", limit=limit)


def _parse_pandas(text: str, sep: str, utf8: bytes | None = None) -> tuple[pd.DataFrame, np.ndarray] | None:
    """pandas (its pyarrow engine) on decoded text; returns None when line numbers can't be derived directly
    (quoted newlines, blank lines) or the file is ragged.

    ``utf8``, when given, is exactly ``text.encode("utf-8")`` (the file as read):
    parsing and counting the bytes saves re-encoding a large file."""
    src = text if utf8 is None else utf8
    try:
        df = pd.read_csv(
            io.StringIO(text) if utf8 is None else io.BytesIO(utf8),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            engine="pyarrow",
        )
    except Exception:  # ragged rows, odd quoting: the careful path handles and reports them
        return None
    if isinstance(src, str):
        body_lines = src.count("\n") + (0 if src.endswith("\n") else 1) - 1
    else:
        body_lines = src.count(b"\n") + (0 if src.endswith(b"\n") else 1) - 1
    if body_lines != len(df):
        return None
    return df, np.arange(2, len(df) + 2)


def read(data: bytes, clock: Clock = NO_LIMIT, max_rows: int | None = None) -> Parsed:
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
    head = header_line(text)
    sep = sniff_delimiter(head)
    notes = file_notes(encoding, sep)
    refuse_repeats([normalise_header(c) for c in header_names(head, sep)])

    too_many = max_rows is not None and text.count("\n") + text.count("\r") > max_rows + 1
    # the header and more than max_rows (too_many already implies max_rows is not None)
    if too_many and max_rows is not None and _records(text, sep, max_rows + 2) > max_rows + 1:
        refuse_rows(max_rows)
    fast = None if "\r" in text or too_many else _parse_pandas(text, sep, data if same_bytes else None)
    clock.check()
    if fast is None:
        header, columns, lines, log = read_text(text, sep, clock, max_rows)
        return Parsed(header, columns, lines, log, notes)
    del text
    raw, lines = fast
    columns = [_arrow_text(raw.iloc[:, k]) for k in range(raw.shape[1])]
    return Parsed([str(c) for c in raw.columns], columns, lines, IssueLog(), notes)


def _arrow_text(values: pd.Series) -> pa.ChunkedArray:
    arr = pa.array(
        values.array if isinstance(values.dtype, pd.StringDtype) else values.to_numpy(object),
        type=pa.large_string(),
        from_pandas=True,
    )
    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr], type=pa.large_string())
    return arr.cast(pa.large_string()) if arr.type != pa.large_string() else arr
