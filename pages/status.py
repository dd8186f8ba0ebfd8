import streamlit as st

from cmap_tracker import app, charts, labels, metrics
from cmap_tracker.i18n import _

ctx = app.page(_("Status"), needs_rows=True)

table = metrics.counts(ctx.df, "sector")
app.chart(charts.status_by_sector(ctx.df), "status_by_sector", alt=charts.figure_alt(table, "sector", str), table=table)

comp = metrics.completion(ctx.df)
app.chart(
    charts.completion_by_pillar(ctx.df),
    "completion_by_pillar",
    alt="; ".join(f"{labels.pillar(p)}: {c}/{n}" for p, c, n in zip(comp["pillar"], comp["completed"], comp["total"])),
    table=comp,
)

st.header(_("Delayed and overdue"), anchor=False)
st.caption(
    _("Delayed: a source says it is behind schedule. Overdue: the end date has passed and it is not marked completed.")
)
late = metrics.late(ctx.df, ctx.today)
if late.empty:
    st.success(_("Nothing in view is delayed or overdue."))
else:
    app.initiative_table(late, key="late", on_demand=True)
