"""At scale (20k synthetic rows from bench/gen.py), no browser: what large data
changes must still hold, and the vectorised paths agree with plain Python."""

from __future__ import annotations

import sys
from datetime import date

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, shown

sys.path.insert(0, str(ROOT))

from bench import gen  # noqa: E402
from cmap_tracker import dataset, figures, loader, themes, timeline
from cmap_tracker import themes as theme_rules
from cmap_tracker.filters import Filters  # noqa: E402
from cmap_tracker.plan import bundled
from cmap_tracker.vocab import fold  # noqa: E402

PLAN_END = bundled().end.isoformat()  # type: ignore[union-attr]

ROWS = 20_000
TEXT = ["id", "title", "title_fr", "title_es", "description", "description_fr", "description_es"]


@pytest.fixture(scope="module")
def ds():
    result = loader.load(gen.csv_bytes(ROWS), name="synthetic")
    assert result.ok and len(result.frame) == ROWS and not result.issues
    return dataset.build(result)


def test_the_generator_follows_the_contract(ds):
    df = ds.frame
    assert df["id"].is_unique
    assert 20 <= df["sector"].nunique() <= 30
    assert set(df["pillar"].astype(str)) == {"prosperity", "mobility", "security", "environment"}
    per_row = df["themes"].str.count(";") + 1
    assert per_row.between(1, 3).all()
    assert df["end_date"].isna().mean() > 0.1 and df["milestone"].sum() > 0
    assert df["start_date"].min() >= pd.Timestamp("2025-09-01")
    assert df["start_date"].max() <= pd.Timestamp("2028-09-30")


def test_timeline_draws_one_bar_per_sector_past_the_limit(ds):
    df = ds.frame
    assert len(df) > figures.GANTT_MAX_BARS
    fig = timeline.timeline(df, date(2026, 11, 25))
    bars = [tr for tr in fig.data if tr.type == "bar"]
    labels = [y for tr in bars for y in tr.y]
    assert len(labels) == df.groupby(["pillar", "sector"], observed=True).ngroups == df["sector"].nunique()
    assert len(labels) <= figures.GANTT_MAX_BARS
    assert {row[0] for tr in bars for row in tr.customdata} == {"sector"}
    counts = df["sector"].value_counts()
    drawn = {row[1]: int(row[4]) for tr in bars for row in tr.customdata}
    assert drawn == counts.to_dict()  # each bar carries its sector's row count
    # each bar spans its sector: earliest start to latest end (the plan's end when open-ended)
    end = df["end_date"].fillna(pd.Timestamp(PLAN_END))
    for tr in bars:
        for base, ms, row in zip(tr.base, tr.x, tr.customdata):
            rows = df["sector"] == row[1]
            assert pd.Timestamp(base) == df.loc[rows, "start_date"].min(), row[1]
            assert pd.Timestamp(base) + pd.Timedelta(milliseconds=ms) == end[rows].max(), row[1]


@pytest.mark.parametrize(
    "themes", [("ip",), ("energy", "climate"), ("critical_minerals", "health", "culture"), ("no_such_theme",)]
)
def test_theme_filter_matches_a_naive_per_row_check(ds, themes):
    naive = np.array([any(t in str(v).split(";") for t in themes) for v in ds.frame["themes"]])
    f = Filters(theme=themes)
    assert (f.mask(ds) == naive).all()
    assert f.apply(ds)["id"].tolist() == ds.frame.loc[naive, "id"].tolist()


def test_combined_filters_match_a_naive_check(ds):
    f = Filters(
        pillar=("security", "environment"),
        status=("planned", "delayed"),
        theme=("climate",),
        date_from=date(2026, 6, 1),
        date_to=date(2027, 6, 30),
    )
    df = ds.frame
    end = ds.span_end
    naive = [
        (
            p in f.pillar
            and s in f.status
            and "climate" in t.split(";")
            and st <= pd.Timestamp(f.date_to)
            and e >= pd.Timestamp(f.date_from)
        )
        for p, s, t, st, e in zip(df["pillar"], df["status"], df["themes"], df["start_date"], end)
    ]
    assert (f.mask(ds) == np.array(naive)).all()


@pytest.mark.parametrize("themes", [("ip",), ("energy", "climate"), ("no_such_theme",)])
def test_rows_with_the_chosen_themes_match_a_naive_check_within_the_filtered_rows(ds, themes):
    df = Filters(pillar=("security", "prosperity"), status=("planned", "in_progress")).apply(ds)
    got = theme_rules.with_themes(ds, df, themes)
    naive = np.array([any(t in str(v).split(";") for t in themes) for v in df["themes"]], dtype=bool)
    assert got["id"].tolist() == df.loc[naive, "id"].tolist()  # same rows, same order
    assert got.index.tolist() == df.index[naive].tolist()  # still rows of ds.frame


def test_the_view_s_text_columns_are_one_arrow_chunk_shared_with_the_frame(ds):
    """Rows are taken from the view on every filter change: from one Arrow chunk
    that is about twice as fast as from the pieces the file was read in. The frame
    holds those columns so, and the view shares them (no second copy)."""

    def arrow(s):
        return s.array.__arrow_array__()

    source = loader.load(gen.csv_bytes(ROWS), name="synthetic").frame
    assert arrow(source["title"]).num_chunks > 1  # as read
    for c in ("id", "title"):
        assert arrow(ds.view[c]).num_chunks == 1
        assert arrow(ds.view[c]).chunk(0).buffers()[2].address == arrow(ds.frame[c]).chunk(0).buffers()[2].address
        assert ds.view[c].dtype == source[c].dtype
        assert ds.view[c].tolist() == source[c].tolist()
    assert arrow(ds.frame["description"]).num_chunks > 1  # columns no page takes rows from are left as read


def test_unfiltered_view_is_the_shared_frame_not_a_copy(ds):
    assert Filters().apply(ds) is ds.view
    assert Filters().apply(ds, whole=True) is ds.frame
    assert ds.view is ds.view  # built once
    whole = Filters(pillar=("security",)).apply(ds, whole=True)
    assert list(whole.columns) == list(ds.frame.columns)  # exports get every column
    assert whole["id"].tolist() == Filters(pillar=("security",)).apply(ds)["id"].tolist()
    assert Filters(q="   ").is_empty() is False  # a blank search is a filter value, but matches all rows
    assert len(Filters(q="   ").apply(ds)) == ROWS


def test_search_text_equals_fold_of_the_joined_row(ds):
    cols = [c for c in TEXT if c in ds.frame]
    joined = [" ".join(v) for v in zip(*(ds.frame[c].fillna("").tolist() for c in cols))]
    assert ds.search.tolist() == [fold(j) for j in joined]
    assert ds.search.dtype == pd.Series(["x"]).astype(str).dtype


def test_search_finds_accented_text_without_accents(ds):
    hits = Filters(q="cooperacion tecnica").apply(ds)
    assert len(hits) and hits["title"].str.contains("Cooperación técnica").all()


@pytest.mark.parametrize(
    "queries",
    [
        ("Cooperación técnica", "cooperacion tecnica", "COOPERACIÓN   TÉCNICA", "cooperacion-tecnica"),
        ("Coopération renforcée", "cooperation renforcee", "Coope\u0301ration  renforce\u0301e"),
        ("Canada–Mexico forum", "canada mexico forum", "CANADA - MEXICO\tFORUM"),
    ],
)
def test_a_query_with_or_without_accents_case_or_punctuation_finds_the_same_rows(ds, queries):
    masks = [Filters(q=q).mask(ds) for q in queries]
    assert masks[0].any() and not masks[0].all()
    for q, m in zip(queries[1:], masks[1:]):
        assert (m == masks[0]).all(), q


TRICKY = {  # row text: queries that must find it
    "ﬁnancial ﬂows": ("financial flows", "FINANCIAL", "ﬁnancial"),
    "Straße": ("straße", "STRAẞE"),
    "İstanbul office": ("istanbul", "İSTANBUL OFFICE"),
    "e\u0301cole du cafe\u0301": ("école du café", "ecole du cafe"),  # combining marks vs precomposed
    "😀 ok 👍🏽 team": ("ok team", "ok 👍 team"),
    "non\u00a0breaking\u2007space": ("non breaking space",),
    "tab\there\nnew\r\nline": ("tab here new line",),
    "ＦＵＬＬ ｗｉｄｔｈ １２３": ("full width 123",),
    "Σίσυφος 中文 report": ("report", "σισυφος report"),
}


def _tricky_frame() -> pd.DataFrame:
    texts = list(TRICKY)
    df = pd.DataFrame(
        {"id": [f"T-{i}" for i in range(len(texts))], "title": texts, "description": list(reversed(texts))}, dtype="str"
    )
    df.loc[0, "description"] = None
    return df


def test_search_index_of_odd_text_is_vocab_fold_of_the_joined_row():
    df = _tricky_frame()
    want = [fold(" ".join(v)) for v in zip(df["id"], df["title"], df["description"].fillna(""))]
    assert dataset.search_index(df).tolist() == want


@pytest.mark.parametrize("text", list(TRICKY))
def test_odd_text_is_found_by_its_plain_spelling(text):
    index = dataset.search_index(_tricky_frame())
    row = list(TRICKY).index(text)
    for q in TRICKY[text]:
        assert index.iloc[row].find(dataset.search_key(q)) >= 0, q


def test_search_index_of_empty_values():
    df = pd.DataFrame({"id": ["", "  ", "-x-"], "title": ["", "a  b", None]}, dtype="str")
    assert dataset.search_index(df).tolist() == ["", "a b", "x"]
    assert dataset.search_index(df.iloc[:0]).tolist() == []


def test_theme_index_matches_a_python_explode(ds):
    frame = ds.frame
    want = frame["themes"].str.split(";").explode()
    want = want[want.notna() & (want != "")]
    got = themes.theme_index(frame)
    assert got["row"].tolist() == want.index.tolist()
    assert got["theme"].tolist() == want.tolist()


# ------------------------------------------------------------ lazy search index


def test_search_index_is_built_on_first_use_and_shared_under_concurrent_access():
    """Sessions share one Dataset: the first text query builds the index, and every
    thread asking meanwhile gets that same Series."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    result = loader.load(gen.csv_bytes(6_000), name="synthetic")
    ds = dataset.build(result)
    assert not ds.search_ready
    barrier = threading.Barrier(8)

    def read(_):
        barrier.wait()
        return ds.search

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(read, range(8)))
    assert all(g is got[0] for g in got) and ds.search_ready
    pd.testing.assert_series_equal(got[0], dataset.search_index(result.frame))
    assert Filters(q="cooperacion tecnica").apply(ds)["title"].str.contains("Cooperación técnica").all()


def test_dataset_stays_read_only_and_keeps_its_constructor(ds):
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.themes = None
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.search = None
    given = dataset.Dataset(ds.result, ds.themes, ds.search, ds.span_end)
    assert given.search_ready and given.search is ds.search
    assert dataset.Dataset(ds.result, ds.themes).span_end.equals(ds.span_end)


def test_values_kept_for_a_dataset_do_not_keep_it_alive(ds):
    import gc
    import weakref

    other = dataset.Dataset(ds.result, ds.themes)
    assert other.view is other.view and other.sectors == ds.sectors and other.as_of == ds.as_of
    assert other.theme_slugs == ds.theme_slugs
    gone = weakref.ref(other)
    del other
    gc.collect()
    assert gone() is None


def _app_on_a_big_file(page: str, tmp_path, monkeypatch):
    """AppTest of ``page`` with DASHBOARD_DATA naming a file of ROWS synthetic rows, after its first run."""
    from streamlit.testing.v1 import AppTest

    path = tmp_path / "big.csv"
    path.write_bytes(gen.csv_bytes(ROWS))
    monkeypatch.setenv("DASHBOARD_DATA", str(path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception
    return at, path


def test_a_long_list_below_the_charts_is_built_when_opened(tmp_path, monkeypatch):
    """Themes at 20k rows: the charts draw at once; the list of thousands of initiatives
    under them is an expander that builds its table when opened, not on every rerun."""
    from cmap_tracker import app

    at, _path = _app_on_a_big_file("themes", tmp_path, monkeypatch)
    assert len(at.get("plotly_chart")) == 3 and not at.dataframe
    box = next(e for e in at.expander if e.label.startswith("Show the "))
    n = int(shown(box.label).split()[2].replace(",", ""))
    assert n > app.LAZY_ROWS
    at.session_state["theme_table__rows"] = True  # what opening it does
    at.run()
    assert not at.exception
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == n


def test_an_initiative_in_a_table_too_long_to_select_opens_by_its_id(tmp_path, monkeypatch):
    """Streamlit cannot select rows of a table that streams them (above LAZY_ROWS), so
    the Explorer offers a box to open one by its id: its detail card, and ?id= in the link."""
    at, path = _app_on_a_big_file("explorer", tmp_path, monkeypatch)
    wanted = str(pd.read_csv(path, usecols=["id"], nrows=12_345)["id"].iloc[-1])
    at.text_input(key="explorer__open").set_value("no-such-id").run()
    assert any("No initiative in view has the id" in c.value for c in at.caption)
    assert not at.query_params.get("id")
    at.text_input(key="explorer__open").set_value(f" {wanted} ").run()
    assert not at.exception
    assert any(shown(h.value).startswith(f"{wanted} · ") for h in at.header)  # the detail card
    assert at.query_params.get("id") in (wanted, [wanted])
    assert not any("No initiative in view has the id" in c.value for c in at.caption)


def test_an_id_typed_while_filtered_out_opens_once_it_is_in_view(tmp_path, monkeypatch):
    at, path = _app_on_a_big_file("explorer", tmp_path, monkeypatch)
    rows = pd.read_csv(path, usecols=["id", "pillar"])
    other = str(rows.loc[rows["pillar"] != "prosperity", "id"].iloc[7])
    at.sidebar.multiselect(key="w_pillar").set_value(["prosperity"]).run()  # still thousands of rows
    at.text_input(key="explorer__open").set_value(other).run()
    assert any("No initiative in view has the id" in c.value for c in at.caption)
    assert not any(h.value.startswith(f"{other} · ") for h in at.header)
    at.sidebar.multiselect(key="w_pillar").set_value([]).run()
    assert not any("No initiative in view has the id" in c.value for c in at.caption)
    assert any(shown(h.value).startswith(f"{other} · ") for h in at.header)
