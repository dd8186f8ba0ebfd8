from cmap_tracker import app, metrics
from cmap_tracker.i18n import _

ctx = app.page(
    _("Explorer"),
    _("Sort by clicking a column header; search with the box in the sidebar. Select a row to see its details."),
    needs_rows=True,
)

app.downloads(ctx)
stale_before = metrics.stale_before(ctx.today, app.stale_days())
app.initiative_table(ctx.df, key="explorer", select=True, stale_before=stale_before)
app.detail(ctx)
