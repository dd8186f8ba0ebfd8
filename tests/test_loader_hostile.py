"""Hostile or broken files: the loader answers each with a report or one clear
message, in bounded time and memory, never with a traceback."""
from __future__ import annotations

import time

import pytest

from conftest import HEADER, csv_bytes
from cmap_tracker import contract, loader

URL = "https://example.org/source"


def good(i: str = "A-1", **over: str) -> str:
    cells = {"id": i, "title": "Title", "pillar": "security", "sector": "Policing",
             "status": "planned", "start_date": "2026-01-15", "source_url": URL, **over}
    return ",".join(cells[c] for c in HEADER.split(","))


def load(data, **kwargs) -> loader.LoadResult:
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
    assert issue.kind == loader.REJECTED and "longer than" in issue.text()


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
