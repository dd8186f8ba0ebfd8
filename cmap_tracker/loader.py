"""``load``: any CSV (a path, an http(s) URL or uploaded bytes) to a typed frame and a report
that accounts for every row (``len(frame) + rejected_rows == rows_in_file``), read by ``csv_fast``
or else ``csv_careful`` and checked by ``checks``; a hostile file costs bounded time and memory."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from . import contract, csv_careful, csv_fast
from . import mapping as mapping_mod
from . import plan as _plan
from .arrow_text import blank
from .checks import Checker
from .contract import BY_NAME, COLUMN_NAMES, COLUMNS, MAX_UPLOAD_BYTES, REQUIRED, Kind
from .mapping import Mapping
from .report import FILE, REJECTED, Issue, LoadError, LoadResult
from .sources import (
    LOAD_SECONDS,
    Clock,
    Parsed,
    is_blank,
    line_feeds,
    normalise_header,
    public_name,
    read_input,
    read_source,
    refuse_repeats,
    refuse_wide,
)


def load(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    limit: int | None = MAX_UPLOAD_BYTES,
    budget: float | None = None,
    plan: _plan.Plan | str | Path | None = None,
    open_pillars: bool = False,
    mapping: Mapping | None = None,
) -> LoadResult:
    """Load and validate. Never raises for bad input: file-level problems, among them a load longer
    than ``budget`` seconds (LOAD_SECONDS by default), come back as ``result.fatal``. A file of another
    shape (without the contract's required columns) is read through the mapping ``guess`` makes of it, laid
    under ``mapping``, which decides the columns it names; a file of the contract's shape through ``mapping``.
    Pillars are checked against ``plan`` (default: the current plan; or a plan file's path or URL); with
    ``open_pillars``, a file whose pillar values are mostly not the plan's declares its own."""
    label = name or (str(source) if not isinstance(source, (bytes, bytearray)) else "upload")
    chosen = plan if isinstance(plan, _plan.Plan) else _plan.current()
    clock = Clock(LOAD_SECONDS if budget is None else budget)
    try:
        try:
            max_rows = contract.MAX_UPLOAD_ROWS if limit is not None else None
            if plan is not None and not isinstance(plan, _plan.Plan):
                chosen = read_plan(plan, clock)
            data = read_input(source, limit=limit, clock=clock)
            return _load(data, label, clock, max_rows, mapping, chosen, open_pillars)
        except FileNotFoundError:  # removed while it was being read
            raise LoadError("The data file {source} does not exist.", source=str(source)) from None
        except csv.Error as exc:  # every csv.Error the readers expect is handled where it arises
            raise LoadError("The file could not be read as CSV: {error}.", error=str(exc)) from None
    except LoadError as exc:
        return failed(exc, label, chosen)


def read_plan(source: str | Path, clock: Clock) -> _plan.Plan:
    """A plan file (a path or an http(s) URL), or a LoadError saying what is wrong with it."""
    return _plan.parse(read_source(source, limit=_plan.MAX_PLAN_BYTES, clock=clock))


def failed(exc: LoadError, label: str, plan: _plan.Plan | None = None) -> LoadResult:
    """A load refused as a whole, for ``exc``."""
    fatal = Issue(None, None, "", exc.reason, FILE, tuple(exc.params.items()))
    return LoadResult(empty_frame(), [], 0, label, fatal=fatal, plan=plan)


def empty_frame() -> pd.DataFrame:
    dtypes = {Kind.DATE: "datetime64[ns]", Kind.BOOL: bool}
    return pd.DataFrame(
        {**{c.name: pd.Series(dtype=dtypes.get(c.kind, str)) for c in COLUMNS}, "line": pd.Series(dtype=int)}
    )


def _load(
    data: bytes | Path,
    label: str,
    clock: Clock,
    max_rows: int | None,
    mapping: Mapping | None,
    plan: _plan.Plan,
    open_pillars: bool,
) -> LoadResult:
    """Parsed, then checked."""
    parsed = parse(data, clock, max_rows)
    del data  # the columns hold all that is needed from here on
    names = [normalise_header(c) for c in parsed.header]
    refuse_repeats(names)
    missing = [c for c in REQUIRED if c not in names]
    if missing:  # a file of another shape: the guess, under the columns a given mapping names
        guessed = mapping_mod.guess(parsed.header, _sample(parsed.columns), clock, given=mapping)
        if mapping is not None or (mapping_mod.renames(guessed) and mapping_mod.complete(guessed)):
            mapping = guessed
    if mapping is None and missing:
        raise LoadError(
            "Required column(s) missing: {missing}. Expected at least: {expected}.",
            missing=", ".join(missing),
            expected=", ".join(REQUIRED),
        )
    log = parsed.log
    rows_in_file = len(parsed.lines) + log.rows(REJECTED)
    if rows_in_file == 0:
        raise LoadError(
            "The file has a header but no rows. Expected columns: {expected}.", expected=", ".join(REQUIRED)
        )

    rules: dict[str, Any] = {}  # what a mapping brings to the checks
    if mapping is None:
        columns = dict(zip(names, parsed.columns))
    else:
        columns, rules = _mapped(mapping, parsed, label)
    empty = blank(len(parsed.lines))  # one array for every missing column (Arrow arrays are immutable)
    columns |= {c: empty for c in COLUMN_NAMES if c not in columns}
    extra = tuple(c for c in columns if c not in BY_NAME)
    checker = Checker(columns, parsed.lines, log, **rules)
    del columns
    clock.check()
    if open_pillars:
        plan = plan.for_values(checker.value_counts("pillar"), public_name(label))
    frame = checker.run(clock, {"pillar": plan.pillars})
    result = LoadResult(
        frame,
        log.details(),
        rows_in_file,
        label,
        extra_columns=extra,
        notes=parsed.notes + checker.notes,
        log=log,
        mapping=mapping,
        plan=plan,
    )
    assert len(frame) + result.rejected_rows == rows_in_file, "loader lost a row"
    return result


def parse(data: bytes | Path, clock: Clock | None = None, max_rows: int | None = contract.MAX_UPLOAD_ROWS) -> Parsed:
    """A file's header as written and its columns, unchecked: read by the fast reader, or else the careful one;
    a LoadError for an empty or too wide file, or more than ``max_rows`` rows."""
    clock = clock or Clock(LOAD_SECONDS)
    src = data if isinstance(data, Path) else pa.py_buffer(data)
    if is_blank(src):
        raise LoadError("The file is empty.")
    refuse_wide(src)
    # with more lines than rows allowed, the careful reader counts the rows (not every line is one)
    too_many = max_rows is not None and line_feeds(src) > max_rows + 1
    parsed = None if too_many else csv_fast.read(src)
    clock.check()
    if parsed is None:
        parsed = csv_careful.read(data if isinstance(data, bytes) else read_source(data, limit=None), clock, max_rows)
        clock.check()
    return parsed


def _sample(columns: list[pa.ChunkedArray]) -> list[tuple[str, ...]]:
    """The first rows of a parsed file, for the guess of its mapping."""
    return list(zip(*(col.slice(0, mapping_mod.SAMPLE_ROWS).to_pylist() for col in columns)))


def _mapped(mapping: Mapping, parsed: Parsed, label: str) -> tuple[dict[str, pa.ChunkedArray], dict[str, Any]]:
    """The columns of a file read through ``mapping``, and what the checks take from it."""
    columns, trusted, missing = mapping_mod.apply(mapping, parsed.header, parsed.columns, parsed.lines, label)
    if missing:
        raise LoadError(
            "Required column(s) missing: {missing}. Expected at least: {expected}.",
            missing=", ".join(missing),
            expected=", ".join(REQUIRED),
        )
    overrides = {c: mapping.overrides(c) for c in mapping_mod.TERM_COLUMNS}
    return columns, {"overrides": overrides, "trusted": trusted, "date_order": mapping.dates}
