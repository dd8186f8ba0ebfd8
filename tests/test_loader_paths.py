"""The loader has two readers: UTF-8 bytes straight to Arrow (``csv_fast.read``), and
the csv module on the decoded text (``csv_careful.read_text``), which ``csv_careful.read``
uses unless the fast reader takes the text re-encoded. Whichever reads a file, the result
must be the same: the fast one only declines (and hands over) when it cannot be sure. These
tests pin that down, and the shortcuts the checks take (strip only where needed)."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmap_tracker import arrow_text, csv_careful, csv_fast, loader, report, sources, themes
from conftest import HEADER, csv_bytes

URL = "https://example.org/source"
FULL_HEADER = HEADER + ",end_date,milestone,themes,confidence,last_updated,notes"


def row(i: str, **over: str) -> str:
    cells = {
        "id": i,
        "title": "Title",
        "pillar": "security",
        "sector": "Policing",
        "status": "planned",
        "start_date": "2026-01-15",
        "source_url": URL,
        "end_date": "",
        "milestone": "",
        "themes": "ip",
        "confidence": "official",
        "last_updated": "2026-02-01",
        "notes": "n",
        **over,
    }
    return ",".join(cells[c] for c in FULL_HEADER.split(","))


def summary(result: report.LoadResult) -> tuple:
    return (result.rows_in_file, result.fatal, result.extra_columns, result.notes, result.issues)


def parsed_by(data: bytes, reader: str) -> tuple:
    """What one reader makes of ``data``: 'arrow' (must accept the file), 'careful'
    (``csv_careful.read``, as the loader calls it) or 'csv' (``read_text`` alone)."""
    if reader == "arrow":
        parsed = csv_fast.read(pa.py_buffer(data))
        assert parsed is not None, "the fast reader declined this file"
    elif reader == "careful":
        parsed = csv_careful.read(data)
    else:
        text, _encoding = sources.decode(data)
        header, columns, lines, log = csv_careful.read_text(text, sources.sniff_delimiter(text))
        parsed = sources.Parsed(header, columns, lines, log, [])
    return (parsed.header, [c.to_pylist() for c in parsed.columns], parsed.lines.tolist(), parsed.log.details())


def assert_same_parse(data: bytes) -> None:
    fast = parsed_by(data, "arrow")
    assert parsed_by(data, "careful") == fast
    header, columns, lines, issues = parsed_by(data, "csv")
    # the csv module keeps CRLF inside values as LF, as the others do; values are compared as read
    assert (header, lines, issues) == (fast[0], fast[2], fast[3])
    assert columns == fast[1]


def assert_same(a: report.LoadResult, b: report.LoadResult) -> None:
    assert summary(a) == summary(b)
    pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
    assert list(a.frame.dtypes) == list(b.frame.dtypes)
    assert len(a.frame) + a.rejected_rows == a.rows_in_file


ROWS = [
    row("A-1"),
    row("A-2", title="  Padded title  ", sector="\tPolicing\t", themes=" Energy | IP "),
    row("A-3", title="\u00a0No-break space\u00a0", pillar="\u2003Sécurité\u3000", status=" en curso "),
    row("A-4", pillar="bogus", confidence="dunno"),
    row("A-1", title="Duplicate of line 2"),
    row("bad id!", end_date="2025-01-01"),
    row("A-5", start_date="2026-03", end_date="2027", milestone="Sí", last_updated="someday"),
    row("A-6", title="", source_url="ftp://example.org"),
    row("A-7", title="Café – été\u200b"),
    ",".join([""] * len(FULL_HEADER.split(","))),
    row("A-8", milestone="maybe", status=""),
]


def variants() -> dict[str, bytes]:
    plain = csv_bytes(*ROWS, header=FULL_HEADER)
    no_tabs = plain.replace(b"\t", b" ")  # for the other delimiters
    return {
        "plain": plain,
        "bom": b"\xef\xbb\xbf" + plain,
        "crlf": plain.replace(b"\n", b"\r\n"),
        "bom+crlf": b"\xef\xbb\xbf" + plain.replace(b"\n", b"\r\n"),
        "no final newline": plain.rstrip(b"\n"),
        "semicolons": no_tabs.replace(b",", b";"),
        "tabs": no_tabs.replace(b",", b"\t"),
        "header spacing": plain.replace(b"start_date", b" Start-Date ", 1),
        "sorted unique ids": csv_bytes(*(row(f"B-{k:03d}") for k in range(50)), header=FULL_HEADER),
        "unsorted ids with repeats": csv_bytes(*(row(f"C-{(k * 7) % 13}") for k in range(40)), header=FULL_HEADER),
        "only required columns": csv_bytes(" A-1 , T ,security,S,planned,2026-01-01," + URL, header=HEADER),
    }


@pytest.mark.parametrize("name", list(variants()))
def test_fast_reader_matches_both_careful_readers(name):
    data = variants()[name]
    assert_same_parse(data)
    assert_same(loader.load(data), loader.load(data + b"\n\n"))  # a blank line: the careful reader


def test_fast_reader_result_is_what_the_user_expects():
    data = variants()["bom+crlf"]
    assert csv_fast.read(pa.py_buffer(data)) is not None
    r = loader.load(data)
    f = r.frame.set_index("id")
    assert f.loc["A-2", "title"] == "Padded title" and f.loc["A-2", "sector"] == "Policing"
    assert f.loc["A-3", "title"] == "No-break space" and f.loc["A-3", "pillar"] == "security"
    assert f.loc["A-3", "status"] == "in_progress" and f.loc["A-2", "themes"] == "energy;ip"
    assert r.frame.columns[0] == "id" and r.frame["line"].tolist() == sorted(r.frame["line"])
    dup = [i for i in r.issues if i.reason.startswith("Duplicate id")]
    assert [(i.line, dict(i.params)["first"]) for i in dup] == [(6, 2)]


@pytest.mark.parametrize(
    "data",
    [
        csv_bytes(row("A-1"), row("A-2"), header=FULL_HEADER).replace(b"\n", b"\r"),  # old Mac line breaks
        csv_bytes(row("A-1", title='"a\rb"'), row("A-2"), header=FULL_HEADER),  # a CR inside a quoted value
        csv_bytes(row("A-1"), "", row("A-2"), header=FULL_HEADER),  # a blank line
        csv_bytes(row("A-1"), row("A-2"), "", "", header=FULL_HEADER),  # trailing blank lines
        csv_bytes(row("A-1", title='"two\nlines"'), row("A-2"), header=FULL_HEADER),  # a quoted line break
        csv_bytes(row("A-1") + ",extra,cells", row("A-2"), header=FULL_HEADER),  # a ragged row
        csv_bytes(row("A-1", title="caf\xe9"), header=FULL_HEADER).replace(b"\xc3\xa9", b"\xe9"),  # Windows-1252
        b"\xef\xbb\xbf" + csv_bytes(row("A-1", title="caf\xff"), header=FULL_HEADER).replace(b"\xc3\xbf", b"\xff"),
        csv_bytes(row("A-1") + ",x", header=FULL_HEADER + ",Title"),  # a repeated column
        b"id,title\x00" + csv_bytes(row("A-1"), header=FULL_HEADER),  # binary
    ],
    ids=[
        "lone CR",
        "CR in a value",
        "blank line",
        "trailing blank lines",
        "quoted newline",
        "ragged",
        "cp1252",
        "BOM with invalid UTF-8",
        "repeated column",
        "NUL byte",
    ],
)
def test_fast_reader_declines_what_it_cannot_be_sure_of(data, tmp_path):
    assert csv_fast.read(pa.py_buffer(data)) is None
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    assert csv_fast.read(path) is None  # the same when it reads the file from disk
    assert_same(loader.load(path), loader.load(data))


def test_an_unnamed_column_is_named_by_its_position_when_the_rows_are_plain():
    data = csv_bytes(row("A-1", title="caf\xe9") + ",x", header=FULL_HEADER + ",")
    parsed = csv_fast.read(pa.py_buffer(data))
    assert parsed is not None and parsed.header[-1] == f"Unnamed: {len(parsed.header) - 1}"
    cp1252 = loader.load(data.replace(b"\xc3\xa9", b"\xe9"))  # the careful reader hands it to the fast one
    assert summary(cp1252)[2] == summary(loader.load(data))[2] == ("notes", f"unnamed:_{len(parsed.header) - 1}")


@pytest.mark.parametrize("name", ["bom+crlf", "plain"])
def test_a_local_file_is_streamed_from_disk_by_the_fast_reader(name, tmp_path):
    path = tmp_path / "big.csv"
    data = variants()[name]
    path.write_bytes(data)
    assert sources.read_input(path, limit=None) == path  # not read whole into memory
    assert csv_fast.read(path) is not None
    assert_same(loader.load(path), loader.load(data))


def test_line_breaks_are_counted_across_pieces(tmp_path):
    """A CRLF split between two pieces of the file is one line break; a lone CR is not."""
    fill = b"a" * (sources.SCAN - 1)  # the next byte ends the first piece
    for data, expected in (
        (fill + b"\r\nhij\r\n", (2, True)),
        (fill + b"\rxhij\n", None),
        (b"abc\r\nde", (1, False)),
        (fill + b"\r", None),
    ):
        path = tmp_path / "x.csv"
        path.write_bytes(data)
        assert sources.line_breaks(path) == expected, data[-12:]
        assert sources.line_breaks(pa.py_buffer(data)) == expected, data[-12:]


def test_a_gz_named_file_is_not_decompressed_by_one_reader_only(tmp_path):
    """pyarrow guesses compression from a file name; the loader reads the bytes as they are."""
    path = tmp_path / "data.csv.gz"
    path.write_bytes(variants()["plain"])
    assert csv_fast.read(path) is not None  # read as plain CSV, not declined as bad gzip
    assert_same(loader.load(path), loader.load(variants()["plain"]))


# ------------------------------------------------------------ strip shortcut


def test_strip_trims_every_character_arrow_trims():
    """Every character utf8_trim_whitespace removes (checked over all of Unicode),
    each value with one such character at one end: the shortcut never skips one."""
    cps = [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]
    trimmed = pc.utf8_trim_whitespace(pa.array([chr(cp) for cp in cps], pa.large_string()))
    spaces = [chr(cp) for cp, t in zip(cps, trimmed.to_pylist()) if t == ""]
    assert len(spaces) > 20  # the test sees real whitespace
    for values in ([s + "a" for s in spaces], ["a" + s for s in spaces]):
        for one in values:  # alone, so no other value makes the column look as if it needed stripping
            col = pa.chunked_array([pa.array(["b", one], pa.large_string())])
            assert arrow_text.strip(col).to_pylist() == ["b", "a"], hex(ord(one.strip("a")))


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from(" \t\x0b\x1c\x85\u00a0\u2003\u3000\u200b\ufeffaé;-中🙂"), max_size=6),
        max_size=20,
    ),
    st.integers(1, 4),
)
def test_strip_is_skipped_only_when_it_would_change_nothing(values, pieces):
    arr = pa.array(values, pa.large_string())
    step = max(1, len(values) // pieces)
    col = pa.chunked_array([arr[k : k + step] for k in range(0, len(values), step)] or [arr], type=pa.large_string())
    out = arrow_text.strip(col)
    assert out.to_pylist() == pc.utf8_trim_whitespace(col).to_pylist()
    assert out.to_pylist() == pd.Series(values, dtype="str").str.strip().tolist()


# ------------------------------------------------------------ duplicate ids


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "ab", "B", "é", "a "]), max_size=30))
def test_duplicate_ids_are_the_ones_pandas_finds(values):
    r = loader.load(csv_bytes(*(row(v) for v in values), header=FULL_HEADER))
    stripped = [v.strip() for v in values]
    dup = [i for i in r.issues if i.reason.startswith("Duplicate id")]
    want = np.flatnonzero(pd.Series(stripped, dtype=object).duplicated(keep="first").to_numpy())
    assert [i.line for i in dup] == [k + 2 for k in want]
    assert [dict(i.params)["first"] for i in dup] == [stripped.index(stripped[k]) + 2 for k in want]


# ------------------------------------------------------------ any well-formed file


TRICKY = ",;\"\t '=+-.éÉñ€—“\u00a0\u2003\u200b\ufeff\u0301🙂中ßﬁ" + "aAzZ09"
cell = st.one_of(
    st.sampled_from(
        [
            "",
            "A-1",
            "A-1",
            "B-2",
            " security ",
            "Sécurité",
            "done",
            "bogus",
            "2026-01-15",
            "2026-02-30",
            " 2026-03",
            "2027",
            "https://example.org/x",
            "true",
            "Sí ",
            "ip;energy",
            "Clean Tech",
            "official",
        ]
    ),
    st.text(alphabet=st.sampled_from(TRICKY), max_size=8),
)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    rows=st.lists(st.lists(cell, min_size=13, max_size=13), min_size=1, max_size=8),
    sep=st.sampled_from([",", ";", "\t"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
    final=st.booleans(),
)
def test_any_well_formed_file_reads_the_same_every_way(rows, sep, newline, bom, final):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator=newline)
    w.writerow(FULL_HEADER.split(","))
    w.writerows(rows)
    text = buf.getvalue() if final else buf.getvalue()[: -len(newline)]
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    assert_same(loader.load(data), loader.load(data + newline.encode() * 2))  # a blank line: the careful reader


# ------------------------------------------------------------ theme index


def test_theme_index_by_distinct_values_matches_the_row_by_row_split():
    values = ["ip;energy", "", "energy", "ip;energy", ";;trade;", "a;b;c", "", "x"] * 9000
    frame = pd.DataFrame({"themes": pd.Series(values, dtype="str")}, index=pd.RangeIndex(len(values)))
    got = themes.theme_index(frame)
    want = frame["themes"].str.split(";").explode()
    want = want[want.notna() & (want != "")]
    assert got["row"].tolist() == want.index.tolist() and got["theme"].tolist() == want.tolist()
    assert isinstance(got["theme"].dtype, pd.CategoricalDtype)  # codes, not a string copied per row
    assert list(got["theme"].cat.categories) == sorted(set(want))
    as_objects = themes.theme_index(frame.astype({"themes": object}))
    assert as_objects["row"].tolist() == got["row"].tolist() and as_objects["theme"].tolist() == got["theme"].tolist()


def test_a_file_changed_while_it_is_read_is_read_again_whole(tmp_path, monkeypatch):
    """The fast reader looks at a file several times (head, line count, parse); if it
    changed in between, the careful reader reads it once and decides."""
    path = tmp_path / "data.csv"
    path.write_bytes(variants()["plain"])
    real = csv_fast.header_names

    def rewrite_after_the_head(line, sep):  # between the first look and the parse
        path.write_bytes(variants()["sorted unique ids"])
        return real(line, sep)

    monkeypatch.setattr(csv_fast, "header_names", rewrite_after_the_head)
    assert csv_fast.read(path) is None
    monkeypatch.undo()
    assert csv_fast.read(path) is not None  # unchanged, the same file is read fast
    assert_same(loader.load(path), loader.load(path.read_bytes()))
