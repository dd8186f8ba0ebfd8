"""Server-side rerun time after a filter change, with Streamlit's AppTest (no browser).

Run by bench/run.py in a fresh process (so the data cache and imports start
cold, and DASHBOARD_DATA is read once):

    python bench/apptest_rerun.py --app dashboard --page status --repeats 5
    python bench/apptest_rerun.py --app bare --repeats 5
    python bench/apptest_rerun.py --app both --page status --repeats 5   # samples alternate

Prints one JSON object. The first run of a page warms the shared data cache and
the imports; only the runs after it are timed. Each timed run changes the
filter to a different value, so every run is a real change.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PILLAR_VALUES = (
    ["security"],
    ["prosperity"],
    ["mobility", "environment"],
    ["environment"],
    [],
    ["prosperity", "security"],
    ["mobility"],
)
STATUS_VALUES = ("completed", "in_progress", "planned", "all", "delayed", "ongoing", "cancelled")


def _start(app: str, page: str, timeout: float):
    from streamlit.testing.v1 import AppTest

    if app == "dashboard":
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=timeout)
        at.switch_page(f"pages/{page}.py")
    else:
        at = AppTest.from_file(str(ROOT / "bench" / "bare_app.py"), default_timeout=timeout)
    t = time.perf_counter()
    at.run()
    return at, time.perf_counter() - t


def _change(at, app: str, i: int) -> float:
    t = time.perf_counter()
    if app == "dashboard":
        at.sidebar.multiselect(key="w_pillar").set_value(PILLAR_VALUES[i % len(PILLAR_VALUES)]).run()
    else:
        at.selectbox(key="status").set_value(STATUS_VALUES[i % len(STATUS_VALUES)]).run()
    return time.perf_counter() - t


def _error(at) -> str | None:
    return str(at.exception[0].message)[:300] if at.exception else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", choices=["dashboard", "bare", "both"], default="dashboard")
    ap.add_argument("--page", default="overview")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    sys.path.insert(0, str(ROOT))
    apps = ["dashboard", "bare"] if args.app == "both" else [args.app]
    tests, out = {}, {}
    for app in apps:
        tests[app], first = _start(app, args.page, args.timeout)
        out[app] = {"first_s": round(first, 4), "times_s": []}
        if _error(tests[app]):
            print(json.dumps({"error": _error(tests[app])}))
            return
    for i in range(args.repeats):  # with both apps, their samples alternate
        for app in apps:
            out[app]["times_s"].append(round(_change(tests[app], app, i), 4))
            if _error(tests[app]):
                print(json.dumps({"error": _error(tests[app])}))
                return
    for v in out.values():
        v["median_s"] = round(statistics.median(v["times_s"]), 4)
    print(json.dumps(out if args.app == "both" else out[args.app]))


if __name__ == "__main__":
    main()
