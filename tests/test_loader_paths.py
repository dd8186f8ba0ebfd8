"""The loader has three readers: UTF-8 bytes straight to Arrow (``_read_fast``),
pandas on the decoded text, and the csv module (``_parse_careful``). Whichever
reads a file, the result must be the same: the fast ones only decline (and hand
over) when they cannot be sure. These tests pin that down, and the shortcuts
the fast reader takes (strip only where needed, duplicate ids by one pass)."""
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

from conftest import HEADER, csv_bytes
from cmap_tracker import loader

URL = "https://example.org/source"
FULL_HEADER = HEADER + ",end_date,milestone,themes,confidence,last_updated,notes"


def row(i: str, **over: str) -> str:
    cells = {"id": i, "title": "Title", "pillar": "security", "sector": "Policing", "status": "planned",
             "start_date": "2026-01-15", "source_url": URL, "end_date": "", "milestone": "", "themes": "ip",
             "confidence": "official", "last_updated": "2026-02-01", "notes": "n", **over}
    return ",".join(cells[c] for c in FULL_HEADER.split(","))


def summary(result: loader.LoadResult) -> tuple:
    return (result.rows_in_file, result.fatal, result.extra_columns, result.notes, result.issues)


def read_with(data: bytes, reader: str, monkeypatch) -> loader.LoadResult:
    """Load ``data`` forcing one reader: 'arrow' (must accept the file), 'pandas' or 'csv'."""
    with monkeypatch.context() as m:
        if reader == "arrow":
            real = loader._read_fast
            used = []

            def spy(buf):
                parsed = real(buf)
                used.append(parsed is not None)
                return parsed
            m.setattr(loader, "_read_fast", spy)
            result = loader.load(data)
            assert used == [True], "the fast reader declined this file"
            return result
        m.setattr(loader, "_read_fast", lambda buf: None)
        if reader == "csv":
            m.setattr(loader, "_parse_fast", lambda *a, **k: None)
        return loader.load(data)


def assert_same(a: loader.LoadResult, b: loader.LoadResult) -> None:
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
def test_fast_reader_matches_both_careful_readers(name, monkeypatch):
    data = variants()[name]
    fast = read_with(data, "arrow", monkeypatch)
    assert_same(fast, read_with(data, "pandas", monkeypatch))
    assert_same(fast, read_with(data, "csv", monkeypatch))


def test_fast_reader_result_is_what_the_user_expects(monkeypatch):
    r = read_with(variants()["bom+crlf"], "arrow", monkeypatch)
    f = r.frame.set_index("id")
    assert f.loc["A-2", "title"] == "Padded title" and f.loc["A-2", "sector"] == "Policing"
    assert f.loc["A-3", "title"] == "No-break space" and f.loc["A-3", "pillar"] == "security"
    assert f.loc["A-3", "status"] == "in_progress" and f.loc["A-2", "themes"] == "energy;ip"
    assert r.frame.columns[0] == "id" and r.frame["line"].tolist() == sorted(r.frame["line"])
    dup = [i for i in r.issues if i.reason.startswith("Duplicate id")]
    assert [(i.line, dict(i.params)["first"]) for i in dup] == [(6, 2)]


@pytest.mark.parametrize("data", [
    csv_bytes(row("A-1"), row("A-2"), header=FULL_HEADER).replace(b"\n", b"\r"),  # old Mac line breaks
    csv_bytes(row("A-1", title='"a\rb"'), row("A-2"), header=FULL_HEADER),  # a CR inside a quoted value
    csv_bytes(row("A-1"), "", row("A-2"), header=FULL_HEADER),  # a blank line
    csv_bytes(row("A-1"), row("A-2"), "", "", header=FULL_HEADER),  # trailing blank lines
    csv_bytes(row("A-1", title='"two\nlines"'), row("A-2"), header=FULL_HEADER),  # a quoted line break
    csv_bytes(row("A-1") + ",extra,cells", row("A-2"), header=FULL_HEADER),  # a ragged row
    csv_bytes(row("A-1", title="caf\xe9"), header=FULL_HEADER).replace(b"\xc3\xa9", b"\xe9"),  # Windows-1252
    b"\xef\xbb\xbf" + csv_bytes(row("A-1", title="caf\xff"), header=FULL_HEADER).replace(b"\xc3\xbf", b"\xff"),
    csv_bytes(row("A-1"), header=FULL_HEADER + ","),  # an unnamed column
    csv_bytes(row("A-1") + ",x", header=FULL_HEADER + ",Title"),  # a repeated column
    b"id,title\x00" + csv_bytes(row("A-1"), header=FULL_HEADER),  # binary
], ids=["lone CR", "CR in a value", "blank line", "trailing blank lines", "quoted newline", "ragged",
        "cp1252", "BOM with invalid UTF-8", "unnamed column", "repeated column", "NUL byte"])
def test_fast_reader_declines_what_it_cannot_be_sure_of(data, monkeypatch, tmp_path):
    assert loader._read_fast(pa.py_buffer(data)) is None
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    assert loader._read_fast(path) is None  # the same when it reads the file from disk
    assert_same(loader.load(data), read_with(data, "csv", monkeypatch))
    assert_same(loader.load(path), loader.load(data))


@pytest.mark.parametrize("name", ["bom+crlf", "plain"])
def test_a_local_file_is_streamed_from_disk_by_the_fast_reader(name, tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    data = variants()[name]
    path.write_bytes(data)
    assert loader._read_input(path, limit=None) == path  # not read whole into memory
    assert_same(read_with(path, "arrow", monkeypatch), loader.load(data))


def test_line_breaks_are_counted_across_pieces(tmp_path, monkeypatch):
    """A CRLF split between two pieces of the file is one line break; a lone CR is not."""
    monkeypatch.setattr(loader, "_SCAN", 8)
    for data, expected in ((b"abcdefg\r\nhij\r\n", (2, True)), (b"abcdefg\rxhij\n", None),
                           (b"abc\r\nde", (1, False)), (b"abcdefg\r", None)):
        path = tmp_path / "x.csv"
        path.write_bytes(data)
        assert loader._line_breaks(path) == expected, data
        assert loader._line_breaks(pa.py_buffer(data)) == expected, data


def test_a_gz_named_file_is_not_decompressed_by_one_reader_only(tmp_path):
    """pyarrow guesses compression from a file name; the loader reads the bytes as they are."""
    path = tmp_path / "data.csv.gz"
    path.write_bytes(variants()["plain"])
    assert loader._read_fast(path) is not None  # read as plain CSV, not declined as bad gzip
    assert_same(loader.load(path), loader.load(variants()["plain"]))


# ------------------------------------------------------------ strip shortcut


def test_strip_check_is_a_superset_of_what_arrow_trims():
    """Every character utf8_trim_whitespace removes (checked over all of Unicode)
    starts and ends with a byte the check looks for."""
    cps = [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]
    for values in (pa.array([chr(cp) + "a" for cp in cps]), pa.array(["a" + chr(cp) for cp in cps])):
        trimmed = pc.utf8_trim_whitespace(values)
        changed = np.flatnonzero(~pc.equal(values, trimmed).to_numpy(zero_copy_only=False))
        assert len(changed) > 20  # the test sees real whitespace
        for k in changed:
            raw = chr(cps[k]).encode("utf-8")
            assert loader._EDGE[raw[0]] and loader._EDGE[raw[-1]], hex(cps[k])


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.text(alphabet=st.sampled_from(" \t\x0b\x1c\x85\u00a0\u2003\u3000\u200b\ufeffaé;-中🙂"), max_size=6),
                max_size=20), st.integers(1, 4))
def test_strip_is_skipped_only_when_it_would_change_nothing(values, pieces):
    arr = pa.array(values, pa.large_string())
    step = max(1, len(values) // pieces)
    col = pa.chunked_array([arr[k:k + step] for k in range(0, len(values), step)] or [arr], type=pa.large_string())
    out = loader._strip(col)
    assert out.to_pylist() == pc.utf8_trim_whitespace(col).to_pylist()
    assert out.to_pylist() == pd.Series(values, dtype="str").str.strip().tolist()


# ------------------------------------------------------------ duplicate ids


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "ab", "", "B", "é", "a "]), max_size=30))
def test_duplicated_matches_pandas(values):
    col = pa.chunked_array([pa.array(values, pa.large_string())], type=pa.large_string())
    checker = loader._Checker({"id": col}, np.arange(2, len(values) + 2))
    dup, first = checker.duplicated("id")  # of the stripped ids, as the checks see them
    stripped = [v.strip() for v in values]
    assert dup.tolist() == pd.Series(stripped, dtype=object).duplicated(keep="first").tolist()
    for i in np.flatnonzero(dup):
        assert stripped.index(stripped[i]) == first[i]


# ------------------------------------------------------------ any well-formed file


TRICKY = ',;"\t \'=+-.éÉñ€—“\u00a0\u2003\u200b\ufeff\u0301🙂中ßﬁ' + "aAzZ09"
cell = st.one_of(
    st.sampled_from(["", "A-1", "A-1", "B-2", " security ", "Sécurité", "done", "bogus", "2026-01-15", "2026-02-30",
                     " 2026-03", "2027", "https://example.org/x", "true", "Sí ", "ip;energy", "Clean Tech", "official"]),
    st.text(alphabet=st.sampled_from(TRICKY), max_size=8))


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rows=st.lists(st.lists(cell, min_size=13, max_size=13), min_size=1, max_size=8),
       sep=st.sampled_from([",", ";", "\t"]), newline=st.sampled_from(["\n", "\r\n"]),
       bom=st.booleans(), final=st.booleans())
def test_any_well_formed_file_reads_the_same_every_way(rows, sep, newline, bom, final):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator=newline)
    w.writerow(FULL_HEADER.split(","))
    w.writerows(rows)
    text = buf.getvalue() if final else buf.getvalue()[:-len(newline)]
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    mp = pytest.MonkeyPatch()
    try:
        careful = read_with(data, "csv", mp)
        fast = loader.load(data)
        assert_same(fast, careful)
        assert_same(read_with(data, "pandas", mp), careful)
    finally:
        mp.undo()


# ------------------------------------------------------------ id pattern, theme index


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.text(alphabet=st.sampled_from("aZ09._-/ é\n#中"), max_size=6), max_size=12))
def test_id_byte_check_is_the_id_pattern(values):
    col = pa.chunked_array([pa.array(values, pa.large_string())], type=pa.large_string())
    want = pc.match_substring_regex(col, loader.ID_PATTERN).to_pylist()
    assert loader._id_ok(col).tolist() == want
    assert want == [loader._ID_RE.fullmatch(v) is not None for v in values]


def test_theme_index_by_distinct_values_matches_the_row_by_row_split():
    themes = ["ip;energy", "", "energy", "ip;energy", ";;trade;", "a;b;c", "", "x"] * 9000
    frame = pd.DataFrame({"themes": pd.Series(themes, dtype="str")}, index=pd.RangeIndex(len(themes)))
    arr = pa.chunked_array([pa.array(themes[:30000], pa.large_string()), pa.array(themes[30000:], pa.large_string())])
    got = loader._theme_index_coded(arr, frame.index.to_numpy(), frame["themes"].dtype)
    assert len(themes) >= loader._PARALLEL_ROWS  # so theme_index itself takes this path
    pd.testing.assert_frame_equal(loader.theme_index(frame), got)
    want = frame["themes"].str.split(";").explode()
    want = want[want.notna() & (want != "")]
    assert got["row"].tolist() == want.index.tolist() and got["theme"].tolist() == want.tolist()
    assert isinstance(got["theme"].dtype, pd.CategoricalDtype)  # codes, not a string copied per row
    assert list(got["theme"].cat.categories) == sorted(set(want))


def test_a_file_changed_while_it_is_read_is_read_again_whole(tmp_path, monkeypatch):
    """The fast reader looks at a file several times (head, line count, parse); if it
    changed in between, the careful reader reads it once and decides."""
    path = tmp_path / "data.csv"
    path.write_bytes(variants()["plain"])
    real = loader._header_names

    def rewrite_after_the_head(line, sep):  # between the first look and the parse
        path.write_bytes(variants()["sorted unique ids"])
        return real(line, sep)
    monkeypatch.setattr(loader, "_header_names", rewrite_after_the_head)
    assert loader._read_fast(path) is None
    monkeypatch.undo()
    assert loader._read_fast(path) is not None  # unchanged, the same file is read fast
    assert_same(loader.load(path), loader.load(path.read_bytes()))
