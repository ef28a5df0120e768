"""A runner that measures nothing: each process returns what a script says.

The in-process double of :class:`benchbot.runners.Runner` (as httpx ships ``MockTransport``
and hyperfine a mock executor): the executor's schedules (sequential, interleaved, A/B
pairs, retries, stop on failure, resume) are tested with it in milliseconds, while the
real agent and tools stay for the end-to-end tier.

    runner = ScriptedRunner(lambda case, n: [10.0, 10.1, 9.9])       # every process ok
    runner = ScriptedRunner(lambda case, n: DeviceLost("unplugged") if n == 0 else [5.0])

The script gets the case and how many processes of it ran before (0 for the first) and
returns the process's samples (ms), or an exception, recorded as the failure a real
runner would record for it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, Sequence

from benchbot.runners.base import case_result, failure_of
from benchbot.store import CaseResult, ProcessRun, utc_now
from benchbot.sweep import Case, MeasureSettings

Script = Callable[[Case, int], "Sequence[float] | BaseException"]


@dataclass
class ScriptedRunner:
    """Runs no model: ``script(case, n)`` decides each process (see the module doc)."""

    script: Script
    kind: str = "agent"
    #: (case id, n) of every process, in the order they ran
    calls: list[tuple[str, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def run_case(self, case: Case, settings: MeasureSettings) -> CaseResult:
        with self._lock:
            n = sum(1 for cid, _ in self.calls if cid == case.id)
            self.calls.append((case.id, n))
        started = utc_now()
        outcome = self.script(case, n)
        if isinstance(outcome, BaseException):
            return case_result(case, started_at=started, ended_at=utc_now(),
                               failure=failure_of(outcome), settings=settings)
        run = ProcessRun(samples_ms=tuple(float(x) for x in outcome), started_at=started,
                         ended_at=utc_now(), stop_reason="min_runs_and_time")
        return case_result(case, started_at=started, ended_at=run.ended_at, runs=[run],
                           settings=settings)
