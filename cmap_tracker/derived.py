"""Values derived from an object that is never modified (a frame, a diff, a column's categories), computed once
per object and kept only while it lives: each entry holds a weak reference to its object, checked on every hit (an
``id()`` reused by a new object is never mistaken for the old one) and used to drop the entry when it is collected."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

_VALUES: dict[tuple[tuple[int, ...], Hashable], tuple[tuple[weakref.ref, ...], object]] = {}


def per_object(obj: object, what: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, once per (``obj``, ``what``) while ``obj`` (an object, or a tuple of objects) lives; ``what`` names
    the value and any argument it depends on. Two threads may both compute a missing value; either answer is kept."""
    objs = obj if isinstance(obj, tuple) else (obj,)
    key = (tuple(map(id, objs)), what)
    hit = _VALUES.get(key)
    if hit is not None and all(ref() is o for ref, o in zip(hit[0], objs)):
        return hit[1]  # type: ignore[return-value]
    value = compute()
    drop = lambda _ref, key=key, values=_VALUES: values.pop(key, None)  # noqa: E731  (bound: runs at shutdown too)
    _VALUES[key] = (tuple(weakref.ref(o, drop) for o in objs), value)
    return value
