"""Tables as people read them: the rows in view with labels instead of slugs, and
the data dictionary. Every table a page shows is built here (no Streamlit)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from . import i18n, labels, safe
from .derived import per_object, shared
from .i18n import _
from .report import LoadResult
from .vocab import STATUSES


def as_text(table: pd.DataFrame) -> pd.DataFrame:
    """A table for st.table, which reads cells and headers as Markdown: text escaped."""
    out = table.rename(columns=lambda c: safe.md(c))
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(lambda v: safe.md(v) if isinstance(v, str) else v)
    return out


def _labels_for(values, fn):
    """The labels of ``values``: a CategoricalDtype when distinct, else an object array
    ending with "" for a missing value."""
    labels = [fn(v) for v in values]
    if len(set(labels)) == len(labels):
        return pd.CategoricalDtype(labels)
    return np.array(labels + [""], dtype=object)


def _compact(series: pd.Series, keep: np.ndarray | None = None) -> pd.Series:
    """A categorical column with only the categories its rows use (and ``keep``, one bool
    per category), so a short view's Arrow data stays small (codes counted with bincount:
    ``remove_unused_categories`` sorts them)."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        return series
    codes, cats = series.cat.codes.to_numpy(), series.cat.categories
    used = np.bincount(codes[codes >= 0], minlength=len(cats)) > 0
    if keep is not None:
        used &= keep
    if used.all():
        return series
    new = np.full(len(cats) + 1, -1, dtype=codes.dtype)  # new[-1]: a missing value stays missing
    new[np.flatnonzero(used)] = np.arange(int(used.sum()), dtype=codes.dtype)
    dtype = pd.CategoricalDtype(cats[used], ordered=series.cat.ordered)
    return pd.Series(
        pd.Categorical.from_codes(new[codes], dtype=dtype, validate=False), index=series.index, name=series.name
    )


def _by_value(series: pd.Series, fn) -> pd.Series:
    """Map a column through ``fn`` once per distinct value, as a categorical (no string
    per row); a categorical column's labels are kept per language while its categories live."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, cats = series.cat.codes.to_numpy(), series.cat.categories
        labels = per_object(cats, ("labels", fn, i18n.language()), lambda: _labels_for(cats, fn))
    else:
        codes, values = pd.factorize(series)
        labels = _labels_for(values, fn)
    if isinstance(labels, pd.CategoricalDtype):
        return _compact(pd.Series(pd.Categorical.from_codes(codes, dtype=labels), index=series.index))
    return pd.Series(labels[codes], index=series.index, dtype=object)


def _links(urls: pd.Series) -> pd.Series:
    """Source URLs for a link column: http(s) only, anything else left empty."""
    if isinstance(urls.dtype, pd.CategoricalDtype):  # checked once per distinct URL
        return _compact(urls, keep=np.asarray(urls.cat.categories.str.match(safe.HTTP_URL), dtype=bool))
    return urls.where(urls.str.match(safe.HTTP_URL).fillna(False).astype(bool), None)


@shared
def display_frame(df: pd.DataFrame, stale_before: date | None = None) -> pd.DataFrame:
    """Rows as people read them: labels, not slugs; titles in the current language. With ``stale_before``, rows
    last updated before that date get it in a "Not checked since" column (only when some row does)."""
    table = pd.DataFrame(
        {
            "id": df["id"],
            _("Title"): labels.local_titles(df),
            _("Pillar"): _by_value(df["pillar"], labels.pillar),
            _("Sector"): _by_value(df["sector"], labels.sector),
            _("Status"): _by_value(df["status"], labels.status),
            _("Start"): df["start_date"],  # shown as dates by the DateColumn config
            _("End"): df["end_date"],
            _("Themes"): _by_value(df["themes"], labels.themes),
            _("Lead (Canada)"): _compact(df["lead_canada"]),
            _("Lead (Mexico)"): _compact(df["lead_mexico"]),
            _("Source"): _links(df["source_url"]),
        }
    )
    if stale_before is not None:
        checked = df["last_updated"].where(df["last_updated"] < pd.Timestamp(stale_before))
        if checked.notna().any():
            table.insert(2, _("Not checked since"), checked)
    return table.reset_index(drop=True)  # a RangeIndex is not sent: the rows' positions in the file would be


@shared
def arrow(table: pd.DataFrame) -> pa.Table:
    """A table as Arrow, what st.dataframe sends: converted once per table, not on every rerun (6.6% of the
    server's CPU on reruns of views already built, bench/README.md). Its index is not kept."""
    return pa.Table.from_pandas(table, preserve_index=False)


@shared
def issue_rows(result: LoadResult) -> pd.DataFrame:
    """A load's reported rows (the bounded details) as people read them, by line."""
    return labels.labelled(result.issues_frame(_))


@shared
def reason_counts(result: LoadResult) -> pd.DataFrame:
    """How many rows each reason of a load's report has, as people read it."""
    return labels.labelled(result.counts_by_reason(_)).rename(columns={"rows": _("Rows")})


@shared
@shared
def display_table(whole: pd.DataFrame, rows: pd.DataFrame, stale_before: date | None = None) -> pa.Table:
    """``rows`` (rows of ``whole``, with its index) as ``display_frame`` shows them, in Arrow: taken from the
    table of ``whole``, made once per frame and language, so a new filter builds no table (a new 51-row view:
    2.5 ms against 12)."""
    positions = whole.index.get_indexer(rows.index)
    if (positions < 0).any():  # not rows of ``whole``: their own table
        return arrow(display_frame(rows, stale_before))
    table = arrow(display_frame(whole, stale_before)).take(positions)
    for i, field in enumerate(table.schema):  # only the values these rows have go to the browser
        if pa.types.is_dictionary(field.type):
            values = table.column(i).combine_chunks().cast(field.type.value_type)
            table = table.set_column(i, field.name, values.dictionary_encode())
    checked = _("Not checked since")  # only when a row in view is stale, as display_frame does
    if checked in table.column_names and table[checked].null_count == len(table):
        table = table.drop_columns([checked])
    return table


@shared
def dictionary_frame() -> pd.DataFrame:
    from .contract import COLUMNS

    return pd.DataFrame(
        {
            _("Column"): [c.name for c in COLUMNS],
            _("Required"): [_("yes") if c.required else _("no") for c in COLUMNS],
            _("Format"): [c.format for c in COLUMNS],
            _("Meaning"): [_(c.description) for c in COLUMNS],
        }
    )


@shared
def status_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            _("Status"): [labels.status(t.slug) for t in STATUSES.terms],
            _("Slug"): [t.slug for t in STATUSES.terms],
            _("Meaning"): [_(t.definition) for t in STATUSES.terms],
            _("Evidence needed"): [_(t.evidence) for t in STATUSES.terms],
        }
    )
