import streamlit as st

from cmap_tracker import app, figures, labels, safe, timeline
from cmap_tracker.i18n import _

ctx = app.page(
    _("Timeline"),
    _("Hatched bars are open-ended and drawn to the plan's end; diamonds are one-day events. Click a bar for details."),
    needs_rows=True,
)

if len(ctx.df) > figures.GANTT_MAX_BARS:
    st.info(
        safe.md_format(
            _(
                "{n} initiatives are too many to draw one by one: each bar is a sector. Click a bar to drill down to that sector."
            ),
            n=len(ctx.df),
        )
    )
fig = timeline.timeline(ctx.df, ctx.today)
counts = ctx.df.groupby("pillar", observed=True).size()
app.chart(
    fig,
    "timeline",
    alt=_("Timeline of {n} initiatives from {start} to {end}.").format(
        n=len(ctx.df),
        start=ctx.df["start_date"].min().date().isoformat(),
        end=ctx.ds.plan.horizon(ctx.df).date().isoformat(),
    )
    + " "
    + "; ".join(f"{labels.pillar(p)}: {c}" for p, c in counts.items()),
)
app.detail(ctx)
