"""What a file's headers and first values say about which contract column each file column is: each header's
score against the contract's names for a column (``contract.HEADER_ALIASES``, in English, French and Spanish),
and tests of values (links, dates, known terms), for ``mapping.guess``. The work is bounded whatever the file."""

from __future__ import annotations

import bisect
import difflib
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import dates
from .checks import source_link
from .contract import COLUMN_NAMES, HEADER_ALIASES, Column, Kind
from .sources import Clock
from .vocab import Vocabulary, fold

# Words that say nothing of which column a header is ("Project Name" is a name); dropped before headers are matched.
GENERIC_WORDS = frozenset(
    "project projects projet projets proyecto proyectos activity activite actividad initiative initiatives "
    "iniciativa iniciativas the of de du des la le les el del los las".split()
)
MIN_SCORE = 0.75  # a header must match an alias at least this well (a subset of its words scores 0.75 or more)
NEAR_RATIO = 0.85  # a near spelling: difflib's ratio of the folded texts from this
# What bounds the work, whatever the file: alias words are folded once, a header is read up to MAX_HEADER_WORDS
# words, difflib compares only short texts of close lengths, and values are tested for a few columns, a few each.
# Measured, mapping.guess of 999 columns x 200 rows: 24-65 s unbounded (300-word headers: over 300 s), 0.1-0.5 s bounded.
MAX_HEADER_CHARS, MAX_HEADER_WORDS = 200, 12  # of a header, what is read (a column name is a few words)
MAX_NEAR_CHARS = 40  # longer texts are not compared for a near spelling
EVIDENCE_VALUES = 20  # a column's first non-empty values, of the sample, are its evidence
EVIDENCE_COLUMNS = 5  # per contract column whose values count, its best header matches that are tested
FOUND_BY_VALUES = 3  # per URL or DATE column, the file columns found by their values alone, in file order
MAX_DATE_TESTS = 1000  # distinct values read as dates, per guess (dateutil takes some 0.1 ms a value)

Candidate = tuple[float, int, int]  # (score, rank of the alias that matched, file column)


@dataclass(frozen=True)
class Words:
    """A header's or an alias's folded words (GENERIC_WORDS dropped unless that leaves none), as a set and a text."""

    count: int
    words: frozenset[str]
    text: str

    @classmethod
    def of(cls, text: str) -> Words:
        words = fold(text[:MAX_HEADER_CHARS]).split()
        kept = ([w for w in words if w not in GENERIC_WORDS] or words)[:MAX_HEADER_WORDS]
        return cls(len(kept), frozenset(kept), " ".join(kept))


# Every alias once, (contract column, rank, words): each column's name, then its contract.HEADER_ALIASES, in order;
# indexed by word (a header scores by its words for the aliases that share one) and by length (or by its spelling).
_ALIASES = tuple(
    (c, rank, Words.of(alias))
    for c in COLUMN_NAMES
    for rank, alias in enumerate([c.replace("_", " "), *HEADER_ALIASES.get(c, c).split(", ")])
)
_BY_WORD: dict[str, list[int]] = {}
for _i, (*_, _alias) in enumerate(_ALIASES):
    for _word in _alias.words:
        _BY_WORD.setdefault(_word, []).append(_i)
_BY_LENGTH = sorted(range(len(_ALIASES)), key=lambda i: len(_ALIASES[i][2].text))
_LENGTHS = [len(_ALIASES[i][2].text) for i in _BY_LENGTH]


def header_scores(header: Sequence[str], clock: Clock) -> list[dict[str, tuple[float, int]]]:
    """Per file column (its header as written): contract column -> (score, rank of the alias that scored it)."""
    headers, scores = _Headers(), []
    for name in header:
        clock.check()
        scores.append(headers.scores(Words.of(name)))
    return scores


class _Headers:
    """Headers scored against the aliases, with one difflib matcher per alias compared."""

    def __init__(self) -> None:
        self.matchers: dict[int, difflib.SequenceMatcher] = {}

    def scores(self, h: Words) -> dict[str, tuple[float, int]]:
        """Contract column -> (score, rank of the alias) of the best-scoring alias, earlier first, among those
        that share a word with the header or, for a short header, are of a close length."""
        near: list[int] = []
        if h.count and len(h.text) <= MAX_NEAR_CHARS:
            bounds = (len(h.text) * NEAR_RATIO / (2 - NEAR_RATIO), len(h.text) * (2 - NEAR_RATIO) / NEAR_RATIO)
            near = _BY_LENGTH[bisect.bisect_left(_LENGTHS, bounds[0]) : bisect.bisect_right(_LENGTHS, bounds[1])]
        best: dict[str, tuple[float, int]] = {}
        for i in sorted({i for w in h.words for i in _BY_WORD.get(w, ())}.union(near)):
            column, rank, _alias = _ALIASES[i]
            score = self.similarity(h, i)
            if score > best.get(column, (0.0, 0))[0]:
                best[column] = (score, rank)
        return best

    def similarity(self, h: Words, i: int) -> float:
        """1 for the same words; 0.75 to 1 when the header has all the alias's words and more; a near spelling
        scores 0.9 x its difflib ratio from NEAR_RATIO (texts whose lengths differ more cannot reach it)."""
        a = _ALIASES[i][2]
        if not h.count or not a.count:
            return 0.0
        if h.words == a.words:
            return 1.0
        if a.words <= h.words:
            return 0.75 + 0.25 * a.count / h.count
        shorter, longer = sorted((len(h.text), len(a.text)))
        if longer > MAX_NEAR_CHARS or 2 * shorter < NEAR_RATIO * (shorter + longer):
            return 0.0
        if i not in self.matchers:
            self.matchers[i] = difflib.SequenceMatcher(None, "", a.text)
        matcher = self.matchers[i]
        matcher.set_seq1(h.text)
        if matcher.quick_ratio() < NEAR_RATIO:
            return 0.0
        ratio = matcher.ratio()
        return 0.9 * ratio if ratio >= NEAR_RATIO else 0.0


class Values:
    """The evidence of a file's first rows, read lazily: a column's first EVIDENCE_VALUES non-empty values, and
    whether each is a date, read at most MAX_DATE_TESTS times (dateutil takes some 0.1 ms a value)."""

    def __init__(self, rows: Sequence[Sequence[str]]) -> None:
        self.rows = rows
        self.columns: dict[int, list[str]] = {}
        self.date_kinds: dict[str, tuple[bool, bool]] = {}

    def of(self, j: int) -> list[str]:
        if j not in self.columns:
            values = (str(row[j]).strip() for row in self.rows if j < len(row))
            self.columns[j] = list(itertools.islice((v for v in values if v), EVIDENCE_VALUES))
        return self.columns[j]

    def date_kind(self, value: str) -> tuple[bool, bool] | None:
        """(a date, a full date) for a value; None once MAX_DATE_TESTS values were read."""
        if value not in self.date_kinds:
            if len(self.date_kinds) >= MAX_DATE_TESTS:
                return None
            self.date_kinds[value] = dates.evidence(value)
        return self.date_kinds[value]

    def test(self, kind: Kind, full: bool) -> Callable[[str], bool | None]:
        """A value's test for a URL or DATE column (a ``full`` date: a day, a month and a year)."""
        if kind is Kind.URL:
            return source_link
        return lambda v: None if (found := self.date_kind(v)) is None else found[full]

    def at_least(self, j: int, test: Callable[[str], bool | None], share: float) -> bool | None:
        """Whether ``share`` of column j's values pass ``test``; None when it has none or they could not all
        be tested. Stops as soon as the answer is known."""
        values = self.of(j)
        need = math.ceil(share * len(values))
        passed = failed = 0
        for value in values:
            ok = test(value)
            if ok is None:
                return None
            passed, failed = passed + ok, failed + (not ok)
            if passed >= need or failed > len(values) - need:
                break
        return passed >= need if values else None

    def known(self, j: int, vocabulary: Vocabulary) -> float:
        """The share of column j's values that are terms of ``vocabulary`` (a text over MAX_HEADER_CHARS is none)."""
        values = self.of(j)
        known = sum(len(v) <= MAX_HEADER_CHARS and fold(v) in vocabulary.lookup for v in values)
        return known / len(values) if values else 0.0


def _weighed(column: Column, matches: list[Candidate], values: Values) -> list[Candidate]:
    """(score, rank, file column) of a contract column's header matches, weighed by their values: a URL or DATE
    column needs mostly links or dates (only its best few matches are tested); a term column's known words help."""
    if column.kind is Kind.URL or (column.kind is Kind.DATE and column.required):
        best = sorted(matches, key=lambda m: (-m[0], m[1], m[2]))[:EVIDENCE_COLUMNS]
        return [m for m in best if values.at_least(m[2], values.test(column.kind, False), 0.5) is not False]
    if column.vocabulary is not None:
        best = sorted(matches, key=lambda m: (-m[0], m[1], m[2]))[:EVIDENCE_COLUMNS]
        return [(score + 0.1 * values.known(j, column.vocabulary), rank, j) for score, rank, j in best]
    return matches


def candidates(
    column: Column, scores: list[dict[str, tuple[float, int]]], used: set[int], values: Values, clock: Clock
) -> list[Candidate]:
    """The file columns (but ``used``) that may feed a contract column: its header matches, weighed by their
    values, then the columns found by their values alone."""
    clock.check()
    scored = [(*s.get(column.name, (0.0, 0)), j) for j, s in enumerate(scores) if j not in used]
    matches = _weighed(column, [m for m in scored if m[0] >= MIN_SCORE], values)
    return matches + _by_values(column, [j for s, _r, j in scored if s < MIN_SCORE], values, clock)


def _by_values(column: Column, unmatched: list[int], values: Values, clock: Clock) -> list[Candidate]:
    """For a URL or DATE column: the first few file columns, in file order, whose values alone (mostly links or
    full dates; a year is not enough) make them candidates, however their headers read."""
    if not (column.kind is Kind.URL or (column.kind is Kind.DATE and column.required)):
        return []
    found: list[Candidate] = []
    for j in unmatched:
        clock.check()
        if len(found) == FOUND_BY_VALUES:
            break
        if values.at_least(j, values.test(column.kind, True), 0.8):
            found.append((MIN_SCORE + 0.01, len(HEADER_ALIASES), j))
    return found
