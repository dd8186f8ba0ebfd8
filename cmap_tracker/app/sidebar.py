"""The sidebar: language, the filters, reset, and the share link."""

from __future__ import annotations

import streamlit as st

from .. import i18n, labels, safe, state
from ..dataset import Dataset
from ..i18n import _
from ..vocab import STATUSES
from . import url
from .url import LANG_KEY, W


def draw(ds: Dataset) -> None:
    """Widgets keep their values across page switches (persist_state="session")."""
    sb = st.sidebar
    sb.selectbox(
        _("Language"),
        list(i18n.LANGUAGES),
        key=LANG_KEY,
        persist_state="session",
        format_func=lambda c: i18n.LANGUAGES[c],
        on_change=lambda: st.session_state.update(_lang_chosen=True),
    )
    sb.header(_("Filters"))
    themes = list(dict.fromkeys([*ds.theme_slugs, *st.session_state.get(W["theme"], [])]))
    for field, label, options, name, placeholder in (
        ("pillar", _("Pillar"), ds.plan.pillars.slugs, labels.pillar, _("All pillars")),
        ("sector", _("Sector"), ds.sectors, labels.sector, _("All sectors")),
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
    link = url.share_link(url.current_view())
    if link:  # in a popover: its content (and the code block's script) loads only when opened
        with sb.popover(_("Share this view"), icon=":material/link:", width="stretch"):
            st.caption(_("Link to this view (use the copy icon):"))
            st.code(link, language=None, wrap_lines=True)
