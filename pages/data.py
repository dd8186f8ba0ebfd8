import streamlit as st

from cmap_tracker import contract, export, i18n, loader, ui
from cmap_tracker.i18n import _

ctx = ui.page(_("Data"))
result = ctx.ds.result

st.header(_("Where the data comes from"), anchor=False)
if ctx.uploaded:
    st.text(_("Your uploaded file: {name}").format(name=result.source))  # a file name is data: plain text
    st.button(_("Back to the bundled data"), on_click=ui.clear_upload)
else:
    st.write(_("The bundled dataset of the Canada–Mexico Action Plan 2025–2028, compiled from government releases and news reports. Every row links to its source and states how strong the evidence is."))
st.write(_("Data as of {date}. Rows: {rows} in the file, {valid} shown, {rejected} rejected, {corrected} corrected.").format(
    date=i18n.fmt_date(ctx.ds.as_of), rows=result.rows_in_file, valid=len(result.frame),
    rejected=result.rejected_rows, corrected=result.corrected_rows))

st.header(_("Validation report"), anchor=False)
for note in result.notes:
    st.caption(note.text(_))
if result.issues:
    st.dataframe(ui.labelled(result.issues_frame(_)), hide_index=True, width="stretch",
                 column_config={_("Line"): st.column_config.NumberColumn(_("Line"), format="%d")})
    if result.issues_truncated:
        st.caption(_("The table shows the first {n} rows of each reason. The download lists all {total} issues.").format(
            n=i18n.fmt_int(loader.DETAIL_ROWS), total=i18n.fmt_int(result.issue_count)))
    st.dataframe(ui.labelled(result.counts_by_reason(_)).rename(columns={"rows": _("Rows")}), hide_index=True,
                 width="stretch")
    st.download_button(_("Download every rejected or corrected row (CSV)"), ui.deferred(lambda: result.all_issues_csv(_)),
                       file_name=export.filename("cmap-validation-report", "csv", ctx.today), mime="text/csv",
                       on_click="ignore", icon=":material/download:")
else:
    st.success(_("Every row passed the checks."))

st.header(_("Explore your own CSV"), anchor=False)
st.caption(_("The file stays in this browser session only: it is never saved on the server. Limit: {mb} MB.").format(mb=contract.MAX_UPLOAD_MB))
up = st.file_uploader(_("CSV file following the data contract"), type=["csv", "txt"], key="uploader")
if up is not None and st.session_state.get("_upload_seen") != up.file_id:
    st.session_state["_upload_seen"] = up.file_id
    res = ui.set_upload(up.name, up.getvalue())
    if res.ok:
        st.rerun()
    st.session_state["_upload_error"] = res.fatal.text(_)
if st.session_state.get("_upload_error") and up is not None:
    st.error(_("This file could not be used."))
    st.text(st.session_state["_upload_error"])  # the reason may quote the file: plain text

st.header(_("Data dictionary"), anchor=False)
st.dataframe(ui.dictionary_frame(), hide_index=True, width="stretch")
st.markdown(_("Statuses"))
st.dataframe(ui.status_frame(), hide_index=True, width="stretch")
