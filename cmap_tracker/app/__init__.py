"""The Streamlit app: the only code that imports Streamlit. Pages call ``app.page()``
for the run's context and compose with the helpers named here."""

from .data import burnup, clear_upload, public_text, set_upload, since_last_update, snapshot_diff, stale_days
from .downloads import deferred, downloads
from .run import PAGES, Ctx, empty_state, page, run, stop
from .widgets import LAZY_ROWS, chart, detail, initiative_table, opened, overview_tabs, titled_table

__all__ = [
    "LAZY_ROWS",
    "PAGES",
    "Ctx",
    "burnup",
    "chart",
    "clear_upload",
    "deferred",
    "detail",
    "downloads",
    "empty_state",
    "initiative_table",
    "opened",
    "overview_tabs",
    "page",
    "public_text",
    "run",
    "set_upload",
    "since_last_update",
    "snapshot_diff",
    "stale_days",
    "stop",
    "titled_table",
]
