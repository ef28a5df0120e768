"""Publishing's two heavy parts (a verdict per point, a page per run) spread over processes.

A first publish of a large results folder computes tens of thousands of verdicts and makes
thousands of run pages, each independent of the others: :func:`spread` maps them over
forked worker processes, one chunk of items per task (every n-th item from one of
the first n: items ordered heaviest first end evenly). The workers inherit the items
themselves with everything imported (they are forked after the items are set aside), so a
task sends only where its chunk starts and ends, and only the results are pickled back.
Small jobs, a single core, or a platform without ``fork`` run in this process, in order;
the results come back in the items' order either way.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Sequence, TypeVar

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


#: what the forked workers read their chunks from: (fn, items), set before they are forked
_SHARED: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def _chunk(first: int, step: int) -> list[Any]:
    assert _SHARED is not None, "spread's workers are forked after its items are set"
    fn, items = _SHARED
    return [fn(item) for item in items[first::step]]


def spread(fn: Callable[[T], R], items: Sequence[T], workers: int, cost: int = 1) -> list[R]:
    """``[fn(item) for item in items]``, over up to ``workers`` forked processes when the
    items, each ``cost`` times as heavy as a verdict, are worth at least :data:`MIN_ITEMS`
    verdicts."""
    global _SHARED
    if workers <= 1 or len(items) * cost < MIN_ITEMS or \
            "fork" not in multiprocessing.get_all_start_methods():
        return [fn(item) for item in items]
    # a few chunks per worker, each every n-th item: heavy items put first spread over all
    chunks = min(len(items), workers * 4)
    context = multiprocessing.get_context("fork")
    _SHARED = (fn, items)
    out: list[Any] = [None] * len(items)
    gc.freeze()  # the workers' collector leaves what they inherit alone: no copy on write
    try:
        with ProcessPoolExecutor(max_workers=min(workers, chunks), mp_context=context) as pool:
            for first, part in enumerate(pool.map(_chunk, range(chunks), [chunks] * chunks)):
                out[first::chunks] = part
        return out
    finally:
        _SHARED = None
        gc.unfreeze()
