"""Nights of synthetic results with known verdicts: five steady nights, then one where a
model got slower and another faster (written with benchbot.store from seeded samples)."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np

from benchbot.store import CaseResult, DeviceFacts, RunRecord, save_run
from tests.support.cases import make_case


def night_case(model: str, median_ms: float, seed: int, threads: int = 1) -> CaseResult:
    """A case measured in 5 processes of 40 runs each (the default measures several)."""
    rng = np.random.default_rng(seed)
    runs = [tuple(float(x) for x in rng.lognormal(math.log(median_ms), 0.08, 40))
            for _ in range(5)]
    return make_case(id=f"{model}-{threads}", model=f"/m/{model}.onnx",
                     model_sha256=hashlib.sha256(model.encode()).hexdigest(),
                     model_size_mb=1.0, device="phone", runtime="onnxruntime",
                     threads=threads, batch=1, precision="fp32", status="ok", runs=runs)


def save_night(results: Path, run_id: str, day: int, conv_ms: float, fc_ms: float,
          seed: int) -> Path:
    record = RunRecord(run_id=run_id, started_at=f"2025-03-{day:02d}T02:00:00.000+00:00",
                       command=("benchbot", "run"), benchbot_version="test",
                       devices={"phone": DeviceFacts("phone", label="Pixel 7")}, planned_cases=2,
                       status="complete", cases=(night_case("conv", conv_ms, seed),
                                                 night_case("fc", fc_ms, seed + 1)))
    return save_run(record, results)


def five_steady_nights_then_a_change(out: Path) -> Path:
    """Five steady nights, then a night where conv got 15% slower and fc 20% faster."""
    for day in range(1, 6):
        save_night(out, f"2025030{day}T020000Z-00000{day}", day, 10.0, 4.0, seed=10 * day)
    save_night(out, "20250306T020000Z-bad000", 6, 11.5, 3.2, seed=99)
    return out
