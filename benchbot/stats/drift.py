"""Did the device change speed during a run, by itself? (pure)

A case's processes can spread for two reasons. Each fresh process may land differently
(where the allocator put the weights, which cores it got): then more processes average
it out. Or the device itself may speed up and slow down while the run goes on (other
programs, a virtual machine's neighbours on the host, heat): then every process running
at a slow moment is slow, whatever case it measures, and more processes only average
the device's moods.

The interleaved order tells them apart. Its neighbouring processes measure different
cases, so each process's deviation from its own case's centre is independent of its
neighbour's when processes merely land differently, and alike when the device drifts.
This module measures that likeness: the correlation of neighbouring processes'
deviations (lag 1, pairs of different cases only: one case's deviations are centred on
its own mean and would pull the figure negative), with a one-sided permutation p-value
over random orders of the same processes [1]_. A device that does not drift is told so
quickly: the shuffling stops once 20 random orders were as alike as the run's [2]_.

References
----------
.. [1] Good, P. (2005). *Permutation, Parametric and Bootstrap Tests of Hypotheses*,
   3rd ed., ch. 3 (one-sample and paired permutation tests). Springer.
.. [2] Besag, J. & Clifford, P. (1991). Sequential Monte Carlo p-values. *Biometrika*
   78(2), 301-304.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Hashable, Sequence

PERMUTATIONS = 2000
ENOUGH = 20  # shuffles as alike as the run's: the p-value is far from small, stop there
SEED = 20261207
MIN_NEIGHBOURS = 8  # fewer pairs of neighbours than this: no reading


@dataclass(frozen=True)
class Drift:
    """How alike neighbouring processes of different cases were, in a device's run."""

    correlation: float  # of neighbours' deviations from their cases' centres
    neighbours: int  # pairs of neighbouring processes of different cases
    p_value: float  # one-sided: this likeness, or more, with the order random

    def seen(self, alpha: float = 0.01) -> bool:
        """Whether the device's speed wandered with the time of the run."""
        return self.p_value < alpha and self.correlation > 0

    def text(self) -> str:
        """'correlation 0.62 over 39 neighbours, p = 0.0005'."""
        return (f"correlation {self.correlation:.2f} over {self.neighbours} neighbours, "
                f"p = {self.p_value:.2g}")


def _deviations(processes: Sequence[tuple[Hashable, float]]) -> list[float]:
    """Each process's log distance from the mean of its case's processes' logs (a mean, not
    a median: with a device at two speeds, a median sits on one of them and leaves the
    processes there no deviation to share with their neighbours)."""
    logs: dict[Hashable, list[float]] = {}
    for case, median in processes:
        logs.setdefault(case, []).append(math.log(median))
    centres = {case: math.fsum(values) / len(values) for case, values in logs.items()}
    return [math.log(median) - centres[case] for case, median in processes]


def _likeness(cases: Sequence[Hashable], deviations: Sequence[float]) -> tuple[float, int]:
    """The correlation (about zero, uncentred: deviations already centre on zero) of the
    neighbours of different cases, and how many such pairs there were."""
    cross = square = 0.0
    pairs = 0
    for i in range(len(cases) - 1):
        if cases[i] != cases[i + 1]:
            a, b = deviations[i], deviations[i + 1]
            cross += a * b
            square += (a * a + b * b) / 2
            pairs += 1
    return (cross / square if square > 0 else 0.0), pairs


def drift_of(processes: Sequence[tuple[Hashable, float]], permutations: int = PERMUTATIONS,
             seed: int = SEED) -> Drift | None:
    """The drift of one device's run from its processes in the order they ran, each as
    (its case, its median). None when there are too few neighbours of different cases
    among the cases measured more than once."""
    counts: dict[Hashable, int] = {}
    for case, _ in processes:
        counts[case] = counts.get(case, 0) + 1
    kept = [(case, median) for case, median in processes if counts[case] > 1 and median > 0]
    cases = [case for case, _ in kept]
    deviations = _deviations(kept)
    observed, pairs = _likeness(cases, deviations)
    if pairs < MIN_NEIGHBOURS:
        return None
    rng = random.Random(seed)
    order = list(range(len(kept)))
    as_large = 0
    for done in range(1, permutations + 1):
        rng.shuffle(order)
        shuffled, _ = _likeness([cases[i] for i in order], [deviations[i] for i in order])
        as_large += shuffled >= observed
        if as_large == ENOUGH:  # Besag and Clifford's sequential p-value [2]_
            return Drift(observed, pairs, as_large / done)
    return Drift(observed, pairs, (as_large + 1) / (permutations + 1))
