"""The dashboard behind nginx (deploy/nginx.conf) under /cmap/, with two
Streamlit replicas: a browser session sticks to one replica (so its upload
works and survives a filter change), and when that replica dies, new visitors
are still served - even one whose affinity cookie points at the dead replica.

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from conftest import ARTIFACTS, ROOT, Server, csv_bytes, free_port, shot, wait_for_app

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
)


def _load_renderer():
    spec = importlib.util.spec_from_file_location("render_nginx", ROOT / "deploy" / "render_nginx.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


render_nginx = _load_renderer()

pytestmark = [
    pytest.mark.proxy,
    pytest.mark.browser,
    pytest.mark.skipif(NGINX is None, reason="nginx binary not found (scripts/test.sh installs nginx-light)"),
]

BASE = "cmap"
COOKIE = "cmap_affinity"


@dataclass
class Proxy:
    url: str  # http://127.0.0.1:<port>/cmap
    proc: subprocess.Popen
    prefix: Path
    replicas: list[Server]

    def access_log(self) -> list[dict[str, str]]:
        """The access log (format `cmap` in the template) as dicts."""
        rows = []
        for line in (self.prefix / "access.log").read_text(encoding="utf-8", errors="replace").splitlines():
            m = re.search(r'"(\S+) (\S+) [^"]*" (\d{3}) \d+ upstream="([^"]*)" rt=\S+ affinity=(\S+)', line)
            if m:
                rows.append(dict(zip(("method", "path", "status", "upstream", "affinity"), m.groups())))
        return rows


def get(url: str, timeout: float = 5) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


@pytest.fixture(scope="module")
def replicas():
    servers = [Server(args=(f"--server.baseUrlPath={BASE}",)) for _ in range(2)]
    try:
        with ThreadPoolExecutor(2) as pool:  # start both at once: ~half the wait
            for f in [pool.submit(s.start) for s in servers]:
                f.result()
        yield servers
    finally:
        for s in servers:
            s.stop()


@pytest.fixture(scope="module")
def proxy(replicas):
    prefix = Path(tempfile.mkdtemp(prefix="cmap-nginx-"))
    # Started as root, nginx workers run as `nobody` and must reach tmp/.
    prefix.chmod(0o755)
    render_nginx.prepare_prefix(prefix)
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(
        render_nginx.render(f"127.0.0.1:{port}", [f"127.0.0.1:{s.port}" for s in replicas], prefix), encoding="utf-8"
    )
    log = open(prefix / "nginx.out", "wb")
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(prefix)], stdout=log, stderr=subprocess.STDOUT)
    p = Proxy(f"http://127.0.0.1:{port}/{BASE}", proc, prefix, replicas)
    try:
        deadline = time.time() + 20
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"nginx exited: {(prefix / 'nginx.out').read_text()}"
                    f"{(prefix / 'error.log').read_text() if (prefix / 'error.log').exists() else ''}"
                )
            try:
                if get(f"{p.url}/_stcore/health", timeout=2) == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("nginx did not answer on /cmap/_stcore/health")
            time.sleep(0.2)
        yield p
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        log.close()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name in ("access.log", "error.log", "nginx.conf"):
            if (prefix / name).exists():
                shutil.copy(prefix / name, ARTIFACTS / f"proxy-{name}")
        shutil.rmtree(prefix, ignore_errors=True)


class Laps:
    """Step timings, printed (shown by pytest on failure, or with -s)."""

    def __init__(self) -> None:
        self.t0 = self.t = time.monotonic()

    def __call__(self, step: str) -> None:
        now = time.monotonic()
        print(f"[proxy] {now - self.t0:6.1f}s (+{now - self.t:5.1f}s) {step}", flush=True)
        self.t = now


def summary(page) -> str:
    return page.get_by_text(re.compile(r"\d+ of \d+ initiatives")).first.inner_text()


PLOT_TIMEOUT = 60_000  # Plotly's first render is CPU-bound: slow on a busy 2-core machine


def open_page(browser, url: str, cookies: list[dict] | None = None, plot: bool = True):
    """A fresh browser context (no cookies unless given) opening url through nginx."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-CA")
    if cookies:
        ctx.add_cookies(cookies)
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    wait_for_app(page)
    if plot:
        page.wait_for_selector(".js-plotly-plot", timeout=PLOT_TIMEOUT)
    assert page.locator("[data-testid='stException']").count() == 0
    return ctx, page


def fetch(url: str, cookie: str | None = None) -> tuple[int, list[str]]:
    """Status and the affinity Set-Cookie headers (Streamlit's own XSRF cookie aside)."""
    req = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()
        return r.status, [c for c in r.headers.get_all("Set-Cookie") or [] if c.startswith(COOKIE + "=")]


def logged(proxy: Proxy, want, timeout: float = 5.0) -> list[dict[str, str]]:
    """Access-log rows matching want(row); nginx writes a line just after the response."""
    deadline = time.monotonic() + timeout
    while True:
        rows = [r for r in proxy.access_log() if want(r)]
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


# Runs first: the test after it stops a replica (module-scoped fixtures are shared).
def test_proxy_serves_the_base_path_balances_new_visitors_and_pins_returning_ones(proxy):
    status, cookie = fetch(f"{proxy.url}/_stcore/health")
    assert status == 200 and not cookie, "the health check must not hand out an affinity cookie"
    # the bare prefix and the site root both lead to the app, which sets the affinity cookie
    for url in (proxy.url, proxy.url.rsplit("/", 1)[0] + "/"):
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.url.endswith(f"/{BASE}/") and r.status == 200
            (set_cookie,) = [c for c in r.headers.get_all("Set-Cookie") or [] if c.startswith(COOKIE + "=")]
            assert re.match(rf"{COOKIE}=[0-9a-f]{{32}}; Path=/{BASE}/; HttpOnly; SameSite=Lax$", set_cookie), set_cookie

    # New visitors (no cookie) are spread over both replicas ...
    probe = f"/{BASE}/_stcore/host-config"
    for _ in range(24):
        assert fetch(proxy.url.rsplit("/", 1)[0] + probe)[0] == 200
    fresh = logged(proxy, lambda r: r["path"] == probe and r["status"] == "200")
    assert len({r["upstream"] for r in fresh}) == 2, f"one replica got every new visitor: {fresh}"
    # ... while each returning visitor always reaches the same one, and gets no new cookie.
    for key in ("a" * 32, "b" * 32, "0123456789abcdef" * 2):
        for _ in range(6):
            status, again = fetch(proxy.url.rsplit("/", 1)[0] + probe, cookie=key)
            assert status == 200 and not again
        pinned = logged(proxy, lambda r, k=key: r["affinity"] == k and r["path"] == probe)
        assert len({r["upstream"] for r in pinned}) == 1 and len(pinned) >= 1, pinned


def test_session_sticks_to_one_replica_and_survives_its_death(proxy, browser, tmp_path):
    csv = tmp_path / "three-rows.csv"
    csv.write_bytes(
        csv_bytes(
            "T-1,Joint customs pilot,prosperity,Trade,planned,2025-10-01,https://example.org/a",
            "T-2,Border security dialogue,security,Security,in_progress,2025-11-15,https://example.org/b",
            "T-3,Clean energy working group,environment,Energy,completed,2026-01-20,https://example.org/c",
        )
    )

    lap = Laps()
    # 1. The app loads through nginx under /cmap/ and gets an affinity cookie.
    ctx, page = open_page(browser, f"{proxy.url}/")
    lap("overview loaded through nginx, charts drawn")
    try:
        cookies = [c for c in ctx.cookies() if c["name"] == COOKIE]
        assert cookies and cookies[0]["path"] == f"/{BASE}/", ctx.cookies()
        affinity = cookies[0]["value"]

        # 2. To the Data page within the same session (client-side navigation, one
        #    websocket), then upload: a PUT to /cmap/_stcore/upload_file/<session>/...
        #    that only works on the replica holding that websocket session.
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Data").click()
        page.wait_for_url(re.compile(rf"/{BASE}/data"), timeout=30_000)
        lap("data page")
        uploader = page.get_by_test_id("stFileUploader").filter(has_text="Your CSV file")
        uploader.locator("input[type=file]").set_input_files(str(csv))
        page.get_by_text(re.compile(r"You are exploring your uploaded file .three-rows\.csv")).first.wait_for(
            timeout=30_000
        )
        wait_for_app(page)
        assert re.search(r"\b3 of 3 initiatives", summary(page)), summary(page)
        lap("upload used")

        # 3. A filter change reruns on the same session: the upload is still there.
        box = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="Pillar").first
        box.locator("input").click()
        page.get_by_role("option", name="Security", exact=True).click()
        page.keyboard.press("Escape")
        page.wait_for_function("() => location.search.includes('pillar=security')", timeout=30_000)
        wait_for_app(page)
        assert parse_qs(urlparse(page.url).query)["pillar"] == ["security"]
        assert urlparse(page.url).path == f"/{BASE}/data"
        page.wait_for_function("() => /Security · 1 of 3 initiatives/.test(document.body.innerText)", timeout=30_000)
        assert page.get_by_text(re.compile(r"You are exploring your uploaded file")).count() >= 1
        lap("filter applied to the upload")
        shot(page, "proxy-upload-filtered")

        # Every request of this browser went to one replica, the upload included.
        rows = [r for r in proxy.access_log() if r["affinity"] == affinity]
        puts = [r for r in rows if r["method"] == "PUT" and "/_stcore/upload_file/" in r["path"]]
        assert puts and all(r["status"].startswith("2") for r in puts), puts
        served_by = {r["upstream"] for r in rows}
        assert len(served_by) == 1, f"session hopped between replicas: {served_by}"
        (sticky,) = served_by
        victim = next(s for s in proxy.replicas if sticky == f"127.0.0.1:{s.port}")
    finally:
        ctx.close()

    # 4. The replica holding that session dies.
    victim.stop()
    survivor = next(s for s in proxy.replicas if s is not victim)
    assert get(f"{survivor.url}/_stcore/health") == 200
    lap("sticky replica stopped")

    # 5a. A returning visitor whose cookie hashes to the dead replica is failed
    #     over (Data page: no chart to draw, the check is about routing).
    returning = [{"name": COOKIE, "value": affinity, "domain": "127.0.0.1", "path": f"/{BASE}/"}]
    ctx2, page2 = open_page(browser, f"{proxy.url}/data?pillar=security", cookies=returning, plot=False)
    try:
        # a new session: the upload is gone, the bundled data and the link's filter are there
        page2.wait_for_function(
            "() => /Security · \\d+ of \\d+ initiatives/.test(document.body.innerText)", timeout=30_000
        )
        assert page2.get_by_text(re.compile(r"You are exploring your uploaded file")).count() == 0
        assert not re.search(r"\bof 3 initiatives", summary(page2)), summary(page2)
        lap("returning visitor failed over")
    finally:
        ctx2.close()

    # 5b. A brand-new visitor (no cookie) gets the dashboard, charts included.
    ctx3, page3 = open_page(browser, f"{proxy.url}/")
    try:
        assert re.search(r"\d+ of \d+ initiatives", summary(page3))
        lap("new visitor served")
        shot(page3, "proxy-after-failover")
    finally:
        ctx3.close()

    assert get(f"{proxy.url}/_stcore/health") == 200
    late = [r for r in proxy.access_log() if r["affinity"] == affinity and r["method"] == "GET"]
    assert any(r["upstream"].endswith(f":{survivor.port}") for r in late), late[-5:]
