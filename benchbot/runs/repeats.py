"""A case over several measuring processes: when it needs another one, how the processes
become one result, and whether its figure is valid (pure).

Each process is measured as a case of its own (a fresh agent process, or one run of a
native tool); :func:`merge` folds it into the case so far. The statistics then come from
:mod:`benchbot.stats.processes`: the median and its 95% CI include the variance between
processes. :func:`needs_more` is the adaptive rule: at least ``min_processes``, then more
(up to ``max_repeat``) while the CI is wider than ``target_ci`` and the case's time budget
(``budget_s`` of measuring) is not spent. :func:`pair_needs_more` is ``benchbot ab``'s rule
for the two sides of a pair, which get their processes together: the sequential rule of
:mod:`benchbot.stats.paired` on the paired interval of their ratio.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime

from benchbot.stats import Summary, stability_warnings, summarize
from benchbot.stats.paired import fewest_pairs, keep_pairing
from benchbot.stats.processes import ProcessSummary, across_aggregates, across_processes
from benchbot.stats.sessions import SessionSpread, with_sessions
from benchbot.stats.validity import STATISTICAL, ValidityLimits, validity_codes
from benchbot.store import CaseResult, ProcessRun, Validity
from benchbot.sweep import MeasureSettings


def _seconds(run: ProcessRun) -> float:
    try:
        return (datetime.fromisoformat(run.ended_at)
                - datetime.fromisoformat(run.started_at)).total_seconds()
    except ValueError:
        return 0.0


def spent_s(case: CaseResult) -> float:
    """Seconds the case's processes took (load, warm-up and timed runs)."""
    return sum(_seconds(r) for r in case.runs)


def needs_more(case: CaseResult | None, settings: MeasureSettings) -> bool:
    """Whether the case should get another measuring process."""
    if case is None:
        return True
    if case.status != "ok":
        return False
    done = len(case.runs)
    if done < settings.min_processes:
        return True
    if not settings.adaptive or done >= settings.max_repeat:
        return False
    if spent_s(case) >= settings.budget_s:
        return False
    stats = case.stats
    if stats is None or stats.median_ms is None or stats.median_ms <= 0:
        return False
    low, high = stats.run_ci95  # more processes narrow this, not the spread between runs
    if low is None or high is None:
        return False
    return (high - low) / 2.0 / stats.median_ms > settings.target_ci


def pair_needs_more(a: CaseResult | None, b: CaseResult | None,
                    settings: MeasureSettings) -> bool:
    """Whether the two sides of an A/B pair should each get another process: the stopping
    rule of :func:`benchbot.stats.paired.keep_pairing` on the paired ``1 - alpha`` interval
    of B / A (never fewer pairs than the exact test needs to reach alpha), up to
    ``max_repeat`` pairs and twice the case budget. A fixed ``repeat`` is that many pairs."""
    if a is None or b is None:
        return True
    if a.status != "ok" or b.status != "ok":
        return False
    done = min(len(a.runs), len(b.runs))
    if not settings.adaptive:
        return done < settings.min_processes
    fewest = max(settings.min_processes, fewest_pairs(settings.alpha))
    if done >= fewest and spent_s(a) + spent_s(b) >= 2 * settings.budget_s:
        return False
    if done < 2:
        return True
    from benchbot.verdicts.processes import paired_processes  # numpy: only when measuring

    paired = paired_processes(a, b, 1.0 - settings.alpha)
    half = math.inf if paired is None else paired.ci_half_width
    return bool(keep_pairing(done, half, fewest, max(fewest, settings.max_repeat),
                             settings.target_ci))


def summary_of(runs: tuple[ProcessRun, ...]) -> Summary:
    """The case's statistics over its processes (one process: as measured)."""
    samples = [x for r in runs for x in r.samples_ms]
    groups = [r.samples_ms for r in runs if r.samples_ms]
    if samples:
        pooled = summarize(samples)
        if len(groups) < 2:
            return pooled
        across: ProcessSummary = across_processes(groups)
        return dataclasses.replace(pooled, median_ms=across.median_ms,
                                   ci95_low_ms=across.ci95_low_ms,
                                   ci95_high_ms=across.ci95_high_ms, processes=across.processes,
                                   between_cv=across.between_cv, within_cv=across.within_cv)
    from benchbot.verdicts.processes import central_of  # numpy: only when measuring

    centrals = [c for c in map(central_of, runs) if c is not None]
    first = next(r.aggregates for r in runs if r.aggregates is not None)
    if len(centrals) < 2:
        return first
    across = across_aggregates(centrals)
    n = sum(r.aggregates.n for r in runs if r.aggregates is not None)
    means = [r.aggregates.mean_ms for r in runs if r.aggregates is not None]
    return dataclasses.replace(first, n=n, median_ms=across.median_ms,
                               mean_ms=sum(means) / len(means), ci95_low_ms=across.ci95_low_ms,
                               ci95_high_ms=across.ci95_high_ms, processes=across.processes,
                               between_cv=across.between_cv, within_cv=None)


def assess(case: CaseResult, settings: MeasureSettings) -> Validity:
    """The case's validity: the codes of :mod:`benchbot.stats.validity`, plus any the runner
    already set (partially delegated, inaccurate)."""
    # the runner's own codes (partially delegated, inaccurate) stay; these are recomputed
    validity = Validity(tuple(c for c in case.validity.codes if c.code not in STATISTICAL))
    if case.status != "ok" or case.stats is None:
        return validity
    limits = ValidityLimits(min_runs=settings.min_runs, valid_ci=settings.valid_ci,
                            min_processes=min(3, settings.min_processes) if settings.adaptive
                            else 1 if settings.sustained_s is not None  # one long process
                            else 3)
    per_process = [len(r.samples_ms) for r in case.runs if r.samples_ms]
    for code, detail, advice in validity_codes(
            case.stats, per_process, [r.stop_reason for r in case.runs], limits,
            throttled=any(r.throttled for r in case.runs),
            gate_timeout=any(r.thermal_gate_timeout for r in case.runs)):
        validity = validity.with_code(code, detail, advice)
    return validity


def merge(so_far: CaseResult | None, new: CaseResult, settings: MeasureSettings) -> CaseResult:
    """The case with one more process folded in; its statistics and validity recomputed.

    A process that failed after earlier ones succeeded does not fail the case: its
    processes so far stand, and the failure becomes a warning.
    """
    if so_far is None or so_far.status != "ok":
        case = new
    elif new.status != "ok":
        case = dataclasses.replace(so_far, ended_at=new.ended_at, warnings=(
            *so_far.warnings, f"process {len(so_far.runs) + 1} failed ({new.error}); the "
                              f"{len(so_far.runs)} before it are kept"))
    else:
        runs = (*so_far.runs, *new.runs)
        stats = summary_of(runs)
        stale = {*stability_warnings(so_far.stats), *stability_warnings(new.stats)}
        device = [w for w in (*so_far.warnings, *new.warnings) if w not in stale]
        case = dataclasses.replace(
            so_far, runs=runs, stats=stats, ended_at=new.ended_at,
            warnings=tuple(dict.fromkeys((*device, *stability_warnings(stats)))),
            attempts=max(so_far.attempts, new.attempts))
    return dataclasses.replace(case, validity=assess(case, settings))


def with_spread(case: CaseResult, spread: SessionSpread) -> CaseResult:
    """The case with a CI that includes the device's spread between runs (cases of several
    processes; applied again, it gives the same case): ``ci95_*`` widened, the run's own
    interval kept as ``within_ci95_*``."""
    stats = case.stats
    if case.status != "ok" or stats is None or stats.processes < 2 or not stats.median_ms:
        return case
    low, high = stats.run_ci95
    if low is None or high is None or low <= 0 or high < low:
        return case
    wide_low, wide_high = with_sessions(stats.median_ms, low, high, stats.processes - 1, spread)
    return dataclasses.replace(case, stats=dataclasses.replace(
        stats, ci95_low_ms=wide_low, ci95_high_ms=wide_high, within_ci95_low_ms=low,
        within_ci95_high_ms=high, between_runs_sd=spread.sd, between_runs_from=spread.runs))
