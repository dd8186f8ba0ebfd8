import streamlit as st

from cmap_tracker import app, charts, feed, i18n, labels, metrics, plan, safe
from cmap_tracker.i18n import _

ctx = app.page(safe.md(plan.current().title()))

k = metrics.kpis(ctx.df, ctx.today)
c = st.columns([1, 1, 1, 1, 1.5])
c[0].metric(_("Initiatives in view"), i18n.fmt_int(k.total))
c[1].metric(
    _("Completed"), i18n.fmt_pct(k.completed_share), help=_("Share of initiatives in view with status Completed.")
)
c[2].metric(_("Due in 90 days"), i18n.fmt_int(k.due_soon), help=_("End date within the next 90 days, not completed."))
c[3].metric(_("Overdue"), i18n.fmt_int(k.overdue), help=_("End date passed and not completed or cancelled."))
c[4].metric(_("Data as of"), i18n.fmt_date(ctx.ds.as_of))
news = app.since_last_update(ctx)
if news:
    st.caption(safe.md(news))
    st.page_link("pages/changes.py", label=_("See what changed"), icon=":material/history:")
    if st.get_option("server.enableStaticServing") and feed.FEED_PATH.is_file():
        st.link_button(_("Feed of changes (Atom)"), feed.FEED_URL, type="tertiary", icon=":material/rss_feed:")

if ctx.df.empty:
    app.empty_state()
else:
    # Two views of the same rows; only the open tab is drawn (so the first chart
    # is not held back by the treemap, the slowest chart to render).
    tabs = app.overview_tabs()
    by_status, by_sector = tabs["status"], tabs["sector"]
    if by_status.open:
        with by_status:
            table = metrics.counts(ctx.df, "pillar")
            app.chart(
                charts.status_by_pillar(ctx.df),
                "status_by_pillar",
                alt=charts.figure_alt(table, "pillar", labels.pillar),
                table=table,
            )
    if by_sector.open:
        with by_sector:
            app.chart(
                charts.hierarchy(ctx.df),
                "hierarchy",
                alt=_("Treemap of {n} initiatives by pillar and sector.").format(n=len(ctx.df)),
            )
    st.caption(_("Click a bar or a box to narrow the view to it."))

facts = ctx.ds.plan.facts
if facts:  # a plan file may give none; a file's own pillars never do
    with st.container(border=True):  # one text block per column: light to render
        st.header(_("About the plan"), anchor=False)

        def value(fact: plan.Fact) -> str:
            if fact.when is not None:
                return i18n.fmt_date(fact.when)
            n = i18n.fmt_int(fact.value or 0)
            return {"cad_billion": _("C${n} B"), "cad_million": _("C${n} M")}.get(fact.unit, "{n}").format(n=n)

        for col, part in zip(st.columns(3), (facts[0::3], facts[1::3], facts[2::3])):
            col.markdown(
                "\n\n".join(
                    f"**{safe.md(value(f))}**  \n{safe.md(plan.local(f.label))}  \n"
                    + safe.md_link(_("Source: {name}").format(name=plan.local(f.source)), f.url)
                    for f in part
                )
            )
