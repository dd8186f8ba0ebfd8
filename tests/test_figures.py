"""What the charts say: readable names, fixed colours, click ids, key dates,
and a message instead of empty axes."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from cmap_tracker import charts, dataset, figures, i18n, labels, loader, metrics, timeline
from cmap_tracker.plan import bundled
from cmap_tracker.vocab import STATUSES, THEMES
from conftest import ROOT, csv_bytes

PILLARS = bundled().pillars
PLAN_END = bundled().end.isoformat()  # type: ignore[union-attr]

TODAY = date(2026, 5, 1)
HEADER = "id,title,pillar,sector,status,start_date,source_url,end_date,milestone,themes"
U = "https://example.org/s"
ROWS = [
    f"S-1,Border policing,security,Policing,in_progress,2026-01-01,{U},2026-06-30,,security;digital",
    f"S-2,Data protection signing,security,Cybersecurity,completed,2025-10-01,{U},,true,digital",
    f"S-3,Cyber drills,security,Cybersecurity,planned,2026-02-01,{U},,,digital;clean_tech",
    f"P-1,Trade mission,prosperity,Trade,planned,2026-03-01,{U},,,trade;energy",
    f"P-2,Agri-food accord,prosperity,Agriculture,delayed,2025-11-01,{U},2026-02-28,,agriculture;trade",
    f"P-3,Export council,prosperity,Trade,completed,2025-09-18,{U},2025-12-31,,trade",
    f"E-1,Clean power,environment,Climate,ongoing,2025-09-18,{U},,,energy;climate",
    f"M-1,Labour mobility pilot,mobility,Labour mobility,cancelled,2026-05-01,{U},2026-05-31,,mobility",
]
# Raw slugs that must never reach a reader (a slug equal to its label, like 'trade' vs 'Trade', differs in case).
RAW = {t.slug for v in (PILLARS, STATUSES, THEMES) for t in v.terms if t.slug != t.label}


@pytest.fixture(scope="module")
def ds():
    result = loader.load(csv_bytes(*ROWS, header=HEADER))
    assert result.ok and not result.issues, result.issues
    return dataset.build(result)


@pytest.fixture(scope="module")
def df(ds):
    return ds.frame


@pytest.fixture(scope="module")
def gantt(df):
    return timeline.timeline(df, TODAY)


def bars(fig) -> list[go.Bar]:
    return [t for t in fig.data if t.type == "bar"]


def points_by_id(fig) -> dict[str, tuple]:
    """id -> (trace, point index) for every mark whose customdata is ['id', <id>, ...]."""
    out = {}
    for tr in fig.data:
        for k, cd in enumerate(tr.customdata if tr.customdata is not None else []):
            if cd[0] == "id":
                out.setdefault(cd[1], []).append((tr, k))
    return out


def pattern_at(tr, k: int) -> str:
    shape = tr.marker.pattern.shape if tr.marker.pattern else None
    if shape is None:
        return ""
    return shape if isinstance(shape, str) else shape[k]


def bar_end(tr, k: int) -> pd.Timestamp:
    return pd.Timestamp(tr.base[k]) + pd.Timedelta(milliseconds=float(tr.x[k]))


def assert_readable(*labels):
    for label in labels:
        assert label not in RAW, f"raw slug shown to the reader: {label!r}"


def assert_empty_figure(fig):
    assert len(fig.data) == 0
    assert fig.layout.annotations and fig.layout.annotations[0].text
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False


# ------------------------------------------------------------------ stacked status bars


@pytest.mark.parametrize("builder,by", [(charts.status_by_pillar, "pillar"), (charts.status_by_sector, "sector")])
def test_stacked_status_bars_are_named_coloured_and_clickable(df, builder, by):
    fig = builder(df)
    seen = set()
    total = 0
    for tr in bars(fig):
        statuses = {cd[3] for cd in tr.customdata}
        assert len(statuses) == 1, "one trace per status"
        (status,) = statuses
        seen.add(status)
        assert tr.name == STATUSES[status].label
        assert tr.marker.color == figures.STATUS_COLORS[status]
        assert tr.marker.pattern.shape == figures.STATUS_PATTERNS[status]
        assert_readable(tr.name, *tr.y)
        for cd, y, x in zip(tr.customdata, tr.y, tr.x):
            assert list(cd[:3]) == [by, cd[1], "status"]
            expected = int(((df[by] == cd[1]) & (df["status"] == status)).sum())
            assert x == expected and expected > 0
            if by == "pillar":  # long names wrap onto two lines on the axis
                assert y.replace("<br>", " ") == PILLARS[cd[1]].label
        total += sum(tr.x)
    assert seen == set(df["status"].astype(str))
    assert total == len(df)


def test_status_by_pillar_customdata_names_pillar_and_status(df):
    fig = charts.status_by_pillar(df)
    cds = {tuple(cd) for tr in fig.data for cd in tr.customdata}
    assert ("pillar", "security", "status", "completed") in cds
    assert ("pillar", "environment", "status", "ongoing") in cds
    # legend in vocabulary order
    assert [tr.name for tr in fig.data] == [
        STATUSES[s].label for s in STATUSES.slugs if s in set(df["status"].astype(str))
    ]


def test_status_by_pillar_lists_pillars_in_plan_order_top_down(df):
    fig = charts.status_by_pillar(df)
    top_down = [y.replace("<br>", " ") for y in reversed(fig.layout.yaxis.categoryarray)]
    assert top_down == [PILLARS[p].label for p in PILLARS.slugs]


def test_status_by_sector_puts_the_biggest_sector_on_top(df):
    fig = charts.status_by_sector(df)
    top_down = list(reversed(fig.layout.yaxis.categoryarray))
    assert set(top_down[:2]) == {"Trade", "Cybersecurity"}  # 2 rows each
    assert len(top_down) == df["sector"].nunique()


# ------------------------------------------------------------------ completion, hierarchy, themes


def test_completion_by_pillar(df):
    fig = charts.completion_by_pillar(df)
    (tr,) = fig.data
    got = {
        cd[1]: (y, x, text, color) for cd, y, x, text, color in zip(tr.customdata, tr.y, tr.x, tr.text, tr.marker.color)
    }
    assert got["security"] == ("Security", pytest.approx(1 / 3), "1/3", figures.pillar_color("security"))
    assert got["prosperity"][1:3] == (pytest.approx(1 / 3), "1/3")
    assert got["environment"][1:3] == (0, "0/1")
    assert all(list(cd[:1]) == ["pillar"] for cd in tr.customdata)
    assert_readable(*tr.y)


def test_hierarchy_is_a_consistent_tree(df):
    fig = charts.hierarchy(df)
    (tr,) = fig.data
    ids = list(tr.ids)
    assert len(ids) == len(set(ids))
    value = dict(zip(ids, tr.values))
    for _node, parent in zip(ids, tr.parents):
        if parent:
            assert parent in value
    for node in ids:  # branchvalues="total": a parent's value is the sum of its children
        kids = [value[i] for i, p in zip(ids, tr.parents) if p == node]
        if kids:
            assert value[node] == sum(kids), node
    roots = [(lab, cd) for lab, cd, p in zip(tr.labels, tr.customdata, tr.parents) if not p]
    assert {lab for lab, _ in roots} == {PILLARS[p].label for p in set(df["pillar"].astype(str))}
    assert all(cd[0] == "pillar" for _, cd in roots)
    leaves = {cd[1]: (lab, col) for lab, cd, col in zip(tr.labels, tr.customdata, tr.marker.colors) if cd[0] == "id"}
    assert set(leaves) == set(df["id"])
    assert leaves["S-2"] == ("Data protection signing", figures.STATUS_COLORS["completed"])
    assert_readable(*tr.labels)


def test_theme_matrix_uses_labels_and_counts(ds, df):
    table = metrics.theme_pillar(df, ds.themes)
    fig = charts.theme_matrix(table)
    (tr,) = fig.data
    assert list(tr.x) == [PILLARS[p].label for p in table.columns]
    assert "Clean tech" in tr.y and "IP and innovation" not in tr.y and "Digital and cyber" in tr.y
    assert_readable(*tr.x, *tr.y)
    row = list(tr.y).index("Digital and cyber")
    col = list(tr.x).index("Security")
    assert tr.z[row][col] == 3


def test_theme_status_mix_only_selected_themes(ds, df):
    fig = charts.theme_status_mix(df, ds.themes, ["digital", "energy"])
    cds = [tuple(cd) for tr in fig.data for cd in tr.customdata]
    assert {cd[1] for cd in cds} == {"digital", "energy"}
    assert ("theme", "digital", "status", "completed") in cds
    for tr in fig.data:
        assert tr.marker.color == figures.STATUS_COLORS[tr.customdata[0][3]]
        assert_readable(tr.name, *tr.y)
    assert sum(sum(tr.x) for tr in fig.data) == 5  # digital: S-1, S-2, S-3; energy: P-1, E-1


# ------------------------------------------------------------------ timeline


def test_timeline_bars_are_labelled_and_coloured_by_status(gantt, df):
    for tr in bars(gantt):
        assert_readable(tr.name)
        for cd in tr.customdata:
            status = df.loc[df["id"] == cd[1], "status"].item()
            assert tr.name.startswith(STATUSES[status].label)
            assert tr.marker.color == figures.STATUS_COLORS[status]
            assert cd[2] == STATUSES[status].label  # hover text
            assert list(cd[:1]) == ["id"]


def test_timeline_every_row_is_drawn_once_and_clickable(gantt, df):
    marks = points_by_id(gantt)
    assert set(marks) == set(df["id"])


def test_timeline_open_ended_runs_to_plan_end_hatched(gantt):
    marks = points_by_id(gantt)
    for ident in ("S-3", "P-1", "E-1"):  # no end date, not finished
        tr, k = next((t, k) for t, k in marks[ident] if t.type == "bar")
        assert bar_end(tr, k) == pd.Timestamp(PLAN_END)
        assert pattern_at(tr, k) != "", ident
        assert "open-ended" in tr.customdata[k][4]
    tr, k = next((t, k) for t, k in marks["S-1"] if t.type == "bar")
    assert bar_end(tr, k) == pd.Timestamp("2026-06-30")
    assert pattern_at(tr, k) == ""


def test_timeline_milestone_is_a_diamond_not_a_zero_width_bar(gantt):
    marks = points_by_id(gantt)["S-2"]
    assert all(t.type == "scatter" for t, _ in marks)
    tr, k = marks[0]
    assert tr.marker.symbol == "diamond"
    assert pd.Timestamp(tr.x[k]) == pd.Timestamp("2025-10-01")
    colors = tr.marker.color
    assert (colors if isinstance(colors, str) else colors[k]) == figures.STATUS_COLORS["completed"]
    # its hover gives one date, not a span to the end of the plan
    assert "2028" not in tr.customdata[k][4]


def test_timeline_today_line_at_the_given_date(df):
    fig = timeline.timeline(df, date(2026, 3, 15))
    today = [s for s in fig.layout.shapes if s.name == "today"]
    assert len(today) == 1
    assert pd.Timestamp(today[0].x0) == pd.Timestamp("2026-03-15") == pd.Timestamp(today[0].x1)
    assert any(a.text == "Today" and pd.Timestamp(a.x) == pd.Timestamp("2026-03-15") for a in fig.layout.annotations)


def test_timeline_marks_key_dates(gantt):
    notes = {a.text: a for a in gantt.layout.annotations}
    assert pd.Timestamp(notes["CUSMA joint review"].x) == pd.Timestamp("2026-07-01")
    assert pd.Timestamp(notes["Plan ends"].x) == pd.Timestamp(PLAN_END)
    assert "FIFA World Cup" in notes
    rects = [s for s in gantt.layout.shapes if s.type == "rect" and s.xref == "x"]
    assert any((s.x0, s.x1) == ("2026-06-11", "2026-07-19") for s in rects)
    lines = {pd.Timestamp(s.x0) for s in gantt.layout.shapes if s.type == "line"}
    assert {pd.Timestamp("2026-07-01"), pd.Timestamp(PLAN_END)} <= lines


def test_timeline_x_range_shows_the_whole_plan(gantt, df):
    lo, hi = (pd.Timestamp(v) for v in gantt.layout.xaxis.range)
    assert lo <= df["start_date"].min() and hi >= pd.Timestamp(PLAN_END)


def big_frame(n: int):
    """n rows over a few (pillar, sector) pairs; 'Governance' is used in two pillars."""
    pairs = [
        ("security", "Governance", "planned"),
        ("prosperity", "Governance", "completed"),
        ("prosperity", "Trade", "in_progress"),
        ("environment", "Climate", "delayed"),
    ]
    rows = []
    for i in range(n):
        p, s, st = pairs[i % len(pairs)]
        rows.append(f"B-{i},Item {i},{p},{s},{st},2026-01-{1 + i % 28:02d},{U},,,")
    result = loader.load(csv_bytes(*rows, header=HEADER))
    assert result.ok and len(result.frame) == n
    return result.frame


@pytest.fixture(scope="module")
def big_fig():
    return timeline.timeline(big_frame(figures.GANTT_MAX_BARS + 4), TODAY)  # 304 rows, 76 per (pillar, sector)


def test_timeline_over_the_cap_draws_one_bar_per_sector(big_fig):
    fig = big_fig
    marks = [(tr.name, cd) for tr in fig.data for cd in tr.customdata]
    assert len(marks) == 4  # one per (pillar, sector), not one per row
    assert all(cd[0] == "sector" for _, cd in marks)
    assert {name for name, _ in marks} == {"Security", "Prosperity", "Environment and Sustainability"}
    for tr in fig.data:
        pillar = next(p for p in PILLARS.slugs if PILLARS[p].label == tr.name)
        assert tr.marker.color == figures.pillar_color(pillar)


def test_timeline_at_the_cap_still_draws_rows():
    fig = timeline.timeline(big_frame(figures.GANTT_MAX_BARS), TODAY)
    assert len(points_by_id(fig)) == figures.GANTT_MAX_BARS


def test_sector_bar_status_mix_adds_up_to_its_count(big_fig):
    # regression: the mix was counted per sector name across pillars ('Governance' in two pillars)
    for tr in big_fig.data:
        for cd in tr.customdata:
            n, mix = int(cd[4]), cd[3]
            assert sum(int(part.rsplit(" ", 1)[1]) for part in mix.split(", ")) == n, (cd[1], tr.name, mix)


def test_sector_bars_get_one_row_each(big_fig):
    # regression: 'Governance (76)' under two pillars shared one row and the bars overlapped
    ys = [y for tr in big_fig.data for y in tr.y]
    assert len(set(ys)) == len(ys) == 4


# ------------------------------------------------------------------ empty input


@pytest.mark.parametrize(
    "build",
    [
        lambda ds: charts.status_by_pillar(ds.frame.iloc[:0]),
        lambda ds: charts.status_by_sector(ds.frame.iloc[:0]),
        lambda ds: charts.completion_by_pillar(ds.frame.iloc[:0]),
        lambda ds: charts.hierarchy(ds.frame.iloc[:0]),
        lambda ds: timeline.timeline(ds.frame.iloc[:0], TODAY),
        lambda ds: charts.theme_matrix(metrics.theme_pillar(ds.frame.iloc[:0], ds.themes)),
        lambda ds: charts.theme_status_mix(ds.frame.iloc[:0], ds.themes, ["digital"]),
        lambda ds: charts.theme_status_mix(ds.frame, ds.themes, []),
        lambda ds: charts.theme_status_mix(ds.frame, ds.themes, ["health"]),
        lambda ds: charts.status_flow(pd.DataFrame(columns=["id", "before", "after"])),
        lambda ds: charts.burnup(pd.DataFrame(columns=["date", "pillar", "total", "completed"])),
    ],
    ids=[
        "status_by_pillar",
        "status_by_sector",
        "completion",
        "hierarchy",
        "timeline",
        "theme_matrix",
        "theme_mix_no_rows",
        "theme_mix_no_selection",
        "theme_mix_no_match",
        "status_flow",
        "burnup",
    ],
)
def test_empty_input_gives_a_message_not_empty_axes(ds, build):
    assert_empty_figure(build(ds))


def test_empty_message_default_text(df):
    fig = charts.status_by_pillar(df.iloc[:0])
    assert fig.layout.annotations[0].text == "No initiatives match these filters."


# ------------------------------------------------------------------ snapshot charts


def test_status_flow_nodes_are_labelled_and_coloured():
    flow = pd.DataFrame(
        {
            "id": ["A", "B", "C"],
            "before": ["planned", "planned", "in_progress"],
            "after": ["in_progress", "completed", "completed"],
        }
    )
    (tr,) = charts.status_flow(flow).data
    labels = list(tr.node.label)
    assert labels == ["In progress (before)", "Planned (before)", "Completed (after)", "In progress (after)"]
    assert list(tr.node.color) == [
        figures.STATUS_COLORS[s] for s in ("in_progress", "planned", "completed", "in_progress")
    ]
    links = {(labels[s], labels[t]): v for s, t, v in zip(tr.link.source, tr.link.target, tr.link.value)}
    assert links == {
        ("Planned (before)", "In progress (after)"): 1,
        ("Planned (before)", "Completed (after)"): 1,
        ("In progress (before)", "Completed (after)"): 1,
    }


def test_burnup_names_pillars_and_marks_plan_end():
    table = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-06-01", "2026-06-01"]),
            "pillar": ["prosperity", "security"] * 2,
            "total": [3, 2, 4, 2],
            "completed": [0, 1, 2, 1],
        }
    )
    fig = charts.burnup(table)
    names = [tr.name for tr in fig.data]
    assert names == ["Prosperity: total", "Prosperity: completed", "Security: total", "Security: completed"]
    assert list(fig.data[1].y) == [0, 2]
    assert fig.data[2].line.color == figures.pillar_color("security")
    assert any(a.text == "Plan ends" and pd.Timestamp(a.x) == pd.Timestamp(PLAN_END) for a in fig.layout.annotations)


# ------------------------------------------------------------------ alt text


def test_figure_alt_mentions_each_pillar_and_its_counts(df):
    text = charts.figure_alt(metrics.counts(df, "pillar"), "pillar", labels.pillar)
    for p in set(df["pillar"].astype(str)):
        assert PILLARS[p].label + ":" in text
    assert "Security: 3 initiatives (1 Completed, 1 In progress, 1 Planned)" in text
    assert "Prosperity: 3 initiatives (1 Completed, 1 Planned, 1 Delayed)" in text
    assert_readable(*text.replace(";", ",").replace("(", ",").replace(")", ",").split(", "))
    assert "in_progress" not in text


def test_figure_alt_of_nothing(df):
    assert (
        charts.figure_alt(metrics.counts(df.iloc[:0], "pillar"), "pillar", labels.pillar)
        == "No initiatives match these filters."
    )


def test_figure_alt_singular(df):
    # regression: the summary said '1 initiatives'
    text = charts.figure_alt(metrics.counts(df, "pillar"), "pillar", labels.pillar)
    assert "Environment and Sustainability: 1 initiative (1 Ongoing)" in text


# ------------------------------------------------------------------ translation


def test_french_status_names_in_traces(df):
    if not i18n.po_path("fr").exists():
        pytest.skip(f"no French catalogue yet ({i18n.po_path('fr').relative_to(i18n.LOCALE_DIR.parent)})")
    try:
        i18n.set_language("fr")
        fig = charts.status_by_pillar(df)
        names = {tr.customdata[0][3]: tr.name for tr in fig.data}
        assert names["in_progress"] != "In progress"
        assert names["completed"] != "Completed"
    finally:
        i18n.set_language("en")
    assert charts.status_by_pillar(df).data[0].name == "Completed"


# ------------------------------------------------------------------ validation


def _json_of(fig: go.Figure):
    """The figure as plotly.js receives it, with Plotly's binary arrays decoded and
    timestamps written one way, so a validated and an unvalidated build compare."""
    import base64
    import json
    import re

    import numpy as np
    import plotly.io as pio

    def norm(x):
        if isinstance(x, dict):
            if {"dtype", "bdata"} <= set(x):
                arr = np.frombuffer(base64.b64decode(x["bdata"]), dtype=np.dtype(x["dtype"]))
                if "shape" in x:
                    arr = arr.reshape([int(v) for v in str(x["shape"]).split(",")])
                return norm(arr.tolist())
            return {k: norm(v) for k, v in x.items()}
        if isinstance(x, list):
            return [norm(v) for v in x]
        if isinstance(x, float) and x.is_integer():
            return int(x)
        if isinstance(x, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00(\.0+)?", x):
            return x[:10]
        return x

    return norm(json.loads(pio.to_json(fig, validate=False, engine="json")))


def _every_figure(language: str) -> dict[str, go.Figure]:
    """Every builder on the bundled data and snapshots (and on nothing), as the pages call them."""
    from cmap_tracker import changes, snapshots
    from cmap_tracker.filters import Filters

    i18n.set_language(language)
    full = dataset.build(loader.load(str(ROOT / "data" / "initiatives.csv")))
    df = full.view
    snaps = [s for s in snapshots.load_snapshots() if s.result.ok]
    d = changes.diff(snaps[0], snaps[-1])
    big = pd.concat([df] * (figures.GANTT_MAX_BARS // len(df) + 1), ignore_index=True)
    security = Filters(pillar=("security",)).apply(full)
    return {
        "status_by_pillar": charts.status_by_pillar(df),
        "status_by_sector": charts.status_by_sector(df),
        "completion_by_pillar": charts.completion_by_pillar(security),
        "hierarchy": charts.hierarchy(df),
        "timeline": timeline.timeline(df, TODAY),
        "timeline_by_sector": timeline.timeline(big, TODAY),
        "theme_matrix": charts.theme_matrix(metrics.theme_pillar(df, full.themes)),
        "theme_status_mix": charts.theme_status_mix(df, full.themes, ["ip", "energy", "security"]),
        "status_flow": charts.status_flow(d.status_flow),
        "burnup": charts.burnup(snapshots.burnup(snaps)),
        "empty": charts.status_by_pillar(df.iloc[:0]),
    }


@pytest.mark.parametrize("language", ["en", "es"])
def test_plotly_validation_accepts_every_figure_and_changes_nothing(language, monkeypatch):
    """Figures are built without Plotly's validation at run time (it costs 5-10 ms a
    figure on every rerun). Here every builder is built both ways: validation must
    raise nothing, and what plotly.js receives must be the same."""
    assert figures.VALIDATE is False  # the run-time setting, which the other tests exercise
    fast = {k: _json_of(f) for k, f in _every_figure(language).items()}
    monkeypatch.setattr(figures, "VALIDATE", True)
    checked = {k: _json_of(f) for k, f in _every_figure(language).items()}
    assert fast.keys() == checked.keys()
    for name in fast:
        assert fast[name] == checked[name], name
    assert len(fast["timeline_by_sector"]["data"]) >= 1 and fast["burnup"]["data"]


def test_nanosecond_dates_reach_plotly_as_dates(df):
    """A frame with nanosecond dates draws its bars from dates, not from integers
    (which plotly.js would read as milliseconds since 1970)."""
    ns = df.assign(start_date=df["start_date"].astype("datetime64[ns]"))
    base = timeline.timeline(ns, TODAY).to_plotly_json()["data"][0]["base"]
    assert not any(isinstance(b, (int, np.integer)) for b in base)
    assert {pd.Timestamp(b).year for b in base} <= {2025, 2026}
