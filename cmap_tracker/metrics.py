"""Numbers the pages show: KPIs and the count tables behind every chart.

Each chart is drawn from one of these tables, and its "Show as table"
alternative shows the same table, so the two can never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from .vocab import PILLARS, STATUSES

DUE_SOON_DAYS = 90
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


def overdue_mask(df: pd.DataFrame, today: date) -> pd.Series:
    """End date passed and not completed (or cancelled)."""
    return df["end_date"].notna() & (df["end_date"] < pd.Timestamp(today)) & ~df["status"].isin(DONE)


def due_soon_mask(df: pd.DataFrame, today: date, days: int = DUE_SOON_DAYS) -> pd.Series:
    t = pd.Timestamp(today)
    return (df["end_date"] >= t) & (df["end_date"] <= t + timedelta(days=days)) & ~df["status"].isin(DONE)


def kpis(df: pd.DataFrame, today: date) -> Kpis:
    return Kpis(
        total=len(df),
        completed=int((df["status"] == "completed").sum()),
        due_soon=int(due_soon_mask(df, today).sum()),
        overdue=int(overdue_mask(df, today).sum()),
    )


def counts(df: pd.DataFrame, by: str, *, stack: str = "status") -> pd.DataFrame:
    """Counts of ``by`` x ``stack``, long format, zero rows dropped, in vocabulary order."""
    if df.empty:
        return pd.DataFrame(columns=[by, stack, "count"])
    out = df.groupby([by, stack], observed=True).size().reset_index(name="count")
    out = out[out["count"] > 0]
    order = {s: i for i, s in enumerate(STATUSES.slugs)}
    porder = {s: i for i, s in enumerate(PILLARS.slugs)}
    out = out.assign(_o1=out[by].map(lambda v: porder.get(v, 99)).astype(int),
                     _o2=out[stack].map(lambda v: order.get(v, 99)).astype(int))
    return out.sort_values(["_o1", by, "_o2"]).drop(columns=["_o1", "_o2"]).reset_index(drop=True)


def completion(df: pd.DataFrame) -> pd.DataFrame:
    """Per pillar: total, completed and the completed share."""
    g = df.groupby("pillar", observed=True)["status"]
    out = pd.DataFrame({"total": g.size(), "completed": g.apply(lambda s: int((s == "completed").sum()))})
    out = out[out["total"] > 0].reset_index()
    out["share"] = out["completed"] / out["total"]
    return out


def theme_pillar(df: pd.DataFrame, themes: pd.DataFrame) -> pd.DataFrame:
    """theme x pillar counts; a row with several themes counts once in each."""
    if df.empty:
        return pd.DataFrame()
    t = themes[themes["row"].isin(df.index)]
    joined = t.assign(pillar=df.loc[t["row"], "pillar"].to_numpy())
    table = joined.groupby(["theme", "pillar"], observed=False).size().unstack(fill_value=0)
    table = table.reindex(columns=[p for p in PILLARS.slugs if p in table.columns])
    return table.loc[table.sum(axis=1).sort_values(ascending=False).index]
