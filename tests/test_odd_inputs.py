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

from benchbot.errors import ConfigError
from benchbot.report.markdown import table_cell
from benchbot.sweep import MeasureSettings
from benchbot.sweep.config import load_sweep_file, read_toml
from tests.conftest import FAST, benchbot
from tests.test_cli_errors import assert_one_line_error


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
    row, = [line for line in proc.stdout.splitlines() if "tiny" in line]
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
