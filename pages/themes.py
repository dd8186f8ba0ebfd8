import streamlit as st

from cmap_tracker import dataset, figures, metrics, ui
from cmap_tracker.i18n import _

ctx = ui.page(_("Themes"), _("An initiative with several themes counts once in each of them, so theme totals can add up to more than the number of initiatives."),
              needs_rows=True)

matrix = metrics.theme_pillar(ctx.df, ctx.ds.themes)
ui.chart(figures.theme_matrix(matrix), "theme_matrix", selectable=False,
         alt="; ".join(f"{ui.label_theme(t)}: {int(n)}" for t, n in zip(matrix.index, matrix.sum(axis=1))),
         table=matrix.rename(index=ui.label_theme, columns=ui.label_pillar).reset_index(names=_("Theme")))
st.caption(_("To filter by theme, use the Theme filter in the sidebar."))

st.header(_("Theme deep-dive"), anchor=False)
available = ctx.ds.theme_slugs
defaults = [t for t in ("ip", "energy", "security") if t in available]
chosen = st.multiselect(_("Themes to compare"), available, default=defaults, format_func=ui.label_theme,
                        key="deep_themes")
if not chosen:
    st.info(_("Pick at least one theme."))
    ui.stop()

in_theme = dataset.with_themes(ctx.ds, ctx.df, chosen)
if in_theme.empty:  # one message, not two empty charts
    st.info(_("No initiative in view carries these themes. Pick other themes or widen the filters."),
            icon=":material/search_off:")
else:
    ui.chart(figures.theme_status_mix(ctx.df, ctx.ds.themes, chosen), "theme_status_mix",
             alt=_("Status mix for {themes}.").format(themes=", ".join(map(ui.label_theme, chosen))))
    ui.chart(figures.timeline(in_theme, ctx.today, title=_("Timeline of the chosen themes")), "theme_timeline",
             alt=_("Timeline of {n} initiatives in the chosen themes.").format(n=len(in_theme)))
    ui.initiative_table(in_theme, key="theme_table", on_demand=True)
