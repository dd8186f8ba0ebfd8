"""The CSV contract as a user meets it: which spellings the loader accepts for
pillars, statuses and themes, and that the published data dictionary matches
the code."""

from __future__ import annotations

import pytest

from cmap_tracker import contract, loader, report
from cmap_tracker.plan import bundled
from cmap_tracker.vocab import CONFIDENCE, STATUSES, THEMES, fold
from conftest import ROOT, csv_bytes

PILLARS = bundled().pillars

URL = "https://example.org/source"


def _q(v: str) -> str:
    return '"' + v.replace('"', '""') + '"'


def _load_one(pillar: str = "security", status: str = "planned"):
    """Load a one-row CSV; values go through csv quoting so commas are safe."""
    return loader.load(csv_bytes(f"X-1,Title,{_q(pillar)},Sector,{_q(status)},2026-01-15,{URL}"))


def _load_many(column: str, values: list[str]):
    """One CSV with one row per value (ids X-0, X-1, ...): one load for a whole table of cases."""
    header = "id,title,pillar,sector,status,start_date,source_url,themes"
    base = {
        "title": "Title",
        "pillar": "security",
        "sector": "Sector",
        "status": "planned",
        "start_date": "2026-01-15",
        "source_url": URL,
        "themes": "",
    }
    rows = []
    for n, v in enumerate(values):
        cells = {**base, column: v}
        rows.append(",".join([f"X-{n}"] + [_q(cells[c]) for c in header.split(",")[1:]]))
    result = loader.load(csv_bytes(*rows, header=header))
    assert result.ok
    return result


def _row(result, n: int) -> dict:
    """Row X-n, failing with the loader's own words if it was rejected."""
    hit = result.frame[result.frame["id"] == f"X-{n}"]
    if hit.empty:
        reasons = [i.text() for i in result.issues if i.line == n + 2]
        pytest.fail(f"row was rejected: {reasons}")
    return hit.iloc[0].to_dict()


def _accepted(result) -> dict:
    assert result.ok, result.fatal and result.fatal.text()
    rejected = [i.text() for i in result.issues if i.kind == report.REJECTED]
    assert not rejected, rejected
    assert len(result.frame) == 1
    return result.frame.iloc[0].to_dict()


# ------------------------------------------------------------------ pillars

PILLAR_ALIASES = [
    # slugs
    ("prosperity", "prosperity"),
    ("mobility", "mobility"),
    ("security", "security"),
    ("environment", "environment"),
    # English names (labels)
    ("Prosperity", "prosperity"),
    ("Mobility, Inclusion and Well-being", "mobility"),
    ("Security", "security"),
    ("Environment and Sustainability", "environment"),
    # French names
    ("Prospérité", "prosperity"),
    ("Mobilité, inclusion et bien-être", "mobility"),
    ("Sécurité", "security"),
    ("SÉCURITÉ", "security"),
    ("Securite", "security"),
    ("Environnement et durabilité", "environment"),
    ("Environnement et développement durable", "environment"),
    # Spanish names
    ("Prosperidad", "prosperity"),
    ("PROSPERIDAD", "prosperity"),
    ("Movilidad, inclusión y bienestar", "mobility"),
    ("movilidad, inclusion y bienestar", "mobility"),
    ("Seguridad", "security"),
    ("Medio ambiente y sostenibilidad", "environment"),
    ("Medio Ambiente y Sustentabilidad", "environment"),
    # fact-sheet variants
    ("Mobility, Inclusivity and Well-being", "mobility"),
    ("Mobility, Inclusivity and Wellbeing", "mobility"),
    ("mobility, well-being and inclusion", "mobility"),
    ("Movilidad, bienestar e inclusión", "mobility"),
    ("Environment & Sustainability", "environment"),
    ("Economic prosperity", "prosperity"),
    ("Pillar III", "security"),
    ("pillar 4", "environment"),
    # case and stray spacing
    ("  sEcUrItY  ", "security"),
    ("ENVIRONMENT AND SUSTAINABILITY", "environment"),
]


@pytest.fixture(scope="module")
def pillar_table():
    return _load_many("pillar", [raw for raw, _ in PILLAR_ALIASES])


@pytest.mark.parametrize("n", range(len(PILLAR_ALIASES)), ids=[r for r, _ in PILLAR_ALIASES])
def test_pillar_alias_is_read_as_its_slug(pillar_table, n):
    assert _row(pillar_table, n)["pillar"] == PILLAR_ALIASES[n][1]


@pytest.mark.parametrize(
    "raw",
    ["Mobilité, bien-être et inclusion", "Mobility, Inclusion & Well-being", "Mobility, Inclusivity & Well-being"],
)
def test_pillar_mobility_reordered_and_ampersand_variants(raw):
    # regression: these were rejected as unknown pillars
    row = _accepted(_load_one(pillar=raw))
    assert row["pillar"] == "mobility"


@pytest.mark.parametrize("raw", ["Prosperous", "Pillar 5", "mobility and security", "Seguridad pública"])
def test_pillar_lookalikes_are_rejected(raw):
    result = _load_one(pillar=raw)
    assert len(result.frame) == 0
    (issue,) = [i for i in result.issues if i.column == "pillar"]
    assert issue.kind == report.REJECTED and issue.line == 2
    assert "not a known pillar" in issue.text()


# ------------------------------------------------------------------ statuses

STATUS_SYNONYMS = [
    ("In progress", "in_progress"),
    ("in-progress", "in_progress"),
    ("IN_PROGRESS", "in_progress"),
    ("in_progress", "in_progress"),
    ("underway", "in_progress"),
    ("en cours", "in_progress"),
    ("en curso", "in_progress"),
    ("En progreso", "in_progress"),
    ("WIP", "in_progress"),
    ("done", "completed"),
    ("complete", "completed"),
    ("Completed", "completed"),
    ("terminé", "completed"),
    ("Terminée", "completed"),
    ("achevé", "completed"),
    ("completado", "completed"),
    ("cumplido", "completed"),
    ("not started", "planned"),
    ("Not Started", "planned"),
    ("announced", "planned"),
    ("prévu", "planned"),
    ("planifié", "planned"),
    ("previsto", "planned"),
    ("pendiente", "planned"),
    ("no iniciado", "planned"),
    ("to-do", "planned"),
    ("ongoing", "ongoing"),
    ("continuing", "ongoing"),
    ("en marcha", "ongoing"),
    ("permanente", "ongoing"),
    ("delayed", "delayed"),
    ("behind schedule", "delayed"),
    ("en retard", "delayed"),
    ("retardé", "delayed"),
    ("retrasado", "delayed"),
    ("atrasado", "delayed"),
    ("cancelled", "cancelled"),
    ("canceled", "cancelled"),
    ("annulé", "cancelled"),
    ("cancelado", "cancelled"),
    ("Cancelada", "cancelled"),
    ("dropped", "cancelled"),
    ("unknown", "unknown"),
    ("TBD", "unknown"),
    ("N/A", "unknown"),
    ("inconnu", "unknown"),
    ("desconocido", "unknown"),
]


@pytest.fixture(scope="module")
def status_table():
    return _load_many("status", [raw for raw, _ in STATUS_SYNONYMS])


@pytest.mark.parametrize("n", range(len(STATUS_SYNONYMS)), ids=[r for r, _ in STATUS_SYNONYMS])
def test_status_synonym_is_read_as_its_slug(status_table, n):
    assert _row(status_table, n)["status"] == STATUS_SYNONYMS[n][1]


def test_empty_status_is_unknown_with_a_correction_note():
    result = _load_one(status="")
    row = _accepted(result)
    assert row["status"] == "unknown"
    notes = [i for i in result.issues if i.column == "status"]
    assert [(n.kind, n.line) for n in notes] == [(report.CORRECTED, 2)]


@pytest.mark.parametrize("raw", ["paused", "in progres", "finito"])
def test_unknown_status_is_rejected(raw):
    result = _load_one(status=raw)
    assert len(result.frame) == 0
    (issue,) = [i for i in result.issues if i.column == "status"]
    assert issue.kind == report.REJECTED
    assert f"'{raw}' is not a known status" in issue.text()


# ------------------------------------------------------------------ themes

THEME_CASES = [
    ("Clean Tech", "clean_tech"),
    ("IP", "ip"),
    ("intellectual property", "ip"),
    ("Propiedad intelectual", "ip"),
    ("Énergie", "energy"),
    ("cyber", "digital"),
    ("ip;IP;Intellectual Property", "ip"),
    ("energy; Energy ;ENERGIE;trade", "energy;trade"),
    ("ip|energy", "ip;energy"),
    ("Critical Minerals;clean-tech;Clean Tech", "critical_minerals;clean_tech"),
    ("", ""),
    (" ; ;", ""),
]


@pytest.fixture(scope="module")
def theme_table():
    return _load_many("themes", [raw for raw, _ in THEME_CASES])


@pytest.mark.parametrize("n", range(len(THEME_CASES)), ids=[r or "empty" for r, _ in THEME_CASES])
def test_themes_are_slugged_and_deduplicated(theme_table, n):
    assert _row(theme_table, n)["themes"] == THEME_CASES[n][1]


def test_every_vocabulary_name_resolves_to_its_own_term():
    """An alias shared by two terms would silently send rows to the wrong one."""
    for vocab in (PILLARS, STATUSES, CONFIDENCE, THEMES):
        for term in vocab.terms:
            for name in (term.slug, term.label, *term.aliases):
                assert vocab.lookup[fold(name)] == term.slug, (vocab.name, name)


# ------------------------------------------------------------------ data dictionary


def test_data_readme_contains_the_generated_dictionary():
    readme = ROOT / "data" / "README.md"
    if not readme.exists():
        pytest.skip(
            "data/README.md does not exist yet; once it does it must embed contract.data_dictionary_markdown() verbatim"
        )
    text = readme.read_text(encoding="utf-8")
    assert contract.data_dictionary_markdown(PILLARS) in text, (
        "data/README.md is out of step with cmap_tracker/contract.py: paste the output of "
        "contract.data_dictionary_markdown() into it"
    )


def test_dictionary_lists_every_column_with_required_flag():
    md = contract.data_dictionary_markdown(PILLARS)
    for c in contract.COLUMNS:
        line = next((ln for ln in md.splitlines() if ln.startswith(f"| `{c.name}` |")), None)
        assert line is not None, c.name
        assert line.split("|")[2].strip() == ("yes" if c.required else "no"), c.name
        assert c.description in line


def test_dictionary_lists_every_vocabulary_term():
    md = contract.data_dictionary_markdown(PILLARS)
    for vocab in (PILLARS, STATUSES, THEMES, CONFIDENCE):
        for t in vocab.terms:
            assert f"| `{t.slug}` |" in md, (vocab.name, t.slug)


def test_every_status_has_definition_and_evidence_in_dictionary():
    md = contract.data_dictionary_markdown(PILLARS)
    for t in STATUSES.terms:
        assert t.definition.strip() and t.evidence.strip(), t.slug
        assert f"| `{t.slug}` | {t.label} | {t.definition} | {t.evidence} |" in md


def test_required_columns_are_the_ones_the_loader_demands():
    """Dropping any REQUIRED column from the header is a file-level error naming it."""
    full = "id,title,pillar,sector,status,start_date,source_url".split(",")
    assert set(contract.REQUIRED) == set(full)
    for col in full:
        header = ",".join(c for c in full if c != col)
        row = ",".join("x" for c in full if c != col)
        result = loader.load(csv_bytes(row, header=header))
        assert result.fatal is not None
        assert f"missing: {col}." in result.fatal.text()
