"""When the cyclic garbage collector runs (not while a build runs), and when freed memory goes back to the system.

A build makes millions of small objects that hold no cycles (records, rows, page data) and keeps most of them
to its end, and every full collection walks all of them again, for nothing. Reference counting frees objects as
ever; the few cycles a build makes (MkDocs' Markdown instances, openpyxl's workbooks) wait for the collector
until the build is over, except MkDocs' and the 上报名单 workbooks' (:func:`collected_after`). Returns are read
with the collector on, in this process or in the intake's workers.

glibc keeps the pages of freed large blocks (the intake snapshot's JSON, pages' HTML, jieba's dictionary table)
in its heap, and Python's small-object arenas, which map fresh pages of their own, never reuse them: the build's
resident memory would grow by every such block it ever freed. :func:`heap_given_back` returns them where a build
has just let go of much: around the 上报名单 and MkDocs' build, after each download and page is written, around
jieba's dictionary. The figures are in docs/benchmarks.md.
"""

from __future__ import annotations

import ctypes
import gc
import sys
from collections.abc import Callable, Iterator
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
    heap_given_back()
    gc.freeze()
    try:
        yield
    finally:
        gc.collect()
        gc.unfreeze()
        heap_given_back()


def heap_given_back() -> None:
    """The C heap's free pages returned to the system (glibc's ``malloc_trim``); nothing where there is none."""
    if _TRIM is not None:
        _TRIM(0)


def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None  # glibc's call: other systems' allocators give freed memory back their own way
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the process's own C library; absent outside glibc (musl)
    except (OSError, AttributeError, TypeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_TRIM = _malloc_trim()
