"""Dated snapshots (``data/snapshots/YYYY-MM-DD.csv``, each a full CSV under the
contract): loading them, freezing a new one, the rows each refused, the burn-up across
them, and the sidebar filters as a row filter."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date as _date
from pathlib import Path

import numpy as np
import pandas as pd

from . import csv_careful
from .derived import per_object
from .loader import load
from .plan import Plan, current
from .report import REJECTED, LoadError, LoadResult
from .sources import decode, normalise_header, read_source, sniff_delimiter

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT_DIR = ROOT / "data" / "snapshots"

Keep = Callable[[pd.DataFrame], "pd.Series | np.ndarray"]


def _valid_date(text: str) -> bool:
    try:
        _date.fromisoformat(text)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text))


def list_snapshots(directory: str | Path = SNAPSHOT_DIR) -> list[str]:
    """ISO dates of the regular files named ``YYYY-MM-DD.csv`` (a real date) in
    ``directory``, oldest first; none when it does not exist."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted(p.stem for p in directory.glob("*.csv") if _valid_date(p.stem) and p.is_file())


def refusals(result: LoadResult, date: str, directory: str | Path = SNAPSHOT_DIR) -> list[str]:
    """Why the loaded data file ``result`` may not be frozen as snapshot ``date`` (none: it may). A snapshot is
    refused when the file has rejected rows, when ``date`` is not after the newest snapshot's, or when an id of
    the newest snapshot is gone from the file (its row stays, cancelled or with a note saying what became of it)."""
    out = []
    if result.rejected_rows:
        out.append(f"{result.source} has {result.rejected_rows} rejected row(s); `check` lists them.")
    dates = list_snapshots(directory)
    if not dates:
        return out
    if date <= dates[-1]:
        out.append(f"{date} is not after the newest snapshot, {dates[-1]}.")
    previous = load_snapshot(dates[-1], directory)
    if previous.result.fatal is not None:
        return [*out, f"The newest snapshot, {dates[-1]}, cannot be read: {previous.result.fatal.text()}"]
    present = set(result.frame["id"]) | {r.id for r in Snapshot(date, result).rejected_rows()}
    gone = sorted(set(previous.frame["id"]) - present)
    if gone:
        out.append(
            f"{len(gone)} id(s) of snapshot {dates[-1]} are gone from {result.source}: {', '.join(gone)}. "
            "Keep each row, with status cancelled or a source_note saying what became of it."
        )
    return out


def freeze(source: str | Path, date: str, directory: str | Path = SNAPSHOT_DIR) -> Path:
    """Copy the file ``source`` byte for byte to ``directory/<date>.csv`` (never over an existing file)."""
    target = Path(directory) / f"{date}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(source, "rb") as src, open(target, "xb") as out:
        shutil.copyfileobj(src, out)
    return target


@dataclass(frozen=True)
class Rejected:
    """A row of a snapshot file that the loader refused."""

    date: str  # the snapshot it comes from
    line: int | None  # CSV line number (header = 1)
    id: str  # '' when the id could not be read
    reason: str  # the loader's reasons, joined with '; '


@dataclass(frozen=True, eq=False)
class Snapshot:
    date: str
    result: LoadResult
    rejected: tuple[Rejected, ...] = ()  # with ids read back from the file, by load_snapshot

    @property
    def frame(self) -> pd.DataFrame:
        return self.result.frame

    def rejected_rows(self) -> tuple[Rejected, ...]:
        """``rejected`` if filled, else derived from the result (ids read back from
        ``result.source`` when it is a local file; without an id, a row is reported by line)."""
        if self.rejected or not self.result.rejected_rows:
            return self.rejected
        source = Path(self.result.source)
        return _rejected(self.date, self.result, source if source.is_file() else None)


def load_snapshot(date: str, directory: str | Path = SNAPSHOT_DIR, *, plan: Plan | None = None) -> Snapshot:
    """Load ``directory/<date>.csv`` through the ordinary loader (a file it cannot use
    has ``result.fatal`` set). Raises ``ValueError`` for a malformed date and
    ``FileNotFoundError`` when there is no such snapshot. Pillars are checked against ``plan``
    (default: the current plan)."""
    if not _valid_date(date):
        raise ValueError(f"Not a snapshot date (YYYY-MM-DD): {date!r}")
    path = Path(directory) / f"{date}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"No snapshot for {date} in {directory}")
    result = load(path, limit=None, plan=plan)
    rejected = _rejected(date, result, path) if result.rejected_rows else ()
    return Snapshot(date, result, rejected)


def load_snapshots(directory: str | Path = SNAPSHOT_DIR, *, plan: Plan | None = None) -> list[Snapshot]:
    """Every snapshot in ``directory``, oldest first."""
    return [load_snapshot(d, directory, plan=plan) for d in list_snapshots(directory)]


def _rejected(date: str, result: LoadResult, path: Path | None) -> tuple[Rejected, ...]:
    """One ``Rejected`` per refused line, ids read back from the file with the careful
    parser, whose line numbers are the ones the loader reports."""
    reasons: dict[int | None, list[str]] = {}
    ids: dict[int | None, str] = {}
    for part in result.issue_frames():  # every issue, not only the first DETAIL_ROWS of each reason
        part = part[part["outcome"] == REJECTED]
        for line, column, value, reason in zip(part["line"], part["column"], part["value"], part["reason"]):
            line = None if pd.isna(line) else int(line)
            reasons.setdefault(line, []).append(reason)
            if column == "id" and value:
                ids[line] = value
    if path is not None:
        try:
            text, _ = decode(read_source(path, limit=None))
            raw, lines, _ = csv_careful.parse(text, sniff_delimiter(text))
            raw.columns = [normalise_header(c) for c in raw.columns]
            if "id" in raw.columns:
                by_line = dict(zip(lines.tolist(), raw["id"].str.strip()))
                for line in reasons:
                    if by_line.get(line):
                        ids.setdefault(line, by_line[line])
        except (LoadError, OSError):
            pass  # the lines are still reported, without ids
    return tuple(
        Rejected(date, line, ids.get(line, ""), "; ".join(r))
        for line, r in sorted(reasons.items(), key=lambda kv: kv[0] or 0)
    )


def usable(s: Snapshot) -> pd.DataFrame:
    if s.result.fatal is not None:
        raise ValueError(f"Snapshot {s.date} could not be loaded: {s.result.fatal.text()}")
    return s.result.frame


def kept_mask(frame: pd.DataFrame, keep: Keep | None) -> np.ndarray:
    if keep is None:
        return np.ones(len(frame), dtype=bool)
    mask = np.asarray(keep(frame), dtype=bool)
    if mask.shape != (len(frame),):
        raise ValueError("keep() must return one boolean per row of the frame it is given")
    return mask


def burnup(snapshots: Iterable[Snapshot], keep: Keep | None = None) -> pd.DataFrame:
    """Per snapshot date and pillar slug (in plan order): ``total`` and ``completed`` rows.
    A pillar with rows in any snapshot appears at every date, so lines do not break."""
    snaps = sorted(snapshots, key=lambda s: s.date)
    per: list[tuple[dict, dict]] = []  # per snapshot: pillar -> total, pillar -> completed
    for s in snaps:
        f = usable(s)
        m = kept_mask(f, keep)
        names, inv, done = _pillars_and_done(f)
        total = np.bincount(inv[m], minlength=len(names))
        completed = np.bincount(inv[m], weights=done[m], minlength=len(names))
        present = np.flatnonzero(total)  # pillars with kept rows in this snapshot
        per.append(({names[i]: int(total[i]) for i in present}, {names[i]: completed[i] for i in present}))
    seen: set[str] = set().union(*(t for t, _c in per))
    order = current().pillars.slugs
    pillars = [p for p in order if p in seen] + sorted(seen - set(order))
    dates = [s.date for s in snaps]
    return pd.DataFrame(
        {
            "date": np.repeat(np.array(dates, dtype="datetime64[D]"), len(pillars)).astype("datetime64[us]"),
            "pillar": pd.array([p for _d in dates for p in pillars], dtype="str"),
            "total": np.array([t.get(p, 0) for t, _c in per for p in pillars], dtype=int),
            "completed": np.array([int(c.get(p, 0)) for _t, c in per for p in pillars], dtype=int),
        }
    )


def _pillars_and_done(frame: pd.DataFrame) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(pillar names, each row's index into them, completed or not), once per frame."""

    def compute():
        names, inv = np.unique(frame["pillar"].astype(str).to_numpy(), return_inverse=True)
        return names.tolist(), inv.reshape(-1), (frame["status"] == "completed").to_numpy(dtype=bool)

    return per_object(frame, "pillars_and_done", compute)


def keep_from_filters(filters) -> Keep:
    """A ``keep`` applying a ``filters.Filters`` to a snapshot frame (``Filters.mask`` keeps
    each mask, read-only, for every caller with the same filters)."""
    return lambda frame: filters.mask(_dataset_of(frame))


def _dataset_of(frame: pd.DataFrame):
    """The filter indexes of a snapshot frame, built once per frame object."""
    from .dataset import build

    def compute():
        flat = frame.reset_index(drop=True)
        return build(LoadResult(flat, [], len(flat), "snapshot"))

    return per_object(frame, "dataset", compute)
