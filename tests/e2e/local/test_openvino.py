"""OpenVINO through the agent on the local device: an IR (.xml + .bin) by its suffix, an
ONNX file by --runtime openvino; threads and precision read back from the compiled model,
and a label OpenVINO does not apply is a failed case, never an ok one."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchbot import agent
from benchbot.runners.agent import AgentRunner
from benchbot.store.modelfile import inspect_model
from benchbot.sweep import MeasureSettings
from benchbot.sweep.plan import Case
from benchbot.transports import CommandResult
from benchbot.transports.mock import MockTransport
from tests.conftest import FAST, benchbot
from tests.support.openvino_ir import zoo_ir

AGENT_FAST = ["--warmup", "1", "--min-runs", "3", "--min-time", "0", "--max-time", "2"]


@pytest.fixture(scope="module")
def ir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(onnx, xml) of a zoo model, the IR converted from the ONNX by OpenVINO."""
    return zoo_ir(tmp_path_factory.mktemp("ir"))


def _run(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    proc = benchbot("run", *args, *FAST, "--json", cwd=tmp_path)
    doc = json.loads(proc.stdout) if proc.stdout.strip() else {}
    return proc, doc


def test_an_ir_runs_by_its_suffix_and_onnx_by_runtime(ir: tuple[Path, Path],
                                                      tmp_path: Path) -> None:
    onnx_file, xml = ir
    proc, doc = _run(tmp_path, "-m", f"{xml},{onnx_file}", "--runtime", "openvino",
                     "--threads", "1,2", "--batch", "2")
    assert proc.returncode == 0, proc.stderr
    cases = doc["cases"]
    assert len(cases) == 4 and all(c["status"] == "ok" for c in cases)
    for case in cases:
        run = case["runs"][0]
        assert case["runtime"] == "openvino" and run["provider"] == "CPU"
        assert run["threads_applied"] == case["threads"]  # read back from the compiled model
        assert run["extras"]["precision_applied"] == "f32"
        assert run["inputs"][0]["shape"][0] == 2
        assert run["extras"]["batch_applied"] == "dynamic_axis"
    models = {c["model"] for c in cases}
    assert models == {str(xml), str(onnx_file)}
    ir_case = next(c for c in cases if c["model"] == str(xml))
    assert ir_case["card"]["format"] == "openvino_ir" and ir_case["card"]["params"] > 0
    assert ir_case["model_sha256"] == inspect_model(xml).sha256


def test_a_label_openvino_does_not_apply_fails_the_case(ir: tuple[Path, Path],
                                                        tmp_path: Path) -> None:
    _, xml = ir
    proc, doc = _run(tmp_path, "-m", str(xml), "--threads", "1024", "--precision", "fp32,fp16")
    cases = doc["cases"]
    threads_case = next(c for c in cases if c["precision"] == "fp32")
    assert threads_case["status"] == "failed"  # no machine here has 1024 cores
    assert "inference threads, not the 1024 asked" in threads_case["failure"]["message"]
    fp16 = next(c for c in cases if c["precision"] == "fp16")
    if fp16["status"] == "ok":  # a CPU that runs f16 (AVX512-FP16, ARM): read back as f16
        assert fp16["runs"][0]["extras"]["precision_applied"] == "f16"
    else:
        message = fp16["failure"]["message"]
        assert "not the f16 asked for fp16" in message or "inference threads" in message
    assert proc.returncode != 0


def test_the_agent_reads_the_weights_where_they_were_pushed(ir: tuple[Path, Path],
                                                            tmp_path: Path) -> None:
    """A device keeps pushed files under their own names: the .bin is not beside the .xml."""
    _, xml = ir
    pushed_xml, pushed_bin = tmp_path / "1a2b-model.xml", tmp_path / "3c4d-model.bin"
    shutil.copyfile(xml, pushed_xml)
    shutil.copyfile(xml.with_suffix(".bin"), pushed_bin)
    proc = subprocess.run([sys.executable, agent.__file__, "--model", str(pushed_xml),
                           *AGENT_FAST], capture_output=True, text=True, timeout=120)
    failed = json.loads(proc.stdout)
    assert proc.returncode == 1 and "needs its .bin file beside it" in failed["error"]
    proc = subprocess.run([sys.executable, agent.__file__, "--model", str(pushed_xml),
                           "--weights", str(pushed_bin), *AGENT_FAST],
                          capture_output=True, text=True, timeout=120)
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0 and doc["runtime"] == "openvino", doc


def test_the_runner_pushes_both_files_of_an_ir(ir: tuple[Path, Path]) -> None:
    _, xml = ir
    ran: list[list[str]] = []

    def device(argv):  # type: ignore[no-untyped-def]
        ran.append(list(argv))
        return CommandResult(tuple(argv), 1, '{"status": "failed", "error": "not measured"}',
                             "", 0.0)

    transport = MockTransport(device)
    model = inspect_model(xml)
    case = Case(model=model, device="mock", threads=1, batch=1, precision="fp32",
                backend="cpu")
    AgentRunner(transport, sys.executable, {}).run_case(case, MeasureSettings())
    argv = ran[-1]
    pushed = Path(argv[argv.index("--model") + 1]), Path(argv[argv.index("--weights") + 1])
    assert [p.read_bytes() for p in pushed] == [f.read_bytes() for f in model.files]
    assert argv[argv.index("--runtime") + 1] == "openvino"
    transport.cleanup()


def test_models_info_of_an_ir_without_its_bin_is_one_line(ir: tuple[Path, Path],
                                                          tmp_path: Path) -> None:
    _, xml = ir
    lonely = tmp_path / "lonely.xml"
    shutil.copyfile(xml, lonely)
    proc = benchbot("models", "info", str(lonely))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "lonely.bin is missing; put it beside lonely.xml" in lines[0]
    assert "Traceback" not in proc.stderr


def test_the_api_takes_the_runtime(ir: tuple[Path, Path], tmp_path: Path) -> None:
    import benchbot

    onnx_file, _ = ir
    run = benchbot.run(str(onnx_file), runtime=["openvino", "onnxruntime"], warmup=1,
                       min_runs=3, min_time=0, max_time=2, repeat=1, results=tmp_path)
    assert sorted((c.runtime, c.status) for c in run.cases) == [("onnxruntime", "ok"),
                                                                ("openvino", "ok")]
