"""Whatever bytes a user uploads, the loader answers with a report, never a
traceback, and the report accounts for every row it saw."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmap_tracker import loader, report
from cmap_tracker.plan import bundled
from cmap_tracker.vocab import STATUSES
from conftest import HEADER

PILLARS = bundled().pillars

# Characters that stress CSV parsing and text folding. (An explicit alphabet,
# so hypothesis needs no unicode tables on disk.)
TRICKY = ",;\"\t\n\r '=+-@|\\/:.éÉñçü€—“”\u00a0\u200b\ufeff\u0301🙂中ßﬁ" + "aAzZ09"
cell_text = st.text(alphabet=st.sampled_from(TRICKY), max_size=12)
plausible = st.sampled_from(
    [
        "",
        "A-1",
        "A-1",
        "B-2",
        "security",
        "Sécurité",
        "prosperidad",
        "done",
        "en curso",
        "bogus",
        "2026-01-15",
        "2026-02-30",
        "2026-03",
        "2027",
        "next year",
        "https://example.org/x",
        "javascript:alert(1)",
        "true",
        "ip;energy",
        "Clean Tech",
    ]
)
cell = st.one_of(plausible, cell_text)
row = st.lists(cell, min_size=0, max_size=10)
extra_header = st.sampled_from(["", ",end_date", ",end_date,milestone,themes", ",notes", ",Title"])


@st.composite
def csv_files(draw) -> tuple[bytes, str | None, str]:
    """-> (bytes, the text if it was written by a real CSV writer else None, delimiter)."""
    header = HEADER + draw(extra_header)
    if draw(st.integers(0, 9)) == 0:  # now and then, a header that is not the contract's
        header = ",".join(draw(st.lists(cell_text, min_size=1, max_size=8)))
    rows = draw(st.lists(row, max_size=8))
    sep = draw(st.sampled_from([",", ",", ",", ";", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    wellformed = draw(st.booleans())
    if wellformed:  # proper CSV with quoting
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=sep, lineterminator=newline)
        w.writerow(header.split(","))
        w.writerows(rows)
        text = buf.getvalue()
    else:  # whatever a careless export might produce
        text = newline.join([header.replace(",", sep)] + [sep.join(r) for r in rows])
        if draw(st.booleans()):
            text += newline
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "cp1252"]))
    return text.encode(encoding, errors="replace"), (text if wellformed else None), sep


def records(text: str, sep: str) -> int:
    """Data records a standard CSV reader sees (blank lines are not records)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return sum(1 for rec in list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))[1:] if rec)


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(csv_files())
def test_load_never_raises_and_accounts_for_every_row(case):
    data, text, sep = case
    result = loader.load(data)  # must not raise
    if not result.ok:
        assert result.fatal.text().strip()
        assert result.frame.empty and result.rows_in_file == 0
        return
    frame = result.frame
    assert len(frame) + result.rejected_rows == result.rows_in_file
    assert result.rows_in_file >= 1
    if text is not None:  # a properly written file: exactly its records are counted
        assert result.rows_in_file == records(text, sep)
    # Line numbers point inside the file, after the header, and kept rows are not blamed.
    # (an upper bound: every CR counted as a line break, though one inside a quoted value is not)
    n_lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1
    for issue in result.issues:
        assert 2 <= issue.line <= n_lines, issue
        assert issue.text()
    rejected_lines = {i.line for i in result.issues if i.kind == report.REJECTED}
    assert not rejected_lines & set(frame["line"])
    # What is kept honours the contract.
    assert frame["id"].is_unique
    assert (frame["id"].str.len() > 0).all()
    assert set(frame["pillar"].astype(str)) <= set(PILLARS.slugs)
    assert set(frame["status"].astype(str)) <= set(STATUSES.slugs)
    assert frame["source_url"].str.lower().str.match(r"https?://").all()
    assert frame["start_date"].notna().all()
    assert not (frame["end_date"] < frame["start_date"]).any()


@settings(max_examples=40, deadline=None, database=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data):
    result = loader.load(data)
    if result.ok:
        assert len(result.frame) + result.rejected_rows == result.rows_in_file
    else:
        assert result.fatal.text().strip()
