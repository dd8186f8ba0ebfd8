"""What a load reports: the file-level ``LoadError``, the per-row ``Issue``, the
compact ``IssueLog`` of every rejected or corrected row, and the ``LoadResult``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from .mapping import Mapping
    from .plan import Plan

Translator = Callable[[str], str]

REJECTED = "rejected"
CORRECTED = "corrected"
FILE = "file"


class LoadError(Exception):
    """A file-level problem: the whole file cannot be read as the contract asks."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason.format(**params))
        self.reason = reason
        self.params = params


@dataclass(frozen=True)
class Issue:
    line: int | None  # CSV line number, header = 1; None for the file as a whole
    column: str | None
    value: str
    reason: str  # English message id with {named} placeholders
    kind: str  # REJECTED | CORRECTED | FILE
    params: tuple[tuple[str, object], ...] = ()

    def text(self, tr: Translator = lambda s: s) -> str:
        return tr(self.reason).format(**dict(self.params))


DETAIL_ROWS = 1000  # rows per reason kept as Issue objects (LoadResult.issues); all are counted and exported
VALUE_CHARS = 200  # a cell is quoted in a report up to this many characters
_OUTCOME_ORDER = (CORRECTED, FILE, REJECTED)  # issues of one line are listed in this order
ISSUE_COLUMNS = ["line", "column", "value", "outcome", "reason"]  # an issue as a table row


@dataclass
class _Part:
    """The rows one check flagged for one reason (or one batch of the careful reader's)."""

    reason: int  # index into IssueLog.reasons
    lines: np.ndarray  # the CSV line of each row, ascending (int32 while lines fit)
    values: pa.Array | None  # the cell of each row (at most VALUE_CHARS characters); None: all ""
    per_row: dict[str, np.ndarray]  # message parameters that differ per row, aligned with ``lines``


class IssueLog:
    """Every rejected or corrected row, kept compactly (per reason, arrays of lines, cells and per-row
    parameters): ``Issue`` objects are made only for the first rows of each reason or a chunk at a time."""

    def __init__(self) -> None:
        self.reasons: list[Issue] = []
        self._index: dict[tuple, int] = {}
        self.parts: list[_Part] = []
        self._rows: dict[str, int] = {}

    def add(
        self,
        reason: Issue,
        lines: np.ndarray,
        values: pa.Array | None = None,
        per_row: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Log ``reason`` for the rows on ``lines``; ``values`` and each of ``per_row`` have one entry per line."""
        if not len(lines):
            return
        lines = np.asarray(lines)
        per_row = per_row or {}
        if (lines[1:] < lines[:-1]).any():
            order = np.argsort(lines, kind="stable")
            lines = lines[order]
            values = values.take(pa.array(order)) if values is not None else None
            per_row = {name: a[order] for name, a in per_row.items()}
        lines = lines.astype(np.int32 if lines[-1] < 2**31 else np.int64)
        if values is not None and not pc.sum(pc.binary_length(values)).as_py():
            values = None
        key = (reason.reason, reason.kind, reason.column, reason.params)
        k = self._index.get(key)
        if k is None:
            k = self._index[key] = len(self.reasons)
            self.reasons.append(reason)
        self.parts.append(_Part(k, lines, values, per_row))
        self._rows.clear()

    def __len__(self) -> int:
        return sum(len(p.lines) for p in self.parts)

    def rows(self, kind: str) -> int:
        """Distinct lines with an issue of this kind."""
        if kind not in self._rows:
            parts = [p.lines for p in self.parts if self.reasons[p.reason].kind == kind]
            top = max((int(lines[-1]) for lines in parts), default=0)
            if top <= 8 * sum(len(lines) for lines in parts) + (1 << 20):
                seen = np.zeros(top + 1, dtype=bool)
                for lines in parts:
                    seen[lines] = True
                self._rows[kind] = int(np.count_nonzero(seen))
            else:  # a few lines far apart
                lines = np.sort(np.concatenate(parts))
                self._rows[kind] = int(1 + np.count_nonzero(lines[1:] != lines[:-1]))
        return self._rows[kind]

    def _issues(self, part: _Part, at: np.ndarray) -> Iterator[Issue]:
        """The rows ``at`` (positions in ``part``) as Issue objects."""
        proto = self.reasons[part.reason]
        values = part.values.take(pa.array(at)).to_pylist() if part.values is not None else [""] * len(at)
        per_row = {name: a[at].tolist() for name, a in part.per_row.items()}
        with_value = "{value}" in proto.reason and "value" not in per_row
        for j, (line, value) in enumerate(zip(part.lines[at].tolist(), values)):
            params = proto.params + tuple((name, v[j]) for name, v in per_row.items())
            if with_value:
                params += (("value", value),)
            yield Issue(line, proto.column, value, proto.reason, proto.kind, params)

    def details(self, limit: int = DETAIL_ROWS) -> list[Issue]:
        """The first ``limit`` rows (by line) of each reason, in line order."""
        out: list[Issue] = []
        for k in range(len(self.reasons)):
            parts = [p for p in self.parts if p.reason == k]
            heads = [p.lines[:limit] for p in parts]  # each part is in line order
            owner = np.repeat(np.arange(len(parts)), [len(h) for h in heads])
            at = np.concatenate([np.arange(len(h)) for h in heads])
            first = np.argsort(np.concatenate(heads), kind="stable")[:limit]
            for i, part in enumerate(parts):
                out.extend(self._issues(part, np.sort(at[first[owner[first] == i]])))
        out.sort(key=lambda i: i.line or 0)
        return out

    def frames(self, tr: Translator, chunk: int = 100_000) -> Iterator[pd.DataFrame]:
        """Every issue, by line then outcome, as frames (line, column, value, outcome, reason) of about
        ``chunk`` rows: the parts are merged a window of lines at a time."""
        total = len(self)
        if not total:
            yield pd.DataFrame({c: pd.Series(dtype=np.int64 if c == "line" else object) for c in ISSUE_COLUMNS})
            return
        rank = [_OUTCOME_ORDER.index(self.reasons[p.reason].kind) for p in self.parts]
        low = min(int(p.lines[0]) for p in self.parts)
        high = max(int(p.lines[-1]) for p in self.parts) + 1
        span = max(1, (high - low) * chunk // total)
        done = [0] * len(self.parts)
        for top in range(low + span, high + span, span):
            pieces = []
            for i, p in enumerate(self.parts):
                end = int(np.searchsorted(p.lines, top))
                if end > done[i]:
                    pieces.append((i, np.arange(done[i], end)))
                    done[i] = end
            if not pieces:
                continue
            lines = np.concatenate([self.parts[i].lines[at] for i, at in pieces]).astype(np.int64)
            ranks = np.concatenate([np.full(len(at), rank[i]) for i, at in pieces])
            order = np.lexsort((np.arange(len(lines)), ranks, lines))
            issues = [x for i, at in pieces for x in self._issues(self.parts[i], at)]
            cells = {
                "column": [x.column or "" for x in issues],
                "value": [x.value for x in issues],
                "outcome": [x.kind for x in issues],
                "reason": [x.text(tr) for x in issues],
            }
            yield pd.DataFrame(
                {"line": lines[order], **{c: np.array(v, dtype=object)[order] for c, v in cells.items()}}
            )


@dataclass
class LoadResult:
    """A load: the valid rows, the first DETAIL_ROWS issues of each reason (``issues``) and all (``log``)."""

    frame: pd.DataFrame
    issues: list[Issue]
    rows_in_file: int
    source: str
    fatal: Issue | None = None
    extra_columns: tuple[str, ...] = ()
    notes: list[Issue] = field(default_factory=list)  # file-level notes (encoding, delimiter)
    log: IssueLog = field(default_factory=IssueLog, repr=False, compare=False)
    mapping: Mapping | None = None  # the mapping applied; None when the file follows the contract as it is
    plan: Plan | None = field(default=None, repr=False, compare=False)  # the plan the pillars were checked against

    @property
    def rejected_rows(self) -> int:
        """Rows not kept (each counted once, whatever its number of reasons)."""
        return self.log.rows(REJECTED)

    @property
    def corrected_rows(self) -> int:
        """Rows kept with at least one value corrected."""
        return self.log.rows(CORRECTED)

    @property
    def ok(self) -> bool:
        return self.fatal is None

    @property
    def issue_count(self) -> int:
        """Every issue (a row with three problems has three), listed in ``issues`` or not."""
        return len(self.log)

    @property
    def issues_truncated(self) -> bool:
        """True when ``issues`` holds only the first DETAIL_ROWS rows of some reason."""
        return self.issue_count > len(self.issues)

    def issues_frame(self, tr: Translator = lambda s: s) -> pd.DataFrame:
        """``issues`` (the bounded details) as a table, by line."""
        rows = [
            {"line": i.line, "column": i.column or "", "value": i.value, "outcome": i.kind, "reason": i.text(tr)}
            for i in sorted(self.issues, key=lambda i: (i.line or 0, i.kind))
        ]
        return pd.DataFrame(rows, columns=ISSUE_COLUMNS)

    def counts_by_reason(self, tr: Translator = lambda s: s) -> pd.DataFrame:
        """One row per reason: outcome, column ('' for the whole row), the reason (a parameter that differs
        per row reads '…') and how many rows have it. Rejected first, then most rows first."""
        totals: dict[tuple, int] = {}
        for part in self.log.parts:
            reason = self.log.reasons[part.reason]
            text = tr(reason.reason).format_map(defaultdict(lambda: "…", reason.params))  # per-row ones: '…'
            key = (reason.kind, reason.column or "", text)
            totals[key] = totals.get(key, 0) + len(part.lines)
        table = pd.DataFrame([(*k, n) for k, n in totals.items()], columns=["outcome", "column", "reason", "rows"])
        order = np.lexsort((-table["rows"].to_numpy(dtype=np.int64), (table["outcome"] != REJECTED).to_numpy()))
        return table.iloc[order].reset_index(drop=True).astype({"rows": np.int64})

    def issue_frames(self, tr: Translator = lambda s: s) -> Iterator[pd.DataFrame]:
        """Every issue, as ``issues_frame`` but not bounded, a chunk at a time, built on demand from the log."""
        return self.log.frames(tr)

    def all_issues_frame(self, tr: Translator = lambda s: s) -> pd.DataFrame:
        """Every issue in one frame (large for a bad file)."""
        return pd.concat(list(self.issue_frames(tr)), ignore_index=True)
