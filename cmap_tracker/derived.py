"""Values derived from an object that is never modified (a data frame, a snapshot's
frame, a diff, a column's categories), computed once per object and kept only as
long as the object lives.

One mechanism for every such cache: entries are keyed by ``id()`` and hold a weak
reference to their object, checked on every hit and used to drop the entry when
the object is collected, so a replaced file, an ended upload session or an old
data version is freed, and an ``id()`` reused by a new object is never mistaken
for the old one.
"""
from __future__ import annotations

import weakref
from typing import Callable, Hashable, TypeVar

T = TypeVar("T")

_VALUES: dict[tuple[int, Hashable], tuple[weakref.ref, object]] = {}


def per_object(obj: object, what: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, once per (``obj``, ``what``) while ``obj`` lives. ``obj`` must
    not change after the first call; ``what`` names the value (and any argument it
    depends on). Two threads may both compute a missing value; either answer is kept."""
    key = (id(obj), what)
    hit = _VALUES.get(key)
    if hit is not None and hit[0]() is obj:
        return hit[1]  # type: ignore[return-value]
    value = compute()
    _VALUES[key] = (weakref.ref(obj, lambda _ref, key=key: _VALUES.pop(key, None)), value)
    return value

