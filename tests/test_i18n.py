"""Translations: complete, placeholder-safe, in step with the code, and used on screen.

The template is rebuilt from the code for every run (never read from disk), so
a string wrapped in ``_()`` but not yet translated fails here and in
``scripts/extract_messages.py --check``.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from babel.numbers import get_group_symbol

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "extract_messages.py"
LANGS = ("fr", "es")

_spec = importlib.util.spec_from_file_location("extract_messages", SCRIPT)
em = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("extract_messages", em)
_spec.loader.exec_module(em)

from cmap_tracker import app, i18n, loader, plan, safe, vocab  # noqa: E402
from conftest import shown  # noqa: E402  (after the script put ROOT on sys.path)


@pytest.fixture(scope="module")
def template():
    return em.build_template()


@pytest.fixture(scope="module")
def ids(template):
    return sorted(em.msgids(template))


def po(lang: str):
    with em.po_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang)


# ------------------------------------------------------------ the catalogues


def test_the_template_holds_wrapped_declared_and_loader_ids(ids):
    have = set(ids)
    # wrapped with _(), including inside f-strings (Babel misses those on Python < 3.12)
    assert {"Reset filters", "Dates", "Last updated", "{shown} of {total} initiatives"} <= have
    # the briefing's label("...") helper (babel.cfg keyword), also inside an f-string
    assert {
        "Key figures",
        "Generated",
        "Showing the first {shown} of {total} initiatives; download the CSV for all of them.",
    } <= have
    # declared as data with N_() and translated where used
    assert {t.label for v in (vocab.STATUSES, vocab.THEMES, vocab.CONFIDENCE) for t in v.terms} <= have
    assert {t.definition for t in vocab.STATUSES.terms} | {t.evidence for t in vocab.STATUSES.terms} <= have
    assert {title for _s, title, _i, _p in app.PAGES} <= have
    assert "Plan ends" in have
    # the sector names of the bundled data
    assert {"Drugs and arms", "Ports and transport"} <= have
    # the loader's reasons: Issue(), self.flag() and LoadError() arguments picked by babel.cfg keyword specs
    assert {
        "The file is empty.",
        "Duplicate id: it is already used on line {first}.",
        "'{value}' is not a known {name}. Use one of: {allowed}.",
    } <= have


def test_every_reason_the_loader_gives_is_in_the_template(ids):
    bad = (
        b"id,title,pillar,sector,status,start_date,source_url,end_date,milestone,confidence,last_updated\n"
        b"A-1,t,nowhere,s,done,2025-13-01,ftp://x,,maybe,rumour,yesterday\n"
        b"A-1,t,security,s,,2025,https://a.ca,2024-01-01,,,\n"
        b"bad id!,t,security,s,planned,2025-01-01,,,,,\n"
        b",,,,,,,,,,\n"
    )
    result = loader.load(bad, name="bad.csv")
    reasons = {i.reason for i in result.issues} | {n.reason for n in result.notes}
    for data in (b"", b"\x00\x01binary", b"id,id\n1,2\n", b"id,title\n", b"a;b\nc;d\n"):
        r = loader.load(data, name="x.csv")
        reasons |= {r.fatal.reason} if r.fatal else set()
    assert len(reasons) >= 10
    assert reasons <= set(ids), sorted(reasons - set(ids))


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_has_a_translation(ids, lang):
    cat = po(lang)
    missing = [m for m in ids if cat.get(m) is None]
    empty = [m for m in ids if cat.get(m) is not None and not str(cat.get(m).string or "").strip()]
    fuzzy = [m for m in ids if cat.get(m) is not None and cat.get(m).fuzzy]
    assert not missing, f"{lang}: not in the catalogue (run scripts/extract_messages.py): {missing}"
    assert not empty, f"{lang}: untranslated: {empty}"
    assert not fuzzy, f"{lang}: fuzzy: {fuzzy}"


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_are_kept(ids, lang):
    cat = po(lang)
    wrong = {}
    for mid in ids:
        m = cat.get(mid)
        if m is None or not m.string:
            continue
        try:
            if em.placeholders(m.string) != em.placeholders(mid):
                wrong[mid] = m.string
            m.string.format(**{p.split(":")[0]: "x" for p in em.placeholders(mid)})
        except (ValueError, KeyError, IndexError) as exc:
            wrong[mid] = f"{m.string} ({exc})"
    assert not wrong, wrong


def test_brace_placeholders_are_not_flagged_as_percent_format(template):
    assert not [m.id for m in template if m.id and "python-format" in m.flags]
    flagged = {m.id for m in template if m.id and "python-brace-format" in m.flags}
    assert "Snapshot {date} could not be used: {reason}" in flagged
    assert "Reset filters" not in flagged
    for path in (em.POT, *(em.po_path(lang) for lang in LANGS)):
        flags = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#,")]
        assert not [f for f in flags if "python-format" in f], path
    # a stray % in a future string is not mistaken for %-formatting either
    from babel.messages.catalog import Catalog

    cat = Catalog()
    cat.add("Completed: 50% done by {date}")
    assert em.normalise_flags(cat)["Completed: 50% done by {date}"].flags == {"python-brace-format"}


@pytest.mark.parametrize("lang", LANGS)
def test_translated_pillar_and_status_labels_read_back_as_their_slugs(lang):
    """A table exported in French or Spanish can be uploaded again."""
    i18n.set_language(lang)
    for t in vocab.STATUSES.terms:
        assert vocab.STATUSES.lookup.get(vocab.fold(i18n._(t.label))) == t.slug, (lang, t.label, i18n._(t.label))
    pillars = plan.bundled()
    for slug in pillars.pillars.slugs:
        assert pillars.pillars.lookup.get(vocab.fold(pillars.pillar_label(slug))) == slug, (lang, slug)


def test_check_mode_passes():
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture
def scratch_locales(tmp_path, monkeypatch):
    """A copy of locales/ that the script reads and writes instead of the real one."""
    shutil.copytree(em.LOCALES, tmp_path / "locales")
    monkeypatch.setattr(em, "LOCALES", tmp_path / "locales")
    monkeypatch.setattr(em, "POT", tmp_path / "locales" / "messages.pot")
    return tmp_path / "locales"


def test_check_catches_a_new_untranslated_string_and_a_broken_placeholder(scratch_locales):
    template = em.build_template()
    assert em.problems(template) == []
    template.add("A string added to the code today")
    probs = em.problems(template)
    assert any("messages.pot is out of date" in p for p in probs)
    assert any(p.startswith("fr: missing") for p in probs) and any(p.startswith("es: missing") for p in probs)

    em.write_catalogue(em.POT, template)
    cat, _u = em.update_catalogue("fr", template)
    cat["Snapshot {date} could not be used: {reason}"].string = "Instantané {jour} inutilisable"
    em.write_catalogue(em.po_path("fr"), cat)
    probs = em.problems(template)
    assert not any("messages.pot" in p for p in probs)
    assert any(p.startswith("fr: untranslated 'A string added") for p in probs)
    assert any(p.startswith("fr: placeholders differ") for p in probs)


def test_update_keeps_translations_reports_new_and_obsolete_and_never_fuzzes(scratch_locales):
    base = em.build_template()
    fr_before = {m.id: m.string for m in po("fr") if m.id}
    base.add("Brand-new label")
    base.add("Reset the filters")  # close to "Reset filters": fuzzy matching would copy its translation
    cat, u = em.update_catalogue("fr", base)
    assert u.new == ["Brand-new label", "Reset the filters"] and u.obsolete == []
    assert {m.id: m.string for m in cat if m.id and m.id not in u.new} == fr_before
    assert not cat["Reset the filters"].string and not [m.id for m in cat if m.id and m.fuzzy]
    base.delete("Reset the filters")

    cat["Brand-new label"].string = "Tout nouveau libellé"
    em.write_catalogue(em.po_path("fr"), cat)
    base.delete("Brand-new label")
    _cat, u = em.update_catalogue("fr", base)
    assert u.obsolete == ["Brand-new label", "Reset the filters"]
    base.add("Brand-new label")
    cat, u = em.update_catalogue("fr", base)
    assert u.revived == ["Brand-new label"] and cat["Brand-new label"].string == "Tout nouveau libellé"


# ---------------------------------------------------------------- formatting


def test_french_formats():
    i18n.set_language("fr")
    assert i18n.fmt_date(date(2025, 9, 18)) == "18 sept. 2025"
    group = get_group_symbol("fr_CA")
    assert group in ("\u00a0", "\u202f")  # a no-break space, never a comma
    assert i18n.fmt_int(56000) == f"56{group}000"
    assert i18n.month_names()[0] == "janv."
    assert i18n._("C${n} B").format(n=i18n.fmt_int(56)) == "56\u00a0G$"
    assert i18n._("C${n} M").format(n=i18n.fmt_int(9.9)) == "9,9\u00a0M$"


def test_mexican_spanish_formats():
    i18n.set_language("es")
    assert i18n.fmt_date(date(2025, 9, 18)) == "18 sep 2025"  # Babel's es_MX medium date
    assert i18n.fmt_date(date(2025, 1, 5)) == "5 ene 2025"  # Spanish month text
    assert i18n.month_names()[:4] == ["ene", "feb", "mar", "abr"]
    assert i18n.fmt_int(56000) == "56,000"  # es_MX groups with a comma
    assert i18n._("C${n} B").format(n=i18n.fmt_int(56)) == "C$ 56 mil M"


def test_language_is_reset_to_english_between_tests():
    assert i18n.language() == "en"
    assert i18n.fmt_date(date(2025, 9, 18)) == "Sep 18, 2025"


# ------------------------------------------------------------- on the screen

SIDEBAR = {  # widget kind -> English labels it must show
    "selectbox": ["Language"],
    "multiselect": ["Pillar", "Sector", "Status", "Theme"],
    "date_input": ["From", "To"],
    "text_input": ["Search"],
    "button": ["Reset filters"],
}
PLACEHOLDERS = ["All pillars", "All sectors", "All statuses", "All themes"]
HINT = (
    "Text on screen that matches no translation: wrap it in _() and run scripts/extract_messages.py "
    "(if it is data, not interface text, leave it out of this check)."
)


def _matchers(lang: str) -> list[re.Pattern]:
    """One full-match pattern per translation (the catalogue's, and the plan file's own texts in ``lang``);
    {placeholders} match any text."""
    out = [re.compile(re.escape(text)) for text in _plan_texts(lang)]
    for text in i18n.catalogue(lang).values():
        parts = re.split(r"\{[^{}]*\}", text)
        if not "".join(parts).strip():
            continue  # a bare "{x}" would match anything
        out.append(re.compile(".+?".join(re.escape(p) for p in parts), re.S))
    return out


def _plan_texts(lang: str) -> list[str]:
    p = plan.bundled()
    texts = [p.name, p.description, *p.pillar_labels.values()]
    texts += [k.label for k in p.key_dates] + [f.label for f in p.facts] + [f.source for f in p.facts]
    return [v for t in texts if lang in t for v in (t[lang], safe.md(t[lang]))]


def _untranslated(texts: list[str], matchers: list[re.Pattern]) -> list[str]:
    return [t for t in texts if t and not any(m.fullmatch(t) for m in matchers)]


@pytest.fixture(scope="module")
def matchers():
    return {lang: _matchers(lang) for lang in LANGS}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("script", [p[0] for p in app.PAGES])
def test_pages_render_in_the_chosen_language(script, lang, matchers):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.switch_page(script)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    i18n.set_language(lang)
    tr = i18n._

    # the page title is a translation (so never the English id when they differ)
    title = at.title[0].value
    assert _untranslated([title], matchers[lang]) == [], f"{script}: untranslated title {title!r}. {HINT}"

    # each known sidebar label is the catalogue's translation of its English id,
    # and any other sidebar label (a widget added later) is a translation too
    rendered = {kind: [shown(w.label) for w in getattr(at.sidebar, kind)] for kind in SIDEBAR}
    for kind, english in SIDEBAR.items():
        for e in english:
            assert tr(e) in rendered[kind], (kind, e, tr(e), rendered[kind])
            assert tr(e) == e or e not in rendered[kind], (kind, e)
    everything = [label for labels in rendered.values() for label in labels]
    assert _untranslated(everything, matchers[lang]) == [], HINT
    placeholders = [w.placeholder for w in at.sidebar.multiselect]
    assert all(tr(p) in placeholders for p in PLACEHOLDERS), placeholders
    assert at.sidebar.text_input[0].placeholder == tr("id, title or description")
    assert tr("Filters") in [h.value for h in at.sidebar.header]
    pillar = next(w for w in at.sidebar.multiselect if w.label == tr("Pillar"))
    status = next(w for w in at.sidebar.multiselect if w.label == tr("Status"))
    assert pillar.options == [plan.bundled().pillar_labels[s][lang] for s in plan.bundled().pillars.slugs]
    assert status.options == [tr(t.label) for t in vocab.STATUSES.terms]

    # headings, captions, notices, metric and widget labels in the page body are translations
    texts = [
        shown(e.value)
        for kind in ("header", "subheader", "caption", "info", "warning", "error", "success")
        for e in getattr(at.main, kind)
    ]
    texts += [shown(m.label) for m in at.main.metric] + [shown(e.label) for e in at.main.expander]
    texts += [
        shown(w.label)
        for kind in ("selectbox", "multiselect", "button", "text_input", "date_input")
        for w in getattr(at.main, kind)
    ]
    for chart in at.get("plotly_chart"):
        texts.append(json.loads(chart.proto.spec)["layout"].get("title", {}).get("text", ""))
    assert _untranslated(texts, matchers[lang]) == [], f"{script} ({lang}). {HINT}"
