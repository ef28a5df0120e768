"""Odd inputs a new user tries: one line naming the option or file and the fix, no traceback.

Folders where a file is wanted (--model, --config, report --out), non-finite or absurd time
limits (on the command line and in a sweep file), '|' in a model name in markdown grids, a
foreign or broken .json among good runs, a malformed started_at, an affinity mask naming CPUs
the device lacks, and more threads than cores.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from benchbot.errors import ConfigError
from benchbot.sweep import MeasureSettings
from benchbot.sweep.config import load_sweep_file, read_toml
from tests.conftest import benchbot
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
