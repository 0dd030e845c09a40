"""Fewer and cheaper runs of Python's cycle collector while a bulk job builds many objects.

A lead import keeps each batch's rows (a few hundred thousand small objects) alive while it
writes them, so the collector's default thresholds (a collection every 700 new objects, a full
one each time the old generation grows by a quarter) ran a full collection per batch, each
scanning every object of the process: Django, the app, the batches. At 100,000 rows that was
about 2 of the import writer's 6 CPU seconds (gc.callbacks timing), and the reader process paid
the same. Inside `gc_relaxed()` the objects that existed before it are frozen (the collector
skips them; the forked reader inherits that) and the youngest generation is collected every
200,000 new objects instead of 700: more than the two batches in flight keep, so most of a
batch is freed before a collection would scan it (collections at 100,000 rows, two lanes:
10,000 or 50,000 new objects, 0.3-0.4 s; 200,000, 0.05 s). Cycles are still found, later.
Both are undone when the last of the blocks that overlap in this process (threads of one
worker) ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 200_000

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, ...] = ()


@contextmanager
def gc_relaxed() -> Iterator[None]:
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(max(_saved[0], YOUNG_THRESHOLD), *_saved[1:])
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.set_threshold(*_saved)
                gc.unfreeze()
