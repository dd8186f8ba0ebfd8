"""Numbers the pages show: KPIs and the count tables behind every chart. A chart and
its "Show as table" alternative are drawn from the same table, so they never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .derived import shared
from .plan import current
from .themes import carrying, theme_pairs
from .vocab import STATUSES

DUE_SOON_DAYS = 90
STALE_DAYS = 120  # a row whose last_updated is older than this is "not checked since" that date
DONE = {"completed", "cancelled"}


@dataclass(frozen=True)
class Kpis:
    total: int
    completed: int
    due_soon: int
    overdue: int

    @property
    def completed_share(self) -> float:
        return self.completed / self.total if self.total else 0.0


def _late_and_soon(df: pd.DataFrame, today: date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(overdue, due soon: within DUE_SOON_DAYS, completed) as numpy masks, from one pass over the columns."""
    sc, sv = codes(df["status"])
    done = np.isin(sc, [i for i, s in enumerate(sv) if s in DONE])
    end = df["end_date"].to_numpy(dtype="datetime64[us]")
    t = pd.Timestamp(today).to_datetime64().astype("datetime64[us]")
    open_ = ~done & ~np.isnat(end)
    overdue = open_ & (end < t)
    soon = open_ & (end >= t) & (end <= t + np.timedelta64(DUE_SOON_DAYS, "D"))
    completed = np.isin(sc, [i for i, s in enumerate(sv) if s == "completed"])
    return overdue, soon, completed


@shared
def late(df: pd.DataFrame, today: date) -> pd.DataFrame:
    """The rows delayed, or overdue: end date passed and not completed (or cancelled)."""
    return df[(df["status"] == "delayed").to_numpy() | _late_and_soon(df, today)[0]]


def stale_before(today: date, days: int = STALE_DAYS) -> date:
    """The date before which a row's ``last_updated`` makes it stale, on ``today``."""
    return today - timedelta(days=days)


@shared
def stale(df: pd.DataFrame, today: date, days: int = STALE_DAYS) -> pd.DataFrame:
    """The rows not checked for more than ``days`` on ``today`` (``last_updated`` before ``stale_before``), oldest
    first. A row without ``last_updated`` is not among them: nothing says when it was checked."""
    rows = df[(df["last_updated"] < pd.Timestamp(stale_before(today, days))).to_numpy()]
    return rows.sort_values("last_updated", kind="stable")


@shared
def kpis(df: pd.DataFrame, today: date) -> Kpis:
    overdue, soon, completed = _late_and_soon(df, today)
    return Kpis(total=len(df), completed=int(completed.sum()), due_soon=int(soon.sum()), overdue=int(overdue.sum()))


def codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(integer code per row, the distinct values in display order: vocabulary order for pillars and statuses,
    else sorted); missing -> -1. Counting these codes with ``np.bincount`` keeps charts fast at a million rows."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), np.asarray(values.cat.categories, dtype=object)
    order = {"pillar": current().pillars.slugs, "status": STATUSES.slugs}.get(str(values.name))
    if order is not None:  # vocabulary order, unknown values after it
        seen = set(values.dropna().unique().tolist())
        cats = [s for s in order if s in seen] + sorted(seen - set(order))
        return pd.Categorical(values, categories=cats).codes, np.asarray(cats, dtype=object)
    c, uniques = pd.factorize(values, sort=True)
    return np.asarray(c), np.asarray(uniques, dtype=object)


def crosstab(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values of a, values of b, counts[len(a values), len(b values)])."""
    return _pair_counts(*codes(a), *codes(b))


def _pair_counts(ac: np.ndarray, av: np.ndarray, bc: np.ndarray, bv: np.ndarray):
    """``crosstab`` on codes (from ``codes``)."""
    ok = (ac >= 0) & (bc >= 0)
    if not ok.all():
        ac, bc = ac[ok], bc[ok]
    n = np.bincount(ac.astype(np.int64) * len(bv) + bc, minlength=len(av) * len(bv)).reshape(len(av), len(bv))
    return av, bv, n


@shared
def counts(df: pd.DataFrame, by: str, *, stack: str = "status") -> pd.DataFrame:
    """Counts of ``by`` x ``stack``, long format, zero rows dropped, in vocabulary order
    (pillars and statuses in plan order, anything else alphabetical)."""
    if df.empty:
        return pd.DataFrame(columns=[by, stack, "count"])
    return _long(by, stack, *crosstab(df[by], df[stack]))


def _long(a: str, b: str, av: np.ndarray, bv: np.ndarray, n: np.ndarray) -> pd.DataFrame:
    """Counts ``n[len(av), len(bv)]`` as long (a, b, count) rows, zero counts dropped, ordered by a then b."""
    i, j = np.nonzero(n)
    return pd.DataFrame({a: av[i], b: bv[j], "count": n[i, j].astype(np.int64)})


@shared
def completion(df: pd.DataFrame) -> pd.DataFrame:
    """Per pillar: total, completed and the completed share."""
    pv, sv, n = crosstab(df["pillar"], df["status"])
    total, done = n.sum(axis=1), n[:, sv == "completed"].sum(axis=1)
    keep = total > 0
    out = pd.DataFrame(
        {"pillar": pv[keep], "total": total[keep].astype(np.int64), "completed": done[keep].astype(np.int64)}
    )
    return out.assign(share=out["completed"] / out["total"])


@shared
def theme_pillar(df: pd.DataFrame, themes: pd.DataFrame) -> pd.DataFrame:
    """theme x pillar counts; a row with several themes counts once in each."""
    if df.empty:
        return pd.DataFrame()
    pos, tc, tv = theme_pairs(df, themes)
    pc, pv = codes(df["pillar"])
    tv, pv, n = _pair_counts(tc, tv, pc[pos], pv)
    rows, cols = n.sum(axis=1), n.sum(axis=0)
    order = [i for i in np.argsort(-rows, kind="stable") if rows[i] > 0]  # busiest theme first
    n = n[np.ix_(order, np.flatnonzero(cols > 0))]  # only pillars and themes in view
    return pd.DataFrame(n, index=pd.Index(tv[order], name="theme"), columns=pd.Index(pv[cols > 0], name="pillar"))


@shared
def theme_status(df: pd.DataFrame, themes: pd.DataFrame, selected: list[str]) -> pd.DataFrame:
    """Long (theme, status, count) for the rows in ``df`` carrying the ``selected`` themes."""
    if df.empty or not selected:
        return pd.DataFrame(columns=["theme", "status", "count"])
    pos, tc, tv = theme_pairs(df, themes)
    keep = carrying(tc, tv, selected)
    sc, sv = codes(df["status"])
    return _long("theme", "status", *_pair_counts(tc[keep], tv, sc[pos[keep]], sv))
