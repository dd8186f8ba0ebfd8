from datetime import date

import pandas as pd
import streamlit as st

from cmap_tracker import app, changes, charts, i18n, labels, safe, spreadsheet, tables
from cmap_tracker.i18n import _

ctx = app.page(
    _("What changed"),
    _(
        "Each snapshot is the full dataset as it was known on its date. Rows are matched by id; the sidebar filters apply to both sides."
    ),
)

snaps = {s.date: s for s in ctx.snapshots}
broken = [s for s in snaps.values() if not s.result.ok]
for s in broken:
    st.error(
        safe.md_format(
            _("Snapshot {date} could not be used: {reason}"), date=s.date, reason=app.public_text(s.result.fatal)
        )
    )
# a view as of a date compares the snapshots known on that date
dates = [d for d, s in snaps.items() if s.result.ok and (not ctx.view.asof or d <= ctx.view.asof)]
if len(dates) < 2:
    st.info(
        _(
            "At least two snapshots are needed to compare. Add one with python -m cmap_tracker snapshot (see the README)."
        )
    )
    app.stop()

ss = st.session_state
if ss.get("view_until") not in dates:
    ss["view_until"] = dates[-1]
if ss.get("view_since") not in dates:
    ss["view_since"] = dates[-2]
for col, label, key in zip(st.columns(2), (_("Since"), _("Until")), ("view_since", "view_until")):
    col.selectbox(
        safe.md(label),
        dates,
        key=key,
        format_func=lambda d: i18n.fmt_date(date.fromisoformat(d)),
        persist_state="session",
    )
since, until = ss["view_since"], ss["view_until"]
if since >= until:
    st.warning(_("“Since” must be earlier than “Until”."))
    app.stop()

d = app.snapshot_diff(ctx, snaps[since], snaps[until])


def local(table, columns=()):
    return labels.titles_in_language(table, snaps[until].frame, snaps[since].frame, columns)


summary = changes.diff_summary(d)
m = st.columns(5)
m[0].metric(_("Added"), i18n.fmt_int(summary["added"]))
m[1].metric(_("Removed"), i18n.fmt_int(summary["removed"]))
m[2].metric(_("Completed"), i18n.fmt_int(summary["completed"]))
m[3].metric(_("Changed"), i18n.fmt_int(summary["changed"]))
m[4].metric(_("End dates slipped"), i18n.fmt_int(summary["slipped"]))

if d.is_empty():
    st.success(_("Nothing changed between these two snapshots for the initiatives in view."))
else:
    app.chart(
        charts.status_flow(d.status_flow),
        "status_flow",
        selectable=False,
        alt=charts.status_flow_alt(d.status_flow),
        table=d.status_flow,
    )
    left, right = st.columns(2)
    with left:
        app.titled_table(_("Completed in the period"), local(d.completions, ("id", "title")))
        app.titled_table(_("Added"), local(d.added, ("id", "title")))
    with right:
        app.titled_table(_("Slippage"), local(d.slippage), _("End dates that moved later, and by how many days."))
        app.titled_table(_("Removed"), local(d.removed, ("id", "title")))
    st.header(_("Every change"), anchor=False)
    st.dataframe(tables.arrow(labels.labelled(local(d.changes))), hide_index=True, width="stretch")
    st.download_button(
        _("Download the changes (CSV)"),
        app.deferred(lambda: spreadsheet.table_csv_bytes(d.changes)),
        file_name=f"cmap-changes-{since}-to-{until}.csv",
        mime="text/csv",
        on_click="ignore",
    )
if d.unmatched_rejected:
    st.warning(_("Rows rejected by the checks in a snapshot are reported here, never counted as removed."))
    st.dataframe(labels.labelled(pd.DataFrame([r.__dict__ for r in d.unmatched_rejected])), hide_index=True)

b = app.burnup(ctx, tuple(snaps[x] for x in dates))
app.chart(charts.burnup(b), "burnup", selectable=False, alt=charts.burnup_alt(b), table=charts.burnup_rows(b))
