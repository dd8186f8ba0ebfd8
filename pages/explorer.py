from cmap_tracker import app
from cmap_tracker.i18n import _

ctx = app.page(
    _("Explorer"),
    _("Sort by clicking a column header; search with the box in the sidebar. Select a row to see its details."),
    needs_rows=True,
)

app.downloads(ctx)
app.initiative_table(ctx.df, key="explorer", select=True)
app.detail(ctx)
