"""Statistics across measuring processes: a case's median and a 95% CI that includes the
variance between processes, not only within one (pure; numpy is imported when used).

A case measured in k fresh processes is two-level data: every process has its own level
(where the allocator put the weights, which cores it got, the clocks of that moment)
and its samples scatter around it. An interval built from one process's samples says
how well that process's median is known, not how well the device's is, and a second
run falls outside it. Here:

- the centre is the median of the processes' samples pooled with equal weight per
  process (each process is resampled to the same number of quantiles first);
- its standard error comes from a hierarchical bootstrap [1]_ [2]_: resample processes
  with replacement, then samples within each chosen process; the bootstrap standard
  error of the log centre is inflated by sqrt(k / (k - 1)) (the bootstrap's bias for a
  mean of k values) and combined with Student's t at k - 1 degrees of freedom, so that
  three processes give an honest, wide interval rather than an over-confident one;
- processes that report only aggregates (a native tool's median or mean) contribute
  their central figure; the interval is then the t interval of the log centrals.

The spread between processes is reported as the coefficient of variation of their
medians (``between_cv``), beside the typical within-process robust CV (``within_cv``).

References
----------
.. [1] Davison, A. C. & Hinkley, D. V. (1997). *Bootstrap Methods and their
   Application*, sec. 3.8 (hierarchical data). Cambridge University Press.
.. [2] Saravanan, V., Berman, G. J. & Sober, S. J. (2020). Application of the
   hierarchical bootstrap to multi-level data in neuroscience. *Neurons, Behavior,
   Data analysis, and Theory* 3(5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from benchbot.stats.student import t_quantile

QUANTILES_PER_PROCESS = 200
RESAMPLES = 1000
SEED = 20240601


@dataclass(frozen=True)
class ProcessSummary:
    """A case over its processes: centre, CI, and the spreads between and within."""

    processes: int
    median_ms: float
    ci95_low_ms: float
    ci95_high_ms: float
    between_cv: float | None  # CV of the processes' medians (None for one process)
    within_cv: float | None  # median of the processes' robust CVs (None: aggregates only)

    @property
    def ci_half_width(self) -> float:
        """Half the CI's width relative to the median: 0.02 is +-2%."""
        return (self.ci95_high_ms - self.ci95_low_ms) / 2.0 / self.median_ms


def _robust_cv(xs: Sequence[float]) -> float:
    ordered = sorted(xs)
    med = ordered[len(ordered) // 2] if len(ordered) % 2 else \
        (ordered[len(ordered) // 2 - 1] + ordered[len(ordered) // 2]) / 2
    dev = sorted(abs(x - med) for x in ordered)
    mad = dev[len(dev) // 2] if len(dev) % 2 else (dev[len(dev) // 2 - 1] + dev[len(dev) // 2]) / 2
    return 1.4826 * mad / med if med > 0 else 0.0


def _cv(values: Sequence[float]) -> float | None:
    if len(values) < 2:
        return None
    mean = math.fsum(values) / len(values)
    var = math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return math.sqrt(var) / mean if mean > 0 else None


def across_processes(samples: Sequence[Sequence[float]], confidence: float = 0.95,
                     resamples: int = RESAMPLES, seed: int = SEED) -> ProcessSummary:
    """The case over the raw samples of each of its processes (at least two processes)."""
    import numpy as np

    groups = [np.asarray(g, float) for g in samples if len(g)]
    k = len(groups)
    if k < 2:
        raise ValueError("statistics across processes need at least two processes")
    probs = (np.arange(QUANTILES_PER_PROCESS) + 0.5) / QUANTILES_PER_PROCESS
    levels = np.stack([np.quantile(g, probs) for g in groups])  # k x Q, equal weights
    centre = float(np.median(levels))
    rng = np.random.default_rng(seed)
    which = rng.integers(0, k, size=(resamples, k))
    picks = rng.integers(0, QUANTILES_PER_PROCESS, size=(resamples, k, QUANTILES_PER_PROCESS))
    drawn = levels[which[:, :, None], picks]  # resample processes, then samples in each
    boot = np.median(drawn.reshape(resamples, -1), axis=1)
    se = float(np.std(np.log(boot), ddof=1)) * math.sqrt(k / (k - 1))
    half = t_quantile(0.5 + confidence / 2.0, k - 1) * se
    medians = [float(np.median(g)) for g in groups]
    return ProcessSummary(processes=k, median_ms=centre, ci95_low_ms=centre * math.exp(-half),
                          ci95_high_ms=centre * math.exp(half), between_cv=_cv(medians),
                          within_cv=float(np.median([_robust_cv(list(g)) for g in groups])))


def across_aggregates(centrals: Sequence[float], confidence: float = 0.95) -> ProcessSummary:
    """A case over the central figures (median, else mean) each process reported."""
    values = [float(v) for v in centrals if v and v > 0]
    k = len(values)
    if k < 2:
        raise ValueError("statistics across processes need at least two processes")
    logs = [math.log(v) for v in values]
    mean = math.fsum(logs) / k
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in logs) / (k - 1))
    half = t_quantile(0.5 + confidence / 2.0, k - 1) * sd / math.sqrt(k)
    centre = math.exp(mean)  # the geometric mean: the centre of the log-scale interval
    return ProcessSummary(processes=k, median_ms=centre,
                          ci95_low_ms=math.exp(mean - half), ci95_high_ms=math.exp(mean + half),
                          between_cv=_cv(values), within_cv=None)
