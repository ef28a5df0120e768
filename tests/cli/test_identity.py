"""Identity by content: two models that share a file name never share a row or a verdict,
and every axis (backend, int8 mode) is part of what compare matches."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from benchbot.verdicts import compare, side_of_run
from benchbot.store import RunRecord
from benchbot.store.entries import model_labels
from tests.support.cases import make_case
from tests.conftest import FAST, benchbot


def _two_nets(models: dict[str, Path], tmp_path: Path) -> tuple[Path, Path]:
    v1, v2 = tmp_path / "v1" / "net.onnx", tmp_path / "v2" / "net.onnx"
    v1.parent.mkdir()
    v2.parent.mkdir()
    shutil.copy(models["tiny_conv.onnx"], v1)
    shutil.copy(models["tiny_matmul.onnx"], v2)
    return v1, v2


def test_two_models_named_alike_are_two_rows_everywhere(models: dict[str, Path],
                                                        tmp_path: Path) -> None:
    v1, v2 = _two_nets(models, tmp_path)
    results = tmp_path / "r"
    proc = benchbot("run", "-m", f"{v1},{v2}", "--results", str(results), *FAST)
    assert proc.returncode == 0, proc.stderr
    assert "| v1/net |" in proc.stdout and "| v2/net |" in proc.stdout
    report = benchbot("report", "--results", str(results))
    assert report.returncode == 0, report.stderr
    assert "| v1/net |" in report.stdout and "| v2/net |" in report.stdout
    table = benchbot("report", "--results", str(results), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert sorted(r["model"] for r in rows) == ["v1/net", "v2/net"]
    assert len({r["model_sha256"] for r in rows}) == 2


def test_labels_add_folders_until_unique_then_a_hash() -> None:
    cases = [make_case(model="a/x/net.onnx", model_sha256="1" * 64, samples_ms=[1.0]),
             make_case(model="b/x/net.onnx", model_sha256="2" * 64, samples_ms=[1.0]),
             make_case(model="other.onnx", model_sha256="3" * 64, samples_ms=[1.0]),
             make_case(model="./q.onnx", model_sha256="4" * 64, samples_ms=[1.0]),
             make_case(model="q.onnx", model_sha256="5" * 64, samples_ms=[1.0])]
    assert model_labels(cases) == {"a/x/net.onnx": "a/x/net", "b/x/net.onnx": "b/x/net",
                                   "other.onnx": "other", "./q.onnx": "q@4444444",
                                   "q.onnx": "q@5555555"}


def _run(run_id: str, *cases) -> RunRecord:  # noqa: ANN002
    return RunRecord(run_id=run_id, started_at=f"2026-01-0{run_id[-1]}T00:00:00Z",
                     command=(), benchbot_version="t", 
                     planned_cases=len(cases), status="complete", cases=tuple(cases))


def test_compare_keeps_every_axis_apart() -> None:
    samples = [10.0, 10.1, 10.2, 9.9, 10.05, 10.15, 9.95, 10.0]
    slow = [x * 1.5 for x in samples]

    def cases(cuda: list[float], dyn: list[float]) -> tuple:
        three = lambda xs: [xs, xs[::-1], xs[1:] + xs[:1]]  # noqa: E731 (3 processes)
        return (make_case(id="c", backend="cpu", runs=three(samples)),
                make_case(id="g", backend="cuda", runs=three(cuda)),
                make_case(id="s", precision="int8", int8_mode="static", runs=three(samples)),
                make_case(id="d", precision="int8", int8_mode="dynamic", runs=three(dyn)))

    base, cand = _run("r1", *cases(samples, samples)), _run("r2", *cases(slow, slow))
    report = compare(side_of_run(base), side_of_run(cand))
    assert len(report.comparisons) == 4  # none dropped, none paired across an axis
    slower = {(c.key.backend, c.key.int8_mode) for c in report.comparisons
              if c.verdict.kind == "slower"}
    assert slower == {("cuda", ""), ("cpu", "dynamic")}


def test_compare_never_pairs_two_different_models_of_one_name() -> None:
    base = _run("r1", make_case(model="v1/net.onnx", model_sha256="1" * 64,
                                samples_ms=[1.0] * 8))
    cand = _run("r2", make_case(model="v2/net.onnx", model_sha256="2" * 64,
                                samples_ms=[2.0] * 8))
    report = compare(side_of_run(base), side_of_run(cand))
    kinds = sorted(str(c.verdict.kind) for c in report.comparisons)
    assert len(report.comparisons) == 2 and all(
        (c.baseline is None) != (c.candidate is None) for c in report.comparisons), kinds
