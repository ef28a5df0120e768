"""benchbot from Python: measure, load, tabulate and compare runs without the CLI.

    >>> import benchbot
    >>> run = benchbot.run(["models/tiny_conv.onnx"], threads=(1, 2), min_time=0.5)
    >>> frame = benchbot.to_dataframe([run])
    >>> benchbot.compare(benchbot.load("results")[0], run)

Errors are the CLI's: :class:`benchbot.errors.UserError` for bad input (a missing model,
an unknown option), :class:`benchbot.errors.DeviceUnavailable` for a device that cannot
be reached; a case that fails is recorded in the run, not raised.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from benchbot.verdicts import (Comparison, CompareSettings, EstimateSettings, ThresholdPolicy,
                              parse_threshold, side_of_run)
from benchbot.verdicts import compare as compare_sides
from benchbot.devices import DeviceOptions
from benchbot.errors import ConfigError, UserError
from benchbot.profiles import profile_dirs
from benchbot.report.tabular import rows
from benchbot.runs import session
from benchbot.stats.sessions import assumed
from benchbot.store import CaseResult, RunRecord, load_runs
from benchbot.store.entries import Entry, labelled
from benchbot.sweep import Case
from benchbot.sweep.config import MEASURE_KEYS, spec_from_values
from benchbot.variants import DEFAULT_CACHE_DIR

if TYPE_CHECKING:
    import pandas

log = logging.getLogger("benchbot")

MEASURE_NAMES = tuple(MEASURE_KEYS)  # the sweep file's [measure] names


class _LogProgress:
    """Progress of a run from Python: to the ``benchbot`` logger, nothing on the console."""

    def case_started(self, index: int, case: Case) -> None:
        log.info("case %d: %s", index + 1, case.label)

    def case_finished(self, index: int, result: CaseResult) -> None:
        log.info("case %d %s", index + 1, result.status)

    def note(self, message: str) -> None:
        log.warning("%s", message)


def _names(value: str | Path | Iterable[str | Path]) -> tuple[str, ...]:
    if isinstance(value, (str, Path)):
        return (str(value),)
    return tuple(str(v) for v in value)


def _listed(value: Any) -> Any:
    """An axis given as one value or a sequence, as a sweep file's list (else as given)."""
    return list(value) if isinstance(value, (tuple, list, range)) else value


def run(models: str | Path | Sequence[str | Path], device: str | Sequence[str] = "local",
        threads: int | Sequence[int] = (1,), batch: int | Sequence[int] = (1,),
        precision: str | Sequence[str] = ("fp32",), backend: str | Sequence[str] = ("cpu",),
        results: str | Path | None = None, runtime: str | Sequence[str] | None = None,
        **measure: float) -> RunRecord:
    """Measure ``models`` on the devices over the sweep; returns the finished run.

    ``measure`` takes the names of a sweep file's ``[measure]`` table: ``warmup``,
    ``min_runs``, ``max_runs``, ``min_time``, ``max_time`` (seconds), ``case_timeout``,
    ``repeat`` (processes per case; default adaptive), ``max_repeat``, ``target_ci``, ``valid_ci``,
    ``case_budget``, ``order``, ``seed``, ``profile_ops``, ``min_cosine``.
    ``runtime`` (e.g. "openvino"): the runtimes that run each model, among those that read
    its format (default: the one its suffix selects).
    The run is saved in ``results`` (default ``results/``) as ``benchbot run`` saves it.

    >>> run = benchbot.run("models/tiny_conv.onnx", threads=(1, 2), min_time=0.2)
    >>> {c.threads: c.stats.median_ms for c in run.cases if c.status == "ok"}
    """
    unknown = sorted(set(measure) - set(MEASURE_NAMES))
    if unknown:
        raise ConfigError(f"unknown measure setting(s) {', '.join(unknown)}; known: "
                          f"{', '.join(MEASURE_NAMES)}")
    # checked as a sweep file is (the same checks as the CLI's options), before anything runs
    spec = spec_from_values({"devices": _listed(device), "models": list(_names(models)),
                             "threads": _listed(threads), "batch": _listed(batch),
                             "precision": _listed(precision), "backend": _listed(backend),
                             "measure": dict(measure),
                             **({"runtime": _listed(runtime)} if runtime is not None else {})},
                            "benchbot.run()")
    profiles = session.profiles_of(spec.devices or ("local",), profile_dirs(), None)
    plan = session.plan_of(spec, profiles, Path("models/zoo"))
    plan = session.prepare(plan, profiles, "static", Path(DEFAULT_CACHE_DIR), log.info)
    return session.measure(plan, profiles, DeviceOptions(), Path(results or "results"),
                           _LogProgress(), log.info)


def load(path: str | Path) -> list[RunRecord]:
    """Every run of a results file, or of a folder of them, oldest first (a broken run in
    a folder is skipped, with a warning to the ``benchbot`` logger).

    >>> runs = benchbot.load("results")
    >>> latest = runs[-1]
    """
    records = load_runs([Path(path)], log.warning)  # a broken run in a folder: skipped
    return sorted(records, key=lambda r: r.started_at)


def to_dataframe(runs: RunRecord | Iterable[RunRecord]) -> pandas.DataFrame:
    """One row per case: the configuration, the statistics (ms) and the status.

    Needs pandas (``pip install benchbot[pandas]``).

    >>> frame = benchbot.to_dataframe(benchbot.load("results"))
    >>> frame.groupby(["model", "threads"])["median_ms"].min()
    """
    try:
        import pandas
    except ImportError:
        raise UserError("to_dataframe needs pandas, which is not installed: "
                        "pip install benchbot[pandas]") from None
    records = [runs] if isinstance(runs, RunRecord) else list(runs)
    entries = labelled([Entry(r.run_id, c) for r in records for c in r.cases])
    started = {r.run_id: r.started_at for r in records}
    table = [{**row, "started_at": started[row["run_id"]]} for row in rows(entries)]
    return pandas.DataFrame(table)


def compare(baseline: RunRecord, candidate: RunRecord, *, alpha: float = 0.01,
            threshold: str | float = "5%", method: str = "hl",
            session_spread: str | float = "5%") -> list[Comparison]:
    """Case-by-case verdicts (slower, faster, unchanged, uncertain) of two runs.

    ``threshold`` is the smallest change that counts ("5%" or 0.05); ``method`` is how
    the ratio's CI is estimated ("hl": Hodges-Lehmann, "bootstrap"); ``session_spread``
    how far the device moves between two runs (``benchbot compare`` estimates it from
    the results folder's runs).

    >>> before, after = benchbot.load("results")[-2:]
    >>> [(c.key.model, c.verdict.kind) for c in benchbot.compare(before, after)]
    """
    settings = CompareSettings(alpha=alpha,
                               thresholds=ThresholdPolicy(default=parse_threshold(threshold)),
                               estimation=EstimateSettings(method=method),
                               assumed_spread=assumed(parse_threshold(session_spread,
                                                                      "session_spread")))
    report = compare_sides(side_of_run(baseline, "baseline"), side_of_run(candidate, "candidate"),
                           settings)
    return list(report.comparisons)
