"""Run a plan case by case, saving the record after every case so nothing is ever lost."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping, Protocol

from benchbot.devices import Device
from benchbot.store import CaseResult, RunRecord, save_run, utc_now
from benchbot.sweep import Case, Plan


class Progress(Protocol):
    """What the executor tells whoever shows progress."""

    def case_started(self, index: int, case: Case) -> None: ...

    def case_finished(self, index: int, result: CaseResult) -> None: ...

    def note(self, message: str) -> None: ...


def execute(plan: Plan, devices: Mapping[str, Device], record: RunRecord, results_dir: Path,
            progress: Progress, on_save: Callable[[Path], None] = lambda _: None) -> RunRecord:
    """Measure every case of the plan in order; returns the finished record.

    The record is written atomically before the first case and after each one;
    on Ctrl-C it is written once more, marked ``interrupted``, before the
    interrupt goes on up.
    """
    on_save(save_run(record, results_dir))
    try:
        for index, case in enumerate(plan.cases):
            device = devices[case.device]
            waited, before = device.hygiene.before()
            progress.case_started(index, case)
            result = device.runner.run_case(case, plan.settings)
            state, warnings = device.hygiene.after(waited, before, device.cpus_for(case.threads))
            record = record.with_case(result.with_device_state(state, warnings))
            save_run(record, results_dir)
            progress.case_finished(index, result)
    except KeyboardInterrupt:
        save_run(record.finished("interrupted", utc_now()), results_dir)
        raise
    record = record.finished("complete", utc_now())
    save_run(record, results_dir)
    return record
