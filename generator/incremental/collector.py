"""When the cyclic garbage collector runs: not while a build runs.

A build makes millions of small objects that hold no cycles (records, rows, page data) and keeps most of them
to its end, and every full collection walks all of them again, for nothing. Reference counting frees objects as
ever; the few cycles a build makes (MkDocs' Markdown instances, openpyxl's workbooks) wait for the collector
until the build is over, except MkDocs' and the 上报名单 workbooks' (:func:`collected_after`). Returns are read
with the collector on, in this process or in the intake's workers. The figures are in docs/benchmarks.md.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside; the collector as it was after (also when it was off already)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def collected_after() -> Iterator[None]:
    """The cycles made inside are collected once it is done, the collection walking only what was made inside:
    what the process held before is frozen for it. For MkDocs' build, whose pages, nav, theme files, plugins and
    search index hold reference cycles that would stay in memory to the build's end with the collector paused,
    and for openpyxl's workbooks (the 上报名单), whose cells and sheets point at each other."""
    gc.freeze()
    try:
        yield
    finally:
        gc.collect()
        gc.unfreeze()
