"""Stand-in native tools that behave like the real ones, for the runner's end-to-end tests.

:func:`write_standin` writes an executable that speaks one tool dialect: it knows exactly
the flags its dialect defines (``tests/data/tool_flags/<kind>.<dialect>.txt``, read from
the tool's source), answers ``--help`` with its usage as the real tool does (the text
benchbot learns the dialect from), reacts to a flag it does not define as the real tool
does (BenchmarkModel warns ``Unconsumed cmdline flags`` and runs on with its defaults;
trtexec, gflags, Abseil and getopt refuse it and exit non-zero), echoes its parameters
in the real tool's words (``Num threads: [4]``, ``threads: 4``, ``Precision:
FP32+FP16``, ``Setting intra_op_num_threads to 4``), then replays a real captured log
(tests/data/tool_logs, source beside it) from which the capture's own echo lines were
taken out, and records its argv. Nothing here measures anything: the figures are the
captured tool's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FLAGS = Path(__file__).resolve().parents[1] / "data" / "tool_flags"

# The script the stand-in runs; CONFIG is replaced by its settings as JSON.
_SCRIPT = r'''
import json, re, sys
C = json.loads(CONFIG)
args = sys.argv[1:]
out, err = sys.stdout, sys.stderr
if C["record"]:
    with open(C["record"], "a") as f:
        f.write(json.dumps(args) + "\n")
family, flags = C["family"], C["flags"]

def usage():
    if family == "benchmark_model":
        err.write("usage: benchmark_model <flags>\nFlags:\n")
        err.writelines(f"\t{f}=\t\toptional\t\n" for f in flags)
        sys.exit(1)
    if family == "trtexec":
        if C["dialect"] == "5":
            out.write("&&&& RUNNING TensorRT.trtexec # trtexec --help\n\nMandatory params:\n")
            out.writelines(f"  {f}=N\n" for f in flags)
        else:
            tag = {"7-10": "v8601", "11": "v110000"}[C["dialect"]]
            out.write(f"&&&& RUNNING TensorRT.trtexec [TensorRT {tag}] # trtexec --help\n"
                      "=== Build Options ===\n")
            out.writelines(f"  {f}=N\n" for f in flags)
        sys.exit(0)
    if family == "paddle_lite":
        where = {"2.10": "lite/api/tools/benchmark/utils/flags.cc",
                 "2.9": "lite/api/benchmark.cc"}[C["dialect"]]
        err.write(f"benchmark_bin: usage\n\n  Flags from {where}:\n")
        err.writelines(f"    -{f[2:]} () type: string default: \"\"\n" for f in flags)
        sys.exit(1)
    if C["dialect"] == "abseil":
        out.write("onnxruntime_perf_test: perf_test [options...] model_path [result_file]\n"
                  "Try --helpfull to get a list of all flags or --help=substring.\n")
        sys.exit(1)
    err.write("perf_test [options...] model_path [result_file]\nOptions:\n")
    err.writelines(f"\t{f}\n" for f in flags)
    sys.exit(255)

if "--help" in args or "-h" in args:
    usage()
given, unknown, positional = {}, [], []
if family == "onnxruntime_perf_test":
    takes = set(C["takes_value"])
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("-") and a in flags:
            given[a] = args[i + 1] if a in takes else ""
            i += 2 if a in takes else 1
        elif a.startswith("-"):
            unknown.append(a)
            i += 1
        else:
            positional.append(a)
            i += 1
else:
    for a in args:
        name, _, value = a.partition("=")
        (given.__setitem__(name, value) if name in flags else unknown.append(a))
given.update({k: v for k, v in C["runs_with"].items() if k in given})

if unknown:
    if family == "benchmark_model":
        err.write("WARNING: Unconsumed cmdline flags: " + " ".join(unknown) + "\n")
    elif family == "trtexec":
        if C["dialect"] == "5":
            out.write(f"[E] Unknown argument: {unknown[0]}\n&&&& FAILED TensorRT.trtexec\n")
        else:
            out.write(f"[E] Unknown option: {unknown[0]}\n&&&& FAILED TensorRT.trtexec\n")
        sys.exit(1)
    elif family == "paddle_lite":
        err.write(f"ERROR: unknown command line flag '{unknown[0].lstrip('-').split('=')[0]}'\n")
        sys.exit(1)
    elif C["dialect"] == "abseil":
        err.write(f"ERROR: Unknown command line flag '{unknown[0].lstrip('-')}'\n")
        sys.exit(1)
    else:
        err.write(f"onnxruntime_perf_test: invalid option -- '{unknown[0].lstrip('-')}'\n")
        sys.exit(255)

lines = []
if family == "benchmark_model":
    lines.append("INFO: STARTING!")
    for name, label in C["labels"].items():
        if name in given:
            value = {"true": "1", "false": "0"}.get(given[name], given[name])
            lines.append(f"INFO: {label}: [{value}]")
elif family == "trtexec":
    tag = {"5": "", "7-10": " [TensorRT v8601]", "11": " [TensorRT v110000]"}[C["dialect"]]
    lines.append(f"&&&& RUNNING TensorRT.trtexec{tag} # trtexec " + " ".join(args))
    if C["dialect"] == "5":
        for name in ("--batch", "--iterations", "--avgRuns"):
            if name in given:
                lines.append(f"[I] {name[2:]}: {given[name]}")
        lines += [f"[I] {p}" for p in ("fp16", "int8") if f"--{p}" in given]
    else:
        precision = "FP32" + "".join(f"+{p.upper()}" for p in ("fp16", "int8")
                                     if f"--{p}" in given)
        lines += ["[I] === Build Options ===", f"[I] Precision: {precision}",
                  "[I] === Inference Options ==="]
        shapes = given.get("--shapes")
        lines += ([f"[I] Input inference shape: {s.rsplit(':', 1)[0]}={s.rsplit(':', 1)[1]}"
                   for s in shapes.split(",")] if shapes else ["[I] Input inference shapes: model"])
elif family == "paddle_lite":
    if C["dialect"] == "2.10" and not given.get("--input_shape"):
        out.write("Must set --input_shape option!\n")
        sys.exit(0)
    for name, label in (("--input_shape", "input_shape"), ("--threads", "threads"),
                        ("--backend", "backend"), ("--cpu_precision", "cpu precision"),
                        ("--gpu_precision", "gpu precision")):
        if name in given:
            lines.append(f"{label}: {given[name]}")
    if C["dialect"] == "2.10" and "--cpu_precision" not in given:
        lines.append("cpu precision: fp32")
elif int(given.get("-x", "0") or 0) > 0:
    lines.append(f"Setting intra_op_num_threads to {given['-x']}")
own = re.compile(C["own_echo"])
with open(C["log"]) as f:
    replay = [ln.rstrip("\n") for ln in f if not own.search(ln)]
out.write("\n".join(lines + replay) + "\n")
sys.exit(C["exit_code"])
'''

_FAMILY = {"tflite_benchmark_model": "benchmark_model", "trtexec": "trtexec",
           "paddle_lite": "paddle_lite", "onnxruntime_perf_test": "onnxruntime_perf_test"}
#: The echo labels BenchmarkModel prints for flags set on its command line (LogParams).
_BASE_LABELS = {"--num_runs": "Min num runs", "--min_secs": "Min runs duration (seconds)",
                "--max_secs": "Max runs duration (seconds)", "--num_threads": "Num threads",
                "--warmup_runs": "Min warmup runs",
                "--warmup_min_secs": "Min warmup runs duration (seconds)"}
_CLASSIC_LABELS = {"--graph": "Graph", "--input_layer": "Input layers",
                   "--input_layer_shape": "Input shapes",
                   "--enable_op_profiling": "Enable op profiling", "--use_gpu": "Use gpu",
                   "--gpu_precision_loss_allowed": "Allow lower precision in gpu",
                   "--use_nnapi": "Use NNAPI", "--nnapi_allow_fp16": "Allow fp16 in NNAPI",
                   "--use_xnnpack": "Use xnnpack"}
#: The captured logs' own echo lines, taken out before the replay (the stand-in echoes
#: what it was given instead).
_OWN_ECHO = {"benchmark_model": r"STARTING!|^(INFO: )?[A-Z][A-Za-z ()#]*: \[",
             "trtexec": r"Precision:|Input inference shape|&&&& RUNNING|"
                        r"^\[.*\] \[I\] (batch|fp16|int8)",
             "paddle_lite": r"^(input_shape|threads|backend|cpu precision|gpu precision):",
             "onnxruntime_perf_test": r"^Setting intra_op_num_threads"}


def flag_list(kind: str, dialect: str) -> list[str]:
    """The flags of a dialect, as ``tests/data/tool_flags`` lists them (values stripped)."""
    lines = (FLAGS / f"{kind}.{dialect}.txt").read_text().splitlines()
    return [ln.split()[0] for ln in lines if ln and not ln.startswith("#")]


def takes_value(kind: str, dialect: str) -> list[str]:
    lines = (FLAGS / f"{kind}.{dialect}.txt").read_text().splitlines()
    return [ln.split()[0] for ln in lines if ln.endswith(" VALUE")]


def write_standin(path: Path, kind: str, dialect: str, log: Path, *, record: Path | None = None,
                  exit_code: int = 0, without: tuple[str, ...] = (),
                  runs_with: dict[str, str] | None = None) -> Path:
    """An executable at ``path`` speaking ``kind``'s ``dialect`` and replaying ``log``.

    ``without``: flags this build lacks (an older build); ``runs_with``: flag -> the
    value the build really runs with whatever it is given (one that clamps a setting).
    """
    family = _FAMILY[kind]
    labels = {**_BASE_LABELS, **(_CLASSIC_LABELS if dialect == "classic" else {})}
    flags = [f for f in flag_list(kind, dialect) if f not in without]
    config = {"family": family, "dialect": dialect, "flags": flags, "runs_with": runs_with or {},
              "takes_value": takes_value(kind, dialect), "labels": labels,
              "own_echo": _OWN_ECHO[family], "log": str(log),
              "record": str(record) if record else None, "exit_code": exit_code}
    path.write_text(f"#!{sys.executable}\nCONFIG = {json.dumps(json.dumps(config))}\n"
                    + _SCRIPT)
    path.chmod(0o755)
    return path


def recorded(record: Path) -> list[list[str]]:
    """Every argv the stand-in was run with (probes included), in order."""
    return [json.loads(line) for line in record.read_text().splitlines()]
