"""Results folders for `benchbot publish`: runs over several commits, written with the
store's own codec (save_run), with statistics computed by benchbot's own code from
synthetic samples (3 processes of 40 log-normal samples each, 2% noise).

``nights`` lays one run per commit; ``factor`` makes chosen series slower from a chosen
night on (a regression), and ``ab_run`` adds an A/B session (as `benchbot ab` records it:
A then B of each configuration) confirming it.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Sequence

from benchbot.store import DeviceFacts, HostFacts, PlannedCase
from benchbot.store import GitInfo, RunRecord, save_run
from tests.support.cases import make_case

MODELS = {"models/tiny_conv.onnx": 2.0, "models/tiny_matmul.onnx": 0.6}
DEVICES = {"pixel7": "Pixel 7", "sd855": "Snapdragon 855 board"}
START = datetime(2026, 3, 1, 2, 17, tzinfo=timezone.utc)

Factor = Callable[[int, str, str], float]  # (night, model path, device) -> latency factor


def commit_of(night: int) -> str:
    return f"{night:02d}c0ffee{night:02d}" + "ab" * 15


def run_id_of(night: int, ab: bool = False) -> str:
    return (START + timedelta(days=night, minutes=30 if ab else 0)).strftime(
        "%Y%m%dT%H%M%SZ") + (f"-ab{night:04x}" if ab else f"-{night:06x}")


def _samples(rng: random.Random, centre: float, processes: int = 3) -> list[list[float]]:
    level = [centre * rng.lognormvariate(0, 0.01) for _ in range(processes)]
    return [[x * rng.lognormvariate(0, 0.02) for _ in range(40)] for x in level]


def _record(night: int, cases: tuple, ab: bool, meta: dict[str, str],
            plan: tuple = ()) -> RunRecord:
    started = START + timedelta(days=night, minutes=30 if ab else 0)
    return RunRecord(run_id=run_id_of(night, ab), started_at=started.isoformat(
        timespec="milliseconds"), command=("benchbot", "run"), benchbot_version="test",
        host=HostFacts(hostname="farm-1"),
        devices={d: DeviceFacts("phone", label=label) for d, label in DEVICES.items()},
        planned_cases=len(cases), status="complete", cases=cases, plan=plan,
        git=GitInfo(commit_of(night), "main", False), meta=meta, kind="ab" if ab else "sweep")


def night_run(results: Path, night: int, factor: Factor = lambda *a: 1.0,
              models: Sequence[str] = tuple(MODELS), devices: Sequence[str] = tuple(DEVICES)
              ) -> RunRecord:
    """One night: every model on every device, one thread, fp32."""
    rng = random.Random(night)
    cases = []
    for model in models:
        for device in devices:
            centre = MODELS.get(model, 1.0) * (1.4 if device == "sd855" else 1.0)
            cases.append(make_case(
                id=f"{abs(hash((model, device))) % 10**12:012d}", model=model,
                model_sha256=f"{night:02d}" * 32, device=device,
                runs=_samples(rng, centre * factor(night, model, device))))
    record = _record(night, tuple(cases), False, {"build": str(night)})
    save_run(record, results)
    return record


def ab_run(results: Path, night: int, model: str, device: str, slower: float) -> RunRecord:
    """An A/B session the night ``night``: the previous night's model file (A) against
    tonight's (B), B ``slower`` times A."""
    rng = random.Random(1000 + night)
    centre = MODELS[model] * (1.4 if device == "sd855" else 1.0)
    # 8 pairs: the fewest with which `ab`'s exact signed-rank test can reject at alpha 0.01
    a = make_case(id="a00000000000", model=model, model_sha256=f"{night - 1:02d}" * 32,
                  device=device, runs=_samples(rng, centre, processes=8))
    b = make_case(id="b00000000000", model=model, model_sha256=f"{night:02d}" * 32,
                  device=device, runs=_samples(rng, centre * slower, processes=8))
    # recorded B first (as cases finish), planned A then B
    record = _record(night, (b, a), True, {"ab_baseline": "previous", "ab_candidate": "tonight"},
                     plan=(PlannedCase(a.id, a.config), PlannedCase(b.id, b.config)))
    save_run(record, results)
    return record


def failed_run(results: Path, night: int, model: str, device: str) -> RunRecord:
    """A night whose one case failed at run time."""
    case = make_case(id="f00000000000", model=model, device=device, status="failed",
                     error="the runtime crashed", failure_kind="runtime_error")
    record = _record(night, (case,), False, {"build": str(night)})
    save_run(record, results)
    return record
