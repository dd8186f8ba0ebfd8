"""Entry point: `streamlit run dashboard.py`. The page list lives in app.PAGES."""

from cmap_tracker import app

app.run()
