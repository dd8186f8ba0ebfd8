"""The view in the address bar: widget keys, seeding them from a link, and writing the
link back (``state.View`` is the one mapping; this module moves it in and out of Streamlit)."""

from __future__ import annotations

import contextvars
import dataclasses
from urllib.parse import urlencode

import streamlit as st

from .. import state
from ..dataset import Dataset
from ..filters import Filters
from ..state import View

W = {
    "pillar": "w_pillar",
    "sector": "w_sector",
    "status": "w_status",
    "theme": "w_theme",
    "date_from": "w_from",
    "date_to": "w_to",
    "q": "w_q",
}

LANG_KEY = "w_lang"

ID_KEY = "view_id"

TAB_KEY = "view_tab"  # the overview's open tab, as in the URL (state.TABS)

ASOF_KEY = "w_asof"  # the snapshot date shown instead of the latest data (None for the latest)

page_path: contextvars.ContextVar[str | None] = contextvars.ContextVar("page_path", default=None)


def _params() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params}


def seed_asof(snapshot_dates: list[str]) -> None:
    """The snapshot a link asks for (``?asof=``), before the data is chosen: the rest is seeded from that data."""
    st.session_state[ASOF_KEY] = state.as_of(_params(), snapshot_dates) or None


def seed(ds: Dataset, snapshot_dates: list[str]) -> None:
    view, notices = state.from_query(_params(), ds, snapshot_dates)
    put_filters(view.filters)
    st.session_state[ID_KEY] = view.id
    st.session_state["view_since"] = view.since
    st.session_state["view_until"] = view.until
    st.session_state[TAB_KEY] = view.tab
    if view.lang:
        st.session_state[LANG_KEY] = view.lang
    st.session_state["_notices"] = notices


def put_filters(f: Filters) -> None:
    for field, key in W.items():
        v = getattr(f, field)
        st.session_state[key] = list(v) if isinstance(v, tuple) else v


def current_view() -> View:
    ss = st.session_state
    f = Filters(
        pillar=tuple(ss.get(W["pillar"]) or ()),
        sector=tuple(ss.get(W["sector"]) or ()),
        status=tuple(ss.get(W["status"]) or ()),
        theme=tuple(ss.get(W["theme"]) or ()),
        date_from=ss.get(W["date_from"]),
        date_to=ss.get(W["date_to"]),
        q=(ss.get(W["q"]) or "")[: state.MAX_Q],
    )
    lang = ss.get(LANG_KEY, "")
    # The overview's tab is kept while other pages are open, but only its link carries it.
    on_overview = page_path.get() in (None, "", "overview")
    return View(
        f,
        ss.get(ID_KEY, "") or "",
        lang if lang != "en" or ss.get("_lang_chosen") else "",
        ss.get("view_since", ""),
        ss.get("view_until", ""),
        (ss.get(TAB_KEY, "") or "") if on_overview else "",
        ss.get(ASOF_KEY, "") or "",
    )


def write_url(view: View) -> None:
    """Make the address bar match the view: our keys only (Streamlit's own
    ``embed`` flags are left alone), and only when something differs."""
    want = view.to_query()
    qp = st.query_params
    for key in state.OWN_KEYS:
        have = qp.get_all(key)
        if want.get(key, []) != have:
            if key in want:
                qp[key] = want[key]
            elif key in qp:
                del qp[key]


def keep_known(ds: Dataset) -> None:
    """Narrow the filters and the open detail to what ``ds`` has, when the data in view is replaced within a
    session: a pillar the new data lacks would leave a view of nothing, named by nothing."""
    view, _notices = state.from_query(current_view().to_query(), ds)
    put_filters(view.filters)
    st.session_state[ID_KEY] = view.id


def reset_filters() -> None:
    put_filters(Filters())
    st.session_state[ID_KEY] = ""
    st.session_state["_notices"] = []


def known_address() -> bool:
    """Whether the browser told this session the page's address (share links need it)."""
    return bool(getattr(st.context, "url", None))


def share_link(view: View) -> str | None:
    """Absolute URL of this page with every filter, for pasting into an email."""
    base = getattr(st.context, "url", None)
    if not base:
        return None
    query = urlencode(view.to_query(), doseq=True)
    return f"{base}?{query}" if query else base


def latest_link(view: View) -> str | None:
    """The share link of ``view`` on the latest data: what it shows changes when the data does."""
    return share_link(dataclasses.replace(view, asof=""))
