"""Publishing's two heavy parts (a verdict per point, a page per run) spread over processes.

A first publish of a large results folder computes tens of thousands of verdicts and makes
thousands of run pages, each independent of the others: :func:`spread` maps them over
forked worker processes (they inherit everything imported, so they start at once), one
chunk of items per task. Small jobs, a single core, or a platform without ``fork`` run in
this process, in order; the results come back in the items' order either way.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: fewer items than this are done in this process (a pool's start costs more)
MIN_ITEMS = 64


def default_workers() -> int:
    """The processes a publish uses: one per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _chunk(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    return [fn(item) for item in items]


def spread(fn: Callable[[T], R], items: Sequence[T], workers: int, cost: int = 1) -> list[R]:
    """``[fn(item) for item in items]``, over up to ``workers`` forked processes when the
    items, each ``cost`` times as heavy as a verdict, are worth at least :data:`MIN_ITEMS`
    verdicts. ``fn`` must be a module-level function."""
    if workers <= 1 or len(items) * cost < MIN_ITEMS or \
            "fork" not in multiprocessing.get_all_start_methods():
        return _chunk(fn, items)
    size = max(1, -(-len(items) // (workers * 4)))  # a few chunks per worker: even ends
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=context) as pool:
        done = pool.map(_chunk, [fn] * len(chunks), chunks)
        return [result for part in done for result in part]
