"""The change between two cases measured in several processes each: the ratio of their
medians with a CI that includes both sides' between-process variance (pure).

Each side's statistics already hold a 95% CI of its median built across its processes
(:mod:`benchbot.stats.processes`: a hierarchical bootstrap standard error with Student's t
at k - 1 degrees of freedom). The standard error of the log median is recovered from that
interval, the two combine like independent estimates, and the log ratio's interval uses
Welch–Satterthwaite degrees of freedom [1]_, so three processes against three give an
honest, wide interval. Two different runs also differ by their sessions' levels: with the
device's spread between runs (:mod:`benchbot.stats.sessions`), ``2 tau2`` joins the
variance (and its degrees of freedom the sum), so a run-to-run drift of the device is not
read as a change.

References
----------
.. [1] Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
   components. *Biometrics Bulletin* 2(6), 110-114.
"""

from __future__ import annotations

import math
import statistics
from datetime import datetime

from benchbot.stats import Summary
from benchbot.stats.drift import Drift, drift_of
from benchbot.stats.paired import PairedRatio, paired_ratio
from benchbot.stats.sessions import NONE, SessionSpread, combined
from benchbot.stats.student import t_quantile, t_two_sided_p
from benchbot.store import CaseResult, ProcessRun


def log_se(stats: Summary) -> tuple[float, int] | None:
    """The standard error of log(median) within its run (from the run's own 95% CI) and
    its degrees of freedom; None for one process."""
    low, high = stats.run_ci95
    if stats.processes < 2 or stats.median_ms is None or low is None or high is None \
            or low <= 0:
        return None
    df = stats.processes - 1
    return math.log(high / low) / 2.0 / t_quantile(0.975, df), df


def process_ratio(base: Summary, cand: Summary, confidence: float = 0.95,
                  spread: SessionSpread | None = None
                  ) -> tuple[float, float, float, float] | None:
    """(ratio, ci_low, ci_high, p_value) of candidate / baseline medians; None when either
    side has fewer than two processes. With the ``spread`` of their device between runs
    (two different runs), each side's level adds its variance too."""
    b, c = log_se(base), log_se(cand)
    if b is None or c is None or not base.median_ms or not cand.median_ms:
        return None
    log_ratio = math.log(cand.median_ms / base.median_ms)
    se, df = combined([b, c], spread or NONE, sessions=2)
    if se == 0:
        p = 0.0 if log_ratio else 1.0
        return math.exp(log_ratio), math.exp(log_ratio), math.exp(log_ratio), p
    half = t_quantile(0.5 + confidence / 2.0, df) * se
    p = t_two_sided_p(log_ratio / se, df)
    return (math.exp(log_ratio), math.exp(log_ratio - half), math.exp(log_ratio + half), p)


def central_of(run: ProcessRun) -> float | None:
    """A process's central figure: the median of its samples, else the median (or mean) its
    tool reported."""
    if run.samples_ms:
        return statistics.median(run.samples_ms)
    a = run.aggregates
    if a is None:
        return None
    return a.median_ms if a.median_ms is not None else a.mean_ms


def drift_by_device(cases: tuple[CaseResult, ...]) -> dict[str, Drift]:
    """Each device's drift over the run (:mod:`benchbot.stats.drift`): its cases' processes
    in the order they started, each as its case and central figure; devices with too few
    neighbouring processes of different cases are left out."""
    ran: dict[str, list[tuple[datetime, str, float]]] = {}
    for case in cases:
        if case.status != "ok":
            continue
        for run in case.runs:
            try:
                started = datetime.fromisoformat(run.started_at)
            except ValueError:  # an old record without start times: no order to read
                continue
            central = central_of(run)
            if central is not None:
                ran.setdefault(case.device, []).append((started, case.id, central))
    found = {}
    for device, processes in ran.items():
        drift = drift_of([(case, central) for _, case, central in
                           sorted(processes, key=lambda p: p[0])])
        if drift is not None:
            found[device] = drift
    return found


# the codes a drifting device raises: its processes spread, so the run's own CI widens
DRIFT_SHOWS = frozenset({"unstable_between_processes", "wide_ci"})


def drifting_devices(cases: tuple[CaseResult, ...]) -> dict[str, Drift]:
    """The devices that changed speed by themselves during the run (:meth:`Drift.seen`),
    looked for only where their processes spread enough to make a case not valid."""
    spread = {c.device for c in cases if c.status == "ok"
              and any(code.code in DRIFT_SHOWS for code in c.validity.codes)}
    if not spread:
        return {}
    found = drift_by_device(tuple(c for c in cases if c.device in spread))
    return {device: d for device, d in sorted(found.items()) if d.seen()}


def paired_processes(base: CaseResult, cand: CaseResult, confidence: float = 0.95
                     ) -> PairedRatio | None:
    """B / A pair by pair over the processes of two cases measured alternately (the i-th
    of one beside the i-th of the other, as ``benchbot ab`` runs them); None with fewer
    than two pairs."""
    pairs = [(a, b) for a, b in zip(map(central_of, base.runs), map(central_of, cand.runs))
             if a and b and a > 0 and b > 0]
    if len(pairs) < 2:
        return None
    return paired_ratio([a for a, _ in pairs], [b for _, b in pairs], confidence)
