"""The results index (results/index.sqlite): the same answers as the JSON files alone.

Every command that reads runs (report in each format, compare against latest,
baseline:NAME and rolling:N, history) is run on the same results folder with the
index disabled, with a fresh index, with an index that has to catch up with a run
copied in by hand, and with a corrupt index file; the outputs must be identical.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchbot.store import DeviceFacts, HostFacts
from benchbot.cli.main import main
from benchbot.stats import Summary, summarize
from benchbot.store import CaseResult, RunRecord, RunWriter, load_run, save_run
from benchbot.store.index import INDEX_NAME, open_index, remove_index
from tests.support.cases import make_case
from tests.conftest import REPO


def _case(model: str, median_ms: float, seed: int, threads: int = 1, device: str = "phone",
          status: str = "ok", batch: int = 1) -> CaseResult:
    if status != "ok":
        return make_case(id=f"{model}-{device}-{threads}-{batch}", model=model, device=device,
                         threads=threads, batch=batch, status="failed", error="it broke")
    samples = tuple(float(x) for x in
                    np.random.default_rng(seed).lognormal(math.log(median_ms), 0.08, 60))
    return make_case(id=f"{model}-{device}-{threads}-{batch}", model=model,
                     model_sha256=hashlib.sha256(model.encode()).hexdigest(),
                     device=device, threads=threads, batch=batch, samples_ms=samples,
                     stats=summarize(samples))


def _record(run_id: str, started: str, cases: tuple[CaseResult, ...]) -> RunRecord:
    return RunRecord(run_id=run_id, started_at=started, command=("benchbot", "run"),
                     benchbot_version="test", host=HostFacts(hostname="h1"),
                     devices={"phone": DeviceFacts("phone", label="Pixel 7")},
                     planned_cases=len(cases), status="complete", cases=cases)


def _night(day: int, slow: float = 1.0) -> tuple[CaseResult, ...]:
    seed = 10 * day
    return (_case("/m/conv.onnx", 10.0 * slow, seed), _case("/m/conv.onnx", 6.0, seed + 1, 4),
            _case("/v1/net.onnx", 3.0, seed + 2), _case("/v2/net.onnx", 5.0, seed + 3),
            _case("/m/fc.onnx", 2.0, seed + 4, device="local"),
            _case("/m/fc.onnx", 8.0, seed + 5, batch=4, status="failed"
                  if day % 2 else "ok"),
            make_case(id="agg", model="/m/native.tflite", runtime="tflite",
                      runner="tflite_benchmark_model",
                      stats=Summary.from_aggregates(20, 7.0 + day / 10)))


@pytest.fixture()
def results(tmp_path: Path) -> Path:
    out = tmp_path / "results"
    for day in range(1, 7):
        save_run(_record(f"2025030{day}T020000Z-00000{day}",
                         f"2025-03-{day:02d}T02:00:00.000+00:00",
                         _night(day, 1.15 if day == 6 else 1.0)), out)
    # two runs started at the same moment: the later file name wins ties
    save_run(_record("20250306T020000Z-zz0000", "2025-03-06T02:00:00.000+00:00",
                     (_case("/m/conv.onnx", 9.0, 77, device="local"),)), out)
    # a run still being measured: a header and a journal
    writer = RunWriter(_record("20250307T020000Z-live00", "2025-03-07T02:00:00.000+00:00",
                               ()), out)
    writer.add(_case("/m/conv.onnx", 12.0, 88))
    writer.add(_case("/m/fc.onnx", 2.5, 89, device="local"))
    writer.close()
    assert main(["baseline", "set", "20250302T020000Z-000002", "--name", "rel",
                 "--results", str(out)]) == 0
    return out


COMMANDS = [
    ["report"], ["report", "--format", "csv"], ["report", "--format", "json"],
    ["report", "--threads", "1", "--layout", "devices"], ["report", "--device", "local"],
    ["report", "--layout", "quantization"],
    ["compare", "20250301T020000Z-000001", "latest"],
    ["compare", "baseline:rel", "20250306T020000Z-000006", "--format", "json"],
    ["compare", "rolling:3", "20250306T020000Z-000006"],
    ["compare", "rolling:20", "latest", "--format", "json"],
]


def _answers(results: Path, tmp: Path, capsys: pytest.CaptureFixture[str]) -> list[object]:
    got: list[object] = []
    for args in COMMANDS:
        code = main([*args, "--results", str(results)])
        got.append((args, code, capsys.readouterr().out))
    html, png = tmp / "r.html", tmp / "h.png"
    for args, out in ((["report", "--format", "html"], html),
                      (["history", "--model", "conv"], png),
                      (["history", "--model", "fc", "--device", "local"], png)):
        code = main([*args, "--results", str(results), "--out", str(out)])
        got.append((args, code, out.read_bytes()))
        capsys.readouterr()
    return got


def test_every_command_answers_the_same_with_and_without_the_index(
        results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    remove_index(results)  # the saves above made one: deleting it loses nothing
    monkeypatch.setenv("BENCHBOT_NO_INDEX", "1")
    plain = _answers(results, tmp_path, capsys)
    assert not (results / INDEX_NAME).exists()
    monkeypatch.delenv("BENCHBOT_NO_INDEX")
    fresh = _answers(results, tmp_path, capsys)
    index = open_index(results, catch_up=False)
    assert index is not None and index.catch_up() == 0  # the commands built it
    index.close()
    for a, b in zip(plain, fresh):
        assert a == b, a[0]
    assert _answers(results, tmp_path, capsys) == plain  # from an index already caught up

    # a run copied in by hand (from another host): the index catches up by size and mtime
    extra = tmp_path / "other"
    save_run(_record("20250308T020000Z-copied", "2025-03-08T02:00:00.000+00:00",
                     _night(8, 2.0)), extra)
    shutil.copy2(extra / "20250308T020000Z-copied.json", results)
    with_copy = _answers(results, tmp_path, capsys)
    monkeypatch.setenv("BENCHBOT_NO_INDEX", "1")
    assert _answers(results, tmp_path, capsys) == with_copy
    assert with_copy != plain


def test_a_corrupt_or_foreign_index_is_rebuilt_with_a_warning(
        results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCHBOT_NO_INDEX", "1")
    plain = _answers(results, tmp_path, capsys)
    monkeypatch.delenv("BENCHBOT_NO_INDEX")
    (results / INDEX_NAME).write_bytes(b"not a database at all" * 100)
    assert main(["report", "--results", str(results)]) == 0
    captured = capsys.readouterr()
    assert "rebuilding it" in captured.err and captured.out == plain[0][2]
    (results / INDEX_NAME).unlink()
    with sqlite3.connect(results / INDEX_NAME) as other:  # another program's database
        other.execute("CREATE TABLE t (x)")
    assert _answers(results, tmp_path, capsys) == plain


def test_saves_keep_the_index_current_and_rebuild_counts_every_case(
        results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert not (results / INDEX_NAME).exists()  # saves alone make none
    index = open_index(results)
    assert index is not None
    assert index.catch_up() == 0  # opening caught it up
    save_run(_record("20250309T020000Z-new000", "2025-03-09T02:00:00.000+00:00",
                     _night(9)), results)
    writer = RunWriter(_record("20250310T020000Z-live01", "2025-03-10T02:00:00.000+00:00",
                               ()), results)
    record = load_run(writer.path)
    for case in _night(10)[:3]:
        writer.add(case)
        record = record.with_case(case)
    writer.finish(record.finished("complete", "2025-03-10T03:00:00.000+00:00"))
    # each save updated the index: nothing left to read again
    assert index.catch_up() == 0
    rows = index.conn.execute("SELECT count(*) FROM cases").fetchone()[0]
    index.close()
    total = sum(len(load_run(f).cases) for f in results.glob("*.json"))
    assert rows == total
    assert main(["index", "rebuild", "--results", str(results)]) == 0
    assert f"{total} case(s)" in capsys.readouterr().err


WRITER = """
import sys
from pathlib import Path
from tests.cli.test_results_index import _night, _record
from benchbot.store import save_run
out, who = Path(sys.argv[1]), sys.argv[2]
for day in range(1, 9):
    save_run(_record(f"2025040{day}T020000Z-{who}{day}", f"2025-04-0{day}T02:00:00.000+00:00",
                     _night(day)), out)
"""


def test_several_writers_keep_it_consistent(tmp_path: Path) -> None:
    out = tmp_path / "results"
    out.mkdir()
    made = open_index(out)  # saves keep an index current; queries make it
    assert made is not None
    made.close()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(out), who], cwd=REPO)
             for who in ("aaaaa", "bbbbb")]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    index = open_index(out, catch_up=False)
    assert index is not None
    try:
        assert index.conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 2 * 8 * 7
        assert index.catch_up() == 0
    finally:
        index.close()


def test_the_commands_read_only_the_runs_they_show(
        results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    baselines = importlib.import_module("benchbot.runs.baselines")
    queries = importlib.import_module("benchbot.store.queries")

    assert open_index(results) is not None  # caught up: from here on only queries
    read: list[str] = []

    def counting(path: Path) -> RunRecord:
        read.append(path.name)
        return load_run(path)
    monkeypatch.setattr(queries, "load_run", counting)
    monkeypatch.setattr(baselines, "load_run", counting)
    assert main(["report", "--results", str(results)]) == 0
    # the latest run of each configuration: the live run, night 6 and the tie's winner
    assert sorted(read) == ["20250306T020000Z-000006.json", "20250306T020000Z-zz0000.json",
                            "20250307T020000Z-live00.json"]
    read.clear()
    assert main(["compare", "rolling:3", "20250306T020000Z-000006", "--results",
                 str(results)]) in (0, 1)
    assert len(read) <= 4 and "20250301T020000Z-000001.json" not in read
    read.clear()
    assert main(["history", "--model", "conv", "--results", str(results), "--out",
                 str(tmp_path / "h.png")]) == 0
    assert read == []
    capsys.readouterr()
