"""Shared fixtures: paths, CSV builders, a live Streamlit server and Chromium."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import server as server_proc  # noqa: E402  (start/stop shared with bench/run.py)

DATA = ROOT / "data" / "initiatives.csv"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = server_proc.CHROMIUM

HEADER = "id,title,pillar,sector,status,start_date,source_url"


_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def shown(markdown: str) -> str:
    """The text a Markdown string shows (its backslash escapes undone): what a reader sees
    of a value the app escaped."""
    return _MD_ESCAPE.sub(r"\1", markdown)


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def pytest_collection_modifyitems(config, items):
    if "load" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="load test is opt-in: run with -m load")
    for item in items:
        if "load" in item.keywords:
            item.add_marker(skip)


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

    def start(self) -> "Server":
        self.proc = server_proc.start(ROOT / "dashboard.py", self.port, env=self.env, args=self.args,
                                      log_path=ARTIFACTS / f"server-{self.port}.log", base_path=self.base_path,
                                      timeout=60)
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
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector("[data-testid='stApp']", timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]') "
        "&& document.querySelector('[data-testid=\"stSidebar\"]')", timeout=30_000)
    page.wait_for_timeout(300)


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
