"""The maintainer's command line (``python -m cmap_tracker``): ``check`` a data file, freeze it as a dated
``snapshot`` (and rewrite the Atom feed), ``diff`` two snapshots; ``feed`` rewrites the feed alone."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path

import pandas as pd

from . import changes, feed, safe, snapshots
from . import plan as plan_mod
from .contract import UNMAPPED, Fill
from .loader import failed, load, read_plan
from .mapping import as_data, read_mapping_source
from .report import LoadError, LoadResult
from .sources import NO_LIMIT

DATA = snapshots.ROOT / "data" / "initiatives.csv"
OK, REJECTED, UNREADABLE = 0, 1, 2  # exit codes
EXIT_CODES = (
    "exit codes: 0 done (the file may have corrected rows), 1 a row is rejected or the snapshot is refused, "
    "2 a file cannot be read at all or the command line is wrong"
)


def _date(text: str) -> str:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}")


def _emit(data: dict, fmt: str, as_text: Callable[[dict], None]) -> None:
    """``data`` on standard output, as JSON or as ``as_text`` prints it."""
    if fmt == "json":
        print(json.dumps(data, ensure_ascii=False, indent=1, default=str))
    else:
        as_text(data)


def _load(path: str | Path) -> LoadResult:
    """The maintainer's own file, read in full, against the plan of the run (``--plan``, else the bundled one)."""
    return load(path, limit=None)


# ----------------------------------------------------------------------- check


def report(result: LoadResult) -> dict:
    """The validation report as plain data: counts, counts by reason, then every issue by line."""
    issues = pd.concat([f.astype({"line": object}) for f in result.issue_frames()], ignore_index=True)
    return {
        "source": result.source,
        "mapping": as_data(result.mapping) if result.mapping is not None else None,
        "readable": result.ok,
        "fatal": result.fatal.text() if result.fatal else None,
        "notes": [n.text() for n in result.notes],
        "rows_in_file": result.rows_in_file,
        "valid_rows": len(result.frame),
        "rejected_rows": result.rejected_rows,
        "corrected_rows": result.corrected_rows,
        "by_reason": result.counts_by_reason().to_dict(orient="records"),
        "issues": issues.to_dict(orient="records"),
    }


def _fed_by(name: str, spec: dict) -> str:
    """What feeds a contract column, in words: a file column, a constant, or the default (and what that is)."""
    ((key, value),) = spec.items()
    if key != "default":
        return f"{key} {value!r}"
    default = UNMAPPED[name]
    return "default: " + {Fill.LINE: "the line number", Fill.SOURCE: "the file's own address or name"}.get(
        default.fill, repr(default.value)
    )


def print_mapping(mapping: dict) -> None:
    print("mapping applied (contract column <- file column, constant or default):")
    for name, spec in mapping["columns"].items():
        print(f"  {name} <- {_fed_by(name, spec)}")
    for name, pairs in mapping["values"].items():
        print(f"  {name} values: " + ", ".join(f"{k!r} -> {v}" for k, v in pairs.items()))
    print(f"  dates: {mapping['dates']['order']}")


def print_report(r: dict) -> None:
    if r["mapping"]:
        print_mapping(r["mapping"])
    if r["fatal"]:
        print(f"{r['source']}: cannot be read: {r['fatal']}")
        return
    print(
        f"{r['source']}: {r['rows_in_file']} rows in the file, {r['valid_rows']} valid, "
        f"{r['rejected_rows']} rejected, {r['corrected_rows']} corrected."
    )
    for note in r["notes"]:
        print(f"note: {note}")
    for c in r["by_reason"]:
        print(f"  {c['rows']:>6} {c['outcome']}: {c['column'] or 'row'}: {c['reason']}")
    for i in r["issues"]:
        print(f"line {i['line']}, column {i['column'] or '-'}: {i['outcome']}: {i['reason']} (value: {i['value']!r})")


def check(args: argparse.Namespace) -> int:
    """FILE read as the dashboard reads a DASHBOARD_DATA file: against ``--plan``, else with pillars of its own
    when they are mostly not the bundled plan's; through ``--mapping``, else the mapping guessed for its shape."""
    try:
        mapping = read_mapping_source(args.mapping) if args.mapping else None
    except LoadError as exc:
        result = failed(exc, str(args.file))
    else:
        result = load(args.file, limit=None, plan=args.plan, open_pillars=not args.plan, mapping=mapping)
    _emit(report(result), args.format, print_report)
    return UNREADABLE if not result.ok else REJECTED if result.rejected_rows else OK


# -------------------------------------------------------------------- snapshot


def _base_url(args: argparse.Namespace) -> str:
    return (args.base_url or os.environ.get("DASHBOARD_URL", "")).strip()


def _bad_base_url(args: argparse.Namespace) -> str | None:
    base = _base_url(args)
    return f"The dashboard's address must be an http(s) URL: {base!r}." if base and not safe.http_url(base) else None


def snapshot(args: argparse.Namespace) -> int:
    when = args.date or date.today().isoformat()
    result = _load(args.data)
    if result.fatal is not None:
        print(f"snapshot refused: {args.data} cannot be read: {result.fatal.text()}", file=sys.stderr)
        return UNREADABLE
    why = snapshots.refusals(result, when, args.dir) + [w for w in [_bad_base_url(args)] if w]
    if why:
        print("snapshot refused:", *(f"- {w}" for w in why), sep="\n", file=sys.stderr)
        return REJECTED
    target = snapshots.freeze(args.data, when, args.dir)
    print(f"wrote {target}")
    return write_feed(args)


def write_feed(args: argparse.Namespace) -> int:
    if args.feed is None:
        print("feed not written: the feed is the bundled plan's; --feed FILE writes one for this plan", file=sys.stderr)
        return OK if args.command == "snapshot" else UNREADABLE
    bad = _bad_base_url(args)
    if bad:
        print(f"feed not written: {bad}", file=sys.stderr)
        return UNREADABLE
    snaps = snapshots.load_snapshots(args.dir)
    path = feed.write(snaps, _base_url(args), args.feed)
    print(f"wrote {path} ({sum(1 for _ in feed.entries(snaps))} entries)")
    return OK


# ------------------------------------------------------------------------ diff


def _side(args: argparse.Namespace, when: str | None) -> snapshots.Snapshot:
    if when is None:
        result = _load(args.data)
        if result.fatal is not None:
            raise ValueError(f"{args.data} cannot be read: {result.fatal.text()}")
        return snapshots.Snapshot(str(args.data), result)
    if when not in snapshots.list_snapshots(args.dir):
        raise ValueError(
            f"no snapshot dated {when} in {args.dir}; there are: {', '.join(snapshots.list_snapshots(args.dir))}"
        )
    s = snapshots.load_snapshot(when, args.dir)
    snapshots.usable(s)  # ValueError when it cannot be read
    return s


def diff_data(d: changes.Diff) -> dict:
    """A diff as plain data: the What changed page's counts, then its tables (dates ISO)."""
    tables = {name: getattr(d, name) for name in changes.TABLES}
    tables["added"] = d.added[["id", "title", "status"]]
    tables["removed"] = d.removed[["id", "title", "status"]]
    tables["slippage"] = d.slippage.assign(
        before_end=d.slippage["before_end"].dt.strftime("%Y-%m-%d"),
        after_end=d.slippage["after_end"].dt.strftime("%Y-%m-%d"),
    )
    return {
        "since": d.since,
        "until": d.until,
        "counts": changes.diff_summary(d),
        **{name: t.astype(object).to_dict(orient="records") for name, t in tables.items()},
        "rejected": [asdict(r) for r in d.unmatched_rejected],
    }


def print_diff(r: dict) -> None:
    print(f"From {r['since']} to {r['until']}: " + ", ".join(f"{n} {k}" for k, n in r["counts"].items()) + ".")
    for name, line in (
        ("added", "+ {id} {title} ({status})"),
        ("removed", "- {id} {title} ({status})"),
        ("completions", "completed: {id} {title}"),
        ("status_flow", "status: {id} {before} -> {after}"),
        ("slippage", "slipped: {id} {title}: {before_end} -> {after_end} (+{days} days)"),
        ("changes", "changed: {id} {field}: {before!r} -> {after!r}"),
    ):
        for row in r[name]:
            print(line.format(**row))
    for row in r["rejected"]:
        print("rejected in a snapshot, not counted: {date} line {line} {id}: {reason}".format(**row))


def diff(args: argparse.Namespace) -> int:
    try:
        a, b = _side(args, args.since), _side(args, args.until)
    except ValueError as exc:
        print(f"diff: {exc}", file=sys.stderr)
        return UNREADABLE
    if args.until is not None and args.since >= args.until:
        print("diff: SINCE must be earlier than UNTIL.", file=sys.stderr)
        return UNREADABLE
    _emit(diff_data(changes.diff(a, b)), args.format, print_diff)
    return OK


# ---------------------------------------------------------------------- parser


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m cmap_tracker", description="Check, snapshot and compare the tracker's data.", epilog=EXIT_CODES
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, text: str, run) -> argparse.ArgumentParser:
        p = commands.add_parser(name, help=text, description=text, epilog=EXIT_CODES)
        p.set_defaults(run=run)
        return p

    def where(p: argparse.ArgumentParser, data: bool = True) -> None:
        if data:
            p.add_argument("--data", type=Path, default=DATA, help="the data file (default: %(default)s)")
        p.add_argument("--plan", help="the plan file whose pillars the files use (default: the bundled plan)")
        p.add_argument(
            "--dir",
            type=Path,
            help=f"snapshots (default: the snapshots folder next to --plan, else {snapshots.SNAPSHOT_DIR})",
        )

    def feed_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--base-url",
            help="the dashboard's public address for the feed's links (default: $DASHBOARD_URL, else links relative to the feed's own)",
        )
        p.add_argument("--feed", type=Path, help=f"the Atom feed (default: {feed.FEED_PATH}; none for another --plan)")

    p = command(
        "check", "Print the validation report of a data file: counts, then each rejected or corrected row.", check
    )
    p.add_argument("file", type=Path, help="the CSV file to check, read as the dashboard reads DASHBOARD_DATA")
    p.add_argument(
        "--plan", help="the plan file whose pillars the file uses (default: its own pillars, or the bundled plan's)"
    )
    p.add_argument("--mapping", help="a mapping file for a file of another shape (default: the guessed mapping)")
    p.add_argument("--format", choices=("text", "json"), default="text")

    p = command("snapshot", "Freeze the data file as DIR/DATE.csv and rewrite the Atom feed of changes.", snapshot)
    p.add_argument("--date", type=_date, help="the snapshot's date, YYYY-MM-DD (default: today)")
    where(p)
    feed_options(p)

    p = command("diff", "Print what changed between two snapshots, counted as the What changed page counts it.", diff)
    p.add_argument("since", type=_date, metavar="SINCE", help="a snapshot date")
    p.add_argument(
        "until", type=_date, nargs="?", metavar="UNTIL", help="a later snapshot date (default: the data file)"
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    where(p)

    p = command("feed", "Rewrite the Atom feed from the snapshots alone (e.g. after the dashboard moved).", write_feed)
    where(p, data=False)
    feed_options(p)
    return top


def _use_plan(args: argparse.Namespace) -> str | None:
    """Make ``--plan`` the plan of this run, and default ``--dir`` (and ``--feed``) from it; what is wrong, if any."""
    if args.plan:
        try:
            plan_mod.use(read_plan(args.plan, NO_LIMIT))
        except LoadError as exc:
            return f"the plan file {args.plan} cannot be read: {exc}"
        if args.dir is None and safe.http_url(args.plan):
            return "a plan read from an address has no snapshots folder next to it: give --dir"
    args.dir = args.dir or (Path(args.plan).parent / "snapshots" if args.plan else snapshots.SNAPSHOT_DIR)
    if "feed" in args and args.feed is None and not args.plan:
        args.feed = feed.FEED_PATH
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    problem = None if args.command == "check" else _use_plan(args)
    if problem:
        print(f"{args.command}: {problem}", file=sys.stderr)
        return UNREADABLE
    return args.run(args)
