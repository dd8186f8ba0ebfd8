import streamlit as st

from cmap_tracker import app, charts, labels, metrics, themes, timeline
from cmap_tracker.i18n import _

ctx = app.page(
    _("Themes"),
    _(
        "An initiative with several themes counts once in each of them, so theme totals can add up to more than the number of initiatives."
    ),
    needs_rows=True,
)

matrix = metrics.theme_pillar(ctx.df, ctx.ds.themes)
app.chart(
    charts.theme_matrix(matrix),
    "theme_matrix",
    selectable=False,
    alt="; ".join(f"{labels.theme(t)}: {int(n)}" for t, n in zip(matrix.index, matrix.sum(axis=1))),
    table=matrix.rename(index=labels.theme, columns=labels.pillar).reset_index(names=_("Theme")),
)
st.caption(_("To filter by theme, use the Theme filter in the sidebar."))

st.header(_("Theme deep-dive"), anchor=False)
available = ctx.ds.theme_slugs
defaults = [t for t in ("ip", "energy", "security") if t in available]
chosen = st.multiselect(
    _("Themes to compare"), available, default=defaults, format_func=labels.theme, key="deep_themes"
)
if not chosen:
    st.info(_("Pick at least one theme."))
    app.stop()

in_theme = themes.with_themes(ctx.ds, ctx.df, chosen)
if in_theme.empty:  # one message, not two empty charts
    st.info(
        _("No initiative in view carries these themes. Pick other themes or widen the filters."),
        icon=":material/search_off:",
    )
else:
    app.chart(
        charts.theme_status_mix(ctx.df, ctx.ds.themes, chosen),
        "theme_status_mix",
        alt=_("Status mix for {themes}.").format(themes=", ".join(map(labels.theme, chosen))),
    )
    app.chart(
        timeline.timeline(in_theme, ctx.today, title=_("Timeline of the chosen themes")),
        "theme_timeline",
        alt=_("Timeline of {n} initiatives in the chosen themes.").format(n=len(in_theme)),
    )
    app.initiative_table(in_theme, key="theme_table", on_demand=True)
