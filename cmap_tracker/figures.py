"""Pure figure builders: a frame in, a ``plotly.graph_objects.Figure`` out.

No Streamlit here. Every clickable mark carries ``customdata`` of the form
``[kind, value, ...]`` (e.g. ``["pillar", "security", "status", "completed"]``)
so a click narrows the filters by id, never by reading a position on an axis.
Status is never told by colour alone: legends and hovers name it, and stacked
bars carry a pattern per status.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from . import metrics
from .contract import PLAN_END
from .i18n import _, fmt_date, language, month_names
from .vocab import PILLARS, STATUSES, THEMES, humanize

STATUS_COLORS = STATUSES.colors()
PILLAR_COLORS = PILLARS.colors()
STATUS_PATTERNS = {"completed": "", "in_progress": "/", "ongoing": "x", "planned": ".",
                   "delayed": "\\", "cancelled": "-", "unknown": "+"}
KEY_DATES = (  # (date, message id); sourced in data/initiatives.csv (PR-TRADE-09, MO-CULT-02)
    ("2026-07-01", "CUSMA joint review"),
    (PLAN_END, "Plan ends"),
)
WORLD_CUP = ("2026-06-11", "2026-07-19", "FIFA World Cup")
GANTT_MAX_BARS = 300
HOVER_ITEM = "<b>%{y}</b><br>%{customdata[3]}<br>%{customdata[2]} · %{customdata[4]}<extra></extra>"
FONT = "Source Sans Pro, Arial, sans-serif"


def status_label(slug: str) -> str:
    return _(STATUSES.label(slug))


def pillar_label(slug: str) -> str:
    return _(PILLARS.label(slug))


def sector_label(name: str) -> str:
    """Sector names are data; the bundled ones have translations in the catalogue."""
    return _(name)


def theme_label(slug: str) -> str:
    return _(THEMES.label(slug)) if slug in THEMES else humanize(slug)


def _layout(fig: go.Figure, title: str, *, height: int | None = None, **kw) -> go.Figure:
    layout = {
        "title": {"text": title, "x": 0, "xanchor": "left"},
        "font": {"family": FONT, "size": 14},
        "margin": {"l": 8, "r": 8, "t": 96, "b": 8},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "title": {"text": ""},
                   "traceorder": "normal"},
        "hoverlabel": {"namelength": -1},
        "height": height,
    }
    fig.update_layout(**(layout | kw))
    return fig


def empty(title: str, message: str | None = None) -> go.Figure:
    """A figure that says there is nothing to show, with no empty axes."""
    fig = go.Figure()
    fig.add_annotation(text=message or _("No initiatives match these filters."), showarrow=False,
                       x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 16})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, height=240)


def _stacked_status(table: pd.DataFrame, by: str, label, title: str, axis_title: str) -> go.Figure:
    cats = list(dict.fromkeys(table[by]))
    fig = go.Figure()
    for status in [s for s in STATUSES.slugs if s in set(table["status"])]:
        part = table[table["status"] == status]
        fig.add_trace(go.Bar(
            orientation="h",
            name=status_label(status),
            y=[_wrap(label(v), 24) for v in part[by]],
            x=part["count"],
            marker={"color": STATUS_COLORS[status], "line": {"color": "#ffffff", "width": 1},
                    "pattern": {"shape": STATUS_PATTERNS[status], "fillmode": "overlay",
                                "fgcolor": "rgba(255,255,255,0.75)", "size": 7, "solidity": 0.3}},
            customdata=[[by, v, "status", status] for v in part[by]],
            text=[label(v) for v in part[by]], textposition="none",
            hovertemplate="%{text}<br>" + status_label(status) + ": %{x}<extra></extra>",
        ))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(categoryorder="array", categoryarray=[_wrap(label(c), 24) for c in reversed(cats)],
                     title={"text": ""}, automargin=True)
    fig.update_xaxes(title={"text": _("Initiatives")}, tickformat=",d", rangemode="tozero")
    return _layout(fig, title, height=max(260, 150 + 36 * len(cats)))


def status_by_pillar(df: pd.DataFrame) -> go.Figure:
    title = _("Status by pillar")
    if df.empty:
        return empty(title)
    return _stacked_status(metrics.counts(df, "pillar"), "pillar", pillar_label, title, _("Pillar"))


def status_by_sector(df: pd.DataFrame) -> go.Figure:
    title = _("Status by sector")
    if df.empty:
        return empty(title)
    table = metrics.counts(df, "sector")
    totals = table.groupby("sector")["count"].sum().sort_values(ascending=False, kind="stable")
    table = table.set_index("sector").loc[totals.index].reset_index()
    return _stacked_status(table, "sector", sector_label, title, _("Sector"))


def completion_by_pillar(df: pd.DataFrame) -> go.Figure:
    title = _("Share completed, by pillar")
    if df.empty:
        return empty(title)
    t = metrics.completion(df)
    fig = go.Figure(go.Bar(
        orientation="h",
        y=[pillar_label(p) for p in t["pillar"]],
        x=t["share"],
        marker={"color": [PILLAR_COLORS[p] for p in t["pillar"]]},
        text=[f"{c}/{n}" for c, n in zip(t["completed"], t["total"])],
        textposition="outside",
        customdata=[["pillar", p] for p in t["pillar"]],
        hovertemplate="%{y}<br>" + _("Completed") + ": %{text} (%{x:.0%})<extra></extra>",
    ))
    fig.update_xaxes(range=[0, 1.15], tickformat=".0%", title={"text": _("Completed")})
    fig.update_yaxes(autorange="reversed", automargin=True, title={"text": ""})
    return _layout(fig, title, height=max(220, 70 + 48 * len(t)), showlegend=False)


def hierarchy(df: pd.DataFrame) -> go.Figure:
    """Pillar -> sector -> initiative treemap. Node ids encode what a click selects."""
    title = _("Pillars, sectors and initiatives")
    if df.empty:
        return empty(title)
    ids, labels, parents, values, colors, custom, hover = [], [], [], [], [], [], []
    df = df.assign(_title=local_titles(df))
    for pillar, pdf in df.groupby("pillar", observed=True, sort=False):
        pid = f"pillar/{pillar}"
        ids.append(pid); labels.append(pillar_label(pillar)); parents.append("")
        values.append(len(pdf)); colors.append(PILLAR_COLORS[pillar]); custom.append(["pillar", pillar])
        hover.append(f"{len(pdf)}")
        for sector, sdf in pdf.groupby("sector", sort=True):
            sid = f"{pid}/{sector}"
            ids.append(sid); labels.append(sector_label(sector)); parents.append(pid); values.append(len(sdf))
            colors.append(PILLAR_COLORS[pillar]); custom.append(["sector", sector]); hover.append(f"{len(sdf)}")
            for _i, row in sdf.iterrows() if len(df) <= GANTT_MAX_BARS else []:
                ids.append(f"{sid}/{row['id']}"); labels.append(_short(row["_title"], 40)); parents.append(sid)
                values.append(1); colors.append(STATUS_COLORS[row["status"]]); custom.append(["id", row["id"]])
                hover.append(status_label(row["status"]))
    fig = go.Figure(go.Treemap(
        ids=ids, labels=labels, parents=parents, values=values, branchvalues="total",
        marker={"colors": colors, "line": {"color": "#ffffff", "width": 1}},
        customdata=custom, text=hover, textinfo="label",
        hovertemplate="%{label}<br>%{text}<extra></extra>",
        pathbar={"visible": True}, maxdepth=2,
    ))
    return _layout(fig, title, height=460)


def count_initiatives(n: int) -> str:
    """'1 initiative' / '3 initiatives' (English, French and Spanish share this rule for n >= 1)."""
    return _("1 initiative") if n == 1 else _("{n} initiatives").format(n=n)


def local_titles(df: pd.DataFrame) -> pd.Series:
    """Titles in the current language where the CSV has them, else the original."""
    col = f"title_{language()}"
    if col in df and language() != "en":
        alt = df[col].fillna("")
        return alt.where(alt != "", df["title"])
    return df["title"]


def _short(text: str, n: int) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def _wrap(text: str, width: int) -> str:
    """Break a label into lines of about ``width`` characters (Plotly's <br>)."""
    lines, cur = [], ""
    for word in str(text).split():
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}".strip()
    return "<br>".join([*lines, cur])


def _date_ticks(start: pd.Timestamp, end: pd.Timestamp) -> tuple[list, list[str]]:
    """Quarterly ticks with month names in the current language."""
    names = month_names()
    start = pd.Timestamp(start.year, 1 + 3 * ((start.month - 1) // 3), 1)
    ticks = pd.date_range(start, end, freq="QS")
    step = max(1, -(-len(ticks) // 6))
    ticks = ticks[::step]
    return list(ticks), [f"{names[t.month - 1]} {t.year}" for t in ticks]


def timeline(df: pd.DataFrame, today: date, *, title: str | None = None) -> go.Figure:
    """Gantt of initiatives, grouped by pillar, coloured by status.

    Open-ended rows run to the plan's end with a hatched 'open' style;
    milestones are diamonds; past ``GANTT_MAX_BARS`` rows, one bar per sector."""
    title = title or _("Timeline")
    if df.empty:
        return empty(title)
    if len(df) > GANTT_MAX_BARS:
        return timeline_by_sector(df, today, title=title)
    plan_end = pd.Timestamp(PLAN_END)
    done = df["status"].isin(metrics.DONE)
    point = df["milestone"] | (df["end_date"].isna() & done)  # a finished item with no end is a dated event
    d = df.assign(
        _point=point,
        _open=df["end_date"].isna() & ~point,
        _end=df["end_date"].fillna(plan_end),
        _o=df["pillar"].cat.codes,
        _kind="id",
    ).sort_values(["_o", "start_date", "id"])
    # two short lines (title, then id) keep the axis narrow enough for a phone
    d["_y"] = [f"{_short(t, 26)}<br>{i}" for t, i in zip(local_titles(d), d["id"])]
    d["_status"] = d["status"].astype(str).map(status_label)
    d["_pillar"] = d["pillar"].astype(str).map(pillar_label)
    d["_when"] = [fmt_date(s.date()) if p else f"{fmt_date(s.date())} – {fmt_date(e.date()) if not o else _('open-ended')}"
                  for s, e, o, p in zip(d["start_date"], d["_end"], d["_open"], d["_point"])]
    bars = d[~d["_point"]]
    order = list(d["_y"])
    fig = go.Figure()
    if len(bars):
        fig = px.timeline(
            bars, x_start="start_date", x_end="_end", y="_y", color="status",
            color_discrete_map=STATUS_COLORS,
            custom_data=["_kind", "id", "_status", "_pillar", "_when"],
        )
        open_ids = set(bars.loc[bars["_open"], "id"])
        for tr in fig.data:  # label by status; hatch the open-ended bars
            tr.name = status_label(tr.name)
            tr.hovertemplate = HOVER_ITEM
            shapes = ["/" if row[1] in open_ids else "" for row in tr.customdata]
            tr.marker.pattern = {"shape": shapes, "fillmode": "overlay", "fgcolor": "rgba(255,255,255,0.8)",
                                 "size": 8, "solidity": 0.35}
    short = bars[(bars["_end"] - bars["start_date"]) < pd.Timedelta(days=21)]
    if len(short):  # keep very short spans visible: a square at the start, same colour and click target
        fig.add_trace(go.Scatter(
            x=short["start_date"], y=short["_y"], mode="markers", showlegend=False, name=_("Short event"),
            marker={"symbol": "square", "size": 10, "color": [STATUS_COLORS[s] for s in short["status"]],
                    "line": {"color": "#222222", "width": 1}},
            customdata=short[["_kind", "id", "_status", "_pillar", "_when"]].to_numpy(),
            hovertemplate=HOVER_ITEM,
        ))
    ms = d[d["_point"]]
    if len(ms):
        fig.add_trace(go.Scatter(
            x=ms["start_date"], y=ms["_y"], mode="markers", name=_("One-day event"),
            marker={"symbol": "diamond", "size": 13, "color": [STATUS_COLORS[s] for s in ms["status"]],
                    "line": {"color": "#222222", "width": 1.5}},
            customdata=ms[["_kind", "id", "_status", "_pillar", "_when"]].to_numpy(),
            hovertemplate=HOVER_ITEM,
        ))
    _pillar_bands(fig, d)
    lo = min(d["start_date"].min(), pd.Timestamp(today)) - pd.Timedelta(days=20)
    hi = plan_end + pd.Timedelta(days=20)
    _annotate_dates(fig, today)
    ticks, text = _date_ticks(lo, hi)
    fig.update_xaxes(type="date", range=[lo, hi], tickvals=ticks, ticktext=text, title={"text": ""},
                     side="top", showgrid=True, gridcolor="rgba(0,0,0,0.08)")
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(order)), title={"text": ""},
                     automargin=True, tickfont={"size": 11})
    return _layout(fig, title, height=max(320, 170 + 34 * len(d)), barmode="overlay",
                   legend={"orientation": "h", "yanchor": "top", "y": -0.005, "x": 0, "title": {"text": ""}},
                   margin={"l": 8, "r": 100, "t": 80, "b": 40})


def _pillar_bands(fig: go.Figure, d: pd.DataFrame) -> None:
    """Shade each pillar's rows and name the pillar at the right edge."""
    n = len(d)
    pos = 0
    for i, (pillar, grp) in enumerate(d.groupby("pillar", observed=True, sort=False)):
        k = len(grp)
        # category axis: row j sits at y = n-1-j (reversed order); band covers its rows
        y1 = n - 1 - pos + 0.5
        y0 = y1 - k
        fig.add_shape(type="rect", xref="paper", x0=0, x1=1, yref="y", y0=y0, y1=y1,
                      fillcolor=PILLAR_COLORS[pillar], opacity=0.07, line={"width": 0}, layer="below")
        fig.add_annotation(xref="paper", x=1.005, yref="y", y=(y0 + y1) / 2, text=_wrap(pillar_label(pillar), 13),
                           showarrow=False, xanchor="left", font={"size": 12, "color": "#333333"})
        pos += k


def _annotate_dates(fig: go.Figure, today: date) -> None:
    """Today line, key dates and the World Cup window. Shapes + annotations
    (not add_vline's annotation, which mishandles date axes)."""
    start, end, label = WORLD_CUP
    fig.add_shape(type="rect", x0=start, x1=end, xref="x", y0=0, y1=1, yref="paper",
                  fillcolor="#56B4E9", opacity=0.15, line={"width": 0}, layer="below")
    fig.add_annotation(x=start, y=0, xref="x", yref="paper", text=_(label), showarrow=False,
                       xanchor="right", yanchor="bottom", textangle=-90, font={"size": 11})
    for i, (d, msg) in enumerate(KEY_DATES):  # alternate top/bottom so close dates don't collide
        fig.add_shape(type="line", x0=d, x1=d, xref="x", y0=0, y1=1, yref="paper",
                      line={"color": "#555555", "width": 1, "dash": "dot"})
        fig.add_annotation(x=d, y=1 if i % 2 == 0 else 0, xref="x", yref="paper", text=_(msg), showarrow=False,
                           xanchor="right", yanchor="top" if i % 2 == 0 else "bottom", textangle=-90,
                           font={"size": 11}, bgcolor="rgba(255,255,255,0.85)")
    t = pd.Timestamp(today)
    fig.add_shape(type="line", x0=t, x1=t, xref="x", y0=0, y1=1, yref="paper",
                  line={"color": "#D55E00", "width": 2}, name="today")
    fig.add_annotation(x=t, y=0, xref="x", yref="paper", text=_("Today"), showarrow=False,
                       xanchor="left", yanchor="bottom", font={"size": 12, "color": "#A04000"},
                       bgcolor="rgba(255,255,255,0.85)")


def timeline_by_sector(df: pd.DataFrame, today: date, *, title: str | None = None) -> go.Figure:
    """One bar per sector: its span, count and status mix (for large data)."""
    title = title or _("Timeline")
    plan_end = pd.Timestamp(PLAN_END)
    end = df["end_date"].fillna(plan_end)
    g = df.assign(_end=end).groupby(["pillar", "sector"], observed=True)
    span = g.agg(start=("start_date", "min"), end=("_end", "max"), n=("id", "size")).reset_index()
    mix = df.groupby(["pillar", "sector", "status"], observed=True).size().unstack(fill_value=0)
    span["mix"] = [", ".join(f"{status_label(s)} {int(mix.loc[(p, sec), s])}" for s in mix.columns
                             if mix.loc[(p, sec), s])
                   for p, sec in zip(span["pillar"], span["sector"])]
    span["_y"] = [f"{sector_label(s)} · {_short(pillar_label(p), 14)} ({n})"
                  for s, p, n in zip(span["sector"], span["pillar"], span["n"])]
    span["_pillar"] = span["pillar"].astype(str).map(pillar_label)
    span["_kind"] = "sector"
    fig = px.timeline(span, x_start="start", x_end="end", y="_y", color="pillar",
                      color_discrete_map=PILLAR_COLORS, custom_data=["_kind", "sector", "_pillar", "mix", "n"])
    for tr in fig.data:
        tr.name = pillar_label(tr.name)
        tr.hovertemplate = "<b>%{customdata[1]}</b> · %{customdata[2]}<br>%{customdata[4]}: %{customdata[3]}<extra></extra>"
    _annotate_dates(fig, today)
    fig.update_yaxes(autorange="reversed", automargin=True, title={"text": ""})
    return _layout(fig, title, height=max(320, 140 + 26 * len(span)))


def theme_matrix(table: pd.DataFrame) -> go.Figure:
    """Heatmap of metrics.theme_pillar(); filtering happens through widgets."""
    title = _("Themes across pillars")
    if table.empty:
        return empty(title)
    z = table.to_numpy()
    fig = go.Figure(go.Heatmap(
        z=z, x=[pillar_label(p) for p in table.columns], y=[theme_label(t) for t in table.index],
        colorscale=[[0, "#f7fbff"], [1, "#0072B2"]], showscale=False,
        text=z, texttemplate="%{text}", hovertemplate="%{y} · %{x}: %{z}<extra></extra>",
        xgap=2, ygap=2,
    ))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(side="top")
    return _layout(fig, title, height=max(280, 90 + 30 * len(table)))


def theme_status_mix(df: pd.DataFrame, themes: pd.DataFrame, selected: list[str]) -> go.Figure:
    title = _("Status mix by theme")
    if df.empty or not selected:
        return empty(title)
    t = themes[themes["row"].isin(df.index) & themes["theme"].isin(selected)]
    joined = pd.DataFrame({"theme": t["theme"].to_numpy(), "status": df.loc[t["row"], "status"].astype(str).to_numpy()})
    if joined.empty:
        return empty(title)
    table = joined.groupby(["theme", "status"]).size().reset_index(name="count")
    return _stacked_status(table, "theme", theme_label, title, _("Theme"))


def figure_alt(table: pd.DataFrame, by: str, label) -> str:
    """Screen-reader summary from a counts table: 'Security: 9 initiatives, 3 Completed, …'."""
    if table.empty:
        return _("No initiatives match these filters.")
    parts = []
    for key, part in table.groupby(by, sort=False, observed=True):
        n = int(part["count"].sum())
        mix = ", ".join(f"{int(c)} {status_label(s)}" for s, c in zip(part["status"], part["count"]))
        parts.append(f"{label(key)}: {count_initiatives(n)} ({mix})")
    return "; ".join(parts)


def status_flow(flow: pd.DataFrame) -> go.Figure:
    """Sankey of status changes between two snapshots (``snapshots.Diff.status_flow``)."""
    title = _("Status changes")
    if flow.empty:
        return empty(title, _("No status changed in this period."))
    pairs = flow.groupby(["before", "after"]).size().reset_index(name="n")
    left = [s for s in STATUSES.slugs if s in set(pairs["before"])]
    right = [s for s in STATUSES.slugs if s in set(pairs["after"])]
    labels = [f"{status_label(s)} ({_('before')})" for s in left] + [f"{status_label(s)} ({_('after')})" for s in right]
    colors = [STATUS_COLORS[s] for s in left + right]
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node={"label": labels, "color": colors, "pad": 18, "thickness": 18,
              "line": {"color": "#333333", "width": 0.5}},
        link={"source": [left.index(b) for b in pairs["before"]],
              "target": [len(left) + right.index(a) for a in pairs["after"]],
              "value": pairs["n"].tolist(), "color": "rgba(0,0,0,0.18)",
              "hovertemplate": "%{source.label} → %{target.label}: %{value}<extra></extra>"},
    ))
    return _layout(fig, title, height=max(260, 80 + 50 * max(len(left), len(right))))


def burnup(table: pd.DataFrame) -> go.Figure:
    """Completed (solid) and total (dotted) initiatives per snapshot date, per pillar
    (``snapshots.burnup``), with the plan's end marked."""
    title = _("Burn-up: completed and total initiatives per snapshot")
    if table.empty:
        return empty(title)
    fig = go.Figure()
    for pillar, part in table.groupby("pillar", sort=False):
        color = PILLAR_COLORS.get(pillar, "#555555")
        name = pillar_label(pillar)
        fig.add_trace(go.Scatter(x=part["date"], y=part["total"], name=f"{name}: {_('total')}",
                                 mode="lines+markers", line={"color": color, "dash": "dot"},
                                 marker={"symbol": "circle-open", "size": 8}, legendgroup=pillar,
                                 hovertemplate=f"{name}<br>%{{x|%Y-%m-%d}}<br>{_('total')}: %{{y}}<extra></extra>"))
        fig.add_trace(go.Scatter(x=part["date"], y=part["completed"], name=f"{name}: {_('completed')}",
                                 mode="lines+markers", line={"color": color, "width": 3},
                                 marker={"symbol": "circle", "size": 8}, legendgroup=pillar,
                                 hovertemplate=f"{name}<br>%{{x|%Y-%m-%d}}<br>{_('completed')}: %{{y}}<extra></extra>"))
    end = pd.Timestamp(PLAN_END)
    fig.add_shape(type="line", x0=end, x1=end, xref="x", y0=0, y1=1, yref="paper",
                  line={"color": "#555555", "width": 1, "dash": "dot"})
    fig.add_annotation(x=end, y=1, xref="x", yref="paper", text=_("Plan ends"), showarrow=False,
                       xanchor="right", yanchor="top", textangle=-90, font={"size": 11})
    lo = table["date"].min() - pd.Timedelta(days=30)
    ticks, text = _date_ticks(lo, end + pd.Timedelta(days=30))
    fig.update_xaxes(type="date", range=[lo, end + pd.Timedelta(days=30)], tickvals=ticks, ticktext=text)
    fig.update_yaxes(title={"text": _("Initiatives")}, rangemode="tozero", tickformat=",d")
    return _layout(fig, title, height=520, margin={"l": 8, "r": 8, "t": 56, "b": 8},
                   legend={"orientation": "h", "yanchor": "top", "y": -0.08, "x": 0, "title": {"text": ""}})
