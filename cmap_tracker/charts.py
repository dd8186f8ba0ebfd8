"""The dashboard's charts other than the timeline: status by pillar or sector, share
completed, the pillar-sector treemap, themes, status flows and the burn-up, each a
frame in and a figure out, with the alt text that describes it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from . import figures, labels, metrics, safe
from .derived import shared
from .figures import STATUS_COLORS, STATUS_PATTERNS, pillar_color
from .i18n import _
from .plan import current
from .vocab import STATUSES


def _stacked_status(table: pd.DataFrame, by: str, label, title: str) -> go.Figure:
    """Horizontal bars of ``table`` (by, status, count), one trace per status."""
    if table.empty:
        return figures.empty(title)
    keys = table[by].to_numpy(dtype=object)
    counts = table["count"].to_numpy()
    cats = list(dict.fromkeys(keys.tolist()))
    names = {v: label(v) for v in cats}
    wrapped = {v: figures.wrap(names[v], 24) for v in cats}
    statuses = table["status"].astype(str).to_numpy()
    totals = dict.fromkeys(cats, 0)
    for v, n in zip(keys, counts):
        totals[v] += int(n)
    # below 8 a bar's automatic ticks fall on halves, which ",d" shows twice (0 1 1 2 2): one tick per initiative
    whole = {"dtick": 1} if max(totals.values()) < 8 else {}
    data = []
    for status in STATUSES.slugs:
        rows = np.flatnonzero(statuses == status)
        if not len(rows):
            continue
        values = keys[rows].tolist()
        hatch = figures.pattern(STATUS_PATTERNS[status], fgcolor="rgba(255,255,255,0.75)", size=7, solidity=0.3)
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": labels.status(status),
                "y": [wrapped[v] for v in values],
                "x": counts[rows].tolist(),
                "marker": {"color": STATUS_COLORS[status], "line": {"color": "#ffffff", "width": 1}, "pattern": hatch},
                "customdata": [[by, v, "status", status] for v in values],
                "text": [names[v] for v in values],
                "textposition": "none",
                "hovertemplate": "%{text}<br>" + safe.plotly(labels.status(status)) + ": %{x}<extra></extra>",
            }
        )
    return figures.figure(
        data,
        figures.layout(
            title,
            height=max(260, 150 + 36 * len(cats)),
            barmode="stack",
            yaxis=figures.category_axis([wrapped[c] for c in cats]),
            xaxis={"title": {"text": _("Initiatives")}, "tickformat": ",d", "rangemode": "tozero"} | whole,
        ),
    )


@shared
def status_by_pillar(df: pd.DataFrame) -> go.Figure:
    return _stacked_status(metrics.counts(df, "pillar"), "pillar", labels.pillar, _("Status by pillar"))


@shared
def status_by_sector(df: pd.DataFrame) -> go.Figure:
    """Sectors with the most initiatives on top."""
    table = metrics.counts(df, "sector")
    codes, _sectors = pd.factorize(table["sector"])
    totals = np.bincount(codes, weights=table["count"].to_numpy())[codes]  # each row's sector total
    table = table.iloc[np.argsort(-totals, kind="stable")]
    return _stacked_status(table, "sector", labels.sector, _("Status by sector"))


@shared
def completion_by_pillar(df: pd.DataFrame) -> go.Figure:
    title = _("Share completed, by pillar")
    if df.empty:
        return figures.empty(title)
    t = metrics.completion(df)
    pillars = t["pillar"].tolist()
    return figures.figure(
        [
            {
                "type": "bar",
                "orientation": "h",
                "y": [labels.pillar(p) for p in pillars],
                "x": t["share"].tolist(),
                "marker": {"color": [pillar_color(p) for p in pillars]},
                "text": [f"{c}/{n}" for c, n in zip(t["completed"], t["total"])],
                "textposition": "outside",
                "customdata": [["pillar", p] for p in pillars],
                "hovertemplate": "%{y}<br>" + safe.plotly(_("Completed")) + ": %{text} (%{x:.0%})<extra></extra>",
            }
        ],
        figures.layout(
            title,
            height=max(220, 70 + 48 * len(t)),
            showlegend=False,
            xaxis={"range": [0, 1.15], "tickformat": ".0%", "title": {"text": _("Completed")}},
            yaxis={"autorange": "reversed", "automargin": True, "title": {"text": ""}},
        ),
    )


@shared
def hierarchy(df: pd.DataFrame) -> go.Figure:
    """Pillar -> sector -> initiative treemap. Node ids encode what a click selects.
    Initiatives are leaves up to GANTT_MAX_BARS rows; above that, sectors are."""
    title = _("Pillars, sectors and initiatives")
    if df.empty:
        return figures.empty(title)
    pv, sv, n = metrics.crosstab(df["pillar"], df["sector"])
    leaves: dict[tuple, list] = {}
    if len(df) <= figures.GANTT_MAX_BARS:
        cols = (df["pillar"].astype(str), df["sector"], df["id"], labels.local_titles(df), df["status"].astype(str))
        for pillar, sector, ident, text, status in zip(*cols):
            leaves.setdefault((pillar, sector), []).append((ident, figures.short(text, 40), status))
    nodes: list[tuple] = []  # (id, label, parent, value, colour, customdata, hover text)
    for i, pillar in enumerate(pv):
        total = int(n[i].sum())
        if not total:
            continue
        pid = f"pillar/{pillar}"
        nodes.append((pid, labels.pillar(pillar), "", total, pillar_color(pillar), ["pillar", pillar], f"{total}"))
        for j in np.flatnonzero(n[i]):
            sector, k = sv[j], int(n[i, j])
            sid = f"{pid}/{sector}"
            nodes.append((sid, labels.sector(sector), pid, k, pillar_color(pillar), ["sector", sector], f"{k}"))
            nodes += [
                (f"{sid}/{ident}", text, sid, 1, STATUS_COLORS[status], ["id", ident], labels.status(status))
                for ident, text, status in leaves.get((pillar, sector), ())
            ]
    ids, names, parents, values, colors, custom, hover = (list(x) for x in zip(*nodes))
    return figures.figure(
        [
            {
                "type": "treemap",
                "ids": ids,
                "labels": names,
                "parents": parents,
                "values": values,
                "branchvalues": "total",
                "marker": {"colors": colors, "line": {"color": "#ffffff", "width": 1}},
                "customdata": custom,
                "text": hover,
                "textinfo": "label",
                "hovertemplate": "%{label}<br>%{text}<extra></extra>",
                "pathbar": {"visible": True},
                "maxdepth": 2,
            }
        ],
        figures.layout(title, height=460),
    )


@shared
def theme_matrix(table: pd.DataFrame) -> go.Figure:
    """Heatmap of metrics.theme_pillar(); filtering happens through widgets."""
    title = _("Themes across pillars")
    if table.empty:
        return figures.empty(title)
    z = table.to_numpy()
    names = [labels.pillar(p) for p in table.columns]
    # past four pillars their names are drawn slanted above the plot: room for them, not taken from the rows
    slant = 5 * max(map(len, names)) if len(names) > 4 else 0
    return figures.figure(
        [
            {
                "type": "heatmap",
                "z": z,
                "x": names,
                "y": [labels.theme(t) for t in table.index],
                "colorscale": [[0, "#f7fbff"], [1, "#0072B2"]],
                "showscale": False,
                "text": z,
                "texttemplate": "%{text}",
                "hovertemplate": "%{y} · %{x}: %{z}<extra></extra>",
                "xgap": 2,
                "ygap": 2,
            }
        ],
        figures.layout(
            title,
            height=max(280, 90 + 30 * len(table)) + slant,
            yaxis={"autorange": "reversed", "automargin": True},
            xaxis={"side": "top"},
        ),
    )


@shared
def theme_status_mix(df: pd.DataFrame, themes: pd.DataFrame, selected: list[str]) -> go.Figure:
    return _stacked_status(metrics.theme_status(df, themes, selected), "theme", labels.theme, _("Status mix by theme"))


@shared
def figure_alt(table: pd.DataFrame, by: str, label) -> str:
    """Screen-reader summary from a counts table: 'Security: 9 initiatives, 3 Completed, …'."""
    if table.empty:
        return _("No initiatives match these filters.")
    groups: dict[object, list[tuple[str, int]]] = {}  # key -> (status, count), in first-seen order
    for key, status, n in zip(table[by].tolist(), table["status"].astype(str).tolist(), table["count"].tolist()):
        groups.setdefault(key, []).append((status, int(n)))
    parts = []
    for key, part in groups.items():
        mix = ", ".join(f"{n} {labels.status(s)}" for s, n in part)
        parts.append(f"{label(key)}: {labels.count_initiatives(sum(n for _s, n in part))} ({mix})")
    return "; ".join(parts)


@shared
def status_flow_alt(flow: pd.DataFrame) -> str:
    """Screen-reader summary of a status flow: 'Planned → In progress: 2; …'."""
    pairs = flow.groupby(["before", "after"]).size().items()
    text = "; ".join(f"{labels.status(b)} → {labels.status(a)}: {n}" for (b, a), n in pairs)
    return text or _("No status changed in this period.")


@shared
def burnup_alt(table: pd.DataFrame) -> str:
    """Screen-reader summary of a burn-up (``snapshots.burnup``): 'Security: 3/12; …' at the last snapshot."""
    last: dict[str, tuple[int, int]] = {}  # pillar -> (completed, total) at its last date, in first-seen order
    for p, done, total in zip(table["pillar"].tolist(), table["completed"].tolist(), table["total"].tolist()):
        last[p] = (int(done), int(total))
    text = "; ".join(f"{labels.pillar(p)}: {done}/{total}" for p, (done, total) in last.items())
    return text or _("No initiatives match these filters.")


@shared
def burnup_rows(table: pd.DataFrame) -> pd.DataFrame:
    """A burn-up's table with dates, not timestamps, for "Show as table"."""
    return table.assign(date=table["date"].dt.date)


@shared
def status_flow(flow: pd.DataFrame) -> go.Figure:
    """Sankey of status changes between two snapshots (``changes.Diff.status_flow``)."""
    title = _("Status changes")
    if flow.empty:
        return figures.empty(title, _("No status changed in this period."))
    pairs = flow.groupby(["before", "after"]).size().reset_index(name="n")
    left = [s for s in STATUSES.slugs if s in set(pairs["before"])]
    right = [s for s in STATUSES.slugs if s in set(pairs["after"])]
    before, after = _("before"), _("after")
    nodes = [f"{labels.status(s)} ({before})" for s in left] + [f"{labels.status(s)} ({after})" for s in right]
    return figures.figure(
        [
            {
                "type": "sankey",
                "arrangement": "snap",
                "node": {
                    "label": nodes,
                    "color": [STATUS_COLORS[s] for s in left + right],
                    "pad": 18,
                    "thickness": 18,
                    "line": {"color": "#333333", "width": 0.5},
                },
                "link": {
                    "source": [left.index(b) for b in pairs["before"]],
                    "target": [len(left) + right.index(a) for a in pairs["after"]],
                    "value": pairs["n"].tolist(),
                    "color": "rgba(0,0,0,0.18)",
                    "hovertemplate": "%{source.label} → %{target.label}: %{value}<extra></extra>",
                },
            }
        ],
        figures.layout(title, height=max(260, 80 + 50 * max(len(left), len(right)))),
    )


@shared
def burnup(table: pd.DataFrame) -> go.Figure:
    """Completed (solid) and total (dotted) initiatives per pillar and snapshot date
    (``snapshots.burnup``), with the plan's end marked."""
    title = _("Burn-up: completed and total initiatives per snapshot")
    if table.empty:
        return figures.empty(title)
    end = current().horizon(pd.DataFrame({"end_date": table["date"], "start_date": table["date"]}))
    return figures.figure(
        _burnup_lines(table),
        figures.layout(
            title,
            height=520,
            margin={"l": 8, "r": 8, "t": 56, "b": 8},
            legend={"orientation": "h", "yanchor": "top", "y": -0.08, "x": 0, "title": {"text": ""}},
            shapes=[figures.date_line(end, line={"color": "#555555", "width": 1, "dash": "dot"})],
            annotations=[
                figures.date_note(end, _("Plan ends"), top=True, xanchor="right", textangle=-90, font={"size": 11})
            ],
            xaxis=figures.date_axis(table["date"].min() - pd.Timedelta(days=30), end + pd.Timedelta(days=30)),
            yaxis={"title": {"text": _("Initiatives")}, "rangemode": "tozero", "tickformat": ",d"},
        ),
    )


def _burnup_lines(table: pd.DataFrame) -> list[dict]:
    """Two lines per pillar, total (dotted) and completed (solid), in the pillar's colour."""
    data = []
    columns = {c: table[c].to_numpy() for c in ("date", "total", "completed")}
    rows: dict[str, list[int]] = {}  # pillar -> its rows, in first-seen order
    for i, p in enumerate(table["pillar"].tolist()):
        rows.setdefault(p, []).append(i)
    for pillar, at in rows.items():
        part = {c: values[at] for c, values in columns.items()}
        color = pillar_color(pillar)
        name = labels.pillar(str(pillar))
        for col, word, line, symbol in (
            ("total", _("total"), {"color": color, "dash": "dot"}, "circle-open"),
            ("completed", _("completed"), {"color": color, "width": 3}, "circle"),
        ):
            hover = f"{safe.plotly(name)}<br>%{{x|%Y-%m-%d}}<br>{safe.plotly(word)}: %{{y}}<extra></extra>"
            data.append(
                {
                    "type": "scatter",
                    "x": part["date"],
                    "y": part[col].tolist(),
                    "name": f"{name}: {word}",
                    "mode": "lines+markers",
                    "line": line,
                    "marker": {"symbol": symbol, "size": 8},
                    "legendgroup": pillar,
                    "hovertemplate": hover,
                }
            )
    return data
