"""Entry point: `streamlit run dashboard.py`. The page list lives in ui.PAGES."""
from cmap_tracker import ui

ctx = ui.start()
if ctx is not None:
    ui.navigation().run()
    ui.finish(ctx)
