"""Run a plan: every device at once, each device's cases one at a time under its lease.

The record's header is written before the first case and every finished case is
appended to the run's journal (:class:`benchbot.store.RunWriter`), so nothing
measured is ever lost: not on Ctrl-C, not on SIGTERM, not on ``kill -9``.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Protocol, Sequence

from benchbot.devices import Device
from benchbot.run.lease import device_lease
from benchbot.store import CaseResult, RunRecord, RunWriter, utc_now
from benchbot.sweep import Case, Plan


class Progress(Protocol):
    """What the executor tells whoever shows progress (called from worker threads)."""

    def case_started(self, index: int, case: Case) -> None: ...

    def case_finished(self, index: int, result: CaseResult) -> None: ...

    def note(self, message: str) -> None: ...


class Recorder:
    """The run's record, shared by the device workers; every finished case is saved."""

    def __init__(self, record: RunRecord, results_dir: Path) -> None:
        self.record = record
        self.lock = threading.Lock()
        self.writer = RunWriter(record, results_dir)

    def update_devices(self, devices: Mapping[str, Any]) -> None:
        """Replace the record's device facts (a farm learns them as cases come back)."""
        with self.lock:
            if devices != self.record.devices:
                self.record = dataclasses.replace(self.record, devices=dict(devices))
                self.writer.write_header(self.record)

    def add(self, result: CaseResult) -> None:
        with self.lock:
            self.record = self.record.with_case(result)
            self.writer.add(result)

    def finish(self, status: str) -> RunRecord:
        with self.lock:
            self.record = self.record.finished(status, utc_now())
            self.writer.finish(self.record)
            return self.record


def measure_case(device: Device, case: Case, plan: Plan, index: int, progress: Progress,
                 wait: bool = True) -> CaseResult:
    """One case on its device: lease, hygiene before, the runner, hygiene after."""
    with device_lease(device.lease_key, wait=wait, say=progress.note):
        waited, before = device.hygiene.before()
        progress.case_started(index, case)
        result = device.runner.run_case(case, plan.settings)
        state, warnings = device.hygiene.after(waited, before, device.cpus_for(case.threads))
    return result.with_device_state(state, warnings)


@dataclass(frozen=True)
class Retry:
    """What to do when a device disconnects in the middle of a case."""

    attempts: int = 1  # re-runs of a case lost with its device
    wait_s: float = 120.0  # how long to wait for the device to come back


def measure_with_retries(device: Device, case: Case, plan: Plan, index: int,
                         progress: Progress, wait: bool, retry: Retry,
                         gone: threading.Event) -> CaseResult:
    """A case; if the device went away during it, wait for the device and measure again.

    Once a wait has run out, ``gone`` is set and the device's later cases fail at once
    instead of each waiting again.
    """
    result = measure_case(device, case, plan, index, progress, wait)
    for attempt in range(1, retry.attempts + 1):
        if not result.device_lost or gone.is_set():
            break
        progress.note(f"{device.name} went away during {case.label} ({result.error}); "
                      f"waiting up to {retry.wait_s:.0f}s for it (retry {attempt} of "
                      f"{retry.attempts})")
        if not device.wait_until_back(retry.wait_s):
            gone.set()
            break
        result = measure_case(device, case, plan, index, progress, wait)
        result = dataclasses.replace(result, attempts=attempt + 1)
    return result


def _device_worker(device: Device, cases: Sequence[tuple[int, Case]], plan: Plan,
                   recorder: Recorder, progress: Progress, stop: threading.Event,
                   errors: list[BaseException], wait: bool, retry: Retry) -> None:
    gone = threading.Event()
    try:
        for index, case in cases:
            if stop.is_set():
                return
            result = measure_with_retries(device, case, plan, index, progress, wait, retry, gone)
            recorder.add(result)
            progress.case_finished(index, result)
    except BaseException as exc:  # e.g. DeviceBusy under --no-wait: the main thread re-raises
        errors.append(exc)
        stop.set()


def execute(plan: Plan, devices: Mapping[str, Device], record: RunRecord, results_dir: Path,
            progress: Progress, wait: bool = True, retry: Retry = Retry()) -> RunRecord:
    """Measure the plan's cases, all devices in parallel; returns the finished record.

    On Ctrl-C the record is saved as ``interrupted`` and the interrupt goes on up;
    cases already running on other devices are abandoned, never half-recorded.
    """
    recorder = Recorder(record, results_dir)
    by_device: dict[str, list[tuple[int, Case]]] = {}
    for index, case in enumerate(plan.cases):
        by_device.setdefault(case.device, []).append((index, case))
    stop = threading.Event()
    errors: list[BaseException] = []
    workers = [threading.Thread(target=_device_worker, daemon=True, name=f"device-{name}",
                                args=(devices[name], cases, plan, recorder, progress, stop,
                                      errors, wait, retry))
               for name, cases in by_device.items()]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            while worker.is_alive():
                worker.join(timeout=0.2)  # short joins keep Ctrl-C responsive
    except KeyboardInterrupt:
        stop.set()
        for device in devices.values():
            device.abort()  # kill what the workers are measuring right now
        recorder.finish("interrupted")
        raise
    if errors:
        recorder.finish("interrupted")
        raise errors[0]
    return recorder.finish("complete")
