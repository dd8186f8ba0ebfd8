"""The README's architecture map lists exactly the modules that exist, and each module
says what it holds in a docstring of one to three lines."""

from __future__ import annotations

import ast
import re

from conftest import ROOT

MODULES = sorted(
    str(p.relative_to(ROOT))
    for p in [*ROOT.glob("cmap_tracker/**/*.py"), *ROOT.glob("scripts/*.py")]
    if p.name != "__init__.py"
)


def test_the_architecture_map_lists_exactly_the_modules_that_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `((?:cmap_tracker|scripts)/[\w/]+\.py)` \|", readme, re.M))
    assert sorted(listed) == MODULES


def test_every_module_starts_with_a_short_docstring():
    long_or_missing = []
    for path in MODULES:
        doc = ast.get_docstring(ast.parse((ROOT / path).read_text(encoding="utf-8")))
        paragraph = (doc or "").split("\n\n")[0]
        if not doc or len(paragraph.splitlines()) > 3:
            long_or_missing.append(path)
    assert long_or_missing == []
