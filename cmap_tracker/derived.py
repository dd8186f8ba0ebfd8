"""Values derived from an object that is never modified (a data frame, a snapshot's
frame, a diff), computed once per object and kept only as long as the object lives.

One mechanism for every such cache, shared by every session of the process: entries
are keyed by ``id()`` and hold a weak reference to their object, checked on every hit
and used to drop the entry when the object is collected, so a replaced file or an
ended upload is freed and an ``id()`` reused by a new object is never mistaken for
the old one. Values that depend on what a viewer asks for (filters, language) are
kept for the ``recent`` latest asks only, so their memory is bounded.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from .i18n import language
from .plan import current

T = TypeVar("T")
RECENT_RESULTS = 32

Key = tuple[tuple[int, ...], Hashable]
_VALUES: dict[Key, tuple[tuple[weakref.ref, ...], object]] = {}
_RECENT: dict[tuple[tuple[int, ...], Hashable], OrderedDict[Key, None]] = {}  # (objects, kind) -> its latest keys
_PENDING: dict[Key, threading.RLock] = {}  # values being computed now
_LOCK = threading.Lock()


def per_object(obj: object, what: Hashable, compute: Callable[[], T], *, recent: int | None = None) -> T:
    """``compute()``, once per (``obj``, ``what``) while ``obj`` lives. ``obj`` must
    not change after the first call; ``what`` names the value (and any argument it
    depends on). ``obj`` may be a tuple of objects (a value derived from two
    snapshots): the value is kept while all of them live. With ``recent``, ``what``
    is a tuple whose first item names the kind of value, and only the ``recent``
    latest values of that kind are kept for ``obj``. Sessions asking for a value
    being computed wait for it. The value is shared: never modify it."""
    objs = obj if isinstance(obj, tuple) else (obj,)
    ids = tuple(map(id, objs))
    key = (ids, what)
    kind = None if recent is None else (ids, what[0])  # type: ignore[index]
    hit = _hit(key, objs, kind)
    if hit is not None:
        return hit[0]
    with _LOCK:
        pending = _PENDING.setdefault(key, threading.RLock())
    with pending:  # 20 sessions opening one link at once compute a value once, not 20 times
        hit = _hit(key, objs, kind)
        if hit is not None:
            return hit[0]
        try:
            value = compute()
            drop = lambda _ref, key=key, kind=kind, forget=_drop: forget(key, kind)  # noqa: E731  (bound: runs at shutdown too)
            with _LOCK:
                _VALUES[key] = (tuple(weakref.ref(o, drop) for o in objs), value)
                if kind is not None:
                    order = _RECENT.setdefault(kind, OrderedDict())
                    order[key] = None
                    order.move_to_end(key)
                    while len(order) > (recent or 0):
                        _VALUES.pop(order.popitem(last=False)[0], None)
        finally:
            _PENDING.pop(key, None)
    return value


def _hit(key: Key, objs: tuple[object, ...], kind: tuple | None) -> tuple[Any] | None:
    """(the value,) when it is kept for these very objects, else None."""
    hit = _VALUES.get(key)
    if hit is None or not all(ref() is o for ref, o in zip(hit[0], objs)):
        return None
    if kind is not None:
        with _LOCK:
            order = _RECENT.get(kind)
            if order is not None and key in order:
                order.move_to_end(key)
    return (hit[1],)


def _drop(key: Key, kind: tuple[tuple[int, ...], Hashable] | None, values=_VALUES, recent=_RECENT) -> None:
    """An object died: forget its values (names bound as defaults: this runs at shutdown too)."""
    values.pop(key, None)
    order = recent.get(kind) if kind is not None else None
    if order is not None:
        order.pop(key, None)
        if not order:
            recent.pop(kind, None)


def shared(fn: Callable[..., T]) -> Callable[..., T]:
    """Decorate a pure function of frames (or other unchanging objects) and plain values:
    each result is computed once per (objects, values, language, plan) and shared read-only by
    every session that asks, while the objects live; the ``RECENT_RESULTS`` latest per
    function and objects are kept. A shared link makes every session ask the same."""

    @functools.wraps(fn)
    def cached(*args, **kwargs):
        objs: list[object] = []
        plain: list[Hashable] = []
        for name, a in (*enumerate(args), *sorted(kwargs.items())):
            a = tuple(a) if isinstance(a, list) else a
            try:
                hash(a)
            except TypeError:  # a frame: the result lives as long as it does
                objs.append(a)
            else:
                plain.append((name, a))
        what = (fn.__qualname__, tuple(plain), language(), current())
        return per_object(tuple(objs), what, lambda: fn(*args, **kwargs), recent=RECENT_RESULTS)

    return cached
