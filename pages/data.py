import streamlit as st

from cmap_tracker import app, contract, i18n, metrics, plan, report, safe, spreadsheet, tables
from cmap_tracker.app.mapping_editor import mapping_editor
from cmap_tracker.i18n import _

ctx = app.page(_("Data"))
result = ctx.ds.result

st.header(_("Where the data comes from"), anchor=False)
if ctx.uploaded:
    st.markdown(safe.md_format(_("Your uploaded file: {name}"), name=safe.clip(result.source)))
    st.button(_("Back to the bundled data"), on_click=app.clear_upload)
elif ctx.ds.plan.description:
    st.write(safe.md(plan.local(ctx.ds.plan.description)))
st.markdown(
    safe.md_format(
        _("Data as of {date}. Rows: {rows} in the file, {valid} shown, {rejected} rejected, {corrected} corrected."),
        date=i18n.fmt_date(ctx.ds.as_of),
        rows=i18n.fmt_int(result.rows_in_file),
        valid=i18n.fmt_int(len(result.frame)),
        rejected=i18n.fmt_int(result.rejected_rows),
        corrected=i18n.fmt_int(result.corrected_rows),
    )
)

st.header(_("Validation report"), anchor=False)
for note in result.notes:
    st.caption(safe.md(app.public_text(note)))
if result.issues:
    st.dataframe(
        tables.arrow(tables.issue_rows(result)),
        hide_index=True,
        width="stretch",
        column_config={_("Line"): st.column_config.NumberColumn(_("Line"), format="%d")},
    )
    if result.issues_truncated:
        st.caption(
            safe.md_format(
                _("The table shows the first {n} rows of each reason. The download lists all {total} issues."),
                n=i18n.fmt_int(report.DETAIL_ROWS),
                total=i18n.fmt_int(result.issue_count),
            )
        )
    st.dataframe(tables.arrow(tables.reason_counts(result)), hide_index=True, width="stretch")
    st.download_button(
        _("Download every rejected or corrected row (CSV)"),
        app.deferred(lambda: spreadsheet.issues_csv(result, _)),
        file_name=spreadsheet.filename("cmap-validation-report", "csv", ctx.today),
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
    )
else:
    st.success(_("Every row passed the checks."))

days = app.stale_days()
stale = metrics.stale(ctx.ds.view, ctx.today, days)
st.header(_("Not checked recently"), anchor=False)
st.caption(
    safe.md_format(
        _("Initiatives whose last update is more than {days} days before {date}: {n}."),
        days=i18n.fmt_int(days),
        date=i18n.fmt_date(ctx.today),
        n=i18n.fmt_int(len(stale)),
    )
)
if len(stale):
    app.initiative_table(stale, key="stale", on_demand=True, stale_before=metrics.stale_before(ctx.today, days))

st.header(_("Explore your own CSV"), anchor=False)
st.caption(
    safe.md_format(
        _("The file stays in this browser session only: it is never saved on the server. Limit: {mb} MB."),
        mb=contract.MAX_UPLOAD_MB,
    )
)
up = st.file_uploader(
    _("Your CSV file: the data contract's columns, or others, which are mapped on load"),
    type=["csv", "txt"],
    key="uploader",
)
ss = st.session_state
if up is not None and ss.get("_upload_seen") != up.file_id:
    ss["_upload_seen"] = up.file_id
    ss.pop("_upload_error", None)  # an earlier file's error never outlives it
    res = app.set_upload(up.name, up.getvalue())
    if res.ok:
        st.rerun()
    ss["_upload_error"] = (up.file_id, app.public_text(res.fatal))
failed = ss.get("_upload_error")
if failed and up is not None and failed[0] == up.file_id:  # only the file in the box has its error shown
    st.error(safe.md_format(_("This file could not be used: {reason}"), reason=failed[1]))
mapping_editor(ctx)

st.header(_("Data dictionary"), anchor=False)
st.dataframe(tables.arrow(tables.dictionary_frame()), hide_index=True, width="stretch")
st.markdown(_("Statuses"))
st.dataframe(tables.arrow(tables.status_frame()), hide_index=True, width="stretch")
