"""Hostile or broken files: the loader answers each with a report or one clear
message, in bounded time and memory, never with a traceback."""

from __future__ import annotations

import csv
import io
import json
import random
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from cmap_tracker import contract, csv_careful, loader, report, sources, spreadsheet
from conftest import HEADER, ROOT, URL, csv_bytes, good, shown


def load(data, **kwargs) -> report.LoadResult:
    result = loader.load(data, **kwargs)
    assert len(result.frame) + result.rejected_rows == result.rows_in_file
    return result


# ------------------------------------------------------------------ long fields


@pytest.mark.parametrize("size", [200 * 1024, 10 * 1024 * 1024], ids=["200 KiB", "10 MiB"])
@pytest.mark.parametrize("careful", [False, True], ids=["one row per line", "with a blank line"])
def test_a_long_value_is_read_whole(size, careful):
    title = "x" * size
    rows = [good("A-1"), "", good("A-2", title=title)] if careful else [good("A-1"), good("A-2", title=title)]
    r = load(csv_bytes(*rows))
    assert r.ok and r.frame["id"].tolist() == ["A-1", "A-2"]
    assert len(r.frame["title"].iloc[1]) == size


def test_a_long_quoted_value_with_line_breaks_is_read_whole():
    title = '"' + "y\n" * 10 + "y" * (10 * 1024 * 1024) + '"'
    r = load(csv_bytes(good("A-1"), good("A-2", title=title), good("A-3", pillar="bogus")))
    assert r.frame["id"].tolist() == ["A-1", "A-2"]
    assert [i.line for i in r.issues] == [14]  # A-2 spans lines 3-13


def test_a_value_over_the_limit_is_a_clear_message_not_a_crash():
    # a trusted local file (no upload limit) may hold a value longer than the csv field limit
    data = csv_bytes(good("A-1"), "", good("A-2", title="z" * (contract.MAX_UPLOAD_BYTES + 10)), good("A-3"))
    r = load(data, limit=None)
    assert r.frame["id"].tolist() == ["A-1", "A-3"]
    (issue,) = [i for i in r.issues if i.line == 4]
    assert issue.kind == report.REJECTED and "longer than" in issue.text()


# ------------------------------------------------------------------ wide headers


def test_a_header_of_100k_columns_is_refused_at_once():
    names = [f"c{k}" for k in range(100_000)]
    data = (",".join(names) + "\n" + ",".join("x" for _ in names) + "\n").encode()
    assert len(data) > 800_000
    start = time.perf_counter()
    r = loader.load(data)
    elapsed = time.perf_counter() - start
    assert not r.ok and "100000 columns" in r.fatal.text() and "at most 1000" in r.fatal.text()
    assert elapsed < 1.0, f"{elapsed:.2f} s"


def test_the_column_limit_is_inclusive():
    extra = [f"extra_{k}" for k in range(contract.MAX_COLUMNS - 7)]
    header = HEADER + "," + ",".join(extra)
    ok = load(csv_bytes(good("A-1") + "," * len(extra), header=header))
    assert ok.ok and ok.frame["id"].tolist() == ["A-1"] and len(ok.extra_columns) == len(extra)
    over = load(csv_bytes(good("A-1") + "," * (len(extra) + 1), header=header + ",one_more"))
    assert not over.ok and f"{contract.MAX_COLUMNS + 1} columns" in over.fatal.text()


@pytest.mark.parametrize("careful", [False, True], ids=["fast reader", "careful reader"])
def test_repeated_names_in_a_wide_header_are_all_named(careful):
    extra = [f"x{k % 400}" for k in range(900)]  # x0..x399 repeated
    rows = [good("A-1") + "," * len(extra)] + ([""] if careful else [])
    r = load(csv_bytes(*rows, header=HEADER + "," + ",".join(extra)))
    assert not r.ok
    named = r.fatal.text().split(": ", 1)[1].rstrip(".").split(", ")
    assert sorted(named) == sorted(f"x{k}" for k in range(400))


# ------------------------------------------------------------------ a bounded report


@pytest.fixture(scope="module")
def many_bad():
    """2,500 rows with an unknown pillar (lines 2..2501), 1,200 with an unreadable
    last_updated (corrected, lines 2502..3701), then 3 good rows."""
    header = HEADER + ",last_updated"
    rows = [good(f"P-{k}", pillar=f"bogus{k}") + "," for k in range(2500)]
    rows += [good(f"D-{k}") + f",someday{k}" for k in range(1200)]
    rows += [good(f"G-{k}") + ",2026-01-01" for k in range(3)]
    rows[7] = good("P-7", pillar='=HYPERLINK("http://x")') + ","
    return load(csv_bytes(*rows, header=header))


def test_every_rejected_row_is_counted_but_details_are_bounded(many_bad):
    r = many_bad
    assert r.rows_in_file == 3703 and r.rejected_rows == 2500 and r.corrected_rows == 1200
    assert len(r.frame) == 1203
    pillar = [i for i in r.issues if i.column == "pillar"]
    dates = [i for i in r.issues if i.column == "last_updated"]
    assert [i.line for i in pillar] == list(range(2, 2 + report.DETAIL_ROWS))
    assert [i.line for i in dates] == list(range(2502, 2502 + report.DETAIL_ROWS))
    assert "'bogus0' is not a known pillar" in pillar[0].text()
    assert r.issues_truncated and r.issue_count == 3700


def test_counts_by_reason_are_exact(many_bad):
    counts = many_bad.counts_by_reason()
    assert list(counts.columns) == ["outcome", "column", "reason", "rows"]
    by = {(o, c): (reason, n) for o, c, reason, n in counts.itertuples(index=False)}
    assert by[(report.REJECTED, "pillar")][1] == 2500
    assert by[(report.CORRECTED, "last_updated")][1] == 1200
    assert "is not a known pillar" in by[(report.REJECTED, "pillar")][0]
    assert "bogus" not in by[(report.REJECTED, "pillar")][0]  # a reason, not one row's value
    assert counts["rows"].sum() == many_bad.issue_count


def test_the_full_list_has_every_row_in_line_order(many_bad):
    full = many_bad.all_issues_frame()
    assert list(full.columns) == ["line", "column", "value", "outcome", "reason"]
    assert len(full) == 3700 and full["line"].tolist() == list(range(2, 3702))
    last = full[full["line"] == 2501].iloc[0]
    assert (last["column"], last["value"], last["outcome"]) == ("pillar", "bogus2499", report.REJECTED)
    assert "'bogus2499' is not a known pillar" in last["reason"]
    assert full[full["line"] == 3701].iloc[0]["value"] == "someday1199"


def test_the_full_list_as_csv_is_spreadsheet_safe(many_bad):
    data = spreadsheet.issues_csv(many_bad)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["Line", "Column", "Value", "Outcome", "Reason"]
    assert len(rows) == 1 + 3700
    formula = [row for row in rows[1:] if row[0] == "9"]
    assert formula[0][2] == '\'=HYPERLINK("http://x")'
    assert not any(cell[:1] in ("=", "+", "-", "@") for row in rows for cell in row)


def test_the_full_list_is_translated():
    r = load(csv_bytes(good("A-1", pillar="bogus")))
    french = {
        "Line": "Ligne",
        "Rejected": "Rejetée",
        "'{value}' is not a known {name}. Use one of: {allowed}.": "« {value} » : {name} inconnu ({allowed}).",
    }
    data = spreadsheet.issues_csv(r, lambda s: french.get(s, s)).decode("utf-8-sig")
    assert data.startswith('"Ligne","Column","Value","Outcome","Reason"')
    assert '"Rejetée","« bogus » : pillar inconnu (' in data


def test_a_clean_file_has_an_empty_report():
    r = load(csv_bytes(good("A-1")))
    assert r.issue_count == 0 and not r.issues_truncated
    assert r.counts_by_reason().empty and r.all_issues_frame().empty
    assert spreadsheet.issues_csv(r).decode("utf-8-sig").strip() == '"Line","Column","Value","Outcome","Reason"'


# ------------------------------------------------------------------ floods of broken records

MEASURE = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from cmap_tracker import csv_careful, loader, report, sources
header = b"id,title,pillar,sector,status,start_date,source_url\n"
loader.load(header + b"A-1,t,security,s,done,2026-01-01,https://a.org\n\n")  # imports and caches warm
data = header + {body}
before = resource.getrusage(resource.RUSAGE_SELF)
start = time.perf_counter()
r = loader.load(data, **{kwargs})
wall = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{
    "wall": wall, "cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
    "growth_mb": (after.ru_maxrss - before.ru_maxrss) / 1024, "ok": r.ok,
    "fatal": r.fatal.text() if r.fatal else None, "rows": r.rows_in_file, "kept": len(r.frame),
    "rejected": r.rejected_rows, "details": len(r.issues)}}))
"""


def measure(body: str, **kwargs) -> dict:
    """``load(header + eval(body), **kwargs)`` in a fresh process: CPU seconds, peak RSS growth, outcome."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE.format(root=str(ROOT), body=body, kwargs=kwargs)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(out.stdout)


def accounted(m: dict) -> bool:
    """Loaded with every row accounted for, or refused with one message."""
    return (m["ok"] and m["kept"] + m["rejected"] == m["rows"]) or (not m["ok"] and m["fatal"] and not m["rows"])


@pytest.mark.parametrize("limit", [contract.MAX_UPLOAD_BYTES, None], ids=["upload", "no row limit"])
def test_a_flood_of_stray_quotes_is_read_in_bounded_time_and_memory(limit):
    # 12 MB: 6M lines of a lone '"', i.e. 3M records each a quoted line break. An
    # upload has too many rows; without that limit, the careful reader reads them all.
    m = measure("b'\"\\n' * 6_000_000", limit=limit)
    assert accounted(m), m
    assert m["cpu"] < 5 and m["growth_mb"] < 300, m
    if limit is None:
        assert m["ok"] and m["rows"] == m["rejected"] == 3_000_000 and m["details"] == report.DETAIL_ROWS


def test_a_flood_of_unclosed_quotes_is_refused_with_one_message():
    m = measure("b'U-1,\"x\\n' * 1_500_000")
    assert not m["ok"] and "too many broken quotes" in m["fatal"] and "line 2" in m["fatal"], m
    assert m["cpu"] < 5 and m["growth_mb"] < 300, m


def test_quotes_that_each_run_to_the_end_are_refused_in_linear_time():
    # each line opens a quote that no later line closes: every restart would read to the end
    m = measure("b'a\",\"b\\n' * 1_000_000")
    assert not m["ok"] and "too many broken quotes" in m["fatal"], m
    assert m["cpu"] < 5, m


def test_up_to_the_bound_every_broken_line_is_reported():
    rows = [f'B-{i},"Broken,security,S,done,2026-01-01,{URL}' for i in range(csv_careful.MAX_BROKEN_LINES)]
    r = load(csv_bytes(*rows, good("A-1")))
    assert r.ok and r.rejected_rows == csv_careful.MAX_BROKEN_LINES and r.frame["id"].tolist() == ["A-1"]
    over = load(csv_bytes(*rows, rows[0], good("A-1")))
    assert not over.ok and "too many broken quotes" in over.fatal.text() and "line 2" in over.fatal.text()


# ------------------------------------------------------------------ line numbers
#
# A line ends at LF, at CRLF, or at a lone CR outside a quoted value (as an old
# Mac export ends its lines). A lone CR inside a quoted value is part of the
# value, not a line break; an LF or CRLF inside a quoted value is a line break.
# Blank lines count. The header is line 1.


def physical_line_of(text: str, offsets: list[int]) -> list[int]:
    """The line each offset of a well-formed CSV text is on, by the definition above
    (a plain scan: quote parity says whether a character is inside a quoted value)."""
    want = sorted(set(offsets))
    at, line, quoted, out = 0, 1, False, {}
    for i, ch in enumerate(text):
        while at < len(want) and want[at] == i:
            out[want[at]] = line
            at += 1
        if ch == '"':
            quoted = not quoted
        elif ch == "\n" or (ch == "\r" and text[i + 1 : i + 2] != "\n" and not quoted):
            line += 1
    for o in want[at:]:
        out[o] = line
    return [out[o] for o in offsets]


def build(records: list[tuple[str, str, int]], header_end: str = "\n") -> tuple[bytes, list[int]]:
    """A file of valid rows: (title as written in the CSV, line ending, blank lines
    before it) -> (bytes, the expected line of each row)."""
    text, offsets = HEADER + header_end, []
    for k, (title, end, blanks) in enumerate(records):
        text += end * blanks
        offsets.append(len(text))
        text += good(f"A-{k}", title=title) + end
    return text.encode(), physical_line_of(text, offsets)


def quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def test_a_lone_cr_inside_a_quoted_value_in_a_crlf_file_is_not_a_line_break():
    data = "\r\n".join([HEADER, good("A-1", title=quoted("a\rb")), good("A-2"), good("A-3", pillar="bogus")])
    r = load((data + "\r\n").encode())
    assert r.frame["line"].tolist() == [2, 3]
    assert [i.line for i in r.issues] == [4]
    assert r.frame["title"].iloc[0] == "a\rb"  # kept as written


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_line_numbers_with_quoted_breaks_and_blank_lines(end):
    records = [
        ("Plain", end, 0),
        (quoted("two\nlines"), end, 0),
        (quoted("cr\rinside"), end, 2),
        (quoted("crlf\r\ninside"), end, 0),
        ("Last", end, 1),
    ]
    data, expected = build(records, end)
    r = load(data)
    assert r.ok and r.frame["line"].tolist() == expected
    assert expected == [2, 3, 7, 8, 11]


def test_a_lone_cr_outside_quotes_ends_a_line():
    r = load((HEADER + "\n" + good("A-1") + "\r" + good("A-2") + "\n" + good("A-3") + "\n").encode())
    assert r.frame["line"].tolist() == [2, 3, 4]


TITLE = st.text(alphabet=st.sampled_from('ab ,"\r\n\té'), min_size=0, max_size=6)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=st.lists(
        st.tuples(TITLE, st.sampled_from(["\n", "\r\n", "\r"]), st.integers(0, 2)), min_size=1, max_size=8
    ),
    header_end=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_reported_lines_are_the_physical_lines(records, header_end):
    # every title is quoted when it holds a quote, a delimiter or a line break, as a CSV writer does
    cells = [("T" + t, end, blanks) for t, end, blanks in records]
    cells = [(quoted(t) if any(c in t for c in ',"\r\n') else t, end, blanks) for t, end, blanks in cells]
    data, expected = build(cells, header_end)
    r = load(data)
    assert r.ok and r.rows_in_file == len(records)
    assert r.frame["line"].tolist() == expected


# ------------------------------------------------------------------ time budget


def test_a_load_over_its_time_budget_stops_with_a_message():
    # 900k short rows: the careful reader alone takes seconds over them
    data = csv_bytes(*(["a"] * 900_000))
    start = time.perf_counter()
    r = loader.load(data, budget=0.3)
    elapsed = time.perf_counter() - start
    assert not r.ok and "took longer than the 0.3 seconds allowed" in r.fatal.text()
    assert r.rows_in_file == 0 and r.frame.empty
    assert elapsed < 2.0, f"stopped after {elapsed:.1f} s"


def test_the_budget_bounds_a_file_the_fast_reader_takes():
    data = csv_bytes(*(good(f"A-{k}", pillar=f"p{k}") for k in range(200_000)))
    r = loader.load(data, budget=0.05)
    assert not r.ok and "took longer than" in r.fatal.text()


def wide_file(header: list[str], cell) -> bytes:
    """999 columns of ``header`` and 200 rows, ``cell(row, column)`` in each."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([cell(i, j) for j in range(len(header))] for i in range(200))
    return out.getvalue().encode()


WORDS = "project start date end status name title link url source sector area fecha de inicio the of".split()


def phases() -> bytes:
    """Every header a near match of start_date; every other column of dates, the others of links."""
    header = [f"Project start date of phase {k}" for k in range(999)]
    return wide_file(header, lambda i, j: "June 19, 2020" if j % 2 else "https://e.org/x")


def long_headers() -> bytes:
    """300 words a header, of words the contract's names use; every cell a distinct date-like text."""
    pick = random.Random(16)
    header = [" ".join(pick.choice(WORDS) for _ in range(300)) + f" {k}" for k in range(999)]
    return wide_file(header, lambda i, j: f"{1 + (i + j) % 12}/{1 + i % 28}/{1900 + j % 200} {i}")


@pytest.mark.parametrize("make", [phases, long_headers], ids=["999 near matches", "999 headers of 300 words"])
def test_a_wide_file_of_another_shape_gets_a_clear_answer_within_the_budget(make):
    """The guess of its mapping is bounded and heeds the budget: the answer is the file's own, not a timeout."""
    data = make()
    start = time.perf_counter()
    r = load(data, budget=20)
    elapsed = time.perf_counter() - start
    assert elapsed < 20, f"{elapsed:.1f} s"
    assert r.fatal is None or "took longer" not in r.fatal.text()
    assert r.ok or "Required column(s) missing" in r.fatal.text()


def test_within_the_default_budget_a_file_loads():
    assert sources.LOAD_SECONDS == 30
    r = load(csv_bytes(good("A-1"), "", good("A-2")))
    assert r.ok and r.frame["id"].tolist() == ["A-1", "A-2"]


# ------------------------------------------------------------------ the Data page


def data_page(monkeypatch, tmp_path, data: bytes):
    path = tmp_path / "data.csv"
    path.write_bytes(data)
    monkeypatch.setenv("DASHBOARD_DATA", str(path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_data_page_counts_every_reason_and_offers_the_full_list(monkeypatch, tmp_path):
    rows = [good(f"P-{k}", pillar=f"bogus{k}") for k in range(1200)] + [good("G-1")]
    monkeypatch.setenv("DASHBOARD_PLAN", str(ROOT / "data" / "plan.toml"))  # its pillars, not the file's own
    at = data_page(monkeypatch, tmp_path, csv_bytes(*rows))
    details, counts = at.dataframe[0].value, at.dataframe[1].value
    assert len(details) == report.DETAIL_ROWS
    assert counts[["Column", "Rows"]].values.tolist() == [["pillar", 1200]]
    assert any(
        "first 1,000 rows of each reason" in shown(c.value) and "all 1,200 issues" in shown(c.value) for c in at.caption
    )
    (button,) = at.get("download_button")
    assert button.proto.label == "Download every rejected or corrected row (CSV)"
    assert button.proto.deferred_file_id and not button.proto.url  # built when clicked, not on every run


def test_an_upload_error_quoting_the_file_is_shown_as_plain_text(monkeypatch, tmp_path):
    at = data_page(monkeypatch, tmp_path, csv_bytes(good("A-1")))
    header = HEADER + ",**loud** [x](https://e.org),**loud** [x](https://e.org)"
    at.file_uploader[0].set_value(("evil.csv", csv_bytes(good("A-1") + ",a,b", header=header), "text/csv")).run()
    assert not at.exception
    (error,) = at.error
    assert "could not be used" in error.value
    assert "repeats the column(s): **loud**_[x](https://e.org)" in shown(error.value)  # what a reader sees
    assert "**loud**" not in error.value and "](" not in error.value  # no bold, no link in the Markdown
    assert not any("**loud**" in m.value for m in at.markdown)


# ------------------------------------------------------------------ rows in an upload


@pytest.mark.parametrize("careful", [False, True], ids=["one row per line", "with a blank line"])
def test_an_upload_may_have_at_most_max_upload_rows(careful, monkeypatch):
    monkeypatch.setattr(contract, "MAX_UPLOAD_ROWS", 1000)
    rows = [good(f"A-{k}") for k in range(1000)] + ([""] if careful else [])
    assert load(csv_bytes(*rows)).rows_in_file == 1000
    over = load(csv_bytes(*rows, good("A-1000")))
    assert not over.ok and "more than 1000 rows" in over.fatal.text()
    local = load(csv_bytes(*rows, good("A-1000")), limit=None)  # a file the operator names is not capped
    assert local.ok and local.rows_in_file == 1001


def test_a_flood_of_short_rows_is_refused_in_bounded_time_and_memory():
    # 12 MB: 6M one-letter rows, each padded to the header (was ~30 s CPU and 1.3 GB)
    m = measure("b'a\\n' * 6_000_000")
    assert not m["ok"] and f"more than {contract.MAX_UPLOAD_ROWS} rows" in m["fatal"], m
    assert m["cpu"] < 5 and m["growth_mb"] < 300, m


def test_a_flood_of_empty_rows_is_refused_in_bounded_time_and_memory():
    # 20 MB of ',,,,,,' lines: one row per line, so the fast reader would parse them all
    m = measure("b',,,,,,\\n' * 2_900_000")
    assert not m["ok"] and "rows" in m["fatal"], m
    assert m["cpu"] < 5 and m["growth_mb"] < 300, m
