"""The Data page's mapping editor: how the file in view maps onto the contract, as a table to edit for an upload
(read again at once from its bytes kept in this session) or to read for the hosted file; status overrides, the
order of ambiguous dates, and the mapping file to download or upload."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow.compute as pc
import streamlit as st

from .. import labels, loader, safe, spreadsheet
from .. import mapping as mapping_mod
from ..contract import BY_NAME, COLUMNS, REQUIRED, UNMAPPED, Fill
from ..dataset import Dataset
from ..dates import DateOrder
from ..derived import per_object
from ..i18n import N_, _
from ..mapping import DEFAULT, Mapping, Source, read_mapping, to_toml
from ..report import LoadError
from ..sources import normalise_header
from ..vocab import STATUSES, Vocabulary
from . import data, url

if TYPE_CHECKING:
    from .run import Ctx

SHOWN_VALUES = 50  # distinct values listed for an override, those not read first, then the most frequent
# Per term column with overrides: its heading, and what is said when values are not read or too many to list.
VALUE_TEXTS = {
    "status": (
        N_("Statuses"),
        N_("Rows whose status is not read are rejected: choose a status for each value that has none."),
        N_("The status column has many distinct values: the first ones are listed."),
    ),
    "pillar": (
        N_("Pillars"),
        N_("Rows whose pillar is not one of the plan's are rejected: choose a pillar for each value that has none."),
        N_("The pillar column has many distinct values: the first ones are listed."),
    ),
}
REVISION = "_mapping_rev"  # bumped when the mapping changes: the editors start afresh from the new mapping
ERROR = "_mapping_error"
FILE_SEEN = "_mapping_file_seen"
DEFAULT_TEXT = {
    Fill.LINE: N_("the line number"),
    Fill.CONSTANT: N_("“{value}”"),
    Fill.SOURCE: N_("the file's name (no link)"),
}
ROW_PX = 35  # Streamlit's table row height: the columns table is drawn whole, with no inner scroll
DATE_ORDERS = {
    DateOrder.AUTO: N_("Automatic"),
    DateOrder.DAY_FIRST: N_("Day first (19/06/2020)"),
    DateOrder.MONTH_FIRST: N_("Month first (06/19/2020)"),
}


@dataclass(frozen=True)
class FileFacts:
    """What the editor needs from the uploaded file: its header as written, and the distinct values of the
    columns that feed ``status`` and ``pillar`` with their rows (most frequent first)."""

    header: tuple[str, ...]
    values: dict[str, tuple[tuple[str, int], ...]]


def mapping_editor(ctx: Ctx) -> None:
    """The mapping of the data in view, when it was read through one: editable for an upload, read-only for
    the hosted file (a viewer must not change what the server serves). For an upload that follows the contract,
    only when rows were rejected; nothing for the hosted file that follows it."""
    mapping = ctx.ds.result.mapping
    kept = data.upload_file() if ctx.uploaded else None
    if mapping is None and kept is not None and ctx.ds.result.rejected_rows:
        mapping = Mapping()  # an upload of the contract's shape with rows rejected: its values can be mapped
    if mapping is None or (ctx.uploaded and kept is None):
        return
    st.header(_("How the file's columns are read"), anchor=False)
    if kept is None:
        st.caption(_("The server reads its data file through this mapping. Only the server's mapping file changes it."))
        table = _columns_table(mapping, None)
        config = _columns_config(None)
        st.dataframe(table, hide_index=True, width="stretch", column_config=config, placeholder="—")
        _download(mapping, ctx)
        return
    st.caption(
        _(
            "Each column of the dashboard is read from a column of your file, or is one value for every row. "
            "Change a cell and the file is read again at once."
        )
    )
    facts = _file_facts(ctx.ds, kept)
    reason, upload = st.session_state.get(ERROR) or ("", None)
    if upload is kept:
        st.error(safe.md_format(_("This mapping could not be used: {reason}"), reason=reason), icon=":material/error:")
    rev = st.session_state.get(REVISION, 0)
    _edit_columns(mapping, facts.header, rev)
    _edit_values(mapping, "status", facts.values.get("status", ()), STATUSES, labels.status, rev)
    if ctx.ds.plan.declared:  # pillars checked against a plan's (a file's own pillars are its values)
        _edit_values(mapping, "pillar", facts.values.get("pillar", ()), ctx.ds.plan.pillars, labels.pillar, rev)
    _edit_dates(mapping, rev)
    _download(mapping, ctx)
    _upload_mapping()


def _file_facts(ds: Dataset, kept: tuple[str, bytes]) -> FileFacts:
    """The upload's header and status values, read once per dataset (that is, per mapping)."""
    return per_object(ds, "mapping_editor_file", lambda: _read_facts(ds, kept))


def _read_facts(ds: Dataset, kept: tuple[str, bytes]) -> FileFacts:
    name, body = kept
    parsed = loader.parse(body)
    mapping = ds.result.mapping or Mapping()
    columns, _trusted, _missing = mapping_mod.apply(mapping, parsed.header, parsed.columns, parsed.lines, name)
    values: dict[str, tuple[tuple[str, int], ...]] = {}
    for column in (c for c in VALUE_TEXTS if c in columns):
        counts = pc.value_counts(pc.utf8_trim_whitespace(columns[column])).to_pylist()
        pairs = [(c["values"], c["counts"]) for c in counts if c["values"]]
        values[column] = tuple(sorted(pairs, key=lambda p: -p[1]))
    return FileFacts(tuple(parsed.header), values)


# --- the columns


def _effective(mapping: Mapping, column: str, header: tuple[str, ...], names: list[str]) -> Source | None:
    """What feeds a contract column: the mapping's source, else the file's column of that name (``names``: the
    header normalised), as the loader reads it."""
    source = mapping.source(column)
    if source is None and column in names:
        return Source(column=header[names.index(column)])
    return source


def _default_text(column: str, source: Source | None) -> str:
    if source is None or not source.is_default or column not in UNMAPPED:
        return ""
    default = UNMAPPED[column]
    return _(DEFAULT_TEXT[default.fill]).format(value=default.value)


def _columns_table(mapping: Mapping, header: tuple[str, ...] | None) -> pd.DataFrame:
    """One row per contract column: whether it is required, the file column or the constant that feeds it,
    and the default in use, in words. Without a header (the hosted file), only the columns the mapping names."""
    rows = []
    names = [normalise_header(h) for h in header or ()]
    for col in COLUMNS:
        source = _effective(mapping, col.name, header or (), names)
        if header is None and source is None:
            continue
        rows.append(
            {
                "column": col.name,
                "required": _("yes") if col.required else _("no"),
                "file": source.column if source else None,
                "constant": source.constant if source else None,
                "default": _default_text(col.name, source),
            }
        )
    return pd.DataFrame(rows, columns=["column", "required", "file", "constant", "default"])


def _columns_config(header: tuple[str, ...] | None) -> dict:
    """The columns' headings; the file column is a choice among the file's columns (text when read-only)."""
    return {
        "column": st.column_config.TextColumn(_("Dashboard column"), width=150),
        "required": st.column_config.TextColumn(_("Required"), width=90),
        "file": st.column_config.TextColumn(_("Column of the file"))
        if header is None
        else st.column_config.SelectboxColumn(_("Column of the file"), options=list(header), width="medium"),
        "constant": st.column_config.TextColumn(_("Or one value for every row"), width="medium"),
        "default": st.column_config.TextColumn(_("Default in use")),
    }


def _edit_columns(mapping: Mapping, header: tuple[str, ...], rev: int) -> None:
    table = _columns_table(mapping, header)
    key = f"mapping_columns_{rev}"
    st.data_editor(
        table,
        key=key,
        hide_index=True,
        width="stretch",
        height=(len(table) + 1) * ROW_PX + 3,
        column_config=_columns_config(header),
        disabled=["column", "required", "default"],
        placeholder="—",
    )
    edits = st.session_state.get(key, {}).get("edited_rows", {})
    if edits:

        def changed() -> Mapping:
            edited = mapping
            for i, change in sorted(edits.items()):
                name = table["column"].iat[i]
                edited = edited.with_source(name, _edited_source(name, table.iloc[i].to_dict(), change))
            return edited

        _apply(changed)


def _edited_source(column: str, row: dict, change: dict) -> Source | None:
    """The source a row says after ``change``: the file column just chosen, else the constant just typed, else
    what is left in the row. A row left with neither takes the default; an optional column without one is
    left empty on purpose (not guessed again); a required column without one cannot be left so."""
    merged = row | change
    if change.get("file"):
        return Source(column=change["file"])
    if change.get("constant") not in (None, ""):
        return Source(constant=change["constant"])
    if merged.get("file"):
        return Source(column=merged["file"])
    if merged.get("constant") not in (None, ""):
        return Source(constant=merged["constant"])
    if column in UNMAPPED:
        return DEFAULT
    if BY_NAME[column].required:
        raise LoadError(
            "Required column(s) missing: {missing}. Expected at least: {expected}.",
            missing=column,
            expected=", ".join(REQUIRED),
        )
    return Source(constant="")


# --- values and dates


def _edit_values(
    mapping: Mapping, column: str, counts: tuple[tuple[str, int], ...], vocabulary: Vocabulary, label, rev: int
) -> None:
    """File value -> term, for the values of a term column: those the vocabulary does not read first."""
    overrides = mapping.overrides(column)
    read = [(v, n, overrides.get(v) or vocabulary.find(v)) for v, n in counts]
    read.sort(key=lambda r: r[2] is not None)  # stable: the most frequent first within each group
    table = pd.DataFrame(read[:SHOWN_VALUES], columns=["value", "rows", "term"])
    heading, unread, many = VALUE_TEXTS[column]
    st.subheader(safe.md(_(heading)), anchor=False)
    if any(r[2] is None for r in read):
        st.caption(safe.md(_(unread)))
    if len(read) > SHOWN_VALUES:
        st.caption(safe.md(_(many)))
    key = f"mapping_{column}_{rev}"
    st.data_editor(
        table,
        key=key,
        hide_index=True,
        width="stretch",
        disabled=["value", "rows"],
        column_config={
            "value": st.column_config.TextColumn(_("Value in your file")),
            "rows": st.column_config.NumberColumn(_("Rows"), format="%d"),
            "term": st.column_config.SelectboxColumn(
                _("Read as"), options=vocabulary.slugs, format_func=lambda s: label(str(s))
            ),
        },
    )
    edits = st.session_state.get(key, {}).get("edited_rows", {})
    if edits:
        changed = dict(overrides)
        for i, change in edits.items():
            value, slug = table["value"].iat[i], change.get("term")
            changed.pop(value, None)
            if slug:
                changed[value] = slug
        _apply(lambda: mapping.with_values(column, changed))


def _edit_dates(mapping: Mapping, rev: int) -> None:
    order = st.radio(
        _("Dates such as 03/04/2020"),
        list(DATE_ORDERS),
        index=list(DATE_ORDERS).index(mapping.dates),
        format_func=lambda o: _(DATE_ORDERS[o]),
        horizontal=True,
        key=f"mapping_dates_{rev}",
    )
    if order != mapping.dates:
        _apply(lambda: mapping.with_dates(order))


# --- the mapping file, and reading the upload again


def _download(mapping: Mapping, ctx: Ctx) -> None:
    st.download_button(
        _("Download this mapping"),
        to_toml(mapping),
        file_name=spreadsheet.filename("cmap-mapping", "toml", ctx.today),
        mime="application/toml",
        on_click="ignore",
        icon=":material/download:",
    )


def _upload_mapping() -> None:
    """A mapping file applies to the upload in this session (read in memory, never saved)."""
    up = st.file_uploader(_("Apply a mapping file (TOML)"), type=["toml"], key="mapping_file", max_upload_size=1)
    if up is not None and st.session_state.get(FILE_SEEN) != up.file_id:
        st.session_state[FILE_SEEN] = up.file_id
        _apply(lambda: read_mapping(up.getvalue()))


def _apply(make) -> None:
    """Read the upload again through the mapping ``make()`` returns, then run the page again; a mapping that
    cannot be made or used leaves the data as it was, with the reason shown."""
    kept = data.upload_file()
    assert kept is not None  # the editors are drawn for an upload only
    ss = st.session_state
    ss[REVISION] = ss.get(REVISION, 0) + 1
    try:
        result = data.set_upload(*kept, mapping=make())
    except LoadError as exc:
        result = loader.failed(exc, kept[0])
    if result.ok:
        ss.pop(ERROR, None)
        url.keep_known(data.dataset()[0])
    else:
        assert result.fatal is not None
        ss[ERROR] = (data.public_text(result.fatal), kept)  # shown while this upload is in view
    st.rerun()
