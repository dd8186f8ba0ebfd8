import streamlit as st

from cmap_tracker import ui
from cmap_tracker.i18n import _

ctx = ui.page()
st.title(_("Explorer"), anchor=False)
st.caption(_("Sort by clicking a column header; search with the box in the sidebar. Select a row to see its details."))

if ctx.df.empty:
    ui.empty_state()
    st.stop()

ui.downloads(ctx)
ui.initiative_table(ctx.df, key="explorer", select=True)
ident = st.session_state.get(ui.ID_KEY)
if ident:
    ui.detail(ctx, ident)
