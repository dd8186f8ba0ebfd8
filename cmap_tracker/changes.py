"""What changed between two snapshots: rows added, removed, edited, completed, delayed
and slipped (``Diff``), matched by ``id`` only, and its headline counts."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .derived import per_object
from .snapshots import Keep, Rejected, Snapshot, kept_mask, usable

COMPARED = ("status", "start_date", "end_date", "pillar", "sector", "themes")
FIELDS = ("title",) + COMPARED  # the fields reported in ``Diff.changes``, in this order
TABLES = ("added", "removed", "changes", "status_flow", "slippage", "completions")


@dataclass(frozen=True, eq=False)
class Diff:
    """What changed from snapshot ``since`` to snapshot ``until``, rows matched by ``id``.

    An id the loader rejected in the other file is neither added nor removed but
    listed in ``unmatched_rejected`` (never counted, never filtered). ``changes`` has
    one row per (id, field) that differs, values as text (dates ISO, '' for empty),
    themes compared as sets. ``slippage`` holds end dates present on both sides that
    moved later; ``completions`` rows that became or were added ``completed``. With a
    row filter, a row takes part when it passes in either snapshot."""

    since: str
    until: str
    added: pd.DataFrame
    removed: pd.DataFrame
    changes: pd.DataFrame  # id, title, field, before, after
    status_flow: pd.DataFrame  # id, before, after
    slippage: pd.DataFrame  # id, title, before_end, after_end, days
    completions: pd.DataFrame  # id, title, pillar, before
    unmatched_rejected: list[Rejected]

    def is_empty(self) -> bool:
        """No row added, removed or changed (rejected rows are not counted)."""
        return self.added.empty and self.removed.empty and self.changes.empty

    def only(self, ids: set[str]) -> Diff:
        """The same comparison restricted to rows whose id is in ``ids``."""
        return self._select(lambda frame: frame["id"].isin(ids).to_numpy())

    def _select(self, keep) -> Diff:
        """The rows of each table for which ``keep(table)`` is True."""

        def pick(frame: pd.DataFrame) -> pd.DataFrame:
            if frame.empty:  # the frames are never modified: nothing to copy
                return frame
            mask = keep(frame)
            if mask.all():
                return frame
            picked = frame.take(np.flatnonzero(mask))
            picked.index = pd.RangeIndex(len(picked))  # in place: reset_index would copy every column again
            return picked

        picked = {name: pick(getattr(self, name)) for name in TABLES}
        return replace(self, **picked, unmatched_rejected=list(self.unmatched_rejected))


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The FIELDS of ``frame`` as plain strings, indexed by id."""
    out = {}
    for c in FIELDS:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = s.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
        else:
            out[c] = s.astype(object).where(s.notna(), "").astype(str).to_numpy(dtype=object)
    return pd.DataFrame(out, index=pd.Index(frame["id"].to_numpy(dtype=object), name="id"))


def _theme_key(themes: pd.Series) -> pd.Series:
    uniq = themes.unique()
    table = {u: ";".join(sorted(p for p in str(u).split(";") if p)) for u in uniq}
    return themes.map(table)


def diff(a: Snapshot, b: Snapshot, keep: Keep | None = None) -> Diff:
    """Compare snapshot ``a`` (since) with ``b`` (until), optionally only rows ``keep``
    passes (one bool per row of a frame). The whole comparison is cached per pair;
    ``keep`` then selects from it. Raises ``ValueError`` if a snapshot failed to load."""
    full = per_object((a, b), "diff", lambda: _diff_all(a, b))
    if keep is None:
        return full
    fa, fb = usable(a), usable(b)
    # a trailing False: a row absent from a side (position -1) is not kept by it
    ka, kb = np.append(kept_mask(fa, keep), False), np.append(kept_mask(fb, keep), False)

    def positions() -> dict[int, tuple[np.ndarray, np.ndarray]]:  # once per diff: ids are unique in a snapshot
        ia, ib = pd.Index(fa["id"]), pd.Index(fb["id"])
        tables = (getattr(full, name) for name in TABLES)
        return {id(t): (ia.get_indexer(t["id"]), ib.get_indexer(t["id"])) for t in tables if not t.empty}

    where = per_object(full, "rows_in", positions)  # each table's rows' positions in a and b (-1: absent)

    def kept(table: pd.DataFrame) -> np.ndarray:  # kept in either snapshot
        pa, pb = where[id(table)]
        return ka[pa] | kb[pb]

    return full._select(kept)


def _diff_all(a: Snapshot, b: Snapshot) -> Diff:
    """Every row of ``a`` against every row of ``b``."""
    fa, fb = usable(a), usable(b)
    rej_a, rej_b = a.rejected_rows(), b.rejected_rows()
    rej_ids_a = {r.id for r in rej_a if r.id}
    rej_ids_b = {r.id for r in rej_b if r.id}

    ids_a, ids_b = fa["id"], fb["id"]
    in_b = ids_a.isin(ids_b).to_numpy()
    in_a = ids_b.isin(ids_a).to_numpy()
    removed = fa[~in_b & ~ids_a.isin(rej_ids_b).to_numpy()].reset_index(drop=True)
    added = fb[~in_a & ~ids_b.isin(rej_ids_a).to_numpy()].reset_index(drop=True)
    both_b = fb[in_a]  # rows in both, in until's order
    both_a = fa.set_index("id").loc[both_b["id"]].reset_index()
    ta, tb = _as_text(both_a), _as_text(both_b)
    st_a, st_b = ta["status"], tb["status"]
    moved = st_a.ne(st_b).to_numpy()
    status_flow = pd.DataFrame(
        {"id": tb.index[moved].to_numpy(), "before": st_a[moved].to_numpy(), "after": st_b[moved].to_numpy()}
    )
    return Diff(
        a.date,
        b.date,
        added,
        removed,
        _field_changes(ta, tb),
        status_flow,
        _slippage(both_a, both_b),
        _completions(ta, tb, added),
        [*rej_a, *rej_b],
    )


def _field_changes(ta: pd.DataFrame, tb: pd.DataFrame) -> pd.DataFrame:
    """One row per (id, field) that differs; themes compared as sets."""
    ca, cb = ta.copy(), tb.copy()
    ca["themes"], cb["themes"] = _theme_key(ta["themes"]), _theme_key(tb["themes"])
    differs = ca.ne(cb).stack()
    pairs = differs[differs].index
    before, after = ta.stack().loc[pairs], tb.stack().loc[pairs]
    return pd.DataFrame(
        {
            "id": pairs.get_level_values(0).astype(object),
            "title": tb["title"].loc[pairs.get_level_values(0)].to_numpy(),
            "field": pairs.get_level_values(1).astype(object),
            "before": before.to_numpy(),
            "after": after.to_numpy(),
        }
    )


def _slippage(both_a: pd.DataFrame, both_b: pd.DataFrame) -> pd.DataFrame:
    """Rows whose end date exists on both sides and moved later."""
    end_a, end_b = both_a["end_date"].to_numpy(), both_b["end_date"].to_numpy()
    later = ~pd.isna(end_a) & ~pd.isna(end_b) & (end_b > end_a)
    slippage = pd.DataFrame(
        {
            "id": both_b["id"][later].to_numpy(),
            "title": both_b["title"][later].to_numpy(),
            "before_end": pd.to_datetime(end_a[later]),
            "after_end": pd.to_datetime(end_b[later]),
        }
    )
    slippage["days"] = (slippage["after_end"] - slippage["before_end"]).dt.days.astype(int)
    return slippage


def _completions(ta: pd.DataFrame, tb: pd.DataFrame, added: pd.DataFrame) -> pd.DataFrame:
    """Rows completed on the later side that were not on the earlier one, or are new."""
    st_a, st_b = ta["status"], tb["status"]
    done_now = (st_b == "completed").to_numpy() & (st_a != "completed").to_numpy()
    new_done = added[added["status"] == "completed"]
    return pd.DataFrame(
        {
            "id": np.concatenate([tb.index[done_now].to_numpy(), new_done["id"].to_numpy()]),
            "title": np.concatenate([tb["title"][done_now].to_numpy(), new_done["title"].to_numpy()]),
            "pillar": np.concatenate([tb["pillar"][done_now].to_numpy(), new_done["pillar"].astype(str).to_numpy()]),
            "before": np.concatenate([st_a[done_now].to_numpy(), np.full(len(new_done), "", dtype=object)]),
        }
    )


def diff_summary(d: Diff) -> dict[str, int]:
    """Counts for a headline: ``changed`` counts ids (not fields); ``delayed`` ids that
    became or were added 'delayed'. Made once per diff and shared: read only."""

    def count() -> dict[str, int]:
        became_delayed = np.count_nonzero(
            d.status_flow["after"].to_numpy(dtype=object) == "delayed"
        ) + np.count_nonzero(d.added["status"].to_numpy(dtype=object) == "delayed")
        return {
            "added": len(d.added),
            "removed": len(d.removed),
            "completed": len(d.completions),
            "delayed": int(became_delayed),
            "slipped": len(d.slippage),
            "changed": len(set(d.changes["id"].tolist())),
        }

    return per_object(d, "summary", count)
