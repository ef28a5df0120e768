"""Statistics over raw samples: pure functions, no I/O."""

from __future__ import annotations

from benchbot.stats.checks import Thresholds, stability_warnings
from benchbot.stats.summary import Summary, median_ci_ranks, percentile, summarize

__all__ = ["Summary", "Thresholds", "median_ci_ranks", "percentile", "stability_warnings",
           "summarize"]
