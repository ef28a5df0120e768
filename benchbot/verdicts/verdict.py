"""Verdicts: is a case slower, faster, unchanged, or is it too noisy to tell (pure).

A case is ``slower`` only when the change is both real and large enough to
matter:

- real: the p-value is below alpha (default 0.01) AND the whole confidence
  interval of the ratio lies above 1;
- large: the point estimate of the ratio exceeds 1 + threshold (default 5%);
- or, whatever the p-value: an interval at the test's level (``1 - alpha``) or stricter
  lies wholly above 1 + threshold. ``benchbot ab`` reports its interval at that level, so
  its verdict and its interval cannot disagree. (``compare`` reports 95% intervals, the
  level of every case's CI; with alpha below 0.05 it also needs the p-value.)

``faster`` mirrors it (interval below 1, estimate below 1 - threshold).
``unchanged`` means the interval lies within [1 - threshold, 1 + threshold]:
whatever changed is too small to matter, and we know it. Anything else is
``uncertain``, with the real reason: a change that is real but within the
threshold, pairs that disagree in sign (ab), too few pairs to reach alpha (ab), or
too noisy to tell. Demanding both conditions keeps false alarms rare on noisy
phones (a significant 1% change with thousands of runs is not a regression) and
never calls a large but noisy difference a regression on thin evidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Mapping, Sequence

from benchbot.verdicts.estimate import Estimate, EstimateSettings, NotComparable, estimate
from benchbot.store.casekey import CaseKey
from benchbot.verdicts.match import match_entries
from benchbot.verdicts.sides import Side
from benchbot.verdicts.thresholds import ThresholdPolicy
from benchbot.errors import ConfigError
from benchbot.stats.paired import fewest_pairs, smallest_p
from benchbot.stats.sessions import ASSUMED, MIN_RUNS, SessionSpread
from benchbot.store.entries import Entry


class Kind(StrEnum):
    """Verdict kinds, in order of severity."""

    SLOWER = "slower"
    FAILED = "failed"  # a side failed to run the case: nothing to compare
    UNCERTAIN = "uncertain"
    FASTER = "faster"
    UNCHANGED = "unchanged"
    ADDED = "added"
    REMOVED = "removed"


SEVERITY = tuple(Kind)


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    reason: str


@dataclass(frozen=True)
class Comparison:
    """One case, baseline against candidate."""

    key: CaseKey
    verdict: Verdict
    baseline: Entry | None
    candidate: Entry | None
    estimate: Estimate | None
    threshold: float
    model_changed: bool = False

    @property
    def change(self) -> float | None:
        """Relative change of the estimate: +0.10 is 10% slower."""
        return None if self.estimate is None else self.estimate.ratio - 1.0


@dataclass(frozen=True)
class CompareSettings:
    alpha: float = 0.01
    thresholds: ThresholdPolicy = field(default_factory=ThresholdPolicy)
    estimation: EstimateSettings = field(default_factory=EstimateSettings)
    # a verdict from one process per side can be slower/faster only when confirmed (e.g.
    # nightly's re-measure, or a test of the within-process statistics)
    trust_one_process: bool = False
    # how far each device moves between runs (benchbot.stats.sessions), by device name;
    # ``assumed_spread`` for devices with too few runs to tell. Cases of two different runs
    # are compared with it; cases of one session (benchbot ab) without.
    spreads: Mapping[str, SessionSpread] = field(default_factory=dict)
    assumed_spread: SessionSpread = ASSUMED

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise ConfigError(f"--alpha: {self.alpha} must be between 0 and 1, e.g. 0.01")


def _pct(x: float) -> str:
    return f"{x:+.1%}" if math.isfinite(x) else ("+inf" if x > 0 else "-100%")


def _too_few_pairs(est: Estimate, alpha: float) -> Verdict | None:
    """ab with fewer pairs than its exact test needs to reach alpha: no verdict but that."""
    if est.method != "paired" or est.n_baseline >= fewest_pairs(alpha):
        return None
    more = fewest_pairs(alpha) - est.n_baseline
    return Verdict(Kind.UNCERTAIN, f"needs {more} more pair{'s' if more != 1 else ''} to reach "
                                   f"alpha {alpha:g}: the smallest p-value of {est.n_baseline} "
                                   f"pairs is {smallest_p(est.n_baseline):.2g}; give --repeat "
                                   f"{fewest_pairs(alpha)} or more (or leave it adaptive)")


def decide(est: Estimate, threshold: float, alpha: float) -> Verdict:
    """The verdict rule of the module docstring, with the reason spelled out."""
    level = f"{est.confidence:.0%} CI"
    ci = f"{level} {_pct(est.ci_low - 1)} to {_pct(est.ci_high - 1)}"
    p = "p < 0.0001" if est.p_value < 1e-4 else f"p = {est.p_value:.2g}"
    few = _too_few_pairs(est, alpha)
    if few is not None:
        return few
    significant = est.p_value < alpha
    # an interval at the test's level (or a stricter one) wholly past the threshold is the
    # verdict whatever the p-value's rounding: the two never contradict each other
    at_level = est.confidence >= 1.0 - alpha - 1e-9
    if (significant and est.ci_low > 1.0 and est.ratio > 1.0 + threshold) or \
            (at_level and est.ci_low > 1.0 + threshold):
        return Verdict(Kind.SLOWER, f"{_pct(est.ratio - 1)} ({ci}, {p}) exceeds the "
                                    f"{threshold:.0%} threshold")
    if (significant and est.ci_high < 1.0 and est.ratio < 1.0 - threshold) or \
            (at_level and est.ci_high < 1.0 - threshold):
        return Verdict(Kind.FASTER, f"{_pct(est.ratio - 1)} ({ci}, {p}) beyond the "
                                    f"{threshold:.0%} threshold")
    if 1.0 - threshold <= est.ci_low and est.ci_high <= 1.0 + threshold:
        return Verdict(Kind.UNCHANGED, f"{ci} within +-{threshold:.0%}")
    if not (math.isfinite(est.ci_high) and est.ci_low > 0):
        return Verdict(Kind.UNCERTAIN, f"too few runs ({est.n_baseline} vs {est.n_candidate}) "
                                       "for a confidence interval: raise --min-runs")
    if significant and (est.ci_low > 1.0 or est.ci_high < 1.0):
        return Verdict(Kind.UNCERTAIN, f"the change is within the threshold: "
                                       f"{_pct(est.ratio - 1)} ({ci}, {p}) is real but not "
                                       f"beyond +-{threshold:.0%}")
    if est.slower_pairs is not None:
        return Verdict(Kind.UNCERTAIN, f"the pairs disagree in sign: {est.slower_pairs} of "
                                       f"{est.n_baseline} slower ({ci}, {p}); raise "
                                       "--max-repeat for more pairs, or quiet the device")
    if est.method == "processes":  # the spread between processes and runs dominates
        return Verdict(Kind.UNCERTAIN, f"too noisy to tell ({ci}, {p}): measure both with "
                                       "more processes (--max-repeat)")
    return Verdict(Kind.UNCERTAIN, f"too noisy to tell ({ci}, {p}): rerun both with a larger "
                                   "--min-time or --min-runs")


def _compare_one(key: CaseKey, base: Entry | None, cand: Entry | None, changed: bool,
                 settings: CompareSettings, paired: bool = False) -> Comparison:
    threshold = settings.thresholds.for_case(key.stem, key.device)
    if base is None or cand is None:
        kind = Kind.ADDED if base is None else Kind.REMOVED
        where = "candidate" if base is None else "baseline"
        return Comparison(key, Verdict(kind, f"measured in the {where} only"), base, cand, None,
                          threshold)
    failed = [side for side, e in (("baseline", base), ("candidate", cand))
              if e.case.status != "ok"]
    if failed:
        error = (cand if cand.case.status != "ok" else base).case.error
        return Comparison(key, Verdict(Kind.FAILED, f"failed on the {' and '.join(failed)}: "
                                                    f"{error}"),
                          base, cand, None, threshold, changed)
    spread = None if base.run_id == cand.run_id else \
        settings.spreads.get(key.device, settings.assumed_spread)
    try:
        est = estimate(base.case, cand.case, settings.estimation, paired=paired, spread=spread)
    except NotComparable as exc:
        return Comparison(key, Verdict(Kind.UNCERTAIN, f"{exc}: nothing to compare; measure "
                                                       "with the agent runner for samples"),
                          base, cand, None, threshold, changed)
    verdict = decide(est, threshold, settings.alpha)
    if verdict.kind == Kind.UNCERTAIN and est.method == "processes" and spread is not None \
            and spread.tau2 > 0:
        source = (f"from {spread.runs} runs" if spread.estimated
                  else f"assumed until it has {MIN_RUNS} runs of a model")
        verdict = Verdict(Kind.UNCERTAIN, f"{verdict.reason}; {key.device} moves about "
                                          f"{spread.sd:.1%} between runs ({source}): "
                                          "benchbot ab measures both in one session")
    if est.method not in ("processes", "paired") and verdict.kind in (Kind.SLOWER, Kind.FASTER) \
            and not settings.trust_one_process:
        verdict = Verdict(Kind.UNCERTAIN, f"{verdict.kind} within one measuring process per "
                                          f"side ({verdict.reason}), but how much the device "
                                          "varies between processes is unknown: measure both "
                                          "with --repeat 3 or more (the default), or confirm "
                                          "with benchbot ab")
    return Comparison(key, verdict, base, cand, est, threshold, changed)


def _order(c: Comparison) -> tuple[int, float, CaseKey]:
    size = 0.0
    if c.estimate is not None and c.verdict.kind in (Kind.SLOWER, Kind.UNCERTAIN, Kind.FASTER):
        ratio = c.estimate.ratio
        size = -abs(math.log(ratio)) if 0 < ratio < math.inf else -math.inf
    return SEVERITY.index(c.verdict.kind), size, c.key


@dataclass(frozen=True)
class CompareReport:
    """Every case of the two sides, most severe first."""

    baseline_label: str
    candidate_label: str
    settings: CompareSettings
    comparisons: tuple[Comparison, ...]

    def count(self, kind: Kind) -> int:
        return sum(1 for c in self.comparisons if c.verdict.kind == kind)

    @property
    def slower(self) -> tuple[Comparison, ...]:
        return tuple(c for c in self.comparisons if c.verdict.kind == Kind.SLOWER)

    def summary_line(self) -> str:
        """'2 slower, 1 faster, 10 unchanged, 1 uncertain' (+ failed/added/removed if any)."""
        parts = [f"{self.count(k)} {k}" for k in (Kind.SLOWER, Kind.FASTER, Kind.UNCHANGED,
                                                   Kind.UNCERTAIN)]
        parts += [f"{self.count(k)} {k}" for k in (Kind.FAILED, Kind.ADDED, Kind.REMOVED)
                  if self.count(k)]
        return ", ".join(parts)


def compare(baseline: Side, candidate: Side,
            settings: CompareSettings = CompareSettings()) -> CompareReport:
    """Match the cases of both sides and give each a verdict, most severe first."""
    rows = [_compare_one(m.key, m.baseline, m.candidate, m.model_changed, settings)
            for m in match_entries(baseline.entries, candidate.entries)]
    return CompareReport(baseline.label, candidate.label, settings,
                         tuple(sorted(rows, key=_order)))


def compare_one(baseline: Entry, candidate: Entry,
                settings: CompareSettings = CompareSettings()) -> Comparison:
    """The verdict on one case already known to be the same configuration on both sides
    (two points of one series): what :func:`compare` gives that pair, without matching."""
    return _compare_one(CaseKey.of(candidate.case), baseline, candidate,
                        baseline.case.model_sha256 != candidate.case.model_sha256, settings)


def compare_pairs(baseline_label: str, candidate_label: str,
                  pairs: Sequence[tuple[Entry, Entry]],
                  settings: CompareSettings = CompareSettings()) -> CompareReport:
    """Verdicts for cases paired by the caller (``benchbot ab``: two models, one
    configuration each, their processes alternating), rather than matched by model and
    configuration; compared process pair by process pair, with the interval at the test's
    level (``1 - alpha``)."""
    settings = replace(settings, estimation=replace(settings.estimation,
                                                    confidence=1.0 - settings.alpha))
    rows = [_compare_one(CaseKey.of(cand.case), base, cand,
                         base.case.model_sha256 != cand.case.model_sha256, settings,
                         paired=True)
            for base, cand in pairs]
    return CompareReport(baseline_label, candidate_label, settings,
                         tuple(sorted(rows, key=_order)))
