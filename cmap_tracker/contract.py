"""The CSV contract, declared once.

``COLUMNS`` is the single source for: the loader's checks (each column's
``kind`` picks its parser in ``loader``), the data dictionary in
``data/README.md`` (``data_dictionary_markdown``), and the column list shown on
the Data page. A test keeps ``data/README.md`` in step with this file.
"""
from __future__ import annotations

from dataclasses import dataclass

from .i18n import N_
from .vocab import CONFIDENCE, PILLARS, STATUSES, THEMES

# Uploads and remote files larger than this are refused (also set as
# server.maxUploadSize in .streamlit/config.toml).
MAX_UPLOAD_MB = 20
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
# A file whose header has more columns than this is refused before it is parsed.
MAX_COLUMNS = 1000
# An upload (or a downloaded file) with more rows than this is refused: a valid row
# takes some 30 bytes, so no 20 MB file of valid rows has more, and the checks
# cost some 200 bytes per row, however short the row is in the file.
MAX_UPLOAD_ROWS = 1_000_000

# The plan runs to September 2028; open-ended items are drawn to here.
PLAN_START = "2025-09-18"
PLAN_END = "2028-09-30"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # id | text | pillar | status | date | url | themes | confidence | bool
    required: bool
    description: str  # English message id
    example: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("id", "id", True,
           N_("Unique, stable identifier. Letters, digits, '.', '_' and '-' only, so it can sit in a link."),
           "PR-TRADE-01"),
    Column("title", "text", True, N_("Short name of the initiative."),
           "Canadian trade mission to Mexico"),
    Column("pillar", "pillar", True,
           N_("One of the plan's four pillars. Slugs, English, French or Spanish names are accepted, with or without accents."),
           "prosperity"),
    Column("sector", "text", True, N_("Policy sector within the pillar, in plain words."), "Agriculture"),
    Column("status", "status", True,
           N_("Where the initiative stands, from the status vocabulary below (synonyms in EN/FR/ES are accepted). Empty means unknown."),
           "in_progress"),
    Column("start_date", "date", True,
           N_("When it was announced or began: YYYY-MM-DD. YYYY-MM and YYYY are read as the first day of that period."),
           "2025-09-18"),
    Column("source_url", "url", True, N_("Public source for the row. Must start with http:// or https://."),
           "https://www.international.gc.ca/..."),
    Column("end_date", "date", False,
           N_("Deadline or end date, same formats as start_date. Empty means open-ended or ongoing."), "2026-03-31"),
    Column("milestone", "bool", False,
           N_("true for a one-day event (a meeting, a signing, a review date). Empty means false."), "true"),
    Column("themes", "themes", False,
           N_("Semicolon-separated theme slugs. Any slug is accepted; the core set below has readable labels."),
           "ip;energy"),
    Column("description", "text", False, N_("What the initiative is and what the evidence says about it."), ""),
    Column("lead_canada", "text", False, N_("Canadian department or agency that leads, if a source names one."), "CFIA"),
    Column("lead_mexico", "text", False, N_("Mexican ministry or agency that leads, if a source names one."), "SENASICA"),
    Column("confidence", "confidence", False,
           N_("How strong the evidence is: official, reported or inferred."), "official"),
    Column("source_note", "text", False, N_("Which outlet or release the evidence comes from, with its date."), ""),
    Column("last_updated", "date", False, N_("When this row was last checked against its sources."), "2026-11-25"),
    Column("title_fr", "text", False, N_("Title in French."), ""),
    Column("title_es", "text", False, N_("Title in Spanish."), ""),
    Column("description_fr", "text", False, N_("Description in French."), ""),
    Column("description_es", "text", False, N_("Description in Spanish."), ""),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)
BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}


def data_dictionary_markdown() -> str:
    """The data dictionary, generated from COLUMNS and the vocabularies."""
    lines = [
        "| column | required | format | meaning | example |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in COLUMNS:
        lines.append(
            f"| `{c.name}` | {'yes' if c.required else 'no'} | {c.kind} | {c.description} | "
            f"{('`' + c.example + '`') if c.example else ''} |"
        )
    lines += ["", "Any other column is kept and shown as text.", "", "### Pillars", "",
              "| slug | name |", "| --- | --- |"]
    lines += [f"| `{t.slug}` | {t.label} |" for t in PILLARS.terms]
    lines += ["", "### Statuses", "", "| slug | label | meaning | evidence needed |",
              "| --- | --- | --- | --- |"]
    lines += [f"| `{t.slug}` | {t.label} | {t.definition} | {t.evidence} |" for t in STATUSES.terms]
    lines += ["", "### Core themes", "", "| slug | label |", "| --- | --- |"]
    lines += [f"| `{t.slug}` | {t.label} |" for t in THEMES.terms]
    lines += ["", "### Confidence", "", "| slug | meaning |", "| --- | --- |"]
    lines += [f"| `{t.slug}` | {t.definition} |" for t in CONFIDENCE.terms]
    return "\n".join(lines) + "\n"


START, END = "<!-- dictionary:start -->", "<!-- dictionary:end -->"


def refresh_readme(path) -> bool:
    """Rewrite the generated block of data/README.md; True when it changed."""
    from pathlib import Path

    p = Path(path)
    text = p.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    new = f"{head}{START}\n{data_dictionary_markdown()}{END}{tail}"
    if new != text:
        p.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":  # python -m cmap_tracker.contract  -> refresh data/README.md
    import sys
    from pathlib import Path

    readme = Path(__file__).resolve().parent.parent / "data" / "README.md"
    print("updated" if refresh_readme(readme) else "up to date", readme)
    sys.exit(0)
