"""A series' identity in the site: a readable, stable id from its configuration (pure).

A series is one configuration across runs (``CaseKey.configuration``: the
model file, device, runtime, backend, runner, threads, batch, precision, int8 mode). Its id
names it for a person and hashes the whole key, so two configurations never share a file
and the same one keeps its file (and its permalink) from one publish to the next.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from benchbot.verdicts import CompareReport

SERIES_PAGE = "series.html"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.]+", "_", text).strip("_.")[:40] or "x"


def series_id(key: Sequence[object]) -> str:
    """``name-device-t1-b1-fp32-1a2b3c4d``: the configuration ``key`` (CaseKey.configuration order:
    model path, device, runtime, backend, runner, threads, batch, precision, int8 mode)."""
    path, device, _runtime, _backend, _runner, threads, batch, precision, int8 = key
    digest = hashlib.sha1(json.dumps([str(v) if v is not None else "" for v in key])
                          .encode("utf-8")).hexdigest()[:8]
    name = str(path).replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    parts = [name, str(device), f"t{threads}", f"b{batch}", str(precision)]
    if int8:
        parts.append(str(int8))
    return "-".join(_slug(p) for p in parts) + f"-{digest}"


def series_link(key: Sequence[object]) -> str:
    """The series page's permalink, relative to the site's root."""
    return f"{SERIES_PAGE}#s={series_id(key)}"


def slower_links(report: CompareReport) -> list[tuple[str, str]]:
    """(case label, series permalink) of each case ``report`` calls slower: where
    ``benchbot nightly --site`` points the reader."""
    from benchbot.store.casekey import CaseKey

    return [(f"{c.key.model} on {c.key.device}, {c.key.config}",
             series_link(CaseKey.of(c.candidate.case).configuration))
            for c in report.slower if c.candidate is not None]
