"""The change between two cases measured in several processes each: the ratio of their
medians with a CI that includes both sides' between-process variance (pure).

Each side's statistics already hold a 95% CI of its median built across its processes
(:mod:`benchbot.stats.processes`: a hierarchical bootstrap standard error with Student's t
at k - 1 degrees of freedom). The standard error of the log median is recovered from that
interval, the two combine like independent estimates, and the log ratio's interval uses
Welch–Satterthwaite degrees of freedom [1]_, so three processes against three give an
honest, wide interval and a run-to-run drift of the device is not read as a change.

References
----------
.. [1] Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
   components. *Biometrics Bulletin* 2(6), 110-114.
"""

from __future__ import annotations

import math

from benchbot.stats import Summary
from benchbot.stats.student import t_quantile, t_two_sided_p


def log_se(stats: Summary, confidence: float = 0.95) -> tuple[float, int] | None:
    """The standard error of log(median) and its degrees of freedom; None for one process."""
    if stats.processes < 2 or stats.median_ms is None or stats.ci95_low_ms is None \
            or stats.ci95_high_ms is None or stats.ci95_low_ms <= 0:
        return None
    df = stats.processes - 1
    half = math.log(stats.ci95_high_ms / stats.ci95_low_ms) / 2.0
    return half / t_quantile(0.5 + confidence / 2.0, df), df


def process_ratio(base: Summary, cand: Summary, confidence: float = 0.95
                  ) -> tuple[float, float, float, float] | None:
    """(ratio, ci_low, ci_high, p_value) of candidate / baseline medians; None when either
    side has fewer than two processes."""
    b, c = log_se(base, confidence), log_se(cand, confidence)
    if b is None or c is None or not base.median_ms or not cand.median_ms:
        return None
    (se_b, df_b), (se_c, df_c) = b, c
    log_ratio = math.log(cand.median_ms / base.median_ms)
    var = se_b ** 2 + se_c ** 2
    if var == 0:
        p = 0.0 if log_ratio else 1.0
        return math.exp(log_ratio), math.exp(log_ratio), math.exp(log_ratio), p
    df = var ** 2 / (se_b ** 4 / df_b + se_c ** 4 / df_c)
    half = t_quantile(0.5 + confidence / 2.0, df) * math.sqrt(var)
    p = t_two_sided_p(log_ratio / math.sqrt(var), df)
    return (math.exp(log_ratio), math.exp(log_ratio - half), math.exp(log_ratio + half), p)
