"""What the sidebar filters show, and that the address bar reproduces the view."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlencode

import pytest

from cmap_tracker import dataset, loader, state
from cmap_tracker.filters import Filters
from cmap_tracker.plan import bundled
from cmap_tracker.state import Notice, View
from conftest import csv_bytes

PLAN_END = bundled().end.isoformat()  # type: ignore[union-attr]

HEADER = "id,title,pillar,sector,status,start_date,source_url,end_date,milestone,themes,description,title_fr"
U = "https://example.org/s"
ROWS = [
    f"S-1,Border policing,security,Policing,in_progress,2026-01-01,{U},2026-06-30,,security;digital,Joint work on cyber crime,Police des frontières",
    f"S-2,Sécurité des données,security,Cybersecurity,completed,2025-10-01,{U},,true,digital,,",
    f"P-1,Trade mission,prosperity,Trade & Investment,planned,2026-03-01,{U},,,trade;energy,Énergie propre et commerce,",
    f"P-2,Agri-food accord,prosperity,Agriculture,delayed,2025-11-01,{U},2026-02-28,,agriculture;trade,,",
    f"E-1,Clean power,environment,Climate,ongoing,2025-09-18,{U},,,energy;climate;Clean Tech,,",
    f"M-1,Labour mobility pilot,mobility,Labour mobility,cancelled,2026-05-01,{U},2026-05-31,,mobility,,",
    f"M-2,World Cup 2026,mobility,Culture and sport,planned,2026-06-11,{U},,yes,culture,,Coupe du monde 2026",
]
ALL = ["S-1", "S-2", "P-1", "P-2", "E-1", "M-1", "M-2"]
SNAPSHOTS = ["2026-06-01", "2026-09-01"]


@pytest.fixture(scope="module")
def ds():
    result = loader.load(csv_bytes(*ROWS, header=HEADER))
    assert result.ok and not result.issues, result.issues
    return dataset.build(result)


def shown(f: Filters, ds) -> list[str]:
    return f.apply(ds)["id"].tolist()


# ------------------------------------------------------------------ each field alone


def test_no_filter_shows_every_row(ds):
    assert Filters().is_empty()
    assert shown(Filters(), ds) == ALL
    assert Filters().mask(ds).all()


@pytest.mark.parametrize(
    "f,expected",
    [
        (Filters(pillar=("security",)), ["S-1", "S-2"]),
        (Filters(pillar=("mobility", "environment")), ["E-1", "M-1", "M-2"]),
        (Filters(sector=("Trade & Investment",)), ["P-1"]),
        (Filters(sector=("Policing", "Climate")), ["S-1", "E-1"]),
        (Filters(status=("planned",)), ["P-1", "M-2"]),
        (Filters(status=("completed", "cancelled")), ["S-2", "M-1"]),
        (Filters(status=("unknown",)), []),
        (Filters(sector=("Not in this file",)), []),  # a value the file lacks selects nothing, and no error
        (Filters(sector=("Policing", "Not in this file")), ["S-1"]),
        (Filters(theme=("trade",)), ["P-1", "P-2"]),
        (Filters(theme=("energy",)), ["P-1", "E-1"]),
        (Filters(theme=("digital", "climate")), ["S-1", "S-2", "E-1"]),
        (Filters(theme=("clean_tech",)), ["E-1"]),
        (Filters(theme=("health",)), []),
    ],
    ids=lambda v: repr(v) if isinstance(v, Filters) else None,
)
def test_single_field(ds, f, expected):
    assert shown(f, ds) == expected
    assert int(f.mask(ds).sum()) == len(expected)


def test_multi_theme_row_appears_once(ds):
    # P-1 carries both trade and energy: selecting both must not duplicate it.
    assert shown(Filters(theme=("trade", "energy")), ds) == ["P-1", "P-2", "E-1"]


# ------------------------------------------------------------------ combinations


@pytest.mark.parametrize(
    "f,expected",
    [
        (Filters(pillar=("prosperity",), theme=("energy",)), ["P-1"]),
        (Filters(pillar=("prosperity",), status=("planned", "delayed")), ["P-1", "P-2"]),
        (Filters(pillar=("security",), status=("planned",)), []),
        (Filters(status=("planned",), theme=("culture",), date_from=date(2026, 6, 1)), ["M-2"]),
        (Filters(pillar=("security", "prosperity"), q="trade"), ["P-1"]),
        (Filters(theme=("digital",), date_to=date(2025, 12, 31)), ["S-2"]),
        (Filters(sector=("Policing",), pillar=("prosperity",)), []),
    ],
)
def test_fields_combine_with_and(ds, f, expected):
    assert shown(f, ds) == expected


# ------------------------------------------------------------------ date window


@pytest.mark.parametrize(
    "lo,hi,expected",
    [
        # April 2026: S-1 (Jan-Jun), P-1 and E-1 (open-ended, run to plan end)
        (date(2026, 4, 1), date(2026, 4, 30), ["S-1", "P-1", "E-1"]),
        # a milestone is one day: S-2 on 2025-10-01 is in a window on that day, not the day after
        (date(2025, 10, 1), date(2025, 10, 1), ["S-2", "E-1"]),
        (date(2025, 10, 2), date(2025, 10, 31), ["E-1"]),
        # touching the ends counts: P-2 ends 2026-02-28, M-1 starts 2026-05-01
        (date(2026, 2, 28), date(2026, 2, 28), ["S-1", "P-2", "E-1"]),
        (date(2026, 5, 31), date(2026, 5, 31), ["S-1", "P-1", "E-1", "M-1"]),
        # open-ended rows run exactly to the plan's end
        (date.fromisoformat(PLAN_END), None, ["P-1", "E-1"]),
        (date.fromisoformat(PLAN_END) + (date(2000, 1, 2) - date(2000, 1, 1)), None, []),
        # only an upper bound: anything started by then
        (None, date(2025, 10, 31), ["S-2", "E-1"]),
        (None, date(2025, 9, 17), []),
    ],
)
def test_date_window_overlap(ds, lo, hi, expected):
    assert shown(Filters(date_from=lo, date_to=hi), ds) == expected


# ------------------------------------------------------------------ free-text search


@pytest.mark.parametrize(
    "q,expected",
    [
        ("securite", ["S-2"]),  # title has accents, query does not
        ("SÉCURITÉ DES", ["S-2"]),
        ("énergie", ["P-1"]),  # description
        ("ENERGIE PROPRE", ["P-1"]),
        ("cyber crime", ["S-1"]),  # description, case-insensitive
        ("coupe du monde", ["M-2"]),  # French title
        ("frontieres", ["S-1"]),
        ("s-1", ["S-1"]),  # id
        ("  trade  ", ["P-1"]),
        ("no such thing", []),
    ],
)
def test_search_is_case_and_accent_insensitive(ds, q, expected):
    assert shown(Filters(q=q), ds) == expected


def test_blank_search_does_not_filter(ds):
    assert shown(Filters(q="   "), ds) == ALL


# ------------------------------------------------------------------ describe


def test_describe_names_the_filters_and_counts():
    f = Filters(pillar=("security",), status=("in_progress",))
    assert f.describe(1, 3) == "Security · In progress · 1 of 3 initiatives"


def test_describe_uses_labels_dates_and_search():
    f = Filters(
        pillar=("mobility", "environment"),
        sector=("Climate",),
        status=("completed",),
        theme=("ip", "clean_tech"),
        date_from=date(2026, 1, 1),
        q=" café ",
    )
    assert f.describe(2, 52) == (
        "Mobility, Inclusion and Well-being, Environment and Sustainability · Climate · Completed · "
        "IP and innovation, Clean tech · 2026-01-01 – … · “café” · 2 of 52 initiatives"
    )


def test_describe_without_filters_is_just_the_count():
    assert Filters().describe(7, 7) == "7 of 7 initiatives"


def test_describe_writes_large_counts_for_the_locale():
    from cmap_tracker import i18n

    try:
        i18n.set_language("en")
        assert Filters().describe(18501, 100000, fmt_int=i18n.fmt_int) == "18,501 of 100,000 initiatives"
        i18n.set_language("fr")
        assert Filters().describe(18501, 100000, i18n._, fmt_int=i18n.fmt_int) == "18\xa0501 initiatives sur 100\xa0000"
    finally:
        i18n.set_language("en")


def test_describe_translates_through_the_given_function():
    tr = {"Security": "Sécurité", "{shown} of {total} initiatives": "{shown} sur {total} initiatives"}.get
    text = Filters(pillar=("security",)).describe(1, 2, tr=lambda s: tr(s, s))
    assert text == "Sécurité · 1 sur 2 initiatives"


# ------------------------------------------------------------------ URL round trip


def via_url(view: View) -> dict[str, list[str]]:
    """What the browser gives back after the query is put in the address bar."""
    return parse_qs(urlencode(view.to_query(), doseq=True), keep_blank_values=True)


ROUND_TRIPS = [
    View(),
    View(Filters(pillar=("security",))),
    View(Filters(pillar=("mobility", "security"), status=("in_progress", "planned"))),
    View(Filters(sector=("Trade & Investment", "Labour mobility"))),
    View(Filters(theme=("clean_tech", "energy", "trade"))),
    View(Filters(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))),
    View(Filters(date_to=date(2025, 12, 31))),
    View(Filters(q="Sécurité & énergie = 100% ?#")),
    View(Filters(q="中文 🙂 a+b")),
    View(id="P-2"),
    View(lang="fr"),
    View(Filters(status=("delayed",)), lang="es", id="M-2"),
    View(since="2026-06-01", until="2026-09-01"),
    View(
        Filters(
            pillar=("prosperity",),
            sector=("Agriculture",),
            status=("delayed",),
            theme=("trade",),
            date_from=date(2025, 9, 18),
            date_to=date(2028, 9, 30),
            q="accord",
        ),
        id="P-2",
        lang="fr",
        since="2026-06-01",
        until="2026-09-01",
        tab="sector",
    ),
    View(tab="sector"),
]


@pytest.mark.parametrize("view", ROUND_TRIPS, ids=range(len(ROUND_TRIPS)))
def test_view_round_trips_through_the_url(ds, view):
    back, notices = state.from_query(via_url(view), ds, SNAPSHOTS)
    assert notices == []
    assert back == view


def test_sector_in_the_url_is_a_readable_slug(ds):
    q = View(Filters(sector=("Trade & Investment",))).to_query()
    assert q == {"sector": ["trade-investment"]}


def test_empty_view_has_an_empty_query():
    assert View().to_query() == {}


def test_unknown_values_are_dropped_and_reported(ds):
    params = {
        "pillar": ["bogus", "security"],
        "status": ["nope", "planned"],
        "theme": ["energy", "zzz"],
        "sector": ["policing", "Nowhere"],
        "from": ["notadate"],
        "to": ["2026-12-31"],
        "id": ["UNKNOWN"],
        "lang": ["de"],
        "since": ["2020-01-01"],
        "until": ["2026-09-01"],
        "q": ["trade"],
        "tab": ["pie"],
    }
    view, notices = state.from_query(params, ds, SNAPSHOTS)
    assert view == View(
        Filters(
            pillar=("security",),
            status=("planned",),
            theme=("energy",),
            sector=("Policing",),
            date_to=date(2026, 12, 31),
            q="trade",
        ),
        until="2026-09-01",
    )
    assert set(notices) == {
        Notice("pillar", "bogus"),
        Notice("status", "nope"),
        Notice("theme", "zzz"),
        Notice("sector", "Nowhere"),
        Notice("from", "notadate"),
        Notice("id", "UNKNOWN"),
        Notice("lang", "de"),
        Notice("since", "2020-01-01"),
        Notice("tab", "pie"),
    }


def test_the_first_tab_is_the_default_and_leaves_the_url(ds):
    view, notices = state.from_query({"tab": ["status"]}, ds, SNAPSHOTS)
    assert view == View() and notices == [] and view.to_query() == {}
    assert View(tab="sector").to_query() == {"tab": ["sector"]}


def test_url_values_are_deduplicated(ds):
    view, notices = state.from_query({"pillar": ["security", "Security", "security"]}, ds)
    assert view.filters.pillar == ("security",) and notices == []


def test_single_string_values_are_accepted(ds):
    view, _ = state.from_query({"pillar": "security", "id": "S-1"}, ds)
    assert view == View(Filters(pillar=("security",)), id="S-1")


def test_no_url_parameter_can_name_a_file(ds):
    attempts = {
        "data": ["/etc/passwd"],
        "file": ["../data/initiatives.csv"],
        "source": ["https://evil.example/x.csv"],
        "csv": ["file:///etc/passwd"],
        "path": ["/tmp/x.csv"],
        "url": ["ftp://x/y.csv"],
        "DASHBOARD_DATA": ["/etc/passwd"],
    }
    view, notices = state.from_query(attempts, ds, SNAPSHOTS)
    assert view == View() and notices == []
    # and the snapshot selectors only accept names from the known list
    view, notices = state.from_query({"since": ["../../etc/passwd"], "until": ["/etc/passwd"]}, ds, SNAPSHOTS)
    assert view == View()
    assert {n.key for n in notices} == {"since", "until"}
    # nothing the app writes to the URL names a file either
    full = ROUND_TRIPS[-1].to_query()
    assert set(full) <= set(state.OWN_KEYS)
    assert not set(state.OWN_KEYS) & {"data", "file", "source", "csv", "path", "url"}
