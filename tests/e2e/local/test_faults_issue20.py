"""Faults a hostile new user found (issue 20), each pinned by a test that failed before its fix."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import benchbot as benchbot_api
from benchbot.cli.main import main
from benchbot.errors import UserError
from benchbot.runs.nightly import load_nightly
from benchbot.store import RunRecord, RunWriter, load_run, save_run
from benchbot.store.files import hold_run_lock, lock_path, release_run_lock
from benchbot.store.entries import model_labels
from benchbot.store.index import INDEX_NAME, open_index
from benchbot.sweep import load_sweep_file
from tests.support.cases import make_case
from tests.conftest import FAST, benchbot


# --- zoo references and absolute paths in sweep and nightly files --------------------------

def test_a_sweep_file_in_a_subfolder_keeps_zoo_references_and_absolute_paths(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    absolute = tmp_path / "abs.onnx"
    sweep = sub / "sweep.toml"
    sweep.write_text(f'models = ["zoo:mobilenet_v3_small", "{absolute}", "m.onnx"]\n')
    assert load_sweep_file(sweep).models == ("zoo:mobilenet_v3_small", str(absolute),
                                             str(sub / "m.onnx"))


def test_a_nightly_file_in_a_subfolder_keeps_zoo_references(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    nightly = sub / "nightly.toml"
    nightly.write_text('models = ["zoo:mobilenet_v3_small"]\n')
    assert load_nightly(nightly).spec.models == ("zoo:mobilenet_v3_small",)


# --- a results index another process holds locked ------------------------------------------

LOCK_HOLDER = textwrap.dedent("""
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")  # the write lock, held until told
    print("locked", flush=True)
    sys.stdin.readline()
    conn.execute("ROLLBACK")
""")


def test_a_locked_index_is_done_without_and_said_once(models: dict[str, Path],
                                                       tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    index = open_index(results)
    assert index is not None
    index.close()
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(results / INDEX_NAME)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        onnx, tflite = models["tiny_conv.onnx"], models["tiny_fc.tflite"]
        proc = benchbot("run", "-m", f"{onnx},{tflite}", "--results", str(results), *FAST)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert proc.returncode == 0, proc.stderr
    said = [line for line in proc.stderr.splitlines() if "is locked by another process" in line]
    assert len(said) == 1 and "without the results index" in said[0], proc.stderr
    (run,) = results.glob("*.json")
    assert [c.status for c in load_run(run).cases] == ["ok", "ok"]
    report = benchbot("report", "--results", str(results))  # the index catches up afterwards
    assert report.returncode == 0 and "tiny_fc" in report.stdout, report.stderr


# --- the Python API validates as the CLI does ----------------------------------------------

@pytest.mark.parametrize("axes", [{"threads": (0,)}, {"threads": 99999999999}, {"batch": [-2]},
                                  {"precision": "fp7"}, {"case_budget": -1}, {"seed": -1},
                                  {"warmup": "5"}])
def test_the_api_refuses_what_the_cli_refuses_before_writing(
        models: dict[str, Path], tmp_path: Path, axes: dict[str, object]) -> None:
    with pytest.raises(UserError):
        benchbot_api.run([models["tiny_conv.onnx"]], results=tmp_path / "results", **axes)
    assert not (tmp_path / "results").exists()


# --- bounds checked at input: exit 2 with one line -----------------------------------------

def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """The CLI in this process (bad input is refused before anything runs): code, stderr."""
    code = main(list(args))
    return code, capsys.readouterr().err


@pytest.mark.parametrize("args, named", [
    (["--threads", "99999999999"], "--threads"), (["--batch", "99999999999"], "--batch"),
    (["--case-budget", "-1"], "--case-budget"), (["--retries", "-1"], "--retries"),
    (["--battery-floor", "150"], "--battery-floor"), (["--seed", "-1"], "--seed"),
    (["--resume", ""], "--resume")])
def test_run_checks_bounds_at_input(models: dict[str, Path], tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str],
                                    args: list[str], named: str) -> None:
    given = [] if named == "--resume" else ["-m", str(models["tiny_conv.onnx"]), *FAST]
    code, stderr = _cli(capsys, "run", *given, *args, "--results", str(tmp_path / "results"))
    assert code == 2 and len(stderr.strip().splitlines()) == 1 and named in stderr, stderr
    assert not (tmp_path / "results").exists()


def test_a_sweep_file_checks_the_same_bounds(models: dict[str, Path], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(f'models = ["{models["tiny_conv.onnx"]}"]\nthreads = [99999999999]\n')
    code, stderr = _cli(capsys, "run", "--config", str(sweep), "--results", str(tmp_path / "r"))
    assert code == 2 and "threads" in stderr and len(stderr.strip().splitlines()) == 1, stderr


def test_report_digits_are_bounded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, stderr = _cli(capsys, "report", "--results", str(tmp_path), "--digits", "50")
    assert code == 2 and "--digits" in stderr and len(stderr.strip().splitlines()) == 1, stderr


# --- models told apart by suffix; identical files said to be merged -----------------------

def test_models_with_one_stem_are_told_apart_by_suffix_first() -> None:
    cases = [make_case(model="models/tiny_conv.tflite", model_sha256="1" * 64, samples_ms=[1.0]),
             make_case(model="models/tiny_conv.onnx", model_sha256="2" * 64, samples_ms=[1.0]),
             make_case(model="v1/net.onnx", model_sha256="3" * 64, samples_ms=[1.0]),
             make_case(model="v2/net.onnx", model_sha256="4" * 64, samples_ms=[1.0]),
             make_case(model="v2/net.tflite", model_sha256="5" * 64, samples_ms=[1.0])]
    assert model_labels(cases) == {"models/tiny_conv.tflite": "tiny_conv.tflite",
                                   "models/tiny_conv.onnx": "tiny_conv.onnx",
                                   "v1/net.onnx": "v1/net.onnx", "v2/net.onnx": "v2/net.onnx",
                                   "v2/net.tflite": "v2/net.tflite"}


def test_a_run_of_two_formats_of_one_model_and_of_copies(models: dict[str, Path],
                                                          tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    onnx, tflite = folder / "tiny_conv.onnx", folder / "tiny_conv.tflite"
    onnx.write_bytes(models["tiny_conv.onnx"].read_bytes())
    tflite.write_bytes(models["tiny_fc.tflite"].read_bytes())
    copies = [folder / f"copy{i}.onnx" for i in range(3)]
    for copy in copies:
        copy.write_bytes(onnx.read_bytes())
    given = ",".join(str(p) for p in (onnx, tflite, *copies))
    proc = benchbot("run", "-m", given, "--results", str(tmp_path / "results"), *FAST)
    assert proc.returncode == 0, proc.stderr
    assert "| tiny_conv.onnx |" in proc.stdout and "| tiny_conv.tflite |" in proc.stdout
    notes = [line for line in proc.stderr.splitlines() if "same content" in line]
    assert len(notes) == 1 and all(str(p) in notes[0] for p in (onnx, *copies)), proc.stderr


# --- one bad journal line: every command that reads a folder skips that run, with a warning -

def _history_run(run_id: str, day: int, *medians: float) -> RunRecord:
    cases = tuple(make_case(id=f"c{i}", model="models/net.onnx", model_sha256="7" * 64,
                            threads=i + 1, samples_ms=[m, m * 1.01, m * 0.99])
                  for i, m in enumerate(medians))
    return RunRecord(run_id=run_id, started_at=f"2026-01-0{day}T02:00:00.000+00:00",
                     command=("benchbot", "run"), benchbot_version="test", 
                     planned_cases=len(cases), status="complete",
                     cases=cases)


@pytest.mark.parametrize("index", ["1", "0"])
def test_every_folder_reader_skips_a_run_with_a_bad_journal_line(tmp_path: Path,
                                                                  index: str) -> None:
    results = tmp_path / "results"
    save_run(_history_run("20260101T020000Z-aaaaaa", 1, 2.0), results)
    save_run(_history_run("20260102T020000Z-bbbbbb", 2, 2.0), results)
    save_run(_history_run("20260104T020000Z-dddddd", 4, 2.0), results)
    broken = _history_run("20260103T020000Z-cccccc", 3, 2.2, 1.5)
    writer = RunWriter(broken, results)  # its cases in the journal, as a run that was killed
    writer.close()
    journal = results / "20260103T020000Z-cccccc.cases.jsonl"
    lines = journal.read_text().splitlines(keepends=True)
    journal.write_text("{not json\n" + "".join(lines[1:]))
    env = {"BENCHBOT_NO_INDEX": "" if index == "1" else "1"}
    for command in (["history", "-m", "net", "--out", str(tmp_path / "h.png")], ["report"],
                    ["compare", "rolling:3", "latest"]):
        proc = benchbot(*command, "--results", str(results), env=env)
        assert proc.returncode == 0, proc.stderr
        skipped = [line for line in proc.stderr.splitlines() if "skipped" in line]
        assert len(skipped) == 1 and journal.name in skipped[0], proc.stderr


# --- messages stay printable: raw bytes and names escaped ----------------------------------

def _printable(text: str) -> bool:
    return all(c in "\n" or (c.isprintable() and not 0xdc80 <= ord(c) <= 0xdcff) for c in text)


@pytest.mark.parametrize("tool", ["tflite_benchmark_model", "onnxruntime_perf_test", "trtexec",
                                  "paddle_lite"])
def test_parse_of_random_bytes_prints_only_printable_text(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], tool: str) -> None:
    log = tmp_path / "noise\x1b[2J.log"  # the name too
    log.write_bytes(bytes(range(256)) * 4 + b"\x1b]0;pwned\x07\n\x1b[31mred\n")
    for extra in ([], ["--json"]):
        code = main(["parse", tool, str(log), *extra])
        got = capsys.readouterr()
        assert code == 1, got.err
        assert _printable(got.out) and _printable(got.err), (got.out, got.err)
        assert len(got.err.strip().splitlines()) == 1, got.err


def test_a_model_name_with_a_newline_stays_on_one_progress_line(models: dict[str, Path],
                                                                 tmp_path: Path) -> None:
    odd = tmp_path / "tiny\nconv.onnx"
    odd.write_bytes(models["tiny_conv.onnx"].read_bytes())
    proc = benchbot("run", "-m", str(odd), "--results", str(tmp_path / "results"), *FAST)
    assert proc.returncode == 0, proc.stderr
    named = [line for line in proc.stderr.splitlines() if "conv on local" in line]
    # without a terminal, one line per finished case
    assert [line.split()[:2] for line in named] == [["ok", "tiny\\nconv"]], proc.stderr
    assert "| tiny\\nconv |" in proc.stdout, proc.stdout


# --- no litter, true messages ---------------------------------------------------------------

def test_a_finished_run_leaves_no_lock_file(models: dict[str, Path], tmp_path: Path) -> None:
    results = tmp_path / "results"
    proc = benchbot("run", "-m", str(models["tiny_fc.tflite"]), "--results", str(results), *FAST)
    assert proc.returncode == 0, proc.stderr
    (run,) = results.glob("*.json")
    assert sorted(p.name for p in results.iterdir()) == [run.name]


def test_a_released_lock_removes_only_its_own_file(tmp_path: Path) -> None:
    held = hold_run_lock(tmp_path, "r1")
    path = lock_path(tmp_path, "r1")
    path.unlink()  # another process took the name over meanwhile (it removed and made it)
    path.write_text("")
    release_run_lock(tmp_path, "r1", held)
    assert path.exists()
    mine = hold_run_lock(tmp_path, "r1")  # that file is free: its lock is ours now
    release_run_lock(tmp_path, "r1", mine)
    assert not path.exists()


def test_a_results_folder_that_cannot_be_written_says_nothing_was_measured(
        models: dict[str, Path], tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.write_text("a file")
    proc = benchbot("run", "-m", str(models["tiny_fc.tflite"]), "--results", str(results), *FAST)
    assert proc.returncode == 2 and "stay saved" not in proc.stderr, proc.stderr
    assert "nothing was measured" in proc.stderr, proc.stderr


def test_a_truncated_run_file_is_called_truncated(tmp_path: Path) -> None:
    path = save_run(_history_run("20260101T020000Z-aaaaaa", 1, 2.0), tmp_path)
    text = path.read_text()
    path.write_text(text[:len(text) // 2])
    with pytest.raises(UserError) as info:
        load_run(path)
    message = str(info.value)
    assert "truncated" in message and "not a benchbot results file" not in message, message
    assert "copy it again" in message, message
