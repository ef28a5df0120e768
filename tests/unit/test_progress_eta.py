"""The progress bar's first guess of a case's time follows what the case will do: its
first processes (each --min-time and a start), or one process of --sustained seconds."""

from __future__ import annotations

from benchbot.cli.progress import SweepProgress
from benchbot.store.settings import MIN_PROCESSES, MeasureSettings


def test_the_first_guess_of_a_case_follows_its_settings() -> None:
    start = SweepProgress.START_S
    adaptive = MeasureSettings(min_time_s=2.0)
    assert SweepProgress.first_guess(adaptive) == MIN_PROCESSES * (2.0 + start)
    assert SweepProgress.first_guess(MeasureSettings(min_time_s=2.0, repeat=1)) == 2.0 + start
    sustained = MeasureSettings(sustained_s=600.0)
    assert SweepProgress.first_guess(sustained) == 600.0 + start
