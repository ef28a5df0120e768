"""What benchbot costs, measured: `make bench` prints the figures.

(a) benchbot's reported median next to a bare perf_counter_ns loop around
    session.run (same model, same threads, also in a fresh process), for a tiny,
    a mid-size and a large model, as a ratio;
(b) the sweep's wall time next to the time spent inside timed loops, as a ratio;
(c) what recording one finished case costs at case 1 and at case 500 of a run
    (synthetic cases), against rewriting the whole results file as schema v1 did.

Nothing here is asserted: the figures are for people to read.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODELS = {"tiny": "tiny_conv.onnx", "mid": "mid_conv.onnx", "large": "large_conv.onnx"}
WARMUP, MIN_RUNS, MIN_TIME = 5, 20, 1.0


def bare_loop(model: str, threads: int, min_runs: int, min_time: float) -> list[float]:
    """The simplest honest timing: a session, random input, a perf_counter_ns loop."""
    import numpy as np
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])
    inp = session.get_inputs()[0]
    shape = [1 if not isinstance(d, int) else d for d in inp.shape]
    feeds = {inp.name: np.random.default_rng(0).standard_normal(shape).astype(np.float32)}
    for _ in range(WARMUP):
        session.run(None, feeds)
    samples: list[float] = []
    start = time.perf_counter_ns()
    while len(samples) < min_runs or time.perf_counter_ns() - start < min_time * 1e9:
        t0 = time.perf_counter_ns()
        session.run(None, feeds)
        samples.append((time.perf_counter_ns() - t0) / 1e6)
    return samples


def benchbot(*args: str) -> tuple[dict, float]:
    """Run `benchbot run ... --json`; its document and the wall time of the whole command."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "benchbot", "run", "--json", *args],
                          capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"benchbot run failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout), wall


def bare(model: Path, threads: int) -> float:
    proc = subprocess.run([sys.executable, __file__, "--bare", str(model), str(threads)],
                          capture_output=True, text=True, check=True)
    return float(proc.stdout)


def overhead_table(models_dir: Path, results: Path, threads: int, rounds: int) -> str:
    lines = [f"(a) median latency, {threads} thread(s), batch 1, {rounds} alternating rounds "
             "(fresh process each)", "",
             "| Model | benchbot median (ms) | bare loop median (ms) | ratio |", "|---|---|---|---|"]
    for size, name in MODELS.items():
        path = models_dir / name
        ours, theirs = [], []
        for _ in range(rounds):  # alternate, so drift of the machine hits both alike
            doc, _ = benchbot("-m", str(path), "-t", str(threads), "--results", str(results),
                              "--warmup", str(WARMUP), "--min-runs", str(MIN_RUNS),
                              "--min-time", str(MIN_TIME))
            ours.append(doc["cases"][0]["stats"]["median_ms"])
            theirs.append(bare(path, threads))
        a, b = statistics.median(ours), statistics.median(theirs)
        lines.append(f"| {size} ({name}) | {a:.4g} | {b:.4g} | {a / b:.3f} |")
    return "\n".join(lines) + "\n"


def sweep_table(models_dir: Path, results: Path) -> str:
    models = ",".join(str(models_dir / n) for n in ("tiny_conv.onnx", "mid_conv.onnx",
                                                    "tiny_fc.tflite"))
    doc, wall = benchbot("-m", models, "-t", "1,2", "-b", "1,2", "--results", str(results))
    runs = [r for c in doc["cases"] for r in c["runs"]]
    timed = sum(r["extras"]["timed_wall_ms"] for r in runs) / 1000
    load = sum(r["load_ms"] for r in runs) / 1000
    n = len(doc["cases"])
    return "\n".join([
        f"(b) sweep of {n} cases (3 models x threads 1,2 x batch 1,2), default settings", "",
        "| sweep wall time (s) | inside timed loops (s) | model loading (s) | wall / timed | "
        "overhead per case (s) |", "|---|---|---|---|---|",
        f"| {wall:.2f} | {timed:.2f} | {load:.2f} | {wall / timed:.2f} | "
        f"{(wall - timed) / n:.2f} |"]) + "\n"


def synthetic_case(index: int, samples: int = 300):  # noqa: ANN201 (benchbot types)
    """A finished case like a real one: a few hundred samples, its statistics."""
    import random

    from benchbot.stats import summarize
    from benchbot.store import CaseConfig, CaseResult, ModelRef, ProcessRun

    rng = random.Random(index)
    xs = tuple(10 + rng.random() for _ in range(samples))
    config = CaseConfig(model=ModelRef(f"models/m{index % 7}.onnx", "ab" * 32, 1000),
                        device="local", runtime="onnxruntime", threads=1 + index % 4,
                        batch=1 + index // 4, precision="fp32")
    return CaseResult(id=f"{index:012d}", config=config, status="ok",
                      runs=(ProcessRun(samples_ms=xs, extras={"python": "3.11"}),),
                      stats=summarize(xs))


def save_cost_table(results: Path, cases: int = 500, window: int = 10) -> str:
    """Time of one save at the start and at the end of a long run (median of ``window``)."""
    from benchbot.run.executor import Recorder
    from benchbot.store import RunRecord, save_run

    record = RunRecord(run_id="20260101T000000Z-000000", started_at="2026-01-01T00:00:00Z",
                       command=("bench",), benchbot_version="bench", host={}, devices={},
                       settings={}, planned_cases=cases)
    recorder = Recorder(record, results)
    costs = []
    for i in range(cases):
        case = synthetic_case(i)
        t0 = time.perf_counter()
        recorder.add(case)
        costs.append(time.perf_counter() - t0)
    full = recorder.record
    recorder.finish("complete")
    first, last = statistics.median(costs[:window]), statistics.median(costs[-window:])
    old = {}  # the v1 way: the whole record rewritten after every case
    for n in (1, cases):
        part = RunRecord(**{**full.__dict__, "cases": full.cases[:n]})
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            save_run(part, results / "v1-style")
            times.append(time.perf_counter() - t0)
        old[n] = statistics.median(times)
    return "\n".join([
        f"(c) recording one finished case (synthetic, 300 samples each), median of {window}",
        "", f"| save | at case 1 (ms) | at case {cases} (ms) | case {cases} / case 1 |",
        "|---|---|---|---|",
        f"| journal append (schema v2) | {first * 1e3:.3f} | {last * 1e3:.3f} | "
        f"{last / first:.2f} |",
        f"| whole-file rewrite (as schema v1 did) | {old[1] * 1e3:.3f} | "
        f"{old[cases] * 1e3:.3f} | {old[cases] / old[1]:.1f} |"]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bare", nargs=2, metavar=("MODEL", "THREADS"), help=argparse.SUPPRESS)
    parser.add_argument("--models", type=Path, default=REPO / "models")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.bare:
        print(statistics.median(bare_loop(args.bare[0], int(args.bare[1]), MIN_RUNS, MIN_TIME)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(overhead_table(args.models, Path(tmp), args.threads, args.rounds))
        print(sweep_table(args.models, Path(tmp)))
        print(save_cost_table(Path(tmp) / "save-cost"))


if __name__ == "__main__":
    main()
