"""Pure figure builders: a frame in, a ``plotly.graph_objects.Figure`` out.

No Streamlit here. Every clickable mark carries ``customdata`` of the form
``[kind, value, ...]`` (e.g. ``["pillar", "security", "status", "completed"]``)
so a click narrows the filters by id, never by reading a position on an axis.
Status is never told by colour alone: legends and hovers name it, and stacked
bars carry a pattern per status.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from . import labels, metrics, safe
from .contract import PLAN_END
from .i18n import _, month_names
from .vocab import PILLARS, STATUSES

STATUS_COLORS = STATUSES.colors()
PILLAR_COLORS = PILLARS.colors()
STATUS_PATTERNS = {
    "completed": "",
    "in_progress": "/",
    "ongoing": "x",
    "planned": ".",
    "delayed": "\\",
    "cancelled": "-",
    "unknown": "+",
}
GANTT_MAX_BARS = 300  # a timeline draws one bar per initiative up to here, a treemap one box
FONT = "Source Sans Pro, Arial, sans-serif"


VALIDATE = False
"""Whether ``_figure`` runs Plotly's property validation. Off at run time; the
tests turn it on and check that it accepts every builder's figures and changes
nothing in them (tests/test_figures.py)."""


_TEMPLATES = frozenset({"hovertemplate", "texttemplate"})  # this module's own markup, with %{…} fields


def _spec(value, key: str = ""):
    """A spec of plain values (numpy arrays as lists), which Plotly copies and
    serialises fastest when it does not validate, with every string escaped by
    ``safe.plotly`` except the templates: data is never markup, and a line break
    is written "\\n". ``customdata`` is escaped too; ``ui`` matches a click's values
    against the filter's options escaped the same way."""
    if isinstance(value, str):
        return value if key in _TEMPLATES else safe.plotly(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "M":  # datetime64[ns] lists as integers; [us] as datetimes
            value = value.astype("datetime64[us]")
        return _spec(value.tolist(), key) if value.dtype.kind in "OUS" else value.tolist()
    if isinstance(value, dict):
        return {k: _spec(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_spec(v, key) for v in value]
    return value


def figure(data: list[dict], layout: dict) -> go.Figure:
    """Build the figure in one step. Plotly's validation of each property costs
    5-10 ms a figure on every rerun, about a third of a page's time at 100k rows,
    and what it checks is the spec's shape, which is fixed per builder, not the
    data: the tests build every figure validated (``VALIDATE``) and compare."""
    spec = {"data": _spec(data), "layout": _spec(layout)}
    return go.Figure(spec) if VALIDATE else go.Figure(spec, _validate=False)


def layout(title: str, *, height: int | None = None, **kw) -> dict:
    """The shared layout; keyword arguments replace top-level keys."""
    layout = {
        # The title on its own line at the top, the legend under it: on a phone the
        # legend wraps to several lines, and both push the plot down instead of
        # squeezing in beside each other.
        "title": {
            "text": title,
            "x": 0,
            "xanchor": "left",
            "yref": "container",
            "y": 1,
            "yanchor": "top",
            "pad": {"t": 12},
            "automargin": True,
        },
        "font": {"family": FONT, "size": 14},
        "margin": {"l": 8, "r": 8, "t": 24, "b": 8},
        "legend": {
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "x": 0,
            "title": {"text": ""},
            "traceorder": "normal",
        },
        "hoverlabel": {"namelength": -1},
        "height": height,
    }
    return layout | kw


def empty(title: str, message: str | None = None) -> go.Figure:
    """A figure that says there is nothing to show, with no empty axes."""
    note = {
        "text": message or _("No initiatives match these filters."),
        "showarrow": False,
        "x": 0.5,
        "y": 0.5,
        "xref": "paper",
        "yref": "paper",
        "font": {"size": 16},
    }
    return figure([], layout(title, height=240, annotations=[note], xaxis={"visible": False}, yaxis={"visible": False}))


def _stacked_status(table: pd.DataFrame, by: str, label, title: str) -> go.Figure:
    """Horizontal bars of ``table`` (by, status, count), one trace per status."""
    rows = list(zip(table[by].tolist(), table["status"].astype(str).tolist(), table["count"].tolist()))
    cats = list(dict.fromkeys(r[0] for r in rows))
    names = {v: label(v) for v in cats}
    wrapped = {v: wrap(names[v], 24) for v in cats}
    present = {r[1] for r in rows}
    data = []
    for status in (s for s in STATUSES.slugs if s in present):
        part = [(v, n) for v, s, n in rows if s == status]
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": labels.status(status),
                "y": [wrapped[v] for v, _n in part],
                "x": [n for _v, n in part],
                "marker": {
                    "color": STATUS_COLORS[status],
                    "line": {"color": "#ffffff", "width": 1},
                    "pattern": {
                        "shape": STATUS_PATTERNS[status],
                        "fillmode": "overlay",
                        "fgcolor": "rgba(255,255,255,0.75)",
                        "size": 7,
                        "solidity": 0.3,
                    },
                },
                "customdata": [[by, v, "status", status] for v, _n in part],
                "text": [names[v] for v, _n in part],
                "textposition": "none",
                "hovertemplate": "%{text}<br>" + safe.plotly(labels.status(status)) + ": %{x}<extra></extra>",
            }
        )
    return figure(
        data,
        layout(
            title,
            height=max(260, 150 + 36 * len(cats)),
            barmode="stack",
            yaxis={
                "categoryorder": "array",
                "categoryarray": [wrapped[c] for c in reversed(cats)],
                "title": {"text": ""},
                "automargin": True,
            },
            xaxis={"title": {"text": _("Initiatives")}, "tickformat": ",d", "rangemode": "tozero"},
        ),
    )


def status_by_pillar(df: pd.DataFrame) -> go.Figure:
    title = _("Status by pillar")
    if df.empty:
        return empty(title)
    return _stacked_status(metrics.counts(df, "pillar"), "pillar", labels.pillar, title)


def status_by_sector(df: pd.DataFrame) -> go.Figure:
    """Sectors with the most initiatives on top."""
    title = _("Status by sector")
    if df.empty:
        return empty(title)
    sv, stv, n = metrics.crosstab(df["sector"], df["status"])
    order = np.argsort(-n.sum(axis=1), kind="stable")
    i, j = np.nonzero(n[order])
    table = pd.DataFrame({"sector": sv[order][i], "status": stv[j], "count": n[order][i, j]})
    return _stacked_status(table, "sector", labels.sector, title)


def completion_by_pillar(df: pd.DataFrame) -> go.Figure:
    title = _("Share completed, by pillar")
    if df.empty:
        return empty(title)
    t = metrics.completion(df)
    pillars = t["pillar"].tolist()
    return figure(
        [
            {
                "type": "bar",
                "orientation": "h",
                "y": [labels.pillar(p) for p in pillars],
                "x": t["share"].tolist(),
                "marker": {"color": [PILLAR_COLORS[p] for p in pillars]},
                "text": [f"{c}/{n}" for c, n in zip(t["completed"], t["total"])],
                "textposition": "outside",
                "customdata": [["pillar", p] for p in pillars],
                "hovertemplate": "%{y}<br>" + safe.plotly(_("Completed")) + ": %{text} (%{x:.0%})<extra></extra>",
            }
        ],
        layout(
            title,
            height=max(220, 70 + 48 * len(t)),
            showlegend=False,
            xaxis={"range": [0, 1.15], "tickformat": ".0%", "title": {"text": _("Completed")}},
            yaxis={"autorange": "reversed", "automargin": True, "title": {"text": ""}},
        ),
    )


def hierarchy(df: pd.DataFrame) -> go.Figure:
    """Pillar -> sector -> initiative treemap. Node ids encode what a click selects.
    Initiatives are leaves up to GANTT_MAX_BARS rows; above that, sectors are."""
    title = _("Pillars, sectors and initiatives")
    if df.empty:
        return empty(title)
    pv, sv, n = metrics.crosstab(df["pillar"], df["sector"])
    ids, names, parents, values, colors, custom, hover = [], [], [], [], [], [], []
    leaves: dict[tuple, list] = {}
    if len(df) <= GANTT_MAX_BARS:
        for key in zip(
            df["pillar"].astype(str), df["sector"], df["id"], labels.local_titles(df), df["status"].astype(str)
        ):
            leaves.setdefault(key[:2], []).append(key[2:])
    for i, pillar in enumerate(pv):
        total = int(n[i].sum())
        if not total:
            continue
        pid = f"pillar/{pillar}"
        ids.append(pid)
        names.append(labels.pillar(pillar))
        parents.append("")
        values.append(total)
        colors.append(PILLAR_COLORS[pillar])
        custom.append(["pillar", pillar])
        hover.append(f"{total}")
        for j in np.flatnonzero(n[i]):
            sector, k = sv[j], int(n[i, j])
            sid = f"{pid}/{sector}"
            ids.append(sid)
            names.append(labels.sector(sector))
            parents.append(pid)
            values.append(k)
            colors.append(PILLAR_COLORS[pillar])
            custom.append(["sector", sector])
            hover.append(f"{k}")
            for ident, text, status in leaves.get((pillar, sector), ()):
                ids.append(f"{sid}/{ident}")
                names.append(short(text, 40))
                parents.append(sid)
                values.append(1)
                colors.append(STATUS_COLORS[status])
                custom.append(["id", ident])
                hover.append(labels.status(status))
    return figure(
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
        layout(title, height=460),
    )


def short(text: str, n: int) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def wrap(text: str, width: int) -> str:
    """Break a label into lines of about ``width`` characters."""
    return "\n".join(textwrap.wrap(str(text), width, break_long_words=False)) or str(text)


def date_ticks(start: pd.Timestamp, end: pd.Timestamp) -> tuple[list, list[str]]:
    """Quarterly ticks with month names in the current language."""
    names = month_names()
    start = pd.Timestamp(start.year, 1 + 3 * ((start.month - 1) // 3), 1)
    ticks = pd.date_range(start, end, freq="QS")
    step = max(1, -(-len(ticks) // 6))
    ticks = ticks[::step]
    return list(ticks), [f"{names[t.month - 1]} {t.year}" for t in ticks]


def theme_matrix(table: pd.DataFrame) -> go.Figure:
    """Heatmap of metrics.theme_pillar(); filtering happens through widgets."""
    title = _("Themes across pillars")
    if table.empty:
        return empty(title)
    z = table.to_numpy()
    return figure(
        [
            {
                "type": "heatmap",
                "z": z,
                "x": [labels.pillar(p) for p in table.columns],
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
        layout(
            title,
            height=max(280, 90 + 30 * len(table)),
            yaxis={"autorange": "reversed", "automargin": True},
            xaxis={"side": "top"},
        ),
    )


def theme_status_mix(df: pd.DataFrame, themes: pd.DataFrame, selected: list[str]) -> go.Figure:
    title = _("Status mix by theme")
    table = metrics.theme_status(df, themes, selected)
    if table.empty:
        return empty(title)
    return _stacked_status(table, "theme", labels.theme, title)


def figure_alt(table: pd.DataFrame, by: str, label) -> str:
    """Screen-reader summary from a counts table: 'Security: 9 initiatives, 3 Completed, …'."""
    if table.empty:
        return _("No initiatives match these filters.")
    groups: dict = {}
    for key, status, n in zip(table[by].tolist(), table["status"].astype(str).tolist(), table["count"].tolist()):
        groups.setdefault(key, []).append((status, int(n)))
    parts = []
    for key, mix in groups.items():
        text = ", ".join(f"{c} {labels.status(s)}" for s, c in mix)
        parts.append(f"{label(key)}: {labels.count_initiatives(sum(c for _s, c in mix))} ({text})")
    return "; ".join(parts)


def status_flow(flow: pd.DataFrame) -> go.Figure:
    """Sankey of status changes between two snapshots (``changes.Diff.status_flow``)."""
    title = _("Status changes")
    if flow.empty:
        return empty(title, _("No status changed in this period."))
    pairs = flow.groupby(["before", "after"]).size().reset_index(name="n")
    left = [s for s in STATUSES.slugs if s in set(pairs["before"])]
    right = [s for s in STATUSES.slugs if s in set(pairs["after"])]
    before, after = _("before"), _("after")
    nodes = [f"{labels.status(s)} ({before})" for s in left] + [f"{labels.status(s)} ({after})" for s in right]
    return figure(
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
        layout(title, height=max(260, 80 + 50 * max(len(left), len(right)))),
    )


def burnup(table: pd.DataFrame) -> go.Figure:
    """Completed (solid) and total (dotted) initiatives per snapshot date, per pillar
    (``snapshots.burnup``), with the plan's end marked."""
    title = _("Burn-up: completed and total initiatives per snapshot")
    if table.empty:
        return empty(title)
    data = []
    for pillar, part in table.groupby("pillar", sort=False):
        color = PILLAR_COLORS.get(str(pillar), "#555555")
        name = labels.pillar(str(pillar))
        for col, word, line, symbol in (
            ("total", _("total"), {"color": color, "dash": "dot"}, "circle-open"),
            ("completed", _("completed"), {"color": color, "width": 3}, "circle"),
        ):
            data.append(
                {
                    "type": "scatter",
                    "x": part["date"].to_numpy(),
                    "y": part[col].tolist(),
                    "name": f"{name}: {word}",
                    "mode": "lines+markers",
                    "line": line,
                    "marker": {"symbol": symbol, "size": 8},
                    "legendgroup": pillar,
                    "hovertemplate": f"{safe.plotly(name)}<br>%{{x|%Y-%m-%d}}<br>{safe.plotly(word)}: %{{y}}<extra></extra>",
                }
            )
    end = pd.Timestamp(PLAN_END)
    lo = table["date"].min() - pd.Timedelta(days=30)
    ticks, text = date_ticks(lo, end + pd.Timedelta(days=30))
    return figure(
        data,
        layout(
            title,
            height=520,
            margin={"l": 8, "r": 8, "t": 56, "b": 8},
            legend={"orientation": "h", "yanchor": "top", "y": -0.08, "x": 0, "title": {"text": ""}},
            shapes=[
                {
                    "type": "line",
                    "x0": end,
                    "x1": end,
                    "xref": "x",
                    "y0": 0,
                    "y1": 1,
                    "yref": "paper",
                    "line": {"color": "#555555", "width": 1, "dash": "dot"},
                }
            ],
            annotations=[
                {
                    "x": end,
                    "y": 1,
                    "xref": "x",
                    "yref": "paper",
                    "text": _("Plan ends"),
                    "showarrow": False,
                    "xanchor": "right",
                    "yanchor": "top",
                    "textangle": -90,
                    "font": {"size": 11},
                }
            ],
            xaxis={"type": "date", "range": [lo, end + pd.Timedelta(days=30)], "tickvals": ticks, "ticktext": text},
            yaxis={"title": {"text": _("Initiatives")}, "rangemode": "tozero", "tickformat": ",d"},
        ),
    )
