"""What changed between two snapshots: rows added, removed, edited, completed, delayed
and slipped (``Diff``), and its headline counts.

Rows are matched by ``id`` only: a new title under the same id is an edit, never an
add plus a remove. Rejected rows (a row the loader refused, e.g. a bad pillar) are
reported in ``Diff.unmatched_rejected`` and never counted: a row rejected in
``until`` is not "removed", and a row rejected in ``since`` is not "added" when it
later loads cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .derived import per_object
from .snapshots import Keep, Rejected, Snapshot, kept_mask, usable

COMPARED = ("status", "start_date", "end_date", "pillar", "sector", "themes")


# Fields reported in ``Diff.changes``, in this order.
FIELDS = ("title",) + COMPARED


@dataclass(frozen=True, eq=False)
class Diff:
    """What changed from snapshot ``since`` to snapshot ``until``.

    Rules:

    * Rows are matched by ``id``. ``added`` are rows of ``until`` whose id is
      not in ``since``; ``removed`` are rows of ``since`` whose id is not in
      ``until``. An id rejected by the loader in the other file is neither
      added nor removed: it is listed in ``unmatched_rejected``.
    * ``changes`` is long: one row per (id, field) that differs, for ``title``
      and the ``COMPARED`` fields, with ``before``/``after`` as text (dates
      ISO, '' for empty) and ``title`` from ``until``. Themes are compared as
      sets: reordering ``ip;energy`` to ``energy;ip`` is not a change.
    * ``status_flow``: ids present in both with a different status.
    * ``slippage``: ids whose end date exists in both and moved later;
      ``days`` > 0. An end date appearing, disappearing or moving earlier is
      only in ``changes``.
    * ``completions``: ids with status ``completed`` in ``until`` that either
      had another status in ``since`` or are new in ``until`` (``before`` is
      then ''). Rows already completed in ``since`` are not completions.
    * With a row filter (``keep``), a row takes part when it passes the filter
      in either snapshot, and matching still uses every row: a row whose
      pillar changes out of the filter shows as a ``pillar`` change, not as
      removed. Rejected rows cannot be filtered and are always reported.
    """

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
        """No row added, removed or changed. Rejected rows are reported, not
        counted, so two identical files with the same bad row diff empty."""
        return self.added.empty and self.removed.empty and self.changes.empty

    def only(self, ids: set[str]) -> Diff:
        """The same comparison restricted to rows whose id is in ``ids``
        (rejected rows are always reported)."""
        return self._select(lambda frame: frame["id"].isin(ids).to_numpy())

    def _select(self, keep) -> Diff:
        """The rows of each table for which ``keep(table)`` is True."""

        def pick(frame: pd.DataFrame) -> pd.DataFrame:
            if frame.empty:  # the frames are never modified: nothing to copy
                return frame
            mask = keep(frame)
            return frame if mask.all() else frame.iloc[np.flatnonzero(mask)].reset_index(drop=True)

        return Diff(
            self.since,
            self.until,
            pick(self.added),
            pick(self.removed),
            pick(self.changes),
            pick(self.status_flow),
            pick(self.slippage),
            pick(self.completions),
            list(self.unmatched_rejected),
        )


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
    """Compare snapshot ``a`` (since, normally the earlier) with ``b`` (until).

    ``keep`` optionally selects rows (e.g. the dashboard's pillar/theme
    filters): it gets each snapshot's frame and returns one bool per row. See
    ``Diff`` for the rules. Raises ``ValueError`` if either snapshot failed to
    load (``result.fatal``).

    The comparison of every row is computed once per pair of snapshots and
    cached; ``keep`` then only selects ids from it. A row takes part when it
    is kept in either snapshot, so that selection is the same as filtering
    first (ids are unique within a loaded snapshot).
    """
    full = per_object((a, b), "diff", lambda: _diff_all(a, b))
    if keep is None:
        return full
    fa, fb = usable(a), usable(b)
    # A trailing False, so a row absent from a side (position -1) is not kept by it;
    # this holds when a side has no usable row at all.
    ka, kb = np.append(kept_mask(fa, keep), False), np.append(kept_mask(fb, keep), False)
    where = _rows_in(full, fa, fb)

    def kept(table: pd.DataFrame) -> np.ndarray:  # kept in either snapshot
        pa, pb = where[id(table)]
        return ka[pa] | kb[pb]

    return full._select(kept)


def _rows_in(full: Diff, fa: pd.DataFrame, fb: pd.DataFrame) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """For each table of a whole-file diff: each row's position in ``a``'s and in
    ``b``'s frame (-1 where absent), found once per diff (ids are unique in a
    loaded snapshot), so a filtered diff is a lookup into the two keep masks."""

    def positions() -> dict[int, tuple[np.ndarray, np.ndarray]]:
        ia, ib = pd.Index(fa["id"]), pd.Index(fb["id"])
        return {
            id(t): (ia.get_indexer(t["id"]), ib.get_indexer(t["id"]))
            for t in (full.added, full.removed, full.changes, full.status_flow, full.slippage, full.completions)
            if not t.empty
        }

    return per_object(full, "rows_in", positions)


def _diff_all(a: Snapshot, b: Snapshot) -> Diff:
    """Every row of ``a`` against every row of ``b``."""
    fa, fb = usable(a), usable(b)
    ka, kb = kept_mask(fa, None), kept_mask(fb, None)
    rej_a, rej_b = a.rejected_rows(), b.rejected_rows()
    rej_ids_a = {r.id for r in rej_a if r.id}
    rej_ids_b = {r.id for r in rej_b if r.id}

    ids_a, ids_b = fa["id"], fb["id"]
    in_b = ids_a.isin(ids_b).to_numpy()
    in_a = ids_b.isin(ids_a).to_numpy()
    removed = fa[~in_b & ka & ~ids_a.isin(rej_ids_b).to_numpy()].reset_index(drop=True)
    added = fb[~in_a & kb & ~ids_b.isin(rej_ids_a).to_numpy()].reset_index(drop=True)

    # Rows in both, in until's order; taking part if kept on either side.
    both_b = fb[in_a & (kb | ids_b.isin(set(ids_a[ka])).to_numpy())]
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
    """One row per (id, field) that differs between the two sides' FIELDS as text;
    themes compared as sets."""
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
    """Counts for a headline. ``changed`` counts ids with at least one field
    change (not field changes); ``delayed`` counts ids that became 'delayed'
    (status change to delayed, or added already delayed), like ``completed``."""
    became_delayed = int((d.status_flow["after"] == "delayed").sum()) + int((d.added["status"] == "delayed").sum())
    return {
        "added": len(d.added),
        "removed": len(d.removed),
        "completed": len(d.completions),
        "delayed": became_delayed,
        "slipped": len(d.slippage),
        "changed": int(d.changes["id"].nunique()),
    }
