"""The fast reader: a UTF-8 file with one row per line, straight from its bytes to
Arrow string columns by pyarrow's CSV reader (streamed from disk for a local file)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from .report import IssueLog
from .sources import (
    BOM,
    Parsed,
    Source,
    file_notes,
    head,
    head_line,
    header_names,
    identity,
    line_breaks,
    normalise_header,
    sniff_delimiter,
)

_BLOCK = 4 << 20  # pyarrow block size (fewer, larger chunks than its 1 MB default)


def read(src: Source) -> Parsed | None:
    """A UTF-8 file (BOM or not) parsed by pyarrow from its bytes, or None whenever the careful reader
    must decide (another encoding, a lone CR, a header the two read differently, blank lines, quoted line
    breaks, ragged rows). Line numbers follow from the row count: one line per row is checked."""
    before = identity(src)
    if b"\x00" in head(src, 8192):
        return None  # decode() says it is binary
    try:
        text = head_line(src).removeprefix(BOM).removesuffix(b"\r").decode("utf-8")
    except UnicodeDecodeError:
        return None
    sep = sniff_delimiter(text)
    header = header_names(text, sep)
    if not header or len({normalise_header(c) for c in header}) < len(header):
        return None  # repeated names are reported by the careful reader
    with ThreadPoolExecutor(max_workers=1) as pool:  # counted while pyarrow parses (it leaves a core idle at times)
        counting = pool.submit(line_breaks, src)
        try:
            # a file as a plain stream: no decompression guessed from its name
            with (
                pa.input_stream(str(src), compression=None) if isinstance(src, Path) else pa.BufferReader(src)
            ) as stream:
                table = pa_csv.read_csv(
                    stream,
                    read_options=pa_csv.ReadOptions(block_size=_BLOCK),
                    parse_options=pa_csv.ParseOptions(delimiter=sep),
                    convert_options=pa_csv.ConvertOptions(
                        column_types={c: pa.large_string() for c in header}, strings_can_be_null=False
                    ),
                )
        except (pa.ArrowException, ValueError):  # ragged rows, invalid UTF-8, odd quoting
            return None
        finally:
            breaks = counting.result()
    if breaks is None or identity(src) != before:  # replaced or rewritten while read: read it once, whole
        return None
    count, ends_with_lf = breaks
    one_row_per_line = count - (1 if ends_with_lf else 0) == table.num_rows  # lines but the header's
    if not one_row_per_line or table.column_names != header or any(t != pa.large_string() for t in table.schema.types):
        return None
    header = [name or f"Unnamed: {k}" for k, name in enumerate(header)]  # as pandas names an empty name
    return Parsed(header, list(table.columns), np.arange(2, table.num_rows + 2), IssueLog(), file_notes("UTF-8", sep))
