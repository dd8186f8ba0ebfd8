"""The careful reader: any text, through the csv module, a window of lines at a time.
It knows each record's physical line, reports ragged rows and broken quotes, and
stays linear whatever the quotes."""

from __future__ import annotations

import csv
import io
from array import array
from dataclasses import replace
from itertools import islice

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import csv_fast
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

# Any value of an upload must be readable: the csv module's field limit (process-wide, 128 Ki
# characters by default) is raised to at least the upload limit, and only ever raised.
FIELD_LIMIT = max(csv.field_size_limit(), MAX_UPLOAD_BYTES)
csv.field_size_limit(FIELD_LIMIT)

MAX_RECORD_LINES = 50  # a quoted cell may span this many lines before the quote counts as broken
MAX_BROKEN_LINES = 10_000  # more lines than this with a broken quote: the file is refused
_WINDOW = 8192  # lines one csv reader may read before the careful reader takes stock
_BATCH = 65_536  # records per Arrow chunk (and issues per log batch) in the careful reader
_BLANK = " \t\n\r\x0b\x0c"  # whitespace that both str.strip and Arrow's utf8_trim_whitespace remove


_UNREADABLE = Issue(
    None, None, "", "This line could not be read as CSV (a quote is not closed or is misplaced).", REJECTED
)
_TOO_LONG = Issue(
    None,
    None,
    "",
    "This line could not be read as CSV (a value is longer than {limit} characters).",
    REJECTED,
    (("limit", FIELD_LIMIT),),
)


class _Pending:
    """Issues of one reason found a row at a time, handed to the log in batches."""

    def __init__(self, log: IssueLog, reason: Issue, per_row: tuple[str, ...] = ()) -> None:
        self.log, self.reason, self.names = log, reason, per_row
        self.rows: list[tuple] = []  # (line, value, *per-row parameters) of each issue not yet logged
        self.count = 0  # issues added, logged or not

    def add(self, line: int, value: str, *per_row: int) -> None:
        self.count += 1
        self.rows.append((line, value[:VALUE_CHARS], *per_row))
        if len(self.rows) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            lines, values, *per_row = zip(*self.rows)
            self.log.add(
                self.reason,
                np.array(lines, dtype=np.int64),
                pa.array(values, type=pa.large_string()),
                {name: np.array(v, dtype=np.int64) for name, v in zip(self.names, per_row)},
            )
        self.rows = []


class _Reader:
    """One careful read of a text (see ``read_text``)."""

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
            ("n",),
        )
        self.unreadable, self.too_long = _Pending(log, _UNREADABLE), _Pending(log, _TOO_LONG)
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
        if n > width and any(v.strip() for v in rec[width:]):
            self.ragged.add(start, self.sep.join(rec), n)
        elif n != width and not "".join(rec).strip(_BLANK):
            if n:  # a blank line is no row; a record of blank fields is an empty one
                self.empty.append(start)
        else:
            self.batch.append(rec if n == width else rec[:width] if n > width else rec + self.pad[n:])
            self.starts.append(start)
            if len(self.batch) >= _BATCH:
                self.flush()

    def refuse_long(self) -> None:
        records = len(self.starts) + len(self.empty) + self.ragged.count + self.unreadable.count + self.too_long.count
        if self.max_rows is not None and records > self.max_rows:
            refuse_rows(self.max_rows)

    def read(self) -> tuple[list[str], list[pa.ChunkedArray], np.ndarray, IssueLog]:
        """The text a window of lines at a time. A record that does not end inside its window is read again
        in one that starts with it; after a broken record the window is MAX_RECORD_LINES + 1 lines,
        doubling with each window read cleanly: a quote that never closes is read at most that far."""
        size: int | None = _WINDOW
        while size is not None:
            self.clock.check()
            self.refuse_long()
            size = self.window(size)
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

    def window(self, size: int) -> int | None:
        """Read up to ``size`` lines -> the size of the next window; None at the end of the text."""
        reader = csv.reader(islice(iter(self.buf.readline, ""), size), delimiter=self.sep, strict=True)
        seen = 0  # reader.line_num when the current record began
        try:
            for rec in reader:
                used = reader.line_num - seen
                if used > MAX_RECORD_LINES:
                    break  # a quoted cell ran on too far: its first line is unreadable
                seen += used
                start = self.line + 1
                self.line += used
                if used > 1 and self.cr:  # the reader splits lines at every lone CR: not at those inside values
                    joined = self.sep.join(rec)
                    self.line -= joined.count("\r") - joined.count("\r\n")
                self.keep(rec, start)
                self.pos = self.buf.tell()
            else:
                return None if reader.line_num < size else min(2 * size, _WINDOW)
        except csv.Error:
            if reader.line_num == size and 0 < seen and reader.line_num - seen <= MAX_RECORD_LINES:
                self.buf.seek(self.pos)  # the window ended inside a record: read it again from its start
                return _WINDOW
        self.broken_record()
        return MAX_RECORD_LINES + 1

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


def read_text(
    text: str, sep: str, clock: Clock = NO_LIMIT, max_rows: int | None = None
) -> tuple[list[str], list[pa.ChunkedArray], np.ndarray, IssueLog]:
    """csv-module parse -> (header, one Arrow string column per header name, each row's first
    physical line, the rows rejected here). A broken quote rejects (or reads alone) the line it
    opens on and reading resumes on the next line; past ``max_rows`` records the file is refused."""
    return _Reader(text, sep, clock, max_rows).read()


def parse(text: str, sep: str) -> tuple[pd.DataFrame, np.ndarray, list[Issue]]:
    """``read_text`` as (a frame of strings, each row's first line, the issues)."""
    header, columns, lines, log = read_text(text, sep)
    frame = pd.DataFrame({k: c.to_pandas() for k, c in enumerate(columns)}, index=pd.RangeIndex(len(lines)))
    frame.columns = header
    return frame, lines, log.details(len(log))


def _records(text: str, sep: str, most: int) -> int:
    """Records with a field, up to ``most``, counted at C speed: never more than ``read_text`` finds."""
    try:
        return sum(1 for _ in islice(filter(None, csv.reader(io.StringIO(text, newline=""), delimiter=sep)), most))
    except csv.Error:
        return 0


def refuse_rows(limit: int) -> None:
    raise LoadError("The file has more than {limit} rows; an uploaded file may have at most {limit}.", limit=limit)


def read(data: bytes, clock: Clock = NO_LIMIT, max_rows: int | None = None) -> Parsed:
    """Any file: decoded (UTF-8, else Windows-1252/Latin-1), CRLF made LF if it has no lone CR, then
    read by ``read_text``, or by the fast reader re-encoded as UTF-8 if it was not and is plain enough."""
    text, encoding = decode(data)
    if text.count("\r") == text.count("\r\n"):  # (with a lone CR, "\r\r\n" would become one break)
        text = text.replace("\r\n", "\n")
    head = header_line(text)
    sep = sniff_delimiter(head)
    notes = file_notes(encoding, sep)
    refuse_repeats([normalise_header(c) for c in header_names(head, sep)])
    too_many = max_rows is not None and text.count("\n") + text.count("\r") > max_rows + 1
    if too_many and max_rows is not None and _records(text, sep, max_rows + 2) > max_rows + 1:
        refuse_rows(max_rows)  # the header and more than max_rows, counted at C speed
    # the fast reader has declined the file's own bytes unless they are in another encoding
    plain = not too_many and "\r" not in text and not encoding.startswith("UTF-8")
    fast = csv_fast.read(pa.py_buffer(text.encode())) if plain else None
    clock.check()
    if fast is not None:
        return replace(fast, notes=notes)
    return Parsed(*read_text(text, sep, clock, max_rows), notes)
