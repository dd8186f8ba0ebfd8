"""The data file changes under a running server: replaced, deleted, broken, restored.

The server is never restarted: the shared cache is keyed by the file's mtime and
size, so a reload must show the new state, a clear message for a
file that can't be used (never a traceback), and recover when the file is back.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest
from playwright.sync_api import expect

from conftest import DATA, Server, csv_bytes, shot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

THREE_ROWS = csv_bytes(
    "F-1,First replacement row,security,Policing,planned,2026-01-01,https://example.org/1",
    "F-2,Second replacement row,prosperity,Trade,completed,2025-10-01,https://example.org/2",
    "F-3,Third replacement row,environment,Climate,in_progress,2026-03-01,https://example.org/3",
)
MISSING_COLUMNS = b"name,colour\nx,blue\ny,green\n"
BINARY = bytes(range(256)) * 8
SUMMARY = re.compile(r"\d+ of \d+ initiatives")


def put(path, data: bytes) -> None:
    """Replace the file in one step, as a deploy would (never a half-written file)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


@pytest.fixture
def live(tmp_path):
    data = tmp_path / "initiatives.csv"
    shutil.copy(DATA, data)
    server = Server(env={"DASHBOARD_DATA": str(data)}).start()
    yield server, data
    server.stop()


def settle(page) -> None:
    page.wait_for_selector("[data-testid='stApp']", timeout=30_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)


def expect_summary(page, text: str) -> None:
    page.get_by_text(text, exact=False).first.wait_for(timeout=30_000)
    settle(page)
    assert page.locator("[data-testid='stException']").count() == 0


def expect_clear_error(page, *reasons: str) -> None:
    page.get_by_text("could not be used").first.wait_for(timeout=30_000)
    page.get_by_text(re.compile("|".join(re.escape(r) for r in reasons))).first.wait_for(timeout=30_000)
    settle(page)
    body = page.locator("[data-testid='stMain']").inner_text()
    assert any(r in body for r in reasons), body
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator(".js-plotly-plot").count() == 0
    assert not SUMMARY.search(body), "an error page must not show data"


def test_replaced_deleted_and_broken_file_while_the_server_runs(live, page):
    server, data = live
    original = data.read_bytes()
    pid = server.proc.pid

    page.goto(server.url)
    expect_summary(page, "51 of 51 initiatives")

    # (a) different valid content: picked up on reload, no restart
    put(data, THREE_ROWS)
    page.reload()
    expect_summary(page, "3 of 3 initiatives")
    assert page.get_by_text("51 of 51 initiatives").count() == 0

    # (b) the file disappears, then comes back
    data.unlink()
    page.reload()
    expect_clear_error(page, "does not exist")
    shot(page, "fault-missing-file")
    put(data, original)
    page.reload()
    expect_summary(page, "51 of 51 initiatives")

    # (c) malformed files: binary bytes, then a CSV without the required columns
    put(data, BINARY)
    page.reload()
    expect_clear_error(page, "looks binary", "not a CSV")
    put(data, MISSING_COLUMNS)
    page.reload()
    expect_clear_error(page, "Required column(s) missing")
    shot(page, "fault-missing-columns")
    put(data, original)
    page.reload()
    expect_summary(page, "51 of 51 initiatives")

    assert server.proc.poll() is None and server.proc.pid == pid  # the same server throughout


@pytest.mark.browser
def test_a_data_file_broken_from_the_start_shows_its_error_and_no_menu_of_file_names(tmp_path, browser):
    """A fresh server whose file cannot be used shows the reason as text, and no page
    menu: Streamlit would otherwise list the pages/ files by their names."""
    bad = tmp_path / "bad.csv"
    bad.write_text("id,title,![x](http://127.0.0.1:8765/h),![x](http://127.0.0.1:8765/h),pillar\nU-1,a,b,c,security\n")
    server = Server(env={"DASHBOARD_DATA": str(bad)}).start()
    page = browser.new_page()
    try:
        page.goto(server.url)
        expect(page.get_by_text("The header repeats the column(s): ![x](http")).to_be_visible()
        shot(page, "fault-broken-from-start")
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        expect(page.get_by_role("link", name="explorer")).to_have_count(0)
    finally:
        page.close()
        server.stop()
