"""What benchbot costs, measured: `make bench` prints the figures.

(a) benchbot's reported median next to a bare perf_counter_ns loop around
    session.run (same model, same threads, also in a fresh process), for a tiny,
    a mid-size and a large model, as a ratio;
(b) the sweep's wall time next to the time spent inside timed loops, as a ratio;
(c) what recording one finished case costs at case 1 and at case 500 of a run
    (synthetic cases), against rewriting the whole results file as schema v1 did;
(d) startup: `benchbot --version`, `--help` and a one-case run next to a bare timing
    loop's process (start to figure);
(e) per-case overhead in a 24-case sweep (wall time less load and timed loops);
(f) report, compare latest and compare rolling:20 over 1,000 and 100,000 synthetic case
    records (copies of a real run with new ids), with the results index caught up
    (and without it at 1,000), with peak memory.

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


def bare_loop(model: str, threads: int, min_runs: int, min_time: float,
              max_runs: int | None = None) -> list[float]:
    """The simplest honest timing: a session, random input, a perf_counter_ns loop (stopped
    at ``max_runs`` too, when given, as the agent is)."""
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
    while (len(samples) < min_runs or time.perf_counter_ns() - start < min_time * 1e9) \
            and (max_runs is None or len(samples) < max_runs):
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
    doc, wall = benchbot("-m", models, "-t", "1,2", "-b", "1,2", "--results", str(results),
                         "--repeat", "1")  # one process per case: the overhead of each
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
    from benchbot.runs.executor import Recorder
    from benchbot.store import RunRecord, save_run

    record = RunRecord(run_id="20260101T000000Z-000000", started_at="2026-01-01T00:00:00Z",
                       command=("bench",), benchbot_version="bench", planned_cases=cases)
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
        f"| journal append (schema 2 and later) | {first * 1e3:.3f} | {last * 1e3:.3f} | "
        f"{last / first:.2f} |",
        f"| whole-file rewrite (as schema v1 did) | {old[1] * 1e3:.3f} | "
        f"{old[cases] * 1e3:.3f} | {old[cases] / old[1]:.1f} |"]) + "\n"


RSS_PROBE = ("import resource, sys\nfrom benchbot.cli.main import main\ncode = main(sys.argv[1:])\n"
             "sys.stderr.write(f'\\nMAXRSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n')"
             "\nsys.exit(code)\n")


def timed_cli(*args: str, env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) and exit code of one benchbot command in a fresh process."""
    import os

    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", RSS_PROBE, *args], capture_output=True,
                          text=True, cwd=REPO, env={**os.environ, **(env or {})})
    wall = time.perf_counter() - start
    rss = [line for line in proc.stderr.splitlines() if line.startswith("MAXRSS ")]
    if proc.returncode not in (0, 1) or not rss:
        sys.exit(f"benchbot {' '.join(args)} failed: {proc.stderr.strip().splitlines()[-3:]}")
    return wall, int(rss[-1].split()[1]) / 1024, proc.returncode


def _median_wall(argv: list[str], rounds: int) -> float:
    walls = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True, cwd=REPO)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def startup_table(models_dir: Path, results: Path, rounds: int = 5) -> str:
    """Process start to answer, median of ``rounds`` fresh processes each."""
    bb = [sys.executable, "-m", "benchbot"]
    model = str(models_dir / "tiny_conv.onnx")
    rows = [("benchbot --version", _median_wall([*bb, "--version"], rounds)),
            ("benchbot --help", _median_wall([*bb, "--help"], rounds)),
            ("benchbot run, one case (--min-time 0.01 --min-runs 1 --warmup 1)",
             _median_wall([*bb, "run", "-m", model, "--repeat", "1", "--min-time", "0.01",
                           "--min-runs", "1",
                           "--warmup", "1", "--results", str(results)], rounds)),
            ("bare timing loop process (same model, 1 warm-up, 1 run)",
             _median_wall([sys.executable, __file__, "--bare-once", model], rounds)),
            ("python -c pass", _median_wall([sys.executable, "-c", "pass"], rounds))]
    bare_s = rows[3][1]
    return "\n".join([f"(d) startup, process start to answer (median of {rounds})", "",
                      "| command | wall (s) | / bare loop process |", "|---|---|---|",
                      *(f"| {name} | {wall:.3f} | {wall / bare_s:.2f} |" for name, wall in rows)]
                     ) + "\n"


def sweep24_table(models_dir: Path, results: Path) -> str:
    """Per-case overhead: the sweep's wall time less model loading and timed loops, per case."""
    models = ",".join(str(models_dir / n) for n in ("tiny_conv.onnx", "tiny_matmul.onnx",
                                                    "tiny_fc.tflite"))
    doc, wall = benchbot("-m", models, "-t", "1,2", "-b", "1,2,4,8", "--results", str(results),
                         "--min-time", "0.05", "--min-runs", "5", "--warmup", "2",
                         "--repeat", "1")  # one process per case: the per-process cost
    runs = [r for c in doc["cases"] for r in c["runs"]]
    timed = sum(r["extras"]["timed_wall_ms"] for r in runs) / 1000
    load = sum(r["load_ms"] for r in runs) / 1000
    first = sum(r.get("first_inference_ms") or 0 for r in runs) / 1000
    n = len(doc["cases"])
    return "\n".join([
        f"(e) sweep of {n} cases (3 tiny models x threads 1,2 x batch 1,2,4,8; --min-time 0.05 "
        "--min-runs 5 --warmup 2)", "",
        "| wall (s) | timed loops (s) | model loading (s) | first inference (s) | "
        "overhead per case (s) |", "|---|---|---|---|---|",
        f"| {wall:.2f} | {timed:.2f} | {load:.2f} | {first:.2f} | "
        f"{(wall - timed - load - first) / n:.3f} |"]) + "\n"


def synthetic_results(source: dict, folder: Path, cases: int) -> int:
    """Copies of a real run (new run ids, case ids and start times) up to ``cases`` cases."""
    import copy

    folder.mkdir(parents=True, exist_ok=True)
    per_run = len(source["cases"])
    runs = -(-cases // per_run)
    for i in range(runs):
        doc = copy.deepcopy(source)
        day, sec = divmod(i, 86400)
        stamp = f"2025-{1 + day // 28:02d}-{1 + day % 28:02d}T{sec // 3600:02d}:" \
                f"{sec // 60 % 60:02d}:{sec % 60:02d}"
        doc["run_id"] = f"{stamp.replace('-', '').replace(':', '')}Z-{i:06x}"
        doc["started_at"] = f"{stamp}.000+00:00"
        for j, case in enumerate(doc["cases"]):
            case["id"] = f"{i:06x}{j:06x}"
        (folder / f"{doc['run_id']}.json").write_text(json.dumps(doc), encoding="utf-8")
    return runs


def index_table(source_run: Path, root: Path, sizes: tuple[int, ...] = (1000, 100_000)) -> str:
    source = json.loads(source_run.read_text(encoding="utf-8"))
    lines = ["(f) reading results: wall time and peak memory of one command, fresh process "
             f"(synthetic copies of a {len(source['cases'])}-case run)", "",
             "| case records | command | index | wall (s) | peak RSS (MB) |",
             "|---|---|---|---|---|"]
    for size in sizes:
        folder = root / f"r{size}"
        t0 = time.perf_counter()
        runs = synthetic_results(source, folder, size)
        made = time.perf_counter() - t0
        mb = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
        first = sorted(folder.glob("*.json"))[0].stem
        wall, rss, _ = timed_cli("index", "rebuild", "--results", str(folder))
        lines.append(f"| {size} ({runs} runs, {mb:.0f} MB, written in {made:.0f} s) | "
                     f"index rebuild (catch-up from nothing) | - | {wall:.2f} | {rss:.0f} |")
        commands = [("report", ["report"]), ("compare FIRST latest", ["compare", first, "latest"]),
                    ("compare rolling:20 latest", ["compare", "rolling:20", "latest"])]
        modes = [("caught up", {})] + ([("none (JSON only)", {"BENCHBOT_NO_INDEX": "1"})]
                                       if size <= 1000 else [])
        for label, args in commands:
            for mode, env in modes:
                wall, rss, _ = timed_cli(*args, "--results", str(folder), env=env)
                lines.append(f"| {size} | {label} | {mode} | {wall:.2f} | {rss:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bare", nargs=2, metavar=("MODEL", "THREADS"), help=argparse.SUPPRESS)
    parser.add_argument("--models", type=Path, default=REPO / "models")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bare-once", metavar="MODEL", help=argparse.SUPPRESS)
    parser.add_argument("--only", default="abcdef",
                        help="which tables to print, e.g. def (default: all)")
    parser.add_argument("--records", default="1000,100000",
                        help="case record counts of table (f)")
    args = parser.parse_args()
    if args.bare_once:
        print(statistics.median(bare_loop(args.bare_once, 1, 1, 0.0)))
        return
    if args.bare:
        print(statistics.median(bare_loop(args.bare[0], int(args.bare[1]), MIN_RUNS, MIN_TIME)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        if "a" in args.only:
            print(overhead_table(args.models, Path(tmp), args.threads, args.rounds))
        if "b" in args.only:
            print(sweep_table(args.models, Path(tmp)))
        if "c" in args.only:
            print(save_cost_table(Path(tmp) / "save-cost"))
        if "d" in args.only:
            print(startup_table(args.models, Path(tmp) / "startup"))
        sweep = Path(tmp) / "sweep24"
        if "e" in args.only or "f" in args.only:
            print(sweep24_table(args.models, sweep))
        if "f" in args.only:  # a real 24-case run with 20 samples a case, as the source
            small = Path(tmp) / "source"
            models = ",".join(str(args.models / n) for n in ("tiny_conv.onnx",
                                                             "tiny_matmul.onnx",
                                                             "tiny_fc.tflite"))
            benchbot("-m", models, "-t", "1,2", "-b", "1,2,4,8", "--results", str(small),
                     "--repeat", "1", "--min-time", "0.001", "--min-runs", "20",
                     "--max-runs", "20",
                     "--warmup", "1")
            source = next(f for f in sorted(small.glob("*.json")))
            sizes = tuple(int(n) for n in args.records.split(","))
            print(index_table(source, Path(tmp) / "index", sizes), flush=True)


if __name__ == "__main__":
    main()
