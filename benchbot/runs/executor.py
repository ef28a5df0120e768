"""Run a plan: every device at once, each device's measuring processes one at a time under
its lease, in the plan's schedule.

A case is measured in several fresh processes (:mod:`benchbot.runs.repeats`). With the
``interleaved`` order (the default) each device goes round-robin over its cases, in an
order shuffled once per run by the recorded seed: round 1 gives every case its first
process, round 2 its second, and so on while a case needs more, so slow drift of the
device (heat, clocks, other load) falls on every case alike. ``sequential`` measures
one case's processes back to back, then the next case.

The record's header is written before the first process and the case is appended to
the run's journal after every process (:class:`benchbot.store.RunWriter`), so nothing
measured is ever lost: not on Ctrl-C, not on SIGTERM, not on ``kill -9``.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Protocol, Sequence

from benchbot.devices import Device
from benchbot.runs.lease import device_lease
from benchbot.runs.repeats import merge, needs_more, pair_needs_more, with_spread
from benchbot.runs.spread import device_spreads
from benchbot.stats.sessions import ASSUMED
from benchbot.store import CaseResult, DeviceFacts, RunRecord, RunWriter, Schedule, utc_now
from benchbot.sweep import Case, MeasureSettings, Plan


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
        # how far each device moved between the folder's earlier runs: every case's CI
        # includes it (the assumed spread until a device has enough runs)
        self.spreads = device_spreads(results_dir, skip_runs={record.run_id})

    def update_devices(self, devices: Mapping[str, DeviceFacts]) -> None:
        """Replace the record's device facts (a farm learns them as cases come back)."""
        with self.lock:
            if devices != self.record.devices:
                self.record = dataclasses.replace(self.record, devices=dict(devices))
                self.writer.write_header(self.record)

    def add(self, result: CaseResult) -> CaseResult:
        """Record a case (again, with each new process); returns it as recorded."""
        result = with_spread(result, self.spreads.get(result.config.device, ASSUMED))
        with self.lock:
            result = self.writer.add(result)
            self.record = self.record.with_case(result)
            return result

    def finish(self, status: str) -> RunRecord:
        """The run ends: its cases in the plan's order (whatever order they finished in)."""
        with self.lock:
            planned = {p.id: i for i, p in enumerate(self.record.plan)}
            cases = sorted(self.record.cases, key=lambda c: planned.get(c.id, len(planned)))
            self.record = dataclasses.replace(self.record.finished(status, utc_now()),
                                              cases=tuple(cases))
            self.writer.finish(self.record)
            return self.record


def measure_case(device: Device, case: Case, plan: Plan, index: int, progress: Progress,
                 wait: bool = True) -> CaseResult:
    """One measuring process of a case on its device: lease, hygiene before, the runner,
    hygiene after."""
    with device_lease(device.lease_key, wait=wait, say=progress.note):
        waited, before = device.hygiene.before()
        progress.case_started(index, case)
        result = device.runner.run_case(case, plan.settings)
        state, warnings = device.hygiene.after(waited, before, device.cpus_for(case.threads))
    result = result.with_device_state(state, warnings)
    if result.runs:
        last = dataclasses.replace(result.runs[-1], throttled=bool(warnings),
                                   thermal_gate_timeout=device.hygiene.gate_timed_out(waited))
        result = dataclasses.replace(result, runs=(*result.runs[:-1], last))
    return result


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


def measure_repeats(device: Device, case: Case, plan: Plan, index: int, progress: Progress,
                    wait: bool, retry: Retry, gone: threading.Event,
                    so_far: CaseResult | None = None) -> CaseResult:
    """Every process one case needs, back to back (the sequential order; farm workers)."""
    result = so_far
    while needs_more(result, plan.settings):
        new = measure_with_retries(device, case, later(plan, result), index, progress, wait,
                                   retry, gone)
        result = merge(result, new, plan.settings)
        if new.status != "ok":  # a process failed: the case keeps what it has
            break
    assert result is not None
    return result


def later(plan: Plan, so_far: CaseResult | None) -> Plan:
    """The plan for a case's next process: the op profile is taken by its first one only."""
    if so_far is None or not plan.settings.profile_ops:
        return plan
    return dataclasses.replace(plan, settings=dataclasses.replace(plan.settings,
                                                                  profile_ops=False))


def schedule(cases: Sequence[tuple[int, Case]], settings: MeasureSettings,
             seed: int) -> list[tuple[int, Case]]:
    """The order a device goes through its cases: as planned, or shuffled by ``seed``."""
    ordered = list(cases)
    if settings.order == "interleaved":
        random.Random(seed).shuffle(ordered)
    return ordered


@dataclass
class DeviceWork:
    """One device's share of a run, and what every schedule needs to measure it: the
    cases' results so far by plan index (a resumed run's included)."""

    device: Device
    plan: Plan
    recorder: Recorder
    progress: Progress
    stop: threading.Event
    wait: bool
    retry: Retry
    state: dict[int, CaseResult | None]
    gone: threading.Event = field(default_factory=threading.Event)  # the device never came back

    def one_process(self, index: int, case: Case) -> CaseResult:
        """Measure one more process of a case and record the case with it; returns the new
        process's own result."""
        new = measure_with_retries(self.device, case, later(self.plan, self.state[index]),
                                   index, self.progress, self.wait, self.retry, self.gone)
        self.state[index] = self.recorder.add(merge(self.state[index], new,
                                                    self.plan.settings))
        return new

    def all_processes(self, index: int, case: Case) -> None:
        """Measure every process a case still needs, back to back, and record it."""
        self.state[index] = self.recorder.add(measure_repeats(
            self.device, case, self.plan, index, self.progress, self.wait, self.retry,
            self.gone, self.state[index]))


class Sequential:
    """``sequential``: one case's processes back to back, then the next case."""

    def __init__(self, work: DeviceWork, order: Sequence[tuple[int, Case]]) -> None:
        self.work, self.order = work, order

    def run(self) -> None:
        for index, case in self.order:
            if self.work.stop.is_set():
                return
            self.work.all_processes(index, case)
            self.work.progress.case_finished(index, self.work.state[index])  # type: ignore[arg-type]


class RoundRobin:
    """``interleaved``: rounds over the cases, one process of every case that needs one per
    round; a case whose last process failed keeps what it has."""

    def __init__(self, work: DeviceWork, order: Sequence[tuple[int, Case]]) -> None:
        self.work, self.order = work, order
        self.stopped: set[int] = set()  # cases whose last process failed
        self.finished: set[int] = set()  # cases told to the progress as finished

    def partner(self, index: int) -> int:
        """The case that finishes together with this one (itself, here)."""
        return index

    def wanted(self, index: int) -> bool:
        """Whether the case needs another process."""
        return index not in self.stopped and needs_more(self.work.state[index],
                                                        self.work.plan.settings)

    def due(self, rounds: int) -> list[tuple[int, Case]]:
        """The cases of the next round, in the order they are measured."""
        return [(i, c) for i, c in self.order if self.wanted(i)]

    def run(self) -> None:
        rounds = 0
        while due := self.due(rounds):
            rounds += 1
            for index, case in due:
                if self.work.stop.is_set():
                    return
                if self.work.one_process(index, case).status != "ok":
                    self.stopped.add(index)
                if not self.wanted(index):
                    self.finish(index)

    def finish(self, index: int) -> None:
        for done in (index, self.partner(index)):
            # a side whose partner failed first was never measured: nothing to count
            if done not in self.finished and self.work.state[done] is not None:
                self.finished.add(done)
                self.work.progress.case_finished(done, self.work.state[done])  # type: ignore[arg-type]


class AbPairs(RoundRobin):
    """``ab``: the plan's cases in pairs (A, B) whose two sides get their processes
    together, A B in one round and B A in the next, so neither side always goes first;
    a pair ends for both of its sides at once."""

    def __init__(self, work: DeviceWork, order: Sequence[tuple[int, Case]]) -> None:
        super().__init__(work, order)
        self.pairs: dict[int, int] = {}
        for (a, _), (b, _) in zip(order[::2], order[1::2]):
            self.pairs[a], self.pairs[b] = b, a

    def partner(self, index: int) -> int:
        return self.pairs.get(index, index)

    def wanted(self, index: int) -> bool:
        if index not in self.pairs:
            return super().wanted(index)
        other = self.pairs[index]
        return not self.stopped & {index, other} and pair_needs_more(
            self.work.state[index], self.work.state[other], self.work.plan.settings)

    def due(self, rounds: int) -> list[tuple[int, Case]]:
        due = super().due(rounds)
        return due[::-1] if rounds % 2 else due


# the plan's order -> how a device goes through its cases
SCHEDULES: Mapping[str, type[Sequential] | type[RoundRobin]] = {
    "sequential": Sequential, "interleaved": RoundRobin, "ab": AbPairs}


def _device_worker(device: Device, cases: Sequence[tuple[int, Case]], plan: Plan,
                   recorder: Recorder, progress: Progress, stop: threading.Event,
                   errors: list[BaseException], wait: bool, retry: Retry, seed: int,
                   earlier: Mapping[str, CaseResult]) -> None:
    """One device's cases, in its schedule; an error stops every device."""
    try:
        order = schedule(cases, plan.settings, seed)
        work = DeviceWork(device, plan, recorder, progress, stop, wait, retry,
                          state={i: earlier.get(c.id) for i, c in order})
        SCHEDULES[plan.settings.order](work, order).run()
    except BaseException as exc:  # e.g. DeviceBusy under --no-wait: the main thread re-raises
        errors.append(exc)
        stop.set()


def execute(plan: Plan, devices: Mapping[str, Device], record: RunRecord, results_dir: Path,
            progress: Progress, wait: bool = True, retry: Retry = Retry()) -> RunRecord:
    """Measure the plan's cases, all devices in parallel; returns the finished record.

    On Ctrl-C the record is saved as ``interrupted`` and the interrupt goes on up;
    cases already running on other devices are abandoned, never half-recorded.
    """
    seed = next((s for s in (plan.settings.seed, record.schedule.seed) if s is not None),
                None)
    if seed is None:  # drawn once, recorded: the same order comes back on --resume
        seed = random.SystemRandom().randrange(1 << 31)
    record = dataclasses.replace(record, schedule=Schedule(plan.settings.order, seed))
    # a resumed run's cases are continued; a failed one is measured afresh
    earlier = {c.id: c for c in record.cases if c.status == "ok"}
    recorder = Recorder(record, results_dir)
    by_device: dict[str, list[tuple[int, Case]]] = {}
    for index, case in enumerate(plan.cases):
        by_device.setdefault(case.device, []).append((index, case))
    stop = threading.Event()
    errors: list[BaseException] = []
    workers = [threading.Thread(target=_device_worker, daemon=True, name=f"device-{name}",
                                args=(devices[name], cases, plan, recorder, progress, stop,
                                      errors, wait, retry, seed, earlier))
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
