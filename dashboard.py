"""Entry point: `streamlit run dashboard.py`. The page list lives in ui.PAGES."""
import streamlit as st

from cmap_tracker import ui

st.set_page_config(page_title="Canada–Mexico Action Plan Tracker", page_icon=":material/handshake:", layout="wide")

ctx = ui.start()
if ctx is not None:
    ui.navigation().run()
    ui.finish(ctx)
