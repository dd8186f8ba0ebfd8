"""A plan declared in a file (data/plan.toml, DASHBOARD_PLAN), and pillars declared by a file's own values."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from cmap_tracker import i18n, labels, loader, plan, report
from conftest import ROOT, csv_bytes, good, run, shown

PLAN_2023 = ROOT / "data" / "plans" / "canada-mexico-2023"
NINE_FR_ES = ["Tourisme, migration et mobilité humaine", "Turismo, migración y movilidad humana"]
NINE = [
    "Reconciliation with Indigenous Peoples",
    "Gender equality and women's empowerment",
    "Trade and investment",
    "Anti-racism",
    "Youth engagement",
    "Peace and security",
    "Tourism, migration and human mobility",
    "Environment and climate change",
    "Cooperation in the face of future health crises",
]


PILLAR = "[plan]\nname = 'x'\n[[pillars]]\nslug = 'a'\nlabel = 'A'\n"


def load(data: bytes, **kw) -> report.LoadResult:
    result = loader.load(data, **kw)
    assert len(result.frame) + result.rejected_rows == result.rows_in_file  # nothing is lost
    return result


# ------------------------------------------------------------------ the bundled plan


def test_the_bundled_plan_declares_what_the_dashboard_showed_before():
    p = plan.bundled()
    assert p.pillars.slugs == ["prosperity", "mobility", "security", "environment"]
    assert (p.start, p.end) == (date(2025, 9, 18), date(2028, 9, 30))
    assert {k.when.isoformat() for k in p.key_dates} == {"2026-07-01", "2026-06-11"}
    assert len(p.facts) == 5 and all(f.url.startswith("https://") for f in p.facts)
    i18n.set_language("fr")
    try:
        assert p.title() == "Plan d'action Canada-Mexique 2025-2028"
        assert labels.pillar("mobility") == "Mobilité, inclusion et bien-être"
    finally:
        i18n.set_language("en")


def test_every_plan_text_is_in_three_languages():
    p = plan.bundled()
    texts = [p.name, p.description, *p.pillar_labels.values(), *(k.label for k in p.key_dates)]
    texts += [f.label for f in p.facts] + [f.source for f in p.facts]
    assert all(set(t) == {"en", "fr", "es"} for t in texts)


# ------------------------------------------------------------------ plan files


@pytest.mark.parametrize(
    "text, says",
    [
        ("[plan\nname = 'x'", "not valid TOML"),
        ("[plan]\nname = 'x'\n", "1 to 30 pillars"),
        ("[plan]\nname = 'x'\n[[pillars]]\nslug = 'Bad Slug'\nlabel = 'B'\n", "must be lower-case letters"),
        ("[plan]\nname = 'x'\nsource = 'javascript:alert(1)'\n[[pillars]]\nslug = 'a'\nlabel = 'A'\n", "http(s) link"),
        ("[plan]\nname = {de = 'x'}\n[[pillars]]\nslug = 'a'\nlabel = 'A'\n", "en, fr and es"),
        ("[plan]\nname = 'x'\n[[pillars]]\nslug = 'a'\nlabel = 'A'\ncolor = 'red; x'\n", "#RRGGBB"),
        ("[plan]\nname = 'x'\n[[pillars]]\nslug = 'a'\nlabel = 'A'\ncolour = '#000000'\n", "unknown key colour"),
        ("[plan]\nname = 'x'\n" + "[[pillars]]\nslug = 'a'\nlabel = 'A'\n" * 2, "not used twice"),
        ("[plan]\nname = 'x'\n" + "".join(f"[[pillars]]\nslug = 'p{i}'\nlabel = 'P'\n" for i in range(31)), "1 to 30"),
        ("[plan]\nname = 'x'\nstart = 2026-01-01\nend = 2025-01-01\n[[pillars]]\nslug = 'a'\nlabel = 'A'\n", "before"),
        ("[plan]\nname = 'x'\nstart = 2026-01-01T10:00:00\n[[pillars]]\nslug = 'a'\nlabel = 'A'\n", "YYYY-MM-DD"),
        (
            PILLAR + "[[facts]]\nunit = 'count'\nvalue = nan\nlabel = 'L'\nsource = 'S'\nurl = 'https://e.org'\n",
            "number",
        ),
        (
            PILLAR + "[[facts]]\nunit = 'count'\nvalue = true\nlabel = 'L'\nsource = 'S'\nurl = 'https://e.org'\n",
            "number",
        ),
        ("[plan]\nname = 'x'\nv = " + "[" * 100_000 + "]" * 100_000 + "\n", "not valid TOML"),
    ],
)
def test_a_bad_plan_file_is_refused_with_its_reason_and_no_traceback(tmp_path, text, says):
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    result = loader.load(csv_bytes(good()), plan=str(path))
    assert not result.ok and result.fatal is not None
    assert says in result.fatal.text()


def test_the_2023_plan_loads_its_nine_pillars_from_its_plan_file():
    result = load((PLAN_2023 / "initiatives.csv").read_bytes(), plan=str(PLAN_2023 / "plan.toml"))
    assert result.rejected_rows == 0 and len(result.frame) == result.rows_in_file == 13
    assert result.plan is not None
    assert [result.plan.pillar_label(s) for s in result.plan.pillars.slugs] == NINE
    assert set(result.frame["pillar"].astype(str)) == set(result.plan.pillars.slugs)


def test_the_2023_csv_without_its_plan_declares_its_own_nine_pillars():
    result = load((PLAN_2023 / "initiatives.csv").read_bytes(), name="plan-2023.csv", open_pillars=True)
    assert result.rejected_rows == 0 and len(result.frame) == 13
    assert result.plan is not None and not result.plan.declared
    assert [result.plan.pillar_label(s) for s in result.plan.pillars.slugs] == NINE
    assert result.plan.title() == "plan-2023.csv"


# ------------------------------------------------------------------ pillars declared by the data


def test_a_file_mostly_of_the_plans_pillars_is_checked_against_the_plan():
    """A typo is reported, not turned into a fifth pillar."""
    rows = [good(f"A-{k}", pillar="security") for k in range(3)] + [good("A-9", pillar="Securty")]
    result = load(csv_bytes(*rows), open_pillars=True)
    assert result.plan is plan.bundled()
    assert result.rejected_rows == 1 and "'Securty' is not a known pillar" in result.issues[0].text()


def test_a_files_own_pillars_are_its_values_in_file_order_with_slugs_for_links():
    rows = [good("A-1", pillar="Parks"), good("A-2", pillar="Facility Improvement"), good("A-3", pillar=" parks ")]
    result = load(csv_bytes(*rows), open_pillars=True)
    assert result.rejected_rows == 0
    assert result.plan is not None
    assert result.plan.pillars.slugs == ["parks", "facility_improvement"]
    assert list(result.frame["pillar"].astype(str)) == ["parks", "facility_improvement", "parks"]
    assert len(set(result.plan.colors().values())) == 2


def test_a_files_own_pillars_are_never_merged_silently():
    """Values with no Latin letter, or that differ only past the slug's length, stay apart."""
    long = "Cross-border infrastructure and logistics investments along the trade corridors "
    values = ["日本", "中国", long + "North", long + "South", "Parks", "parks"]
    result = load(csv_bytes(*(good(f"A-{k}", pillar=v) for k, v in enumerate(values))), open_pillars=True)
    assert result.rejected_rows == 0 and result.plan is not None
    slugs = result.plan.pillars.slugs
    assert len(slugs) == 5 and len(set(slugs)) == 5
    labels_of = [result.plan.pillar_label(s) for s in result.frame["pillar"].astype(str)]
    assert labels_of == ["日本", "中国", long + "North", long + "South", "Parks", "Parks"]


def test_a_label_with_a_comma_reads_back_in_every_language(tmp_path):
    """'Tourisme, migration et mobilité humaine' is one name, not two aliases."""
    rows = [good(f"A-{k}", pillar=f'"{v}"') for k, v in enumerate(NINE_FR_ES)]  # quoted: it has a comma
    result = load(csv_bytes(*rows), plan=str(PLAN_2023 / "plan.toml"))
    assert result.rejected_rows == 0
    assert set(result.frame["pillar"].astype(str)) == {"mobility"}


def test_a_file_with_too_many_pillar_values_keeps_the_most_frequent_and_reports_the_rest():
    rows = [good(f"A-{k}", pillar=f"group {k % 40}") for k in range(400)]
    rows += [good(f"B-{k}", pillar="group 0") for k in range(5)]
    result = load(csv_bytes(*rows), open_pillars=True)
    assert result.plan is not None and len(result.plan.pillars.slugs) == plan.MAX_PILLARS
    assert "group_0" in result.plan.pillars.slugs
    assert result.rejected_rows == 400 - 10 * plan.MAX_PILLARS
    assert all(i.column == "pillar" and i.line is not None for i in result.issues)


# ------------------------------------------------------------------ the dashboard on another plan


def test_the_dashboard_serves_another_plan_from_DASHBOARD_PLAN(monkeypatch):
    monkeypatch.setenv("DASHBOARD_PLAN", str(PLAN_2023 / "plan.toml"))
    monkeypatch.setenv("DASHBOARD_DATA", str(PLAN_2023 / "initiatives.csv"))
    at = run("overview", pillar=["anti_racism"])
    assert not at.exception, at.exception
    assert shown(at.title[0].value) == "Canada–Mexico Action Plan (2023)"
    pillar = next(w for w in at.sidebar.multiselect if w.label == "Pillar")
    assert pillar.options == NINE and pillar.value == ["anti_racism"]
    assert any("Anti-racism · 3 of 13 initiatives" in shown(m.value) for m in at.markdown)
    at = run("overview", lang="es")
    assert shown(at.title[0].value) == "Plan de Acción Canadá-México (2023)"
    assert next(w for w in at.sidebar.multiselect if w.label == "Pilar").options[3] == "Lucha contra el racismo"


def test_an_external_file_without_a_plan_shows_its_own_pillars_in_every_chart(monkeypatch):
    monkeypatch.setenv("DASHBOARD_DATA", str(PLAN_2023 / "initiatives.csv"))
    at = run("status")
    assert not at.exception, at.exception
    pillar = next(w for w in at.sidebar.multiselect if w.label == "Pillar")
    assert pillar.options == NINE
    by_pillar = json.loads(at.get("plotly_chart")[1].proto.spec)["data"][0]  # completion by pillar
    assert [kind for kind, _slug in by_pillar["customdata"]] == ["pillar"] * 9
    assert len(set(by_pillar["marker"]["color"])) == 9


def test_a_bad_plan_file_on_the_server_shows_its_reason_on_every_page_not_a_traceback(tmp_path, monkeypatch):
    bad = tmp_path / "plan.toml"
    bad.write_text(PILLAR + "[[pillars]]\nslug = 'a'\nlabel = 'A again'\n", encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_PLAN", str(bad))
    for page in ("overview", "timeline", "changes", "data"):
        at = run(page)
        assert not at.exception, (page, at.exception)
        assert "could not be used" in at.error[0].value
        assert "not used twice" in shown(" ".join(m.value for m in at.markdown))


def test_a_files_own_pillars_show_no_empty_about_the_plan_box(monkeypatch):
    monkeypatch.setenv("DASHBOARD_DATA", str(PLAN_2023 / "initiatives.csv"))
    at = run("overview")
    assert not at.exception, at.exception
    assert "About the plan" not in [h.value for h in at.header]
    monkeypatch.setenv("DASHBOARD_PLAN", str(PLAN_2023 / "plan.toml"))
    assert "About the plan" in [h.value for h in run("overview").header]


def test_the_timeline_spans_the_plan_from_its_start(tmp_path):
    from cmap_tracker import timeline

    path = tmp_path / "plan.toml"
    path.write_text(PILLAR.replace("name = 'x'", "name = 'x'\nstart = 2020-01-01\nend = 2030-12-31"), encoding="utf-8")
    result = load(csv_bytes(good(pillar="a", start_date="2026-01-15")), plan=str(path))
    assert result.plan is not None and len(result.frame) == 1
    plan.use(result.plan)
    try:
        lo, hi = (pd.Timestamp(x) for x in timeline.timeline(result.frame, date(2026, 11, 27)).layout.xaxis.range)
    finally:
        plan.use(plan.bundled())
    assert lo < pd.Timestamp("2020-01-01") and hi > pd.Timestamp("2030-12-31")
