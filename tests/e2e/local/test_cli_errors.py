"""Bad input: one line on stderr naming the problem, exit code 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import benchbot


def assert_one_line_error(proc, *expected: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in proc.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    assert proc.stdout == ""


@pytest.mark.parametrize("args,expected", [
    (["--threads", "1,x"], ["--threads", "'x'"]),
    (["--threads", "0"], ["--threads", "'0'"]),
    (["--threads=-2"], ["--threads", "'-2'"]),
    (["--batch", ""], ["--batch"]),
    (["--precision", "fp8"], ["--precision", "fp8"]),
    (["--device", "sd9000"], ["unknown device 'sd9000'", "local"]),
    (["--runner", "magic"], ["--runner", "magic"]),
    (["--runner", "tflite_benchmark_model"], ["does not run .onnx models"]),
    (["--runner", "trtexec", "--runner-bin", "/no/such/trtexec", "--backend", "tensorrt"],
     ["not found"]),
    (["--runner", "trtexec", "--runner-bin", "/no/such/trtexec"], ["backend 'cpu'"]),
    (["--min-time", "5", "--max-time", "1"], ["--min-time", "--max-time"]),
    (["--warmup", "x"], ["--warmup"]),
    (["--order", "ab"], ["--order ab", "benchbot ab"]),
    (["--no-such-option"], ["--no-such-option"]),
])
def test_bad_options(models: dict[str, Path], tmp_path: Path, args: list[str],
                     expected: list[str]) -> None:
    proc = benchbot("run", "-m", str(models["tiny_conv.onnx"]), *args,
                    "--results", str(tmp_path))
    assert_one_line_error(proc, *expected)
    assert not list(tmp_path.glob("*.json"))


def test_no_model(tmp_path: Path) -> None:
    assert_one_line_error(benchbot("run", "--results", str(tmp_path)), "--model")


@pytest.mark.parametrize("name,content,expected", [
    ("missing.onnx", None, "model file not found"),
    ("corrupt.onnx", b"\x08\x07garbage that is no protobuf" * 10, "not a readable ONNX model"),
    ("empty.onnx", b"", "empty"),
    ("corrupt.tflite", b"this is not a flatbuffer", "not a TFLite flatbuffer"),
    ("model.pt", b"whatever", "unknown model format"),
])
def test_bad_model_files(tmp_path: Path, name: str, content: bytes | None,
                         expected: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert_one_line_error(benchbot("run", "-m", str(path), "--results", str(tmp_path / "r")),
                          expected, name)


def test_malformed_profile(models: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "local.toml").write_text('name = "local"\ntransport = "local"\n'
                                         '[cpu]\ncores = "eight"\n')
    proc = benchbot("run", "-m", str(models["tiny_conv.onnx"]), "--profiles", str(tmp_path))
    assert_one_line_error(proc, "local.toml", "cpu.cores")
    proc = benchbot("profiles", "list", env={"BENCHBOT_PROFILES": str(tmp_path)})
    assert_one_line_error(proc, "local.toml", "cpu.cores")


@pytest.mark.parametrize("text,expected", [
    ("threads = [1, 'x']\n", ["threads", "'x'"]),
    ("thread = [1]\n", ["unknown key 'thread'"]),
    ("[measure]\nmin_time = 'long'\n", ["measure.min_time"]),
    ("[measure]\nwarm_up = 3\n", ["measure.warm_up"]),
    ("threads = [1\n", ["not valid TOML"]),
])
def test_malformed_sweep_file(models: dict[str, Path], tmp_path: Path, text: str,
                              expected: list[str]) -> None:
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(text)
    proc = benchbot("run", "-m", str(models["tiny_conv.onnx"]), "--config", str(sweep))
    assert_one_line_error(proc, "sweep.toml", *expected)


def test_missing_sweep_file(tmp_path: Path) -> None:
    assert_one_line_error(benchbot("run", "--config", str(tmp_path / "nope.toml")),
                          "sweep file not found")


@pytest.mark.parametrize("args,expected", [
    (["--layout", "diagonal"], "--layout"),
    (["--metric", "p42"], "--metric"),
    (["--format", "xlsx"], "--format"),
    (["--precision", "fp64"], "--precision"),
])
def test_bad_report_options(tmp_path: Path, args: list[str], expected: str) -> None:
    assert_one_line_error(benchbot("report", "--results", str(tmp_path), *args), expected)


def test_report_without_results(tmp_path: Path) -> None:
    assert_one_line_error(benchbot("report", "--results", str(tmp_path)), "benchbot run")
    assert_one_line_error(benchbot("report", "--results", str(tmp_path / "nope")), "nope")
    (tmp_path / "x.json").write_text("{not json")
    assert_one_line_error(benchbot("report", "--results", str(tmp_path)), "x.json",
                          "not a benchbot results file")


def test_unknown_profile_to_show() -> None:
    assert_one_line_error(benchbot("profiles", "show", "nope"), "unknown device 'nope'")
