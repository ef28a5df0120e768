"""`benchbot report` and `benchbot profiles` end to end, on results of a real run."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from tests.conftest import FAST, benchbot


@pytest.fixture(scope="module")
def results(models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("results")
    proc = benchbot("run", "-m", f"{models['tiny_conv.onnx']},{models['tiny_fc.tflite']}",
                    "-t", "1,2", "-b", "1,2", "--results", str(out), *FAST)
    assert proc.returncode == 0, proc.stderr
    return out


def test_markdown_precision_batch_layout(results: Path) -> None:
    proc = benchbot("report", "--results", str(results))
    assert proc.returncode == 0, proc.stderr
    # the unit is the one the measured values read best in (µs for a fast machine)
    assert re.search(r"Latency \(median, (ms|µs)\) on local, 1 thread", proc.stdout)
    assert "| Model | Size | FP32 bs=1 | FP32 bs=2 |" in proc.stdout
    assert "| tiny_conv | 32 | " in proc.stdout and "| tiny_fc | 64 | " in proc.stdout


def test_devices_layout_with_filters(results: Path) -> None:
    proc = benchbot("report", "--results", str(results), "--layout", "devices", "--threads", "2",
                    "--batch", "2", "--metric", "p90")
    assert proc.returncode == 0, proc.stderr
    assert re.match(r"Latency \(p90, (ms|µs)\), 2 threads, batch 2, FP32\n", proc.stdout)
    assert proc.stdout.count("Latency (") == 1 and "| Model | local |" in proc.stdout


def test_csv_and_json_rows(results: Path, tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(benchbot("report", "-r", str(results), "-f",
                                                    "csv").stdout)))
    assert len(rows) == 8 and {r["status"] for r in rows} == {"ok"}
    assert all(float(r["ci95_low_ms"]) <= float(r["median_ms"]) for r in rows)
    out = tmp_path / "rows.json"
    proc = benchbot("report", "-r", str(results), "-f", "json", "--out", str(out))
    assert proc.returncode == 0 and proc.stdout == ""
    assert [r["median_ms"] for r in json.loads(out.read_text())] == \
        [float(r["median_ms"]) for r in rows]


def test_no_matching_cases(results: Path) -> None:
    proc = benchbot("report", "--results", str(results), "--threads", "16")
    assert proc.returncode == 0 and "No measured cases match" in proc.stdout


def test_profiles_list_show_and_override(tmp_path: Path) -> None:
    listed = benchbot("profiles", "list")
    assert listed.returncode == 0 and "| local | local | agent |" in listed.stdout
    shown = json.loads(benchbot("profiles", "show", "local").stdout)
    assert shown["name"] == "local" and shown["runner"]["kind"] == "agent"
    (tmp_path / "local.toml").write_text('name = "local"\ndescription = "my box"\n'
                                         'transport = "local"\n')
    (tmp_path / "bench1.toml").write_text('name = "bench1"\ntransport = "local"\n')
    listed = benchbot("profiles", "list", "--json", env={"BENCHBOT_PROFILES": str(tmp_path)})
    by_name = {p["name"]: p for p in json.loads(listed.stdout)}
    assert by_name["local"]["description"] == "my box" and "bench1" in by_name


def test_run_on_a_profile_from_profiles_dir(models: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "pinned.toml").write_text('name = "pinned"\ntransport = "local"\n'
                                          '[cpu]\nmasks = { 1 = "1" }\n')
    proc = benchbot("run", "-d", "pinned", "-m", str(models["tiny_conv.onnx"]), "--json",
                    "--profiles", str(tmp_path), "--results", str(tmp_path / "r"), *FAST)
    assert proc.returncode == 0, proc.stderr
    case, = json.loads(proc.stdout)["cases"]
    assert case["device"] == "pinned" and case["runs"][0]["cpu_affinity"] == [0]


def test_help_and_version() -> None:
    for args in (["--help"], ["run", "--help"], ["report", "--help"], ["profiles", "--help"]):
        proc = benchbot(*args)
        assert proc.returncode == 0 and "Usage" in proc.stdout, args
    assert benchbot("--version").stdout.startswith("benchbot ")


def test_precision_sweep_with_model_columns_and_quantization_table(
        models: dict[str, Path], tmp_path: Path) -> None:
    proc = benchbot("run", "-m", str(models["tiny_conv.onnx"]), "--precision", "fp32,fp16,int8",
                    "--variant-cache", str(tmp_path / "variants"), "--results",
                    str(tmp_path / "r"), *FAST)
    assert proc.returncode == 0, proc.stderr
    assert "| Model | Size | FP32 bs=1 | FP16 bs=1 | INT8 bs=1 |" in proc.stdout
    with_cards = benchbot("report", "-r", str(tmp_path / "r"), "--model-columns",
                          "params,flops,size").stdout
    assert "| Model | Size | Params (M) | FLOPs (G) | Size (MB) | FP32 bs=1 |" in with_cards
    table = benchbot("report", "-r", str(tmp_path / "r"), "--layout", "quantization").stdout
    assert "| tiny_conv | FP32 | 0.007 | 1.000 |" in table
    assert "| tiny_conv | INT8 (static) |" in table and "| tiny_conv | FP16 | 0.004 |" in table
    info = json.loads(benchbot("models", "info", str(models["tiny_conv.onnx"]), "--json").stdout)
    assert info[0]["macs"] == 516256 and info[0]["params"] > 0
