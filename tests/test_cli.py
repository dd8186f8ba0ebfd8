"""The maintainer's command line, run as a maintainer runs it (``python -m cmap_tracker`` in a
subprocess, in a scratch folder): ``check``, ``snapshot`` and its refusals, ``diff``, and the Atom
feed that ``snapshot`` writes, checked against the snapshots' own ``changes.Diff``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit
from urllib.request import urlopen

import feedparser
import pytest
from test_mapping import world_bank_file

from cmap_tracker import changes, feed, snapshots
from conftest import ROOT, run

HEADER = "id,title,pillar,sector,status,start_date,end_date,source_url,source_note"
BASE = "https://tracker.example.org/cmap/"
ATOM = "{http://www.w3.org/2005/Atom}"
PLAN_2023 = ROOT / "data" / "plans" / "canada-mexico-2023" / "plan.toml"


def row(ident: str, status: str = "planned", end: str = "", title: str = "Title", note: str = "") -> str:
    return f"{ident},{title},security,Policing,{status},2025-09-18,{end},https://example.org/s,{note}"


def csv(path: Path, *rows: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def cli(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "DASHBOARD_URL"} | (env or {})
    environ["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "cmap_tracker", *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A scratch folder with two snapshots and a data file edited since the newest."""
    csv(tmp_path / "snaps" / "2026-01-01.csv", row("A-1", end="2026-03-31"), row("A-2"), row("A-3", "ongoing"))
    csv(
        tmp_path / "snaps" / "2026-02-01.csv",
        row("A-1", "in_progress", end="2026-06-30"),
        row("A-2", "completed"),
        row("A-3", "ongoing"),
        row("A-4", "completed"),
    )
    csv(
        tmp_path / "initiatives.csv",
        row("A-1", "delayed", end="2026-09-30"),
        row("A-2", "completed"),
        row("A-3", "cancelled", note="Dropped per a 2026-02-20 release"),
        row("A-4", "completed"),
        row("A-5", title="New <b>&amp; “quoted”</b>"),
    )
    return tmp_path


def snapshot(repo: Path, *extra: str, data: str = "initiatives.csv", **kw) -> subprocess.CompletedProcess:
    return cli(repo, "snapshot", "--data", data, "--dir", "snaps", "--feed", "static/feed.xml", *extra, **kw)


# ----------------------------------------------------------------------- check


def test_check_a_clean_file_prints_its_counts_and_exits_0(repo):
    done = cli(repo, "check", "initiatives.csv")
    assert done.returncode == 0, done.stderr
    assert "5 rows in the file, 5 valid, 0 rejected, 0 corrected" in done.stdout


def test_check_lists_each_rejected_and_corrected_row_and_exits_1(repo):
    csv(repo / "bad.csv", row("A-1"), row("A-1"), row("B-2", status="bogus"), row("B-3").replace("2025-09-18", "2025"))
    done = cli(repo, "check", "bad.csv")
    assert done.returncode == 1
    out = done.stdout
    assert "4 rows in the file, 2 valid, 2 rejected, 1 corrected" in out
    assert "line 3, column id: rejected:" in out and "A-1" in out.split("line 3, column id:")[1].splitlines()[0]
    assert "line 4, column status: rejected:" in out
    assert "line 5, column start_date: corrected:" in out


def test_check_json_is_the_same_report_for_machines(repo):
    csv(repo / "bad.csv", row("A-1"), row("B-2", status="bogus"))
    done = cli(repo, "check", "bad.csv", "--format", "json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert (report["rows_in_file"], report["valid_rows"], report["rejected_rows"]) == (2, 1, 1)
    [issue] = report["issues"]
    assert (issue["line"], issue["column"], issue["outcome"], issue["value"]) == (3, "status", "rejected", "bogus")
    assert "bogus" in issue["reason"]
    [reason] = report["by_reason"]
    assert (reason["outcome"], reason["column"], reason["rows"]) == ("rejected", "status", 1)
    assert "is not a known status" in reason["reason"]


@pytest.mark.parametrize("content", [None, b"", b"id,title\nA-1,x\n"], ids=["missing", "empty", "no required columns"])
def test_check_exits_2_for_a_file_that_cannot_be_read(repo, content):
    if content is not None:
        (repo / "x.csv").write_bytes(content)
    done = cli(repo, "check", "x.csv", "--format", "json")
    assert done.returncode == 2
    report = json.loads(done.stdout)
    assert report["readable"] is False and report["fatal"]


def test_every_command_has_help_with_its_exit_codes(repo):
    for command in ("check", "snapshot", "diff", "feed"):
        done = cli(repo, command, "--help")
        assert done.returncode == 0 and "usage: python -m cmap_tracker " + command in done.stdout
        assert "exit codes" in done.stdout


def test_check_reads_a_file_of_another_shape_as_the_dashboard_does_and_says_how(repo):
    """The guessed mapping, the file's own pillars (here the default, one 'Unassigned'), the mapping first."""
    (repo / "wb.csv").write_bytes(world_bank_file())
    done = cli(repo, "check", "wb.csv")
    assert done.returncode == 1, done.stderr  # lines 12 and 41 have no approval date
    lines = done.stdout.splitlines()
    assert lines[0] == "mapping applied (contract column <- file column, constant or default):"
    assert "  title <- column 'Project Name'" in lines and "  id <- column 'Project Id'" in lines
    assert "  pillar <- default: 'Unassigned'" in lines
    assert "wb.csv: 60 rows in the file, 58 valid, 2 rejected" in done.stdout
    report = json.loads(cli(repo, "check", "wb.csv", "--format", "json").stdout)
    assert report["mapping"]["columns"]["start_date"] == {"column": "Board Approval Date"}
    assert report["mapping"]["columns"]["pillar"] == {"default": True}


def test_check_applies_a_mapping_file(repo):
    (repo / "wb.csv").write_bytes(world_bank_file())
    (repo / "wb.toml").write_text('[columns]\npillar = { constant = "World Bank" }\n', encoding="utf-8")
    report = json.loads(cli(repo, "check", "wb.csv", "--mapping", "wb.toml", "--format", "json").stdout)
    assert report["mapping"]["columns"]["pillar"] == {"constant": "World Bank"}
    assert report["mapping"]["columns"]["title"] == {"column": "Project Name"}  # guessed
    assert (report["valid_rows"], report["rejected_rows"]) == (58, 2)
    bad = cli(repo, "check", "wb.csv", "--mapping", "missing.toml", "--format", "json")
    assert bad.returncode == 2 and "The mapping file missing.toml does not exist" in json.loads(bad.stdout)["fatal"]


def test_check_reads_another_plans_file_with_or_without_its_plan(repo):
    data = str(PLAN_2023.parent / "initiatives.csv")
    for extra in ((), ("--plan", str(PLAN_2023))):
        done = cli(repo, "check", data, *extra, "--format", "json")
        assert done.returncode == 0, done.stdout
        assert json.loads(done.stdout)["rejected_rows"] == 0 and json.loads(done.stdout)["mapping"] is None


def test_check_holds_a_file_of_the_bundled_plan_to_its_pillars(repo):
    csv(repo / "typo.csv", row("A-1"), row("A-2"), row("A-3").replace(",security,", ",securty,"))
    done = cli(repo, "check", "typo.csv")
    assert done.returncode == 1 and "line 4, column pillar: rejected:" in done.stdout


def test_check_says_a_directory_is_one(repo):
    done = cli(repo, "check", "snaps", "--format", "json")
    assert done.returncode == 2
    assert json.loads(done.stdout)["fatal"] == "snaps is a directory, not a file."


# -------------------------------------------------------------------- snapshot


def test_snapshot_refuses_a_file_with_rejected_rows(repo):
    csv(repo / "bad.csv", row("A-1"), row("A-2"), row("A-3"), row("A-4"), row("A-5", status="bogus"))
    done = snapshot(repo, "--date", "2026-03-01", "--base-url", BASE, data="bad.csv")
    assert done.returncode == 1
    assert "snapshot refused" in done.stderr and "bad.csv has 1 rejected row(s)" in done.stderr
    assert snapshots.list_snapshots(repo / "snaps") == ["2026-01-01", "2026-02-01"]


@pytest.mark.parametrize("when", ["2026-02-01", "2026-01-15"])
def test_snapshot_refuses_a_date_not_after_the_newest(repo, when):
    done = snapshot(repo, "--date", when, "--base-url", BASE)
    assert done.returncode == 1
    assert f"{when} is not after the newest snapshot, 2026-02-01." in done.stderr
    assert (repo / "snaps" / "2026-02-01.csv").read_text().count("\n") == 5  # untouched


def test_snapshot_refuses_when_an_id_of_the_newest_snapshot_is_gone(repo):
    csv(repo / "gone.csv", row("A-1"), row("A-3"), row("A-5"))
    done = snapshot(repo, "--date", "2026-03-01", "--base-url", BASE, data="gone.csv")
    assert done.returncode == 1
    assert "2 id(s) of snapshot 2026-02-01 are gone from gone.csv: A-2, A-4." in done.stderr
    assert "cancelled" in done.stderr
    assert not (repo / "snaps" / "2026-03-01.csv").exists()


def test_snapshot_refuses_an_address_that_is_not_http_and_says_every_reason(repo):
    done = snapshot(repo, "--date", "2026-01-20", "--base-url", "javascript:alert(1)")
    assert done.returncode == 1
    assert "not after the newest snapshot" in done.stderr and "must be an http(s) URL" in done.stderr
    assert not (repo / "static").exists()


def test_snapshot_freezes_the_file_byte_for_byte_and_writes_the_feed(repo):
    done = snapshot(repo, "--date", "2026-03-01", env={"DASHBOARD_URL": BASE})
    assert done.returncode == 0, done.stderr
    assert (repo / "snaps" / "2026-03-01.csv").read_bytes() == (repo / "initiatives.csv").read_bytes()
    assert (repo / "static" / "feed.xml").is_file()
    again = snapshot(repo, "--date", "2026-03-01", "--base-url", BASE)
    assert again.returncode == 1 and "not after the newest snapshot, 2026-03-01" in again.stderr


# ------------------------------------------------------------------------ diff


def test_diff_prints_what_the_what_changed_page_counts(repo):
    done = cli(repo, "diff", "2026-01-01", "2026-02-01", "--dir", "snaps", "--format", "json")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    d = changes.diff(*(snapshots.load_snapshot(x, repo / "snaps") for x in ("2026-01-01", "2026-02-01")))
    assert (
        got["counts"]
        == changes.diff_summary(d)
        == dict(added=1, removed=0, completed=2, delayed=0, slipped=1, changed=2)
    )
    assert [r["id"] for r in got["added"]] == d.added["id"].tolist() == ["A-4"]
    assert {(r["id"], r["before"], r["after"]) for r in got["status_flow"]} == {
        ("A-1", "planned", "in_progress"),
        ("A-2", "planned", "completed"),
    }
    assert got["slippage"] == [
        {"id": "A-1", "title": "Title", "before_end": "2026-03-31", "after_end": "2026-06-30", "days": 91}
    ]
    text = cli(repo, "diff", "2026-01-01", "2026-02-01", "--dir", "snaps").stdout
    assert text.splitlines()[0] == (
        "From 2026-01-01 to 2026-02-01: 1 added, 0 removed, 2 completed, 0 delayed, 1 slipped, 2 changed."
    )
    assert "slipped: A-1 Title: 2026-03-31 -> 2026-06-30 (+91 days)" in text


def test_diff_until_defaults_to_the_data_file_and_refuses_unknown_dates(repo):
    done = cli(repo, "diff", "2026-02-01", "--dir", "snaps", "--data", "initiatives.csv", "--format", "json")
    got = json.loads(done.stdout)
    assert got["until"] == "initiatives.csv"
    assert got["counts"] == dict(added=1, removed=0, completed=0, delayed=1, slipped=1, changed=2)
    missing = cli(repo, "diff", "2026-01-02", "--dir", "snaps")
    assert missing.returncode == 2 and "no snapshot dated 2026-01-02" in missing.stderr
    assert "2026-01-01, 2026-02-01" in missing.stderr
    backwards = cli(repo, "diff", "2026-02-01", "2026-01-01", "--dir", "snaps")
    assert backwards.returncode == 2 and "SINCE must be earlier than UNTIL" in backwards.stderr


def another_plan(repo: Path) -> Path:
    """The 2023 plan's file and data in a folder of their own, with a first snapshot beside them."""
    folder = repo / "plan2023"
    folder.mkdir()
    shutil.copy(PLAN_2023, folder / "plan.toml")
    shutil.copy(PLAN_2023.parent / "initiatives.csv", folder / "initiatives.csv")
    done = cli(
        repo, "snapshot", "--plan", "plan2023/plan.toml", "--data", "plan2023/initiatives.csv", "--date", "2026-03-01"
    )
    assert done.returncode == 0, done.stderr
    assert "feed not written" in done.stderr and not (repo / "static").exists()  # the feed is the bundled plan's
    return folder


def test_snapshot_and_diff_of_another_plan_use_the_snapshots_next_to_it(repo):
    folder = another_plan(repo)
    assert snapshots.list_snapshots(folder / "snapshots") == ["2026-03-01"]
    text = (folder / "initiatives.csv").read_text(encoding="utf-8")
    (folder / "initiatives.csv").write_text(text.replace("CMAP23-P1-01,", "CMAP23-P1-01X,", 1), encoding="utf-8")
    args = ("--plan", "plan2023/plan.toml", "--data", "plan2023/initiatives.csv", "--format", "json")
    got = json.loads(cli(repo, "diff", "2026-03-01", *args).stdout)
    assert (got["counts"]["added"], got["counts"]["removed"]) == (1, 1) and got["rejected"] == []
    refused = cli(repo, "snapshot", "--plan", "plan2023/plan.toml", "--data", "plan2023/initiatives.csv")
    assert refused.returncode == 1 and "CMAP23-P1-01." in refused.stderr  # its id is gone from the file


def test_the_feed_of_another_plan_is_written_only_where_asked(repo):
    another_plan(repo)
    assert cli(repo, "feed", "--plan", "plan2023/plan.toml").returncode == 2
    done = cli(repo, "feed", "--plan", "plan2023/plan.toml", "--feed", "plan2023/feed.xml")
    assert done.returncode == 0 and (repo / "plan2023" / "feed.xml").is_file()


# ------------------------------------------------------------------------ feed


def test_the_feed_is_valid_atom_and_its_entries_are_the_diffs(repo):
    assert snapshot(repo, "--date", "2026-03-01", "--base-url", BASE).returncode == 0
    raw = (repo / "static" / "feed.xml").read_bytes()
    parsed = feedparser.parse(raw)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"

    root = ET.fromstring(raw)  # RFC 4287's required elements
    assert all(root.find(ATOM + tag) is not None for tag in ("id", "title", "updated", "author"))
    for entry in root.iter(ATOM + "entry"):
        assert all(entry.find(ATOM + tag) is not None for tag in ("id", "title", "updated", "link"))

    snaps = snapshots.load_snapshots(repo / "snaps")
    expected = set()
    for a, b in zip(snaps, snaps[1:]):
        d = changes.diff(a, b)
        flow = d.status_flow[d.status_flow["after"] != "completed"]
        kinds = {"added": d.added, "completed": d.completions, "status": flow, "slipped": d.slippage}
        expected |= {(kind, ident, b.date) for kind, t in kinds.items() for ident in t["id"]}
    got = set()
    for e in parsed.entries:
        query = parse_qs(urlsplit(e.link).query)
        assert e.link.startswith(BASE + "explorer?")
        got.add((e.tags[0].term, query["id"][0], query["asof"][0]))
        assert e.updated.startswith(query["asof"][0])
    assert got == expected
    assert ("added", "A-5", "2026-03-01") in got and ("slipped", "A-1", "2026-03-01") in got
    assert ("status", "A-3", "2026-03-01") in got and ("completed", "A-2", "2026-02-01") in got
    assert len(parsed.entries) == len(expected) == len({e.id for e in parsed.entries})


def test_feed_text_is_escaped_and_entry_ids_are_stable(repo):
    assert snapshot(repo, "--date", "2026-03-01", "--base-url", BASE).returncode == 0
    first = feedparser.parse((repo / "static" / "feed.xml").read_bytes())
    [new] = [e for e in first.entries if "A-5" in e.link]
    assert new.title == "Added: New <b>&amp; “quoted”</b> (A-5)"  # the title as the file has it, as text
    assert b"<b>" not in (repo / "static" / "feed.xml").read_bytes()
    csv(repo / "initiatives.csv", *[row(f"A-{i}", "completed") for i in range(1, 6)])
    assert snapshot(repo, "--date", "2026-04-01", "--base-url", BASE).returncode == 0
    second = feedparser.parse((repo / "static" / "feed.xml").read_bytes())
    assert {e.id for e in first.entries} < {e.id for e in second.entries}


def test_without_an_address_the_feeds_links_resolve_from_where_streamlit_serves_it(repo):
    assert snapshot(repo, "--date", "2026-03-01").returncode == 0
    root = ET.parse(repo / "static" / "feed.xml").getroot()
    served = "https://tracker.example.org/cmap/app/static/feed.xml"  # static/ under --server.baseUrlPath=cmap
    links = {urljoin(served, e.find(ATOM + "link").get("href")) for e in root.iter(ATOM + "entry")}
    assert BASE + "explorer?asof=2026-03-01&id=A-5" in links
    assert all(link.startswith(BASE + "explorer?asof=") for link in links)


# ------------------------------------------------------------ the shipped feed


def kinds_ids_dates(raw: bytes) -> set[tuple[str, str, str]]:
    parsed = feedparser.parse(raw)
    assert not parsed.bozo and parsed.version == "atom10"
    return {(e.tags[0].term, *(parse_qs(urlsplit(e.link).query)[k][0] for k in ("id", "asof"))) for e in parsed.entries}


def test_the_shipped_feed_holds_the_shipped_snapshots_changes():
    want = {(e.kind, e.id, e.until) for e in feed.entries(snapshots.load_snapshots())}
    assert len(want) > 10 and kinds_ids_dates(feed.FEED_PATH.read_bytes()) == want


def test_the_overview_links_to_the_feed():
    at = run("overview")
    [link] = [e.proto for e in at.get("link_button")]
    assert (link.label, link.url) == ("Feed of changes (Atom)", feed.FEED_URL)


def test_the_running_dashboard_serves_the_feed_as_xml(server):
    with urlopen(f"{server.url}/{feed.FEED_URL}", timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].split(";")[0] in ("application/xml", "text/xml")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.read() == feed.FEED_PATH.read_bytes()
