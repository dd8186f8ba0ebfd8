"""Every label a reader sees for a value: pillar, status, sector and theme names,
titles in the reader's language, and the headers and cells of report tables."""

from __future__ import annotations

from functools import cache

import pandas as pd

from . import i18n, safe
from .derived import shared
from .i18n import N_, _
from .plan import current
from .vocab import STATUSES, THEMES, humanize


def pillar(slug: str) -> str:
    """The current plan's name for a pillar, in the reader's language (as written, for a file's own pillars)."""
    return safe.plain(current().pillar_label(slug))


def status(slug: str) -> str:
    return _(STATUSES.label(slug))


def sector(name: str) -> str:
    """Sector names are data; the bundled ones have translations in the catalogue."""
    return safe.plain(_(name))


def theme(slug: str) -> str:
    return _(THEMES.label(slug)) if slug in THEMES else safe.plain(humanize(slug))


def themes(joined: str) -> str:
    """'ip;energy' -> 'IP and innovation, Energy' in the current language."""
    return ", ".join(theme(x) for x in joined.split(";") if x)


def count_initiatives(n: int) -> str:
    """'1 initiative' / '3 initiatives' (English, French and Spanish share this rule for n >= 1)."""
    return _("1 initiative") if n == 1 else _("{n} initiatives").format(n=n)


def local_titles(df: pd.DataFrame) -> pd.Series:
    """Titles in the current language where the CSV has them, else the original."""
    col = f"title_{i18n.language()}"
    if col in df and i18n.language() != "en":
        alt = df[col].fillna("")
        return alt.where(alt != "", df["title"])
    return df["title"]


def localized(row: pd.Series, column: str) -> tuple[str, bool]:
    """Row text in the current language, with a flag when it fell back to English."""
    lang = i18n.language()
    val = str(row.get(f"{column}_{lang}", "") or "").strip() if lang != "en" else ""
    return (val, False) if val else (str(row.get(column, "") or ""), lang != "en")


@shared
def titles_in_language(
    table: pd.DataFrame, newest: pd.DataFrame, older: pd.DataFrame, columns: tuple[str, ...] = ()
) -> pd.DataFrame:
    """``table`` (its ``columns`` only, when given) with its titles in the current language, looked up by id in
    ``newest``, then ``older``, where the CSV has them. Shared by every session that shows it: read only."""
    table = table[list(columns)] if columns else table
    if i18n.language() == "en" or table.empty or "title" not in table:
        return table
    names: dict = {}
    for frame in (older, newest):  # the newest frame has the last word
        names.update(zip(frame["id"], local_titles(frame)))
    return table.assign(title=table["id"].map(names).fillna(table["title"]))


COLUMN_LABELS = {  # raw table column -> message id (see labelled())
    "pillar": N_("Pillar"),
    "status": N_("Status"),
    "count": N_("Initiatives"),
    "sector": N_("Sector"),
    "theme": N_("Theme"),
    "total": N_("Total"),
    "completed": N_("Completed"),
    "share": N_("Share completed"),
    "title": N_("Title"),
    "before": N_("Before"),
    "after": N_("After"),
    "field": N_("Field"),
    "date": N_("Date"),
    "line": N_("Line"),
    "reason": N_("Reason"),
    "column": N_("Column"),
    "value": N_("Value"),
    "outcome": N_("Outcome"),
    "days": N_("Days later"),
    "before_end": N_("End date before"),
    "after_end": N_("End date after"),
    "start_date": N_("Start"),
    "end_date": N_("End"),
}

OUTCOMES = {"rejected": N_("Rejected"), "corrected": N_("Corrected"), "file": N_("File")}


@shared
def labelled(table: pd.DataFrame) -> pd.DataFrame:
    """A table as people read it (every 'Show as table' and report table): translated
    headers, labels instead of slugs. Shared by every session that shows the table: read only."""
    out = table.copy()
    by_column = {"pillar": pillar, "status": status, "theme": theme, "sector": sector}
    if "field" not in out:  # a status flow; a diff's values are labelled by their field below
        by_column |= {"before": status, "after": status}
    for col, fn in by_column.items():
        if col in out:
            out[col] = out[col].astype(str).map(fn)
    if "field" in out and {"before", "after"} <= set(out.columns):  # a diff: label values by their field
        by_field = {"status": status, "pillar": pillar, "sector": sector}

        @cache  # each distinct (field, value) is labelled once
        def value_label(field: str, value: str) -> str:
            fn = by_field.get(field)
            return value if fn is None else (fn(value) if value else "")

        fields = out["field"].to_numpy(dtype=object)
        for col in ("before", "after"):
            out[col] = [value_label(f, v) for f, v in zip(fields, out[col].to_numpy(dtype=object))]
    if "outcome" in out:
        out["outcome"] = out["outcome"].map(lambda o: _(OUTCOMES.get(o) or o))
    if "field" in out:
        out["field"] = out["field"].map(lambda f: _(COLUMN_LABELS.get(f, f.replace("_", " ").capitalize())))
    if "share" in out:
        out["share"] = out["share"].map(i18n.fmt_pct)
    return out.rename(columns={c: _(m) for c, m in COLUMN_LABELS.items()})
