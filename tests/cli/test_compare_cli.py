"""`compare`, `baseline`, `history` and the HTML report, end to end on results files.

The commands run in this process through benchbot.cli.main, which decides the exit
codes from their outcomes and errors. Results files are written
with benchbot.store from synthetic samples, so the verdicts are known.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest

from benchbot.store import DeviceFacts
from benchbot.verdicts import CompareSettings
from benchbot.verdicts import compare as compare_sides
from benchbot.runs.baselines import resolve_side
from benchbot.runs.spread import device_spreads
from benchbot.report.html import html_report, render_page
from benchbot.store.entries import latest_entries
from benchbot.store import CaseResult, RunRecord, load_run, save_run
from tests.support.cases import make_case
from tests.conftest import cli


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def invoke(*args: str) -> tuple[int, str, str]:
    return cli(*args)


def _case(model: str, median_ms: float, seed: int, threads: int = 1) -> CaseResult:
    """A case measured in 5 processes of 40 runs each (the default measures several)."""
    rng = np.random.default_rng(seed)
    runs = [tuple(float(x) for x in rng.lognormal(math.log(median_ms), 0.08, 40))
            for _ in range(5)]
    return make_case(id=f"{model}-{threads}", model=f"/m/{model}.onnx",
                     model_sha256=hashlib.sha256(model.encode()).hexdigest(),
                     model_size_mb=1.0, device="phone", runtime="onnxruntime",
                     threads=threads, batch=1, precision="fp32", status="ok", runs=runs)


def _save(results: Path, run_id: str, day: int, conv_ms: float, fc_ms: float,
          seed: int) -> Path:
    record = RunRecord(run_id=run_id, started_at=f"2025-03-{day:02d}T02:00:00.000+00:00",
                       command=("benchbot", "run"), benchbot_version="test", 
                       devices={"phone": DeviceFacts("phone", label="Pixel 7")}, planned_cases=2,
                       status="complete", cases=(_case("conv", conv_ms, seed),
                                                 _case("fc", fc_ms, seed + 1)))
    return save_run(record, results)


@pytest.fixture()
def results(tmp_path: Path) -> Path:
    """Five steady nights, then a night where conv got 15% slower and fc 20% faster."""
    out = tmp_path / "results"
    for day in range(1, 6):
        _save(out, f"2025030{day}T020000Z-00000{day}", day, 10.0, 4.0, seed=10 * day)
    _save(out, "20250306T020000Z-bad000", 6, 11.5, 3.2, seed=99)
    return out


def test_slower_exits_one_with_the_table_on_stdout(results: Path) -> None:
    code, stdout, stderr = invoke("compare", "20250305T020000Z-000005", "20250306",
                                  "--results", str(results))
    assert code == 1
    lines = stdout.splitlines()
    assert lines[0] == "**1 slower, 1 faster, 0 unchanged, 0 uncertain**"
    rows = [line for line in lines if line.startswith("| conv") or line.startswith("| fc")]
    assert rows[0].startswith("| conv | Pixel 7 | onnxruntime, 1 thread, batch 1, fp32 |")
    assert rows[0].endswith("| slower |") and rows[1].endswith("| faster |")
    assert "rerun the candidate to confirm" in stderr


def test_nothing_slower_exits_zero_json(results: Path, tmp_path: Path) -> None:
    code, stdout, _ = invoke("compare", "20250304", str(results / "20250305T020000Z-000005.json"),
                             "-r", str(results), "--format", "json")
    assert code == 0
    doc = json.loads(stdout)
    # three nights before it say little about how far the device moves between nights:
    # not slower, but not yet known to be unchanged either
    assert {c["verdict"] for c in doc["comparisons"]} <= {"unchanged", "uncertain"}
    assert doc["settings"]["method"] == "hl" and doc["settings"]["alpha"] == 0.01
    code, stdout, _ = invoke("compare", "20250304", "20250305", "-r", str(results), "--json",
                             "--session-spread", "0%")  # told it does not move: unchanged
    assert code == 0
    assert [c["verdict"] for c in json.loads(stdout)["comparisons"]] == ["unchanged"] * 2
    out = tmp_path / "cmp.md"
    code, stdout, stderr = invoke("compare", "20250304", "20250305", "-r", str(results),
                                  "--out", str(out), "--method", "bootstrap")
    assert code == 0 and stdout == "" and "0 slower" in out.read_text()


def test_threshold_override_relaxes_a_model(results: Path) -> None:
    code, stdout, _ = invoke("compare", "20250305", "20250306", "-r", str(results),
                             "--override", "conv=20%", "-f", "json")
    assert code == 0
    conv = next(c for c in json.loads(stdout)["comparisons"] if c["model"] == "conv")
    assert conv["verdict"] != "slower" and conv["threshold"] == 0.2


@pytest.mark.parametrize("args,expected", [
    (["nope", "latest"], "no run 'nope'"),
    (["2025030", "latest"], "ambiguous"),
    (["latest", "latest", "--threshold", "five"], "--threshold"),
    (["latest", "latest", "--format", "xml"], "--format"),
    (["latest", "latest", "--alpha", "3"], "--alpha"),
    (["latest", "latest", "--method", "magic"], "--method"),
    (["latest", "latest", "--override", "conv"], "--override"),
    (["rolling:0", "latest"], "rolling:N"),
    (["baseline:nightly", "latest"], "no baseline 'nightly'"),
    (["missing.json", "latest"], "results file not found"),
])
def test_bad_input_exits_two(results: Path, args: list[str], expected: str) -> None:
    code, stdout, message = invoke("compare", *args, "-r", str(results))
    assert code == 2 and stdout == "" and expected in message


def test_no_results_folder_exits_two(tmp_path: Path) -> None:
    code, _, message = invoke("compare", "a", "b", "-r", str(tmp_path / "none"))
    assert code == 2 and "no results folder" in message


def test_baseline_set_list_and_compare(results: Path) -> None:
    assert invoke("baseline", "list", "-r", str(results))[:2] == (0, "")
    code, _, stderr = invoke("baseline", "set", "20250302", "--name", "nightly",
                             "-r", str(results))
    assert code == 0 and "20250302T020000Z-000002" in stderr
    pointer = json.loads((results / "baselines" / "nightly.json").read_text())
    assert pointer["run_id"] == "20250302T020000Z-000002"
    assert pointer["path"] == "20250302T020000Z-000002.json"  # a pointer, not a copy
    code, stdout, _ = invoke("baseline", "list", "-r", str(results))
    assert code == 0 and "| nightly | 20250302T020000Z-000002 |" in stdout
    listed = json.loads(invoke("baseline", "list", "-r", str(results), "--json")[1])
    assert [b["name"] for b in listed] == ["nightly"]
    code, stdout, _ = invoke("compare", "baseline:nightly", "latest", "-r", str(results))
    assert code == 1 and "Baseline: baseline nightly (run 20250302T020000Z-000002)" in stdout
    assert invoke("baseline", "set", "latest", "--name", "bad/name", "-r", str(results))[0] == 2
    (results / "20250302T020000Z-000002.json").unlink()
    code, _, message = invoke("compare", "baseline:nightly", "latest", "-r", str(results))
    assert code == 2 and "set it again" in message


def test_rolling_baseline_uses_earlier_runs_only(results: Path) -> None:
    code, stdout, _ = invoke("compare", "rolling:3", "latest", "-r", str(results), "-f", "json")
    assert code == 1
    doc = json.loads(stdout)
    assert doc["baseline"] == "rolling median of the last 3 runs"
    earlier = {f"2025030{d}T020000Z-00000{d}" for d in (3, 4, 5)}
    assert {c["baseline_run"] for c in doc["comparisons"]} <= earlier
    assert {c["candidate_run"] for c in doc["comparisons"]} == {"20250306T020000Z-bad000"}
    # the rolling side never includes the candidate, even when it is the latest run
    cand = resolve_side("20250303", results)
    base = resolve_side("rolling:5", results, other=cand)
    assert {e.run_id for e in base.entries} <= {"20250301T020000Z-000001",
                                                "20250302T020000Z-000002"}


def test_history_png(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "plots" / "conv.png"
    code, _, stderr = invoke("history", "--model", "conv", "--device", "phone", "-t", "1",
                             "-r", str(results), "--out", str(out))
    assert code == 0 and "6 point(s)" in stderr
    data = out.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000
    code, _, message = invoke("history", "--model", "conv", "-t", "8", "-r", str(results),
                              "--out", str(out))
    assert code == 2 and "no successful measurement" in message
    assert invoke("history", "-m", "conv", "-r", str(tmp_path / "none"))[0] == 2


def test_html_report_is_self_contained(results: Path) -> None:
    records = [load_run(p) for p in sorted(results.glob("*.json"))]
    cand = resolve_side("latest", results)
    steady = CompareSettings(spreads=device_spreads(results, set(cand.run_ids), cand.started_at))
    report = compare_sides(resolve_side("rolling:3", results, other=cand), cand, steady)
    page = html_report(records, latest_entries(records), comparison=report)
    assert page.startswith("<!DOCTYPE html>") and page.count("<table>") >= 2
    assert '<img src="data:image/svg+xml;base64,' in page and 'data-chart="comparison"' in page
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page and 'rel="stylesheet"' not in page
    assert '<tr class="slower">' in page and "Pixel 7" in page
    bare = render_page("R&D", "a <plot>", [])
    assert "<title>R&amp;D</title>" in bare and "a &lt;plot&gt;" in bare


def test_through_the_console_script(results: Path, tmp_path: Path) -> None:
    """The registered commands, in a subprocess as a user or CI runs them."""
    from tests.conftest import benchbot

    proc = benchbot("compare", "20250305T020000Z-000005", "latest", "--results", str(results))
    assert proc.returncode == 1, proc.stderr
    assert "slower" in proc.stdout and "faster" in proc.stdout
    proc = benchbot("compare", "20250304T020000Z-000004", "20250305T020000Z-000005",
                    "--results", str(results), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout)
    page = tmp_path / "report.html"
    proc = benchbot("report", "--results", str(results), "--format", "html", "--out", str(page))
    assert proc.returncode == 0, proc.stderr
    html = page.read_text()
    assert "<table" in html and "data:image/svg+xml;base64," in html and "https://" not in html
    assert benchbot("compare", "nope", "latest", "--results", str(results)).returncode == 2
