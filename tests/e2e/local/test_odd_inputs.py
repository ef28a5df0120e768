"""Odd inputs a new user tries: one line naming the option or file and the fix, no traceback.

Folders where a file is wanted (--model, --config, report --out), non-finite or absurd time
limits (on the command line and in a sweep file), '|' in a model name in markdown grids, a
foreign or broken .json among good runs, a malformed started_at, an affinity mask naming CPUs
the device lacks, and more threads than cores.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from benchbot import agent
from benchbot.devices.facts import thread_warnings
from benchbot.store import Cluster, DeviceFacts
from benchbot.errors import ConfigError
from benchbot.report.markdown import table_cell
from benchbot.store.modelfile import ModelFile
from benchbot.sweep import MeasureSettings, make_plan
from benchbot.sweep.config import load_sweep_file, read_toml
from tests.conftest import FAST, benchbot
from tests.e2e.local.test_cli_errors import assert_one_line_error


# -- folders where a file is wanted -----------------------------------------------------------

@pytest.mark.parametrize("name", ["models", "looks_like.onnx"])
def test_a_folder_as_model(tmp_path: Path, name: str) -> None:
    folder = tmp_path / name
    folder.mkdir()
    proc = benchbot("run", "-m", str(folder), "--results", str(tmp_path / "r"))
    assert_one_line_error(proc, str(folder), "is a folder, not a model file")


def test_a_folder_as_config(models: dict[str, Path], tmp_path: Path) -> None:
    proc = benchbot("run", "-m", str(models["tiny_conv.onnx"]), "--config", str(tmp_path))
    assert_one_line_error(proc, str(tmp_path), "is a folder")
    with pytest.raises(ConfigError, match="is a folder"):
        read_toml(tmp_path)


# -- time limits: finite, and not absurd ---------------------------------------------------------

@pytest.mark.parametrize("args,option", [
    (["--max-time", "inf"], "--max-time"),
    (["--max-time", "nan"], "--max-time"),
    (["--max-time", "1e9"], "--max-time"),
    (["--min-time", "nan"], "--min-time"),
    (["--min-time", "-inf"], "--min-time"),
    (["--case-timeout", "1e308"], "--case-timeout"),
    (["--case-timeout", "nan"], "--case-timeout"),
    (["--case-timeout", "inf"], "--case-timeout"),
])
def test_non_finite_or_absurd_times_are_refused(models: dict[str, Path], tmp_path: Path,
                                                args: list[str], option: str) -> None:
    proc = benchbot("run", "-m", str(models["tiny_conv.onnx"]), *args,
                    "--results", str(tmp_path))
    assert_one_line_error(proc, option)
    assert not list(tmp_path.glob("*.json"))


@pytest.mark.parametrize("field,option", [("min_time_s", "--min-time"),
                                          ("max_time_s", "--max-time"),
                                          ("timeout_s", "--case-timeout")])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e308])
def test_measure_settings_check_every_time_limit(field: str, option: str, value: float) -> None:
    with pytest.raises(ConfigError, match=option):
        MeasureSettings(**{field: value})
    MeasureSettings(min_time_s=0, max_time_s=7 * 24 * 3600, timeout_s=7 * 24 * 3600)  # a week


@pytest.mark.parametrize("line,key", [("max_time = inf", "measure.max_time"),
                                      ("min_time = nan", "measure.min_time"),
                                      ("case_timeout = 1e308", "measure.case_timeout")])
def test_sweep_file_times_are_checked(tmp_path: Path, models: dict[str, Path], line: str,
                                      key: str) -> None:
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(f"[measure]\n{line}\n")
    with pytest.raises(ConfigError, match=key):
        load_sweep_file(sweep)
    proc = benchbot("run", "-m", str(models["tiny_conv.onnx"]), "--config", str(sweep))
    assert_one_line_error(proc, "sweep.toml", key)


# -- reports ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def weird_run(models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results folder with one real run of a model whose name holds a '|'."""
    root = tmp_path_factory.mktemp("weird")
    model = root / "tiny|conv.onnx"
    shutil.copy(models["tiny_conv.onnx"], model)
    proc = benchbot("run", "-m", str(model), "--results", str(root / "results"), *FAST)
    assert proc.returncode == 0, proc.stderr
    return root / "results"


def test_a_pipe_in_a_model_name_is_escaped_in_markdown(weird_run: Path) -> None:
    proc = benchbot("report", "--results", str(weird_run))
    assert proc.returncode == 0, proc.stderr
    row, = [line for line in proc.stdout.splitlines() if line.startswith("| tiny")]
    assert row.startswith("| tiny\\|conv |")
    cells = [c for c in row.replace("\\|", "").split("|") if c.strip()]
    header, = [line for line in proc.stdout.splitlines() if line.startswith("| Model")]
    assert len(cells) == header.count("|") - 1  # the name did not split its cell
    assert table_cell("a|b\nc") == "a\\|b c"


def test_report_skips_foreign_and_broken_json_with_a_warning(weird_run: Path,
                                                            tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    shutil.copytree(weird_run, folder)
    (folder / "package.json").write_text('{"name": "not a run"}')
    (folder / "broken.json").write_text('{"schema_version": 2, "run_id": ')
    proc = benchbot("report", "--results", str(folder))
    assert proc.returncode == 0, proc.stderr
    assert "tiny\\|conv" in proc.stdout
    warnings = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(warnings) == 2 and all(w.startswith("warning: skipped ") for w in warnings)
    assert any("package.json" in w for w in warnings)
    assert any("broken.json" in w for w in warnings)
    assert "Traceback" not in proc.stderr
    # a broken file named on its own is still refused
    assert_one_line_error(benchbot("report", "--results", str(folder / "broken.json")),
                          "broken.json")


def test_report_out_naming_a_folder(weird_run: Path, tmp_path: Path) -> None:
    assert_one_line_error(benchbot("report", "--results", str(weird_run), "--out",
                                   str(tmp_path)), "--out", "is a folder")


def test_history_with_a_malformed_started_at(weird_run: Path, tmp_path: Path) -> None:
    folder = tmp_path / "results"
    shutil.copytree(weird_run, folder)
    run_file, = folder.glob("*.json")
    doc = json.loads(run_file.read_text())
    doc["started_at"] = "yesterday, around noon"
    run_file.write_text(json.dumps(doc))
    proc = benchbot("history", "-m", "tiny|conv", "--results", str(folder),
                    "--out", str(tmp_path / "h.png"))
    assert_one_line_error(proc, run_file.name, "started_at", "yesterday, around noon")
    assert not (tmp_path / "h.png").exists()


# -- the device's CPUs ---------------------------------------------------------------------------

def test_a_mask_naming_missing_cpus_says_which_cpus_exist() -> None:
    have = agent._cpu_set(set(__import__("os").sched_getaffinity(0)))
    with pytest.raises(agent.AgentFailure) as failure:
        agent.pin_to_cpus({4093, 4094})
    assert str(failure.value) == (f"CPU mask names CPUs {{4093, 4094}} but this device has CPUs "
                                  f"{have}: fix [cpu] masks in the profile")
    assert agent._cpu_set({0, 1, 2, 3, 6, 8, 9}) == "{0-3, 6, 8, 9}"


def test_the_agent_reports_a_bad_mask_as_its_error(models: dict[str, Path]) -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, agent.__file__, "--model",
                           str(models["tiny_conv.onnx"]), "--cpus", "4095"],
                          capture_output=True, text=True, timeout=120)
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1 and doc["status"] == "failed"
    assert doc["error"].startswith("CPU mask names CPUs {4095} but this device has CPUs {")
    assert "Errno" not in doc["error"]


def test_more_threads_than_cores_is_a_warning(models: dict[str, Path]) -> None:
    model = ModelFile(path=models["tiny_conv.onnx"], runtime="onnxruntime", sha256="0" * 64,
                      size_bytes=1)
    plan = make_plan((model,), ("local", "sd855", "unknown"), (1, 4, 8, 16), (1,), ("fp32",),
                     MeasureSettings())
    phone = DeviceFacts("phone", clusters=(Cluster((0, 1, 2, 3)), Cluster((4, 5, 6)),
                                           Cluster((7,))))
    warnings = thread_warnings(plan, {"local": DeviceFacts("host", cores=2), "sd855": phone,
                                      "unknown": DeviceFacts("host")})
    assert warnings == [
        "--threads 4,8,16 is more than the 2 cores of device 'local': those cases measure "
        "threads sharing cores; use --threads 2 or fewer",
        "--threads 16 is more than the 8 cores of device 'sd855': those cases measure "
        "threads sharing cores; use --threads 8 or fewer"]
    assert phone.core_count == 8 and DeviceFacts("host", cores=None).core_count is None
    assert thread_warnings(plan, {"local": DeviceFacts("host", cores=64)}) == []
