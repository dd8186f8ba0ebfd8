"""Synthetic CSVs that follow the data contract, for the benchmark and the scale tests.

Vectorised with numpy/pyarrow so a million rows take seconds. Deterministic for
a given (rows, seed). Distributions are modelled on the bundled data:

* 4 pillars, 25 sectors (each belongs to one pillar, Zipf-like popularity);
* 1-3 of the 12 core theme slugs per row;
* statuses weighted towards planned / in progress;
* start dates from 2025-09 to 2028-09; ~25% open-ended (empty end date);
  ~3% one-day milestones;
* English titles and descriptions, unique per row (like real data), ~20% with
  non-ASCII text (en dashes, accents), so text search folding is exercised.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

HEADER = (
    "id",
    "title",
    "pillar",
    "sector",
    "status",
    "start_date",
    "end_date",
    "milestone",
    "themes",
    "description",
    "lead_canada",
    "lead_mexico",
    "confidence",
    "source_url",
    "last_updated",
)
GEN_VERSION = 1

# (sector, pillar, weight)
SECTORS: tuple[tuple[str, str, float], ...] = (
    ("Agriculture", "prosperity", 9),
    ("Trade", "prosperity", 8),
    ("Governance", "prosperity", 5),
    ("Energy", "prosperity", 5),
    ("Critical minerals", "prosperity", 4),
    ("Trade facilitation", "prosperity", 3),
    ("Ports and transport", "prosperity", 3),
    ("Research and innovation", "prosperity", 3),
    ("Digital economy", "prosperity", 2),
    ("Labour mobility", "mobility", 5),
    ("Education", "mobility", 4),
    ("Culture and sport", "mobility", 4),
    ("Migration", "mobility", 3),
    ("Health", "mobility", 3),
    ("Indigenous relations", "mobility", 2),
    ("Policing", "security", 4),
    ("Organized crime", "security", 3),
    ("Drugs and arms", "security", 3),
    ("Financial crime", "security", 2),
    ("Cybersecurity", "security", 3),
    ("Emergency management", "security", 2),
    ("Climate", "environment", 5),
    ("Biodiversity", "environment", 3),
    ("Freshwater and wildlife", "environment", 2),
    ("Clean technology", "environment", 2),
)
THEMES = (
    "ip",
    "energy",
    "security",
    "trade",
    "agriculture",
    "digital",
    "climate",
    "mobility",
    "health",
    "culture",
    "critical_minerals",
    "infrastructure",
)
STATUSES = (
    ("in_progress", 30),
    ("planned", 25),
    ("ongoing", 15),
    ("completed", 15),
    ("delayed", 8),
    ("cancelled", 3),
    ("unknown", 4),
)
CONFIDENCE = (("official", 55), ("reported", 35), ("inferred", 10))
VERBS = (
    "Joint working group on",
    "Bilateral agreement on",
    "Pilot programme for",
    "Exchange of experts in",
    "Memorandum of understanding on",
    "Trade mission for",
    "Capacity building in",
    "Roadmap for",
    "Dialogue on",
    "Funding call for",
    "Technical cooperation in",
    "Review of",
    "Launch of a network for",
    "Canada–Mexico forum on",
    "Cooperación técnica en",
    "Coopération renforcée en",
)
OBJECTS = (
    "supply chains",
    "market access",
    "customs data",
    "port logistics",
    "seasonal workers",
    "student exchanges",
    "cyber incidents",
    "firearms trafficking",
    "fentanyl precursors",
    "wildfire response",
    "water quality",
    "protected areas",
    "clean hydrogen",
    "lithium processing",
    "grid integration",
    "small business exports",
    "plant health",
    "animal health",
    "border wait times",
    "research chairs",
    "cultural heritage",
    "sport events",
    "public health surveillance",
    "Indigenous tourism",
    "regulatory alignment",
    "intellectual property",
    "digital trade",
    "methane reduction",
    "electric vehicles",
    "financial intelligence",
)
SENTENCES = (
    "Officials from both countries met to agree on a work plan and a timetable.",
    "The initiative builds on commitments made at the 2025 leaders' meeting.",
    "Progress is tracked by the responsible departments and reported twice a year.",
    "A public report is expected once the first phase is complete.",
    "Funding has been announced, but the delivery schedule has not been published.",
    "Stakeholders from industry, academia and civil society are consulted.",
    "News reports describe delays linked to procurement and staffing.",
    "The work supports the review of the free trade agreement in 2026.",
    "Both governments named coordinators to follow up on the commitments.",
    "Se prevé una evaluación conjunta antes de la próxima reunión ministerial.",
    "Les deux gouvernements ont convenu d'un calendrier de mise en œuvre.",
    "Pilot results will inform a decision on scaling the programme.",
)
LEADS_CA = (
    "Global Affairs Canada",
    "Agriculture and Agri-Food Canada",
    "Natural Resources Canada",
    "Public Safety Canada",
    "Environment and Climate Change Canada",
    "Employment and Social Development Canada",
    "Canadian Food Inspection Agency",
    "Royal Canadian Mounted Police",
    "",
)
LEADS_MX = (
    "Secretaría de Relaciones Exteriores",
    "Secretaría de Economía",
    "SENASICA",
    "SEMARNAT",
    "Secretaría de Energía",
    "Secretaría de Seguridad",
    "Secretaría de Agricultura",
    "",
)
URLS = tuple(
    f"https://www.international.gc.ca/transparency-transparence/mexico-mexique/action-plan-{k}.aspx" for k in range(20)
) + ("https://www.pm.gc.ca/en/news/statements/2025/09/18/joint-statement", "https://www.gob.mx/sre/prensa/comunicado")
PLAN_FROM = np.datetime64("2025-09-01")
PLAN_TO = np.datetime64("2028-09-30")


def _take(rng: np.random.Generator, pool, n: int, weights=None) -> pa.Array:
    """``n`` draws from ``pool`` (a pyarrow string array, built by a take: no Python loop)."""
    p = None if weights is None else np.asarray(weights, dtype=float) / np.sum(weights)
    return pa.array(list(pool), pa.string()).take(pa.array(rng.choice(len(pool), size=n, p=p)))


def _dates(days: np.ndarray) -> pa.Array:
    return pc.strftime(pa.array((PLAN_FROM + days.astype("timedelta64[D]")).astype("datetime64[s]")), "%Y-%m-%d")


def _cat(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def table(rows: int, seed: int = 7) -> pa.Table:
    """A synthetic table of ``rows`` rows, every column a string, in ``HEADER`` order."""
    rng = np.random.default_rng(seed)
    n = rows
    num = pc.utf8_lpad(pa.array(np.arange(1, n + 1)).cast(pa.string()), 7, "0")
    weights = np.array([w for *_x, w in SECTORS], dtype=float)
    s_idx = pa.array(rng.choice(len(SECTORS), size=n, p=weights / weights.sum()))
    sector = pa.array([s for s, _p, _w in SECTORS]).take(s_idx)
    sector_lower = pa.array([s.lower() for s, _p, _w in SECTORS]).take(s_idx)
    pillar = pa.array([p for _s, p, _w in SECTORS]).take(s_idx)
    status = _take(rng, [s for s, _ in STATUSES], n, [w for _, w in STATUSES])

    span_days = int((PLAN_TO - PLAN_FROM) / np.timedelta64(1, "D"))
    start = rng.integers(0, span_days - 30, size=n)
    end = np.minimum(start + rng.integers(30, 900, size=n), span_days)
    milestone = rng.random(n) < 0.03
    open_ended = (rng.random(n) < 0.25) | milestone
    end_s = pc.if_else(pa.array(open_ended), "", _dates(end))
    ms = pa.array(np.where(milestone, "true", np.where(rng.random(n) < 0.5, "false", "")).astype(object), pa.string())

    # 1-3 distinct themes: the first k of a random permutation of the 12 slugs
    k = rng.choice([1, 2, 3], size=n, p=[0.4, 0.4, 0.2])
    first3 = np.argsort(rng.random((n, len(THEMES))), axis=1)[:, :3]
    slugs = pa.array(THEMES)
    t1, t2, t3 = (slugs.take(pa.array(first3[:, j])) for j in range(3))
    themes = pc.if_else(
        pa.array(k == 1), t1, pc.if_else(pa.array(k == 2), _cat(t1, ";", t2), _cat(t1, ";", t2, ";", t3))
    )

    title = _cat(_take(rng, VERBS, n), " ", _take(rng, OBJECTS, n), " (", sector_lower, ", no. ", num, ")")
    desc = _cat(
        _take(rng, SENTENCES, n), " ", _take(rng, SENTENCES, n), " Reference ", num, ", ", _take(rng, OBJECTS, n), "."
    )
    cols = {
        "id": _cat("SYN-", num),
        "title": title,
        "pillar": pillar,
        "sector": sector,
        "status": status,
        "start_date": _dates(start),
        "end_date": end_s,
        "milestone": ms,
        "themes": themes,
        "description": desc,
        "lead_canada": _take(rng, LEADS_CA, n),
        "lead_mexico": _take(rng, LEADS_MX, n),
        "confidence": _take(rng, [c for c, _ in CONFIDENCE], n, [w for _, w in CONFIDENCE]),
        "source_url": _take(rng, URLS, n),
        "last_updated": _dates(rng.integers(30, 450, size=n)),
    }
    return pa.table({c: cols[c] for c in HEADER})


def frame(rows: int, seed: int = 7) -> pd.DataFrame:
    """The synthetic data as a frame of strings (what a CSV reader would see)."""
    return table(rows, seed).to_pandas()


def _csv_field(a: pa.Array) -> pa.Array:
    """Quote a value only when CSV needs it (a comma, quote or newline), as spreadsheets do."""
    quoted = _cat('"', pc.replace_substring(a, '"', '""'), '"')
    return pc.if_else(pc.match_substring_regex(a, '[,"\\n\\r]'), quoted, a)


def csv_bytes(rows: int, seed: int = 7) -> bytes:
    t = table(rows, seed)
    header = ",".join(HEADER) + "\n"
    lines = _cat(pc.binary_join_element_wise(*[_csv_field(t[c].combine_chunks()) for c in HEADER], ","), "\n")
    lines = lines.cast(pa.large_string())
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    body = lines.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]]
    return header.encode() + body


def write(path: Path, rows: int, seed: int = 7) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(csv_bytes(rows, seed))
    tmp.replace(path)
    return path


def ensure(workdir: Path, rows: int, seed: int = 7) -> Path:
    """The CSV for ``rows`` in ``workdir``, generated once and reused."""
    path = Path(workdir) / f"synthetic-{rows}-s{seed}-v{GEN_VERSION}.csv"
    if not path.exists():
        write(path, rows, seed)
    return path
