"""The sidebar: language, the filters, reset, and the share link."""

from __future__ import annotations

import dataclasses
from datetime import date

import streamlit as st

from .. import i18n, labels, safe, state
from ..dataset import Dataset
from ..i18n import _
from ..snapshots import Snapshot
from ..vocab import STATUSES
from . import data, url
from .url import ASOF_KEY, LANG_KEY, W


def draw(ds: Dataset, snaps: tuple[Snapshot, ...], *, uploaded: bool) -> None:
    """Widgets keep their values across page switches (persist_state="session"). The dates of ``snaps`` that
    loaded are offered under "As of" (none for an upload); the share link dates a view by them."""
    snapshot_dates = [] if uploaded else data.loaded_dates(snaps)
    sb = st.sidebar
    sb.selectbox(
        _("Language"),
        list(i18n.LANGUAGES),
        key=LANG_KEY,
        persist_state="session",
        format_func=lambda c: i18n.LANGUAGES[c],
        on_change=lambda: st.session_state.update(_lang_chosen=True),
    )
    if snapshot_dates:
        sb.selectbox(  # ISO dates, as in the link and the date filters; empty for the latest data
            _("As of"),
            list(reversed(snapshot_dates)),
            index=None,
            key=ASOF_KEY,
            persist_state="session",
            placeholder=_("Latest data"),
            help=_("Show the data as it was on the date of a snapshot; clear the choice for the latest data."),
        )
    sb.header(_("Filters"))
    # values chosen on other data (another snapshot, a link) stay selectable
    themes = list(dict.fromkeys([*ds.theme_slugs, *st.session_state.get(W["theme"], [])]))
    sectors = list(dict.fromkeys([*ds.sectors, *st.session_state.get(W["sector"], [])]))
    for field, label, options, name, placeholder in (
        ("pillar", _("Pillar"), ds.plan.pillars.slugs, labels.pillar, _("All pillars")),
        ("sector", _("Sector"), sectors, labels.sector, _("All sectors")),
        ("status", _("Status"), STATUSES.slugs, labels.status, _("All statuses")),
        ("theme", _("Theme"), themes, labels.theme, _("All themes")),
    ):
        sb.multiselect(
            safe.md(label), options, key=W[field], persist_state="session", format_func=name, placeholder=placeholder
        )
    c1, c2 = sb.columns(2)
    c1.date_input(_("From"), key=W["date_from"], persist_state="session", format="YYYY-MM-DD")
    c2.date_input(_("To"), key=W["date_to"], persist_state="session", format="YYYY-MM-DD")
    sb.text_input(
        _("Search"),
        key=W["q"],
        persist_state="session",
        placeholder=_("id, title or description"),
        max_chars=state.MAX_Q,
    )
    sb.button(_("Reset filters"), on_click=url.reset_filters, width="stretch")
    share(ds, snaps)


def share(ds: Dataset, snaps: tuple[Snapshot, ...]) -> None:
    """The share links: one that always shows the latest data, and one that shows exactly this data (the
    snapshot in view, or the newest snapshot when the latest data is the same). Built only while the popover
    is open (on_change="rerun"): most reruns never show them."""
    if not url.known_address():
        return
    box = st.sidebar.popover(
        _("Share this view"), icon=":material/link:", width="stretch", key="share_open", on_change="rerun"
    )
    if not box.open:
        return
    view = url.current_view()
    latest = url.latest_link(view) or ""
    dated = view.asof or data.matching_snapshot(ds, snaps)
    with box:
        st.caption(_("Link to this view, always with the latest data (use the copy icon):"))
        st.code(latest, language=None, wrap_lines=True)
        if dated:
            st.caption(
                safe.md_format(
                    _("Link to exactly this data (as of {date}), to cite:"),
                    date=i18n.fmt_date(date.fromisoformat(dated)),
                )
            )
            st.code(url.share_link(dataclasses.replace(view, asof=dated)), language=None, wrap_lines=True)
        else:
            st.caption(_("To cite exactly this data, pick a date under “As of”: a link with a date keeps its data."))
