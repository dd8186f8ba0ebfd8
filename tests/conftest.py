"""Shared fixtures: paths, CSV builders, a live Streamlit server and Chromium."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

# A page or chart may take a while on two busy cores: every expect() waits up to 30 s.
expect.set_options(timeout=30_000)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import server as server_proc  # noqa: E402  (start/stop shared with bench/run.py)

DATA = ROOT / "data" / "initiatives.csv"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = server_proc.CHROMIUM

HEADER = "id,title,pillar,sector,status,start_date,source_url"
URL = "https://example.org/source"


def good(i: str = "A-1", **over: str) -> str:
    """A valid row for HEADER with some cells replaced."""
    cells = {
        "id": i,
        "title": "Title",
        "pillar": "security",
        "sector": "Policing",
        "status": "planned",
        "start_date": "2026-01-15",
        "source_url": URL,
        **over,
    }
    return ",".join(cells[c] for c in HEADER.split(","))


def run(page: str = "overview", timeout: float = 60, **query):
    """The app on ``page`` with ``query`` in its link, run once with Streamlit's AppTest."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=timeout)
    at.switch_page(f"pages/{page}.py")
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def shown(markdown: str) -> str:
    """The text a Markdown string shows (its backslash escapes undone): what a reader sees
    of a value the app escaped."""
    return _MD_ESCAPE.sub(r"\1", markdown).replace("\u2060", "")  # the word joiner that breaks autolinks


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _names(code) -> set[str]:
    """Every global name a function's code (and the code nested in it) refers to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names(const)
    return names


def _runs_apptest(item) -> bool:
    """Whether a test starts Streamlit's AppTest, itself or through a helper of its module."""
    fn = getattr(item, "function", None)
    if fn is None:
        return False
    module = vars(item.module)
    helpers = {
        name
        for name, obj in module.items()
        if callable(obj) and hasattr(obj, "__code__") and "AppTest" in _names(obj.__code__)
    }
    return bool(_names(fn.__code__) & (helpers | {"AppTest"}))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "browser" not in item.keywords and _runs_apptest(item):
            item.add_marker(pytest.mark.apptest)
    if "load" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="load test is opt-in: run with -m load")
    for item in items:
        if "load" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def english():
    """Every test starts in English and leaves English behind, whatever it switched to."""
    from cmap_tracker import i18n

    i18n.set_language("en")
    yield
    i18n.set_language("en")


free_port = server_proc.free_port


class Server:
    def __init__(self, env: dict | None = None, args: tuple[str, ...] = (), port: int | None = None):
        self.port = port or free_port()
        self.env = {**os.environ, **(env or {})}
        self.args = args
        self.proc: subprocess.Popen | None = None
        self.base_path = ""
        for a in args:
            if a.startswith("--server.baseUrlPath="):
                self.base_path = "/" + a.split("=", 1)[1].strip("/")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.base_path}"

    def start(self) -> Server:
        self.proc = server_proc.start(
            ROOT / "dashboard.py",
            self.port,
            env=self.env,
            args=self.args,
            log_path=ARTIFACTS / f"server-{self.port}.log",
            base_path=self.base_path,
            timeout=60,
        )
        return self

    def stop(self) -> None:
        server_proc.stop(self.proc, timeout=10)


@pytest.fixture(scope="session")
def server():
    s = Server().start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/test.sh, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = server_proc.launch_chromium(p)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-CA")
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    ctx.close()


def wait_for_app(page) -> None:
    """Wait until Streamlit has run the script to its end (stApp says so) and every chart
    it sent is drawn."""
    from playwright.sync_api import expect

    expect(page.locator("[data-testid='stApp'][data-test-script-state='notRunning']")).to_be_attached(timeout=30_000)
    expect(page.get_by_test_id("stSidebar")).to_be_attached(timeout=30_000)
    # a run that has started but not yet sent its elements shows skeletons: wait them out too
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=30_000)
    charts_drawn(page)


def charts_drawn(page) -> None:
    """Every Plotly chart on the page has drawn its SVG."""
    from playwright.sync_api import expect

    # one locator for "a chart not drawn yet", so a chart a rerun removes meanwhile does not stall the wait
    undrawn = page.locator("[data-testid='stPlotlyChart']:not(:has(.main-svg))")
    expect(undrawn).to_have_count(0, timeout=30_000)


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
