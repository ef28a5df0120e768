"""Numbers that hold from one run to the next, measured: `make bench` prints these figures.

(a) A/A: independent runs of one unchanged model with default settings, every pair
    compared; how many pairs `compare` calls slower or faster (the goal is none);
(b) `benchbot ab`: how many of 5 sessions call a model with 5% more MACs slower (goal: at
    least 4) and one with 10% more (goal: 5), mid_conv against mid_conv_plus5 and
    mid_conv_plus10, with each session's wall time (goal: under 60 s); and how many of 10
    sessions of mid_conv against itself call it slower or faster (goal: none);
(c) coverage: how many of 6 invocations' 95% CIs contain the median of the 6 medians
    (the goal is at least 5), against the same with one process per case (--repeat 1);
(d) the wall time of one case with default settings, against one process (--repeat 1,
    as benchbot 0.1 measured), interleaved;
(e) benchbot's median against a bare perf_counter_ns loop around session.run (same model,
    one thread, batch 1), five invocations each, round-robin;
(f) validity: how many of the 16 cells of `make demo`'s sweep are valid (goal: 14), and
    how much this machine moves by itself: between fresh bare processes, and inside one.

Nothing here is asserted: the figures are for people to read.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAX_RUNS = 10000  # benchbot run's default --max-runs
DRIFT_S, DRIFT_WINDOW_S = 10.0, 0.5  # (f): one bare process, in windows of the demo's --min-time
# the options of `make demo` beside its models (the Makefile's demo target)
DEMO_OPTIONS = ("--threads", "1,2", "--batch", "1,4", "--min-time", "0.5", "--max-repeat", "5")


def benchbot(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "benchbot", *args], capture_output=True,
                          text=True, cwd=REPO)
    return proc, time.perf_counter() - start


def run_once(model: Path, results: Path, *extra: str) -> tuple[dict, float]:
    proc, wall = benchbot("run", "-m", str(model), "--json", "--results", str(results), *extra)
    if proc.returncode != 0:
        sys.exit(f"benchbot run failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout), wall


def aa_table(model: Path, results: Path, runs: int) -> str:
    docs = [run_once(model, results)[0] for _ in range(runs)]
    ids = [d["run_id"] for d in docs]
    calls: dict[str, int] = {}
    for a, b in itertools.combinations(ids, 2):
        proc, _ = benchbot("compare", a, b, "--results", str(results), "--json")
        doc = json.loads(proc.stdout)
        for row in doc["comparisons"]:
            calls[row["verdict"]] = calls.get(row["verdict"], 0) + 1
    pairs = runs * (runs - 1) // 2
    medians = [d["cases"][0]["stats"]["median_ms"] for d in docs]
    spread = (max(medians) - min(medians)) / statistics.median(medians)
    alarms = calls.get("slower", 0) + calls.get("faster", 0)
    return "\n".join([
        f"(a) A/A: {runs} independent runs of {model.name} (default settings), "
        f"{pairs} pairs compared", "",
        "| pairs | slower or faster (false alarms) | unchanged | uncertain | medians spread |",
        "|---|---|---|---|---|",
        f"| {pairs} | {alarms} | {calls.get('unchanged', 0)} | {calls.get('uncertain', 0)} | "
        f"{spread:.1%} |"]) + "\n"


def ab_session(base: Path, cand: Path, results: Path, *extra: str) -> tuple[str, float | None,
                                                                              int, float]:
    """One `benchbot ab` session: (verdict, estimated change, pairs, wall seconds)."""
    proc, wall = benchbot("ab", str(base), str(cand), "--json", "--results", str(results),
                          *extra)
    if proc.returncode not in (0, 1):
        sys.exit(f"benchbot ab failed: {proc.stderr.strip().splitlines()[-1:]}")
    (row,) = json.loads(proc.stdout)["comparisons"]
    return row["verdict"], row.get("change"), int(row.get("n_baseline") or 0), wall


def ab_table(models: Path, results: Path, rounds: int, aa_rounds: int, *extra: str) -> str:
    """ab's power at +5% and +10% MACs, and its false alarms on a model against itself."""
    base = models / "mid_conv.onnx"
    rows = []
    for name, cand, sessions, goal in (
            ("+5% MACs", models / "mid_conv_plus5.onnx", rounds, "slower in at least 4 of 5"),
            ("+10% MACs", models / "mid_conv_plus10.onnx", rounds, "slower in 5 of 5"),
            ("A/A (the same file)", base, aa_rounds, "no slower or faster")):
        found = [ab_session(base, cand, results, *extra) for _ in range(sessions)]
        kinds = [v for v, *_ in found]
        called = (sum(k == "slower" for k in kinds) if cand != base
                  else sum(k in ("slower", "faster") for k in kinds))
        changes = ", ".join(f"{c:+.1%}" if isinstance(c, (int, float)) else "?"
                            for _, c, _, _ in found)
        walls = [w for *_, w in found]
        rows.append(f"| {cand.name} ({name}) | {called} of {sessions} | {goal} | {changes} | "
                    f"{statistics.median(p for _, _, p, _ in found):g} | "
                    f"{statistics.mean(walls):.1f} / {max(walls):.1f} |")
    return "\n".join([
        f"(b) `benchbot ab {base.name} CANDIDATE`, default settings: how many sessions call a "
        "heavier model slower (power), and how many call the model against itself slower "
        "or faster (false alarms)", "",
        "| candidate | sessions calling it (slower; A/A: slower or faster) | goal | estimated "
        "changes | pairs (median) | wall time, mean / max (s) |", "|---|---|---|---|---|---|",
        *rows]) + "\n"


def demo_validity_table(results: Path, *extra: str) -> str:
    """The share of valid cells in `make demo`'s sweep (its models and options)."""
    models = re.search(r"^MODELS := (.+)$", (REPO / "Makefile").read_text(), re.M)
    assert models, "the Makefile names the demo's models as MODELS := ..."
    proc, wall = benchbot("run", "--device", "local", "--model", models.group(1).strip(),
                          *DEMO_OPTIONS, "--json", "--results", str(results), *extra)
    if proc.returncode != 0:
        sys.exit(f"the demo sweep failed: {proc.stderr.strip().splitlines()[-1:]}")
    cases = json.loads(proc.stdout)["cases"]
    valid = sum(bool(c["valid"]) for c in cases)
    codes: dict[str, int] = {}
    for c in cases:
        for code in c["validity"]:
            codes[code["code"]] = codes.get(code["code"], 0) + 1
    listed = ", ".join(f"{k} ({n})" for k, n in sorted(codes.items())) or "-"
    drift = [line for line in proc.stderr.splitlines() if "changed speed by itself" in line]
    by_threads: dict[int, list[bool]] = {}
    for c in cases:
        by_threads.setdefault(int(c["threads"]), []).append(bool(c["valid"]))
    # the machine's own spread, without benchbot: is a cell marked for the machine or for us?
    zoo = REPO / "models" / "zoo" / "squeezenet1_1.onnx"  # exported by the sweep above
    spreads = {t: machine_spread(zoo, t) for t in (1, 2)}
    drifts = {t: machine_drift(zoo, t) for t in (1, 2)}
    return "\n".join([
        f"(f) validity: `make demo`'s sweep ({len(cases)} cells, {' '.join(DEMO_OPTIONS)}) "
        "on this machine; goal: at least 14 of 16 valid", "",
        "| valid cells | codes of the others | wall time (s) |", "|---|---|---|",
        f"| {valid} of {len(cases)} | {listed} | {wall:.0f} |", "",
        "valid by threads: " + ", ".join(f"{t} thread{'s' if t > 1 else ''}: {sum(v)} of "
                                         f"{len(v)}" for t, v in sorted(by_threads.items())),
        "",
        "benchbot's own reading of the sweep: " + (drift[0] if drift else "no drift of the "
                                                  "device seen between neighbouring processes"),
        "",
        "this machine's own spread between processes, without benchbot (squeezenet1_1, "
        "batch 1, the CV of 5 fresh bare loops' medians; a cell is marked unstable above "
        "5%): " + ", ".join(f"{t} thread{'s' if t > 1 else ''} {v:.1%}"
                            for t, v in spreads.items()),
        "",
        f"and inside one process: the CV of the medians of {DRIFT_WINDOW_S:g} s windows (the "
        f"demo's --min-time) in one bare loop of {DRIFT_S:g} s; above 5%, the machine changes "
        "speed by itself while a case measures: " + ", ".join(
            f"{t} thread{'s' if t > 1 else ''} {v:.1%}" for t, v in drifts.items())]) + "\n"


def _contains(doc: dict, target: float, own: bool = False) -> bool:
    """Whether the case's 95% CI (``own``: the run's own, without the spread between runs)
    holds ``target``."""
    s = doc["cases"][0]["stats"]
    low, high = ((s.get("within_ci95_low_ms"), s.get("within_ci95_high_ms")) if own
                 else (None, None))
    if low is None or high is None:
        low, high = s["ci95_low_ms"], s["ci95_high_ms"]
    return low <= target <= high


def coverage_table(model: Path, results: Path, invocations: int) -> tuple[str, list[float],
                                                                        list[float]]:
    rows, walls = [], {"default": [], "repeat 1": []}
    docs: dict[str, list[dict]] = {"default": [], "repeat 1": []}
    for _ in range(invocations):  # interleaved, so drift falls on both alike
        for name, extra in (("default", ()), ("repeat 1", ("--repeat", "1"))):
            doc, wall = run_once(model, results, *extra)
            docs[name].append(doc)
            walls[name].append(wall)
    for name, found in docs.items():
        medians = [d["cases"][0]["stats"]["median_ms"] for d in found]
        centre = statistics.median(medians)
        inside = sum(_contains(d, centre) for d in found)
        own = sum(_contains(d, centre, own=True) for d in found)
        processes = statistics.median(d["cases"][0]["stats"]["processes"] for d in found)
        rows.append(f"| {name} | {processes:g} | {inside} of {invocations} | "
                    f"{own} of {invocations} | {(max(medians) - min(medians)) / centre:.1%} |")
    text = "\n".join([
        f"(c) coverage: {invocations} invocations of {model.name}; does each one's 95% CI "
        "contain the median of their medians? (the CI includes the spread between runs "
        "that the earlier invocations show; the run's own CI is without it)", "",
        "| settings | processes per case | CIs containing it | the runs' own CIs | "
        "medians spread |", "|---|---|---|---|---|", *rows]) + "\n"
    return text, walls["default"], walls["repeat 1"]


def wall_table(default: list[float], once: list[float], model: str) -> str:
    a, b = statistics.median(default), statistics.median(once)
    return "\n".join([
        f"(d) wall time of one case of {model} (the whole `benchbot run`, median of "
        f"{len(default)}, interleaved)", "",
        "| default (adaptive processes) | --repeat 1 (one process, as 0.1) | ratio |",
        "|---|---|---|", f"| {a:.2f} s | {b:.2f} s | {a / b:.2f} |"]) + "\n"


def bare_median(model: Path, gc_off: bool, threads: int = 1) -> float:
    """The median of overhead.py's bare loop in a fresh process, the collector on or off."""
    proc = subprocess.run([sys.executable, __file__, "--bare", str(model),
                           "off" if gc_off else "on", "--bare-threads", str(threads)],
                          capture_output=True, text=True, check=True)
    return float(proc.stdout)


def machine_spread(model: Path, threads: int, processes: int = 5) -> float:
    """This machine's own spread between processes: the coefficient of variation of the
    medians of ``processes`` fresh bare loops (what unstable_between_processes measures)."""
    medians = [bare_median(model, gc_off=True, threads=threads) for _ in range(processes)]
    return statistics.stdev(medians) / statistics.mean(medians)


def machine_drift(model: Path, threads: int) -> float:
    """This machine's own drift inside one process: the coefficient of variation of the
    medians of consecutive windows of ``DRIFT_WINDOW_S`` (the demo's --min-time) in one
    bare loop of ``DRIFT_S``. Above 5%, the machine changes speed by itself faster than a
    case measures, and no process count makes its cases agree."""
    proc = subprocess.run([sys.executable, __file__, "--drift", str(model), str(threads)],
                          capture_output=True, text=True, check=True)
    return float(proc.stdout)


def _drift(model: str, threads: int) -> float:
    medians, window, spent = [], [], 0.0
    for ms in _bare_samples(model, "off", threads, DRIFT_S):  # windows by the loop's own time
        window.append(ms)
        spent += ms
        if spent >= DRIFT_WINDOW_S * 1e3:
            medians.append(statistics.median(window))
            window, spent = [], 0.0
    return statistics.stdev(medians) / statistics.mean(medians)


def _bare_samples(model: str, gc_mode: str, threads: int, seconds: float | None = None,
                  max_runs: int | None = None) -> list[float]:
    """overhead.py's bare loop in this process (``seconds``: its MIN_TIME when None)."""
    import gc

    sys.path.insert(0, str(REPO / "benchmarks"))
    from overhead import MIN_RUNS, MIN_TIME, bare_loop

    if gc_mode == "off":  # as the agent times: no collection inside a timed run
        gc.collect()
        gc.disable()
    return bare_loop(model, threads, MIN_RUNS, MIN_TIME if seconds is None else seconds,
                     max_runs=max_runs)


def _bare(model: str, gc_mode: str, threads: int = 1) -> float:
    # the agent's default cap on timed runs, so a microsecond model gets the same window
    return statistics.median(_bare_samples(model, gc_mode, threads, max_runs=MAX_RUNS))


def agreement_table(models: list[Path], results: Path, rounds: int) -> str:
    lines = [f"(e) benchbot's median (one process, default warm-up and sampling) against a "
             f"bare perf_counter_ns loop (the same cap of {MAX_RUNS} timed runs), 1 thread, "
             f"batch 1, {rounds} rounds of one process each, round-robin; the loop with "
             "Python's garbage collector on (as an application runs) and off (as the agent "
             "times). The ratios are the medians of each round's ratio: a round's three "
             "processes run back to back, in the same state of the machine", "",
             "| model | benchbot (ms) | bare loop, gc on (ms) | bare loop, gc off (ms) | "
             "benchbot / gc on | benchbot / gc off |", "|---|---|---|---|---|---|"]
    for model in models:
        ours, on, off = [], [], []
        for _ in range(rounds):
            doc, _ = run_once(model, results, "--repeat", "1")
            ours.append(doc["cases"][0]["stats"]["median_ms"])
            on.append(bare_median(model, gc_off=False))
            off.append(bare_median(model, gc_off=True))
        a, b, c = (statistics.median(x) for x in (ours, on, off))
        vs_on = statistics.median(x / y for x, y in zip(ours, on))
        vs_off = statistics.median(x / y for x, y in zip(ours, off))
        lines.append(f"| {model.name} | {a:.4g} | {b:.4g} | {c:.4g} | {vs_on:.3f} | "
                     f"{vs_off:.3f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bare", nargs=2, metavar=("MODEL", "GC"), help=argparse.SUPPRESS)
    parser.add_argument("--bare-threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--drift", nargs=2, metavar=("MODEL", "THREADS"), help=argparse.SUPPRESS)
    parser.add_argument("--models", type=Path, default=REPO / "models")
    parser.add_argument("--aa-runs", type=int, default=7)  # 21 pairs
    parser.add_argument("--ab-rounds", type=int, default=5)
    parser.add_argument("--ab-aa-rounds", type=int, default=10)
    parser.add_argument("--invocations", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=9, help="rounds of (e)")
    parser.add_argument("--only", choices=("a", "b", "c", "e", "f"), help="one part only")
    parser.add_argument("--quick", action="store_true",
                        help="short processes (--min-time 0.05): checks that the figures are "
                             "made, not what they are")
    args = parser.parse_args()
    if args.bare:
        print(_bare(args.bare[0], args.bare[1], args.bare_threads))
        return
    if args.drift:
        print(_drift(args.drift[0], int(args.drift[1])))
        return
    m = args.models
    quick = ("--min-time", "0.05", "--warmup", "1") if args.quick else ()
    wanted = {args.only} if args.only else {"a", "b", "c", "e", "f"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "a" in wanted:
            print(aa_table(m / "mid_conv.onnx", folder / "aa", args.aa_runs), flush=True)
        if "b" in wanted:
            print(ab_table(m, folder / "ab", args.ab_rounds, args.ab_aa_rounds, *quick),
                  flush=True)
        if "c" in wanted:  # with (d), from the same invocations
            text, default, once = coverage_table(m / "mid_conv.onnx", folder / "cov",
                                                 args.invocations)
            print(text)
            print(wall_table(default, once, "mid_conv.onnx"), flush=True)
        if "e" in wanted:
            print(agreement_table([m / "tiny_conv.onnx", m / "mid_conv.onnx"],
                                  folder / "bare", args.rounds), flush=True)
        if "f" in wanted:
            print(demo_validity_table(folder / "demo", *quick))


if __name__ == "__main__":
    main()
