"""Entry point: `streamlit run dashboard.py`. The page list lives in ui.PAGES."""
from cmap_tracker import ui

ui.run()
