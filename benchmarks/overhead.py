"""What benchbot costs, measured: `make bench` prints the figures.

(a) benchbot's reported median next to a bare perf_counter_ns loop around
    session.run (same model, same threads, also in a fresh process), for a tiny,
    a mid-size and a large model, as a ratio;
(b) the sweep's wall time next to the time spent inside timed loops, as a ratio.

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
    timed = sum(c["measurement"]["timed_wall_ms"] for c in doc["cases"]) / 1000
    load = sum(c["measurement"]["load_ms"] for c in doc["cases"]) / 1000
    n = len(doc["cases"])
    return "\n".join([
        f"(b) sweep of {n} cases (3 models x threads 1,2 x batch 1,2), default settings", "",
        "| sweep wall time (s) | inside timed loops (s) | model loading (s) | wall / timed | "
        "overhead per case (s) |", "|---|---|---|---|---|",
        f"| {wall:.2f} | {timed:.2f} | {load:.2f} | {wall / timed:.2f} | "
        f"{(wall - timed) / n:.2f} |"]) + "\n"


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


if __name__ == "__main__":
    main()
