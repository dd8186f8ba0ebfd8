from cmap_tracker import ui
from cmap_tracker.i18n import _

ctx = ui.page(_("Explorer"), _("Sort by clicking a column header; search with the box in the sidebar. Select a row to see its details."),
              needs_rows=True)

ui.downloads(ctx)
ui.initiative_table(ctx.df, key="explorer", select=True)
ui.detail(ctx)
