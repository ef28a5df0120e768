"""Sweeps: axes -> a plan of cases with stable ids (pure, apart from reading a sweep file)."""

from __future__ import annotations

from benchbot.sweep.config import SweepSpec, load_sweep_file
from benchbot.sweep.plan import Case, MeasureSettings, Plan, make_plan

__all__ = ["Case", "MeasureSettings", "Plan", "SweepSpec", "load_sweep_file", "make_plan"]
