"""The CSV contract, declared once: ``COLUMNS`` gives the loader's checks (each column's kind picks
its check, its rules say what a bad or empty value costs), the data dictionary of data/README.md
(``data_dictionary_markdown``, kept in step by a test) and the column list of the Data page."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .i18n import N_
from .vocab import CONFIDENCE, STATUSES, THEMES, Vocabulary

# Uploads and remote files larger than this are refused (also server.maxUploadSize in .streamlit/config.toml).
MAX_UPLOAD_MB = 20
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
# A file whose header has more columns than this is refused before it is parsed.
MAX_COLUMNS = 1000
# An upload (or a downloaded file) with more rows than this is refused: a valid row takes some 30 bytes,
# so no 20 MB file of valid rows has more, and the checks cost some 200 bytes per row however short.
MAX_UPLOAD_ROWS = 1_000_000

# The pillar column's terms are the plan's (``plan.Plan.pillars``), given to the checks for each load.
PILLARS = Vocabulary("pillar", ())


class Kind(Enum):
    """What a column holds. The checks run kind by kind, in this order, so a row's issues are listed in it."""

    ID = "id"  # an identifier: ID_PATTERN, stripped text
    TEXT = "text"  # free text, stripped
    TERM = "term"  # a term of the column's vocabulary (any alias), read as its slug
    URL = "url"  # a web address (checks.source_link)
    DATE = "date"  # YYYY-MM-DD; YYYY-MM and YYYY read as the first day
    BOOL = "bool"  # true/false words in English, French and Spanish
    THEMES = "themes"  # theme slugs separated by ';' or '|'


class OnInvalid(Enum):
    """What a value that is not of its kind costs."""

    REJECT = "reject"  # the row
    CLEAR = "clear"  # the value: read as empty (false for a BOOL), with a correction note


@dataclass(frozen=True)
class IfEmpty:
    """An empty value read as ``value`` (with the correction note ``note``), not rejected."""

    value: str
    note: str  # English message id


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool
    description: str  # English message id
    example: str = ""
    vocabulary: Vocabulary | None = None  # the terms of a TERM column
    unique: bool = False  # a value used on an earlier row rejects the row
    if_empty: IfEmpty | None = None  # for a required column: an empty value is read as this, not rejected
    on_invalid: OnInvalid = OnInvalid.REJECT
    not_before: str | None = None  # a DATE column that may not be before this other DATE column

    @property
    def format(self) -> str:
        """The format word of the data dictionary: the kind, or a term's vocabulary."""
        return self.vocabulary.name if self.vocabulary is not None else self.kind.value

    @property
    def categorical(self) -> bool:
        """Read as a Categorical over the vocabulary's slugs: a TERM column whose invalid values reject the row."""
        return self.kind is Kind.TERM and self.on_invalid is OnInvalid.REJECT


def _term(vocabulary: Vocabulary, description: str, example: str, *, required: bool = True, **rules) -> Column:
    """A TERM column, named as its vocabulary."""
    return Column(vocabulary.name, Kind.TERM, required, description, example, vocabulary=vocabulary, **rules)


COLUMNS: tuple[Column, ...] = (
    Column(
        "id",
        Kind.ID,
        True,
        N_("Unique, stable identifier. Letters, digits, '.', '_' and '-' only, so it can sit in a link."),
        "PR-TRADE-01",
        unique=True,
    ),
    Column("title", Kind.TEXT, True, N_("Short name of the initiative."), "Canadian trade mission to Mexico"),
    _term(
        PILLARS,
        N_(
            "One of the plan's pillars (data/plan.toml). Slugs, English, French or Spanish names are accepted, with or without accents."
        ),
        "prosperity",
    ),
    Column("sector", Kind.TEXT, True, N_("Policy sector within the pillar, in plain words."), "Agriculture"),
    _term(
        STATUSES,
        N_(
            "Where the initiative stands, from the status vocabulary below (synonyms in EN/FR/ES are accepted). Empty means unknown."
        ),
        "in_progress",
        if_empty=IfEmpty("unknown", N_("Empty status read as 'unknown'.")),
    ),
    Column(
        "start_date",
        Kind.DATE,
        True,
        N_("When it was announced or began: YYYY-MM-DD. YYYY-MM and YYYY are read as the first day of that period."),
        "2025-09-18",
    ),
    Column(
        "source_url",
        Kind.URL,
        True,
        N_("Public source for the row. Must start with http:// or https://."),
        "https://www.international.gc.ca/...",
    ),
    Column(
        "end_date",
        Kind.DATE,
        False,
        N_("Deadline or end date, same formats as start_date. Empty means open-ended or ongoing."),
        "2026-03-31",
        not_before="start_date",
    ),
    Column(
        "milestone",
        Kind.BOOL,
        False,
        N_("true for a one-day event (a meeting, a signing, a review date). Empty means false."),
        "true",
        on_invalid=OnInvalid.CLEAR,
    ),
    Column(
        "themes",
        Kind.THEMES,
        False,
        N_("Semicolon-separated theme slugs. Any slug is accepted; the core set below has readable labels."),
        "ip;energy",
    ),
    Column("description", Kind.TEXT, False, N_("What the initiative is and what the evidence says about it."), ""),
    Column(
        "lead_canada", Kind.TEXT, False, N_("Canadian department or agency that leads, if a source names one."), "CFIA"
    ),
    Column(
        "lead_mexico", Kind.TEXT, False, N_("Mexican ministry or agency that leads, if a source names one."), "SENASICA"
    ),
    _term(
        CONFIDENCE,
        N_("How strong the evidence is: official, reported or inferred."),
        "official",
        required=False,
        on_invalid=OnInvalid.CLEAR,
    ),
    Column("source_note", Kind.TEXT, False, N_("Which outlet or release the evidence comes from, with its date."), ""),
    Column(
        "last_updated",
        Kind.DATE,
        False,
        N_("When this row was last checked against its sources."),
        "2026-11-25",
        on_invalid=OnInvalid.CLEAR,
    ),
    Column("title_fr", Kind.TEXT, False, N_("Title in French."), ""),
    Column("title_es", Kind.TEXT, False, N_("Title in Spanish."), ""),
    Column("description_fr", Kind.TEXT, False, N_("Description in French."), ""),
    Column("description_es", Kind.TEXT, False, N_("Description in Spanish."), ""),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)
BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}

# The headers other files give each column, in English, French and Spanish (matched folded, as vocab.fold does,
# after the words evidence.GENERIC_WORDS such as "project" are dropped): the guess of a file's mapping starts here.
# Earlier names win a tie. A URL or DATE column also needs values of its kind (evidence.candidates).
HEADER_ALIASES: dict[str, str] = {
    "id": "id, identifier, code, reference, ref, number, identifiant, identificador, clave, folio",
    "title": "title, name, commitment, mandate, initiative, task, item, titre, nom, intitule, engagement, titulo, "
    "nombre, compromiso",
    "pillar": "pillar, pillars, area, focus area, priority area, priority, axis, strategic objective, pilier, axe, "
    "axe prioritaire, domaine prioritaire, pilar, eje, area prioritaria, eje estrategico",
    "sector": "sector, sector 1, main sector, major sector, category, type, asset type, sub area, department, "
    "ministry, secteur, categorie, ministere, rubro, categoria, tipo, ministerio, secretaria, dependencia",
    "status": "status, state, stage, progress, statut, etat, etat d avancement, avancement, estado, estatus, "
    "situacion, avance",
    "start_date": "start date, start, planned start, start planned, actual start, start actual, approval date, "
    "board approval date, begin, date, announced, announcement date, date de debut, debut, "
    "fecha de inicio, inicio, fecha",
    "end_date": "end date, end, planned end, end planned, actual end, end actual, closing date, close date, "
    "completion date, deadline, due date, due, date de fin, fin, echeance, date limite, fecha de fin, "
    "fecha de termino, fecha de cierre, fecha limite, termino",
    "source_url": "source url, url, link, source link, web link, website, source, hyperlink, lien, lien source, "
    "enlace, vinculo, liga, fuente",
    "themes": "themes, theme, tags, keywords, topics, theme 1, thematiques, mots cles, temas, tema, etiquetas",
    "description": "description, summary, abstract, details, objective, development objective, task description, "
    "resume, descripcion, resumen, objetivo",
    "lead_canada": "lead canada, canadian lead, lead, responsible, responsable canada, responsable, lead department",
    "lead_mexico": "lead mexico, mexican lead, responsable mexico, dependencia responsable",
    "confidence": "confidence, evidence, confiance, confianza",
    "source_note": "source note, source, notes, note, remarks, comments, source de l information, nota, notas, fuente",
    "last_updated": "last updated, updated, last update, date updated, mis a jour, mise a jour, actualizado, "
    "ultima actualizacion",
}
assert set(HEADER_ALIASES) <= set(COLUMN_NAMES), "aliases of a column the contract does not have"


class Fill(Enum):
    """What a required column that no file column maps onto holds (``UNMAPPED``)."""

    LINE = "line"  # the row's line number in the file
    CONSTANT = "constant"  # one value for every row
    SOURCE = "source"  # the file's own http(s) address, else its name: a name is no link, such rows show none


@dataclass(frozen=True)
class Unmapped:
    fill: Fill
    value: str = ""  # the value of a CONSTANT

    @property
    def trusted(self) -> bool:
        """Taken as it is by the column's check (the file's name is no link, and is no reason to reject a row)."""
        return self.fill is Fill.SOURCE


# The defaults of a mapping, always shown with it: the user may replace each by a file column or a constant.
UNMAPPED: dict[str, Unmapped] = {
    "id": Unmapped(Fill.LINE),
    "pillar": Unmapped(Fill.CONSTANT, "Unassigned"),
    "source_url": Unmapped(Fill.SOURCE),
}
assert set(UNMAPPED) <= set(REQUIRED), "a default for a column that may be empty anyway"


def data_dictionary_markdown(pillars: Vocabulary) -> str:
    """The data dictionary, generated from COLUMNS, the vocabularies and a plan's ``pillars``."""
    lines = ["| column | required | format | meaning | example |", "| --- | --- | --- | --- | --- |"]
    for c in COLUMNS:
        lines.append(
            f"| `{c.name}` | {'yes' if c.required else 'no'} | {c.format} | {c.description} | "
            f"{('`' + c.example + '`') if c.example else ''} |"
        )
    lines += [
        "",
        "Any other column is kept and shown as text.",
        "",
        "### Pillars",
        "",
        "| slug | name |",
        "| --- | --- |",
    ]
    lines += [f"| `{t.slug}` | {t.label} |" for t in pillars.terms]
    lines += ["", "### Statuses", "", "| slug | label | meaning | evidence needed |", "| --- | --- | --- | --- |"]
    lines += [f"| `{t.slug}` | {t.label} | {t.definition} | {t.evidence} |" for t in STATUSES.terms]
    lines += ["", "### Core themes", "", "| slug | label |", "| --- | --- |"]
    lines += [f"| `{t.slug}` | {t.label} |" for t in THEMES.terms]
    lines += ["", "### Confidence", "", "| slug | meaning |", "| --- | --- |"]
    lines += [f"| `{t.slug}` | {t.definition} |" for t in CONFIDENCE.terms]
    return "\n".join(lines) + "\n"


START, END = "<!-- dictionary:start -->", "<!-- dictionary:end -->"


if __name__ == "__main__":  # python -m cmap_tracker.contract  -> refresh the generated block of data/README.md
    from pathlib import Path

    from .plan import bundled

    readme = Path(__file__).resolve().parent.parent / "data" / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    new = f"{head}{START}\n{data_dictionary_markdown(bundled().pillars)}{END}{rest.split(END, 1)[1]}"
    if new != text:
        readme.write_text(new, encoding="utf-8")
    print("updated" if new != text else "up to date", readme)
