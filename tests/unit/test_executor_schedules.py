"""The executor's schedules, in milliseconds: a scripted runner on an in-process transport
(the doubles that ship beside the interfaces) instead of real processes and devices."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Sequence

import pytest

from benchbot.devices import Device
from benchbot.devices.hygiene import Hygiene
from benchbot.errors import DeviceLost
from benchbot.profiles import profile_dirs
from benchbot.runs import session
from benchbot.runs.executor import Retry, execute
from benchbot.runners.scripted import ScriptedRunner
from benchbot.store import CaseResult, load_run
from benchbot.sweep import Case, Plan, SweepSpec
from benchbot.transports.base import CommandResult
from benchbot.transports.mock import MockTransport

STEADY = [10.0, 10.1, 9.9, 10.05, 9.95] * 4


class Said:
    """A Progress that keeps what it was told."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []
        self.notes: list[str] = []

    def case_started(self, index: int, case: Case) -> None:
        self.started.append(case.id)

    def case_finished(self, index: int, result: CaseResult) -> None:
        self.finished.append(result.id)

    def note(self, message: str) -> None:
        self.notes.append(message)


@pytest.fixture(autouse=True)
def private_leases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCHBOT_LEASE_DIR", str(tmp_path / "leases"))


def _plan(models: dict[str, Path], **measure: object) -> Plan:
    spec = SweepSpec(devices=("local",), models=(str(models["tiny_conv.onnx"]),),
                     threads=(1,), batch=(1, 2, 3), measure=dict(measure))
    profiles = session.profiles_of(("local",), profile_dirs(), None)
    return session.plan_of(spec, profiles, Path("models/zoo"))


def _device(runner: ScriptedRunner, answers: MockTransport | None = None) -> Device:
    transport = answers or MockTransport()
    profile = session.profiles_of(("local",), profile_dirs(), None)[0]
    return Device(profile=profile, transport=transport, runner=runner,
                  hygiene=Hygiene(transport, None, lambda _: None, with_battery=False),
                  facts={"hostname": "double"})


def _execute(plan: Plan, device: Device, tmp_path: Path, retry: Retry = Retry(),
             record=None):  # type: ignore[no-untyped-def]
    record = record or session.new_record(plan, {"local": device})
    return execute(plan, {"local": device}, record, tmp_path / "results", Said(), retry=retry)


def _order(runner: ScriptedRunner, plan: Plan) -> list[int]:
    batch = {c.id: c.batch for c in plan.cases}
    return [batch[cid] for cid, _ in runner.calls]


def test_sequential_measures_each_case_back_to_back(models: dict[str, Path],
                                                    tmp_path: Path) -> None:
    plan = _plan(models, repeat=2, order="sequential")
    runner = ScriptedRunner(lambda case, n: STEADY)
    record = _execute(plan, _device(runner), tmp_path)
    assert _order(runner, plan) == [1, 1, 2, 2, 3, 3]
    assert record.status == "complete" and [len(c.runs) for c in record.cases] == [2, 2, 2]


def test_interleaved_goes_round_robin_in_the_seeds_order(models: dict[str, Path],
                                                         tmp_path: Path) -> None:
    plan = _plan(models, repeat=3, seed=11)
    first, again = ScriptedRunner(lambda c, n: STEADY), ScriptedRunner(lambda c, n: STEADY)
    _execute(plan, _device(first), tmp_path / "a")
    _execute(plan, _device(again), tmp_path / "b")
    order = _order(first, plan)
    rounds = [order[0:3], order[3:6], order[6:9]]
    assert all(sorted(r) == [1, 2, 3] for r in rounds) and rounds[0] == rounds[1] == rounds[2]
    assert _order(again, plan) == order  # the recorded seed reproduces it


def test_adaptive_stops_at_the_target_or_the_cap(models: dict[str, Path],
                                                 tmp_path: Path) -> None:
    plan = _plan(models, max_repeat=6, target_ci=0.02, seed=1)
    level = {1: 10.0, 2: 20.0, 3: 30.0}

    def script(case: Case, n: int) -> Sequence[float]:
        if case.batch == 3:  # processes that disagree by 30%: never within +-2%
            return [level[3] * (1.3 if n % 2 else 1.0)] * 20
        return [level[case.batch]] * 20  # identical processes: within the target at once

    runner = ScriptedRunner(script)
    record = _execute(plan, _device(runner), tmp_path)
    runs = {c.batch: len(c.runs) for c in record.cases}
    assert runs[1] == runs[2] == 3 and runs[3] == 6


def test_a_failed_process_stops_its_case_and_the_others_go_on(models: dict[str, Path],
                                                              tmp_path: Path) -> None:
    plan = _plan(models, repeat=3, seed=5)

    def script(case: Case, n: int) -> Sequence[float] | BaseException:
        return RuntimeError("boom") if case.batch == 2 and n == 1 else STEADY

    runner = ScriptedRunner(script)
    record = _execute(plan, _device(runner), tmp_path)
    by_batch = {c.batch: c for c in record.cases}
    kept = by_batch[2]  # its first process stands; the failure is a warning
    assert len(kept.runs) == 1 and kept.status == "ok"
    assert any("process 2 failed (RuntimeError: boom)" in w for w in kept.warnings)
    assert len(by_batch[1].runs) == len(by_batch[3].runs) == 3
    assert _order(runner, plan).count(2) == 2  # never measured after its failure


def test_a_case_lost_with_its_device_is_measured_again_when_it_is_back(
        models: dict[str, Path], tmp_path: Path) -> None:
    plan = _plan(models, repeat=1, order="sequential")

    def script(case: Case, n: int) -> Sequence[float] | BaseException:
        return DeviceLost("unplugged") if case.batch == 2 and n == 0 else STEADY

    answers = MockTransport(lambda argv: CommandResult(tuple(argv), 0, "", "", 0.0))
    runner = ScriptedRunner(script)
    record = _execute(plan, _device(runner, answers), tmp_path, Retry(attempts=1, wait_s=5))
    lost = next(c for c in record.cases if c.batch == 2)
    assert lost.status == "ok" and lost.attempts == 2
    assert ("true",) in answers.calls  # it asked whether the device was back


def test_ab_pairs_alternate_and_end_together(models: dict[str, Path], tmp_path: Path) -> None:
    from benchbot.runs.ab import ab_plan

    spec = SweepSpec(devices=("local",), threads=(1,), batch=(1,),
                     measure={"repeat": 4, "seed": 3})
    profiles = session.profiles_of(("local",), profile_dirs(), None)
    plan = ab_plan(str(models["tiny_conv.onnx"]), str(models["tiny_matmul.onnx"]), spec,
                   profiles, Path("models/zoo"))
    runner = ScriptedRunner(lambda case, n: STEADY)
    record = _execute(plan, _device(runner), tmp_path)
    sides = [cid for cid, _ in runner.calls]
    a, b = sides[0], sides[1]
    assert a != b and sides == [a, b, b, a, a, b, b, a]  # A B B A ...
    assert [len(c.runs) for c in record.cases] == [4, 4]


def test_an_interrupt_saves_what_was_measured(models: dict[str, Path], tmp_path: Path) -> None:
    plan = _plan(models, repeat=1, order="sequential")
    go_on = threading.Event()

    def script(case: Case, n: int) -> Sequence[float]:
        if case.batch == 2:
            raise KeyboardInterrupt()  # Ctrl-C while the second case is measured
        return STEADY

    with pytest.raises(KeyboardInterrupt):
        _execute(plan, _device(ScriptedRunner(script)), tmp_path)
    go_on.set()
    (path,) = (tmp_path / "results").glob("*.json")
    saved = load_run(path)
    assert saved.status == "interrupted" and [c.batch for c in saved.cases] == [1]


def test_resume_measures_only_what_is_missing(models: dict[str, Path], tmp_path: Path) -> None:
    plan = _plan(models, repeat=1, order="sequential")
    first = ScriptedRunner(lambda c, n: RuntimeError("flaky") if c.batch == 3 else STEADY)
    record = _execute(plan, _device(first), tmp_path)
    assert [c.status for c in record.cases] == ["ok", "ok", "failed"]
    again = session.resume_plan(dataclasses.replace(record, status="interrupted"))
    second = ScriptedRunner(lambda c, n: STEADY)
    resumed = _execute(again, _device(second), tmp_path,
                       record=dataclasses.replace(record, status="running"))
    assert _order(second, again) == [3]
    assert [c.status for c in resumed.cases] == ["ok", "ok", "ok"]
