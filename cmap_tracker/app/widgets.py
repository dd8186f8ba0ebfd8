"""What pages draw with: a chart that filters on click, the overview's tabs, content
built when opened, the detail card and the tables of initiatives."""

from __future__ import annotations

import dataclasses
from datetime import date
from functools import partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from .. import corrections, i18n, labels, metrics, safe, state, tables
from ..dataset import Dataset
from ..derived import per_object
from ..i18n import N_, _
from ..vocab import STATUSES, THEMES
from . import data, url
from .run import Ctx, current
from .url import ID_KEY, TAB_KEY, W

OVERVIEW_TABS = {"status": N_("By status"), "sector": N_("By sector")}  # URL value -> tab label


def cross_filter(chart_key: str) -> None:
    """on_select callback: narrow the filters to what was clicked (by customdata id).
    A click sends back values as the chart shows them (escaped by ``safe.plotly``);
    each is matched against what that filter offers, so no other value gets in."""
    sel = st.session_state.get(chart_key)
    points = (sel or {}).get("selection", {}).get("points", []) if sel else []
    picked: dict[str, list[str]] = {}
    ds = data.dataset()[0]
    for p in points:
        cd = p.get("customdata") or []
        for kind, value in zip(cd[0::2], cd[1::2]):
            if kind not in CLICKABLE:
                break
            raw = _click_values(ds, kind).get(value) if isinstance(value, str) else None
            if raw is not None and raw not in picked.setdefault(kind, []):
                picked[kind].append(raw)
    for kind, values in picked.items():
        if not values:
            continue
        if kind == "id":
            st.session_state[ID_KEY] = values[0]
        else:
            st.session_state[W[kind]] = values


CLICKABLE = ("pillar", "sector", "status", "theme", "id")


def _click_values(ds: Dataset, kind: str) -> dict[str, str]:
    """What a chart sends for each value of ``kind`` (``safe.plotly`` of it) -> the value."""

    def options() -> dict[str, str]:
        values = {
            "pillar": ds.plan.pillars.slugs,
            "status": STATUSES.slugs,
            "sector": ds.sectors,
            "theme": [*ds.theme_slugs, *THEMES.slugs],
            "id": ds.frame["id"].tolist(),
        }[kind]
        return {safe.plotly(v): v for v in values}

    return per_object(ds.frame, ("clicks", kind), options)


def chart(fig: go.Figure, key: str, *, alt: str, table: pd.DataFrame | None = None, selectable: bool = True) -> None:
    """A Plotly chart with alt text, a PNG download name, click-to-filter and a table alternative."""
    config = {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": f"cmap-{key}", "scale": 2},
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    }
    if selectable:
        st.plotly_chart(
            fig,
            key=key,
            on_select=partial(cross_filter, key),
            selection_mode="points",
            alt=alt,
            config=config,
            width="stretch",
        )
    else:
        st.plotly_chart(fig, key=key, alt=alt, config=config, width="stretch")
    if table is not None:  # a plain HTML table, read by screen readers
        box = opened(_("Show as table"), f"{key}__table")
        if box:
            box.table(tables.as_text(labels.labelled(table)), hide_index=True)


def overview_tabs() -> dict:
    """The overview's tabs by URL value ({"status": tab, "sector": tab}); only the open
    one has content drawn. The open tab is part of the view (``?tab=sector``): a
    link opens it, and it survives a change of language (labels are translated)."""
    ss = st.session_state
    labels = {value: _(label) for value, label in OVERVIEW_TABS.items()}
    if ss.get("overview_tab") not in labels.values():  # first draw, from a link, or in a new language
        ss["overview_tab"] = labels.get(ss.get(TAB_KEY) or state.TABS[0], labels[state.TABS[0]])
    tabs = st.tabs([safe.md(label) for label in labels.values()], key="overview_tab", on_change="rerun")
    open_tab = next(v for v, label in labels.items() if label == ss["overview_tab"])
    ss[TAB_KEY] = "" if open_tab == state.TABS[0] else open_tab
    return dict(zip(labels, tabs))


def opened(label: str, key: str):
    """An expander whose content is built only while it is open (opening it reruns
    the page); returns it when open, else None. For content a reader asks for."""
    box = st.expander(label, key=key, on_change="rerun")
    return box if box.open else None


def detail(ctx: Ctx, ident: str | None = None) -> None:
    """The detail card of one initiative (everything shown as text); by default
    the one selected by a click, a table row or ``?id=``."""
    ident = ident or st.session_state.get(ID_KEY)
    if not ident:
        return
    rows = ctx.ds.frame[ctx.ds.frame["id"] == ident]
    if rows.empty:
        return
    row = rows.iloc[0]
    title, fell_back = labels.localized(row, "title")
    desc, desc_fb = labels.localized(row, "description")
    with st.container(border=True):
        st.header(safe.md(f"{ident} · {title}"), anchor=False)
        if fell_back or desc_fb:
            st.caption(_("Not yet translated; shown in the original language."))
        if desc:
            st.text(safe.plain(desc))
        c1, c2, c3 = st.columns(3)
        start = i18n.fmt_date(row["start_date"].date())
        end = i18n.fmt_date(row["end_date"].date()) if pd.notna(row["end_date"]) else _("open-ended")
        for col, name, value in (
            (c1, _("Pillar"), labels.pillar(row["pillar"])),
            (c1, _("Sector"), labels.sector(row["sector"])),
            (c2, _("Status"), labels.status(row["status"])),
            (c2, _("Dates"), f"{start} – {end}"),
            (c3, _("Lead (Canada)"), row.get("lead_canada") or "—"),
            (c3, _("Lead (Mexico)"), row.get("lead_mexico") or "—"),
        ):
            col.markdown(f"**{safe.md(name)}**  \n{safe.md(value)}")
        _evidence(ctx, row)


def _evidence(ctx: Ctx, row: pd.Series) -> None:
    """The detail card's foot: confidence, when last checked (marked when stale), the source and the correction link."""
    conf = row.get("confidence") or ""
    lu = row.get("last_updated")
    confidence = _(conf.capitalize()) if conf else "—"
    updated = i18n.fmt_date(lu.date()) if pd.notna(lu) else "—"
    st.markdown(
        safe.md_format("**{a}**: {b} · **{c}**: {d}", a=_("Confidence"), b=confidence, c=_("Last updated"), d=updated)
    )
    if pd.notna(lu) and lu < pd.Timestamp(metrics.stale_before(ctx.today, data.stale_days())):
        st.warning(safe.md_format(_("Not checked since {date}."), date=updated), icon=":material/schedule:")
    source = safe.http_url(row["source_url"])
    link = url.share_link(dataclasses.replace(ctx.view, id=row["id"])) or ""
    values = {"id": row["id"], "title": row["title"], "status": row["status"], "link": link}
    fix = corrections.correction_url(data.correction_template(), **values)
    left, right = st.columns(2)
    if source:
        left.link_button(_("Open the source"), source, icon=":material/open_in_new:")
    if fix:
        right.link_button(_("Suggest a correction"), fix, icon=":material/edit_note:")
    if row.get("source_note"):
        st.caption(safe.md(row["source_note"]))


def _on_row_select(key: str, ids: list[str]) -> None:
    rows = st.session_state[key].get("selection", {}).get("rows", [])
    st.session_state[ID_KEY] = ids[rows[0]] if rows else ""


def _open_by_id(df: pd.DataFrame, box: str) -> None:
    """A box to open one of ``df``'s rows in the detail card by its id. A typed id opens
    once, as soon as it is among the rows in view (now, or after the filters change);
    until then the box says it is not in view."""
    ss = st.session_state
    typed = (
        st.text_input(
            _("Open an initiative by its id"),
            key=box,
            placeholder=str(df["id"].iloc[0]),
            on_change=lambda: ss.__setitem__(f"{box}__new", True),
        )
        or ""
    ).strip()
    if not typed:
        return
    if not (df["id"] == typed).any():
        st.caption(safe.md_format(_("No initiative in view has the id “{id}”."), id=safe.clip(typed)))
    elif ss.pop(f"{box}__new", False):
        ss[ID_KEY] = typed


LAZY_ROWS = 5_000  # above this, tables stream rows on demand (no row selection then)


def initiative_table(
    df: pd.DataFrame, *, key: str, select: bool = False, on_demand: bool = False, stale_before: date | None = None
) -> None:
    """The rows as a table. With ``on_demand``, a list of more than LAZY_ROWS rows
    (a page's secondary list, below its charts) is built only when opened, not
    again on every filter change; the Explorer, whose table is the page, always
    shows it. With ``stale_before``, rows last updated before it say since when they were not checked."""
    if on_demand and len(df) > LAZY_ROWS:
        box = opened(safe.md_format(_("Show the {n} initiatives"), n=i18n.fmt_int(len(df))), f"{key}__rows")
        if box:
            with box:
                initiative_table(df, key=key, select=select, stale_before=stale_before)
        return
    lazy = len(df) > LAZY_ROWS
    # a small view is taken from the whole file's table (fast); a streamed one is built for its rows, which is
    # faster at that size (50,000 rows: 10 ms against 56), and converted once, not on every rerun
    whole = current().ds.view
    view = (
        tables.arrow(tables.display_frame(df, stale_before)) if lazy else tables.display_table(whole, df, stale_before)
    )
    config = {
        _("Not checked since"): st.column_config.DateColumn(_("Not checked since")),
        _("Source"): st.column_config.LinkColumn(_("Source"), display_text=_("Open")),
        _("Start"): st.column_config.DateColumn(_("Start")),
        _("End"): st.column_config.DateColumn(_("End")),
        _("Title"): st.column_config.TextColumn(_("Title"), width="large"),
    }
    kw: dict = {}
    if select and not lazy:
        kw = {"on_select": partial(_on_row_select, key, df["id"].tolist()), "selection_mode": "single-row"}
    elif select:  # Streamlit cannot select rows of a table that streams them: open one by its id
        st.caption(
            safe.md_format(
                _(
                    "{n} rows: the table loads them as you scroll. To see one in detail, type its id below, or narrow the filters and select its row."
                ),
                n=i18n.fmt_int(len(view)),
            )
        )
        _open_by_id(df, f"{key}__open")
    st.dataframe(
        view,
        key=key,
        hide_index=True,
        width="stretch",
        column_config=config,
        height=min(38 + 35 * len(view), 560),
        lazy=lazy,
        placeholder="—",
        alt=_("Table of {n} initiatives").format(n=i18n.fmt_int(len(view))),
        **kw,
    )


def titled_table(title: str, table: pd.DataFrame, caption: str | None = None) -> None:
    st.header(title, anchor=False)
    if caption:
        st.caption(caption)
    if table.empty:
        st.caption(_("None."))
    else:
        st.dataframe(tables.arrow(labels.labelled(table)), hide_index=True, width="stretch")
