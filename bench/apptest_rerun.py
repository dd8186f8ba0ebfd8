"""Server-side rerun time after a filter change, with Streamlit's AppTest (no browser).

Run by bench/run.py in a fresh process (so the data cache and imports start
cold, and DASHBOARD_DATA is read once):

    python bench/apptest_rerun.py --app dashboard --page status --repeats 5
    python bench/apptest_rerun.py --app bare --repeats 5

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

PILLAR_VALUES = (["security"], ["prosperity"], ["mobility", "environment"], ["environment"], [],
                 ["prosperity", "security"], ["mobility"])
STATUS_VALUES = ("completed", "in_progress", "planned", "all", "delayed", "ongoing", "cancelled")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", choices=["dashboard", "bare"], default="dashboard")
    ap.add_argument("--page", default="overview")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    sys.path.insert(0, str(ROOT))
    from streamlit.testing.v1 import AppTest

    if args.app == "dashboard":
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=args.timeout)
        at.switch_page(f"pages/{args.page}.py")
    else:
        at = AppTest.from_file(str(ROOT / "bench" / "bare_app.py"), default_timeout=args.timeout)
    t = time.perf_counter()
    at.run()
    first = time.perf_counter() - t
    if at.exception:
        print(json.dumps({"error": str(at.exception[0].message)[:300]}))
        return
    times = []
    for i in range(args.repeats):
        t = time.perf_counter()
        if args.app == "dashboard":
            at.sidebar.multiselect(key="w_pillar").set_value(PILLAR_VALUES[i % len(PILLAR_VALUES)]).run()
        else:
            at.selectbox(key="status").set_value(STATUS_VALUES[i % len(STATUS_VALUES)]).run()
        times.append(time.perf_counter() - t)
        if at.exception:
            print(json.dumps({"error": str(at.exception[0].message)[:300]}))
            return
    print(json.dumps({"first_s": round(first, 4), "times_s": [round(x, 4) for x in times],
                      "median_s": round(statistics.median(times), 4)}))


if __name__ == "__main__":
    main()
