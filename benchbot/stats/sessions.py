"""How much a device moves from one session to the next, beyond what each session's own
interval says, and intervals that include it (pure).

Processes inside one session share that session's conditions: minutes of other load, the
clocks and temperature of that hour. So the spread between a session's processes
understates how far the next session will land, and an interval built from them alone does
not survive a second run. The runs of one configuration are the studies of a random-effects
model [1]_: session i's log median is ``y_i = mu + u_i + e_i``, with ``u_i`` the session's
level (variance ``tau2``) and ``e_i`` its own estimation error (variance ``s_i^2``, from its
interval). Since ``E[sum (y_i - mean y)^2] = (n - 1) tau2 + (1 - 1/n) sum s_i^2``, the
method-of-moments estimate [1]_ [2]_, pooled over configurations (a device's level moves
its models alike, on the log scale), is

    tau2 = max(0, sum_g [sum_i (y_gi - mean_g)^2 - (1 - 1/n_g) sum_i s_gi^2]) / sum_g (n_g - 1)

with ``d = sum_g (n_g - 1)`` degrees of freedom. A few runs estimate it poorly (three runs
that happen to agree give 0), so the estimate is pooled with the default as with
``PRIOR_DF`` earlier degrees of freedom (a scaled inverse chi-squared prior [4]_):
``tau2 = (d * estimate + PRIOR_DF * DEFAULT_SPREAD^2) / (d + PRIOR_DF)``, at ``d + PRIOR_DF``
degrees of freedom; with many runs the estimate decides. A session's interval for the
device's median then uses ``s^2 + tau2``, and a comparison of two sessions
``s_a^2 + s_b^2 + 2 tau2``.

Until a device has three runs of a configuration there is nothing to estimate from, and
:data:`DEFAULT_SPREAD` stands in: ExecuTorch's benchmark infrastructure saw more than 10%
run-to-run variance on every model before cooldowns [3]_, about a 5% standard deviation.

References
----------
.. [1] DerSimonian, R. & Laird, N. (1986). Meta-analysis in clinical trials. *Controlled
   Clinical Trials* 7(3), 177-188.
.. [2] Searle, S. R., Casella, G. & McCulloch, C. E. (1992). *Variance Components*, ch. 3
   (ANOVA estimators of a one-way random model). Wiley.
.. [3] PyTorch ExecuTorch's benchmark infrastructure, on the run-to-run variance of its
   on-device runs and the cooldowns and trimmed means that reduced it.
.. [4] Gelman, A. et al. (2013). *Bayesian Data Analysis*, 3rd ed., sec. 3.2 (the scaled
   inverse chi-squared prior of a normal variance, and its posterior).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from benchbot.stats.student import t_quantile

DEFAULT_SPREAD = 0.05  # sd of the log median between sessions, until one can be estimated
MIN_RUNS = 3  # runs of one configuration before the spread is estimated from them
PRIOR_DF = 2  # the weight of the default beside an estimate, in degrees of freedom


@dataclass(frozen=True)
class SessionSpread:
    """The variance of a device's log level between sessions, and what it rests on."""

    tau2: float
    df: int  # of tau2; 0: the default stands in, nothing was estimated
    runs: int  # the sessions it was estimated from

    @property
    def sd(self) -> float:
        """The standard deviation of the level between sessions: 0.04 is about 4%."""
        return math.sqrt(self.tau2)

    @property
    def estimated(self) -> bool:
        return self.df > 0


ASSUMED = SessionSpread(tau2=DEFAULT_SPREAD ** 2, df=0, runs=0)
NONE = SessionSpread(tau2=0.0, df=0, runs=0)  # one session: no level between to add


def assumed(sd: float) -> SessionSpread:
    """A spread given rather than estimated (e.g. on the command line; 0 turns it off)."""
    if not (0.0 <= sd < 1.0 and math.isfinite(sd)):
        raise ValueError(f"a spread between sessions of {sd} is not between 0 and 1")
    return SessionSpread(tau2=sd * sd, df=0, runs=0)


def between_sessions(groups: Sequence[Sequence[tuple[float, float]]],
                     min_runs: int = MIN_RUNS, prior_df: int = PRIOR_DF) -> SessionSpread | None:
    """The spread from runs of several configurations: ``groups`` holds, per configuration,
    each run's (log median, standard error of that log median within its run). Groups with
    fewer than two runs carry nothing; None until ``min_runs`` runs of a configuration (in
    all, ``min_runs - 1`` degrees of freedom) are there. The estimate is pooled with the
    default at ``prior_df`` (0: the estimate alone)."""
    excess, df, runs = 0.0, 0, 0
    for group in groups:
        n = len(group)
        if n < 2:
            continue
        mean = math.fsum(y for y, _ in group) / n
        excess += math.fsum((y - mean) ** 2 for y, _ in group) \
            - (1.0 - 1.0 / n) * math.fsum(s * s for _, s in group)
        df += n - 1
        runs += n
    if df < min_runs - 1:
        return None
    estimate = max(0.0, excess / df)
    tau2 = (df * estimate + prior_df * DEFAULT_SPREAD ** 2) / (df + prior_df)
    return SessionSpread(tau2=tau2, df=df + prior_df, runs=runs)


def combined(errors: Sequence[tuple[float, float]], spread: SessionSpread,
             sessions: int = 1) -> tuple[float, float]:
    """(standard error, degrees of freedom) of a log estimate made of independent parts,
    each (standard error, degrees of freedom), that ``sessions`` session levels also move:
    variances add, and the degrees of freedom follow Welch–Satterthwaite (an assumed spread
    counts as exactly known)."""
    extra = sessions * spread.tau2
    var = math.fsum(se * se for se, _ in errors) + extra
    if var == 0.0:
        return 0.0, min((df for _, df in errors), default=math.inf)
    parts = math.fsum(se ** 4 / df for se, df in errors) \
        + (extra ** 2 / spread.df if spread.estimated else 0.0)
    return math.sqrt(var), (var * var / parts if parts > 0 else math.inf)


def with_sessions(centre: float, low: float, high: float, df: int, spread: SessionSpread,
                  confidence: float = 0.95) -> tuple[float, float]:
    """A session's interval (``low`` to ``high`` around ``centre``, a t interval at ``df``
    on the log scale) widened by the spread between sessions; never narrower than it was
    (with few processes, the Welch–Satterthwaite degrees of freedom alone could make it so)."""
    q = 0.5 + confidence / 2.0
    own = math.log(high / low) / 2.0
    se, total_df = combined([(own / t_quantile(q, df), df)], spread)
    half = max(own, t_quantile(q, total_df) * se)
    return centre * math.exp(-half), centre * math.exp(half)
