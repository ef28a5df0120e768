"""How far each device has moved between runs, read from the results folder (the I/O of
:mod:`benchbot.stats.sessions`, which holds the statistics).

Every successful case of every run in the folder is a point: its log median and the
standard error of it within its run (from the run's own CI, at its processes' degrees of
freedom). Points group by configuration: the model's content (sha256), the device and the
host that drove it, runtime, backend, runner, threads, batch, precision and int8 mode. Only
the last :data:`WINDOW` runs of each configuration count, and a comparison reads only the
runs before its candidate. A device's spread (by its profile name) pools its
configurations, on every host. The results index answers when the folder has one;
otherwise the newest run files are read (a run never creates the index).
"""

from __future__ import annotations

import math
from collections import deque, namedtuple
from pathlib import Path
from typing import AbstractSet, Iterable

from benchbot.errors import ConfigError, UserError
from benchbot.stats.sessions import ASSUMED, SessionSpread, assumed, between_sessions
from benchbot.stats.student import t_quantile
from benchbot.store import load_run
from benchbot.store.index import INDEX_NAME, Row, case_row, open_index

WINDOW = 20  # the last runs of each configuration: an old shift (an upgrade) ages out
MAX_FILES = 200  # without an index, the newest run files read (run ids sort by start time)


# what the spread needs of one case: these index columns, in this order
Point = namedtuple("Point", ("device", "host", "model_sha256", "runtime", "backend", "runner",
                             "threads", "batch", "precision", "int8_mode", "started_at",
                             "run_id", "median_ms", "run_ci95_low_ms", "run_ci95_high_ms",
                             "processes"))


def _log_point(p: Point) -> tuple[float, float] | None:
    """(log median, its standard error within the run), or None without a usable CI."""
    median, low, high = p.median_ms, p.run_ci95_low_ms, p.run_ci95_high_ms
    if not median or not low or not high or low <= 0 or high < low or median <= 0:
        return None
    df = (p.processes or 1) - 1
    q = t_quantile(0.975, df) if df >= 1 else t_quantile(0.975, math.inf)
    return math.log(median), math.log(high / low) / 2.0 / q


def spreads_of(points: Iterable[Point], window: int = WINDOW) -> dict[str, SessionSpread]:
    """Each device's spread between runs, from successful cases in the order their runs
    started: the last ``window`` runs of each configuration (devices with too few are left
    out). Memory stays at ``window`` points per configuration."""
    groups: dict[str, dict[tuple[object, ...], deque[tuple[float, float]]]] = {}
    for p in points:
        point = _log_point(p)
        if point is None:
            continue
        config = (p.host, p.model_sha256, p.runtime, p.backend, p.runner, p.threads, p.batch,
                  p.precision, p.int8_mode or "")
        groups.setdefault(p.device, {}).setdefault(config, deque(maxlen=window)).append(point)
    found = {}
    for key, configs in groups.items():
        spread = between_sessions([list(points) for points in configs.values()])
        if spread is not None:
            found[key] = spread
    return found


def _points_from_files(results: Path) -> list[Point]:
    """The successful cases of the newest :data:`MAX_FILES` run files, in the order the
    runs started."""
    names = sorted((p for p in results.glob("*.json") if not p.name.startswith(".")),
                   key=lambda p: p.name)[-MAX_FILES:]
    rows: list[Row] = []
    for path in names:
        try:
            record = load_run(path)
        except UserError:  # not a run, or unreadable: reports warn about it, this skips it
            continue
        rows += (Row(*case_row(record, i, c, path.name)) for i, c in enumerate(record.cases))
    rows.sort(key=lambda r: (r.started_at, r.file, r.position))
    return [Point(*(getattr(r, f) for f in Point._fields)) for r in rows if r.status == "ok"]


def device_spreads(results: Path, skip_runs: AbstractSet[str] = frozenset(),
                   before: str | None = None) -> dict[str, SessionSpread]:
    """The spread between runs of every device the folder's runs (other than
    ``skip_runs``, started before ``before``) have enough of."""
    if not results.is_dir():
        return {}
    index = open_index(results) if (results / INDEX_NAME).exists() else None
    points: Iterable[Point] = _points_from_files(results) if index is None else (
        Point(*v) for v in index.select(Point._fields, "status = 'ok'"))
    try:
        return spreads_of(p for p in points if p.run_id not in skip_runs
                          and (before is None or p.started_at < before))
    finally:
        if index is not None:
            index.close()


def spread_option(text: str, results: Path, candidate_runs: AbstractSet[str],
                  before: str = "") -> tuple[dict[str, SessionSpread], SessionSpread]:
    """``--session-spread``: auto (each device's from the folder's runs before the
    candidate's, which are left out: the spread is what the device did while nothing
    changed) or N% for every device; (per device, for the rest)."""
    if text.strip().lower() == "auto":
        return device_spreads(results, candidate_runs, before or None), ASSUMED
    from benchbot.verdicts import parse_threshold  # numpy, which planning a run never needs

    try:
        return {}, assumed(parse_threshold(text, "--session-spread"))
    except ConfigError as exc:
        raise ConfigError(f"{exc}; or auto (estimated from the results folder)") from None
