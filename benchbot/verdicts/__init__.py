"""Regression verdicts: is the candidate slower than the baseline, case by case?

Pure modules (no I/O): ``ranks`` (Mann–Whitney, Hodges–Lehmann), ``bootstrap``,
``welch``, ``estimate``, ``match``, ``sides``, ``thresholds``, ``verdict``,
``history``. Rendering a comparison is :mod:`benchbot.report.comparison`; named
baselines and resolving the sides given on the command line (file I/O) are
:mod:`benchbot.runs.baselines`.
"""

from __future__ import annotations

from benchbot.verdicts.estimate import METHODS, Estimate, EstimateSettings, estimate
from benchbot.verdicts.history import HistoryPoint, HistorySeries, history_series
from benchbot.verdicts.match import CaseKey, Match, match_entries
from benchbot.verdicts.sides import Side, rolling_baseline, side_of_run
from benchbot.verdicts.thresholds import ThresholdPolicy, parse_threshold
from benchbot.verdicts.verdict import (Comparison, CompareReport, CompareSettings, Kind,
                                      Verdict, compare, decide)

__all__ = ["METHODS", "CaseKey", "CompareReport", "CompareSettings", "Comparison", "Estimate",
           "EstimateSettings", "HistoryPoint", "HistorySeries", "Kind", "Match", "Side",
           "ThresholdPolicy", "Verdict", "compare", "decide", "estimate",
           "history_series", "match_entries", "parse_threshold", "rolling_baseline",
           "side_of_run"]
