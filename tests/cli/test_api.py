"""The public Python API: its names are locked, and each really measures, loads, tabulates,
compares on the local device."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import benchbot
from benchbot.errors import ConfigError, UserError

FAST = {"warmup": 1, "min_runs": 3, "min_time": 0.0, "max_time": 2.0, "repeat": 1}


def test_the_exported_names_are_locked() -> None:
    assert sorted(benchbot.__all__) == ["CaseResult", "Comparison", "Run", "__version__",
                                        "compare", "load", "run", "to_dataframe"]
    for name in ("run", "load", "to_dataframe", "compare"):
        doc = inspect.getdoc(getattr(benchbot, name)) or ""
        assert ">>> " in doc, f"benchbot.{name} needs a docstring with an example"
    with pytest.raises(AttributeError):
        benchbot.no_such_name  # noqa: B018


def test_import_benchbot_loads_nothing_heavy() -> None:
    code = ("import sys, benchbot; heavy = {'onnx', 'onnxruntime', 'numpy', 'typer', 'rich', "
            "'benchbot.api', 'benchbot.store'} & set(sys.modules); print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_run_load_dataframe_compare(models: dict[str, Path], tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # variants and zoo exports land here, not in the repo
    first = benchbot.run([models["tiny_conv.onnx"], models["tiny_fc.tflite"]],
                         threads=(1, 2), results=tmp_path / "r", **FAST)
    assert isinstance(first, benchbot.Run) and first.status == "complete"
    assert {(c.model_name, c.threads) for c in first.cases} == {
        ("tiny_conv", 1), ("tiny_conv", 2), ("tiny_fc", 1), ("tiny_fc", 2)}
    assert all(c.status == "ok" and c.stats is not None for c in first.cases)
    second = benchbot.run(str(models["tiny_conv.onnx"]), threads=1, results=tmp_path / "r",
                          **FAST)
    runs = benchbot.load(tmp_path / "r")
    assert [r.run_id for r in runs] == [first.run_id, second.run_id]
    frame = benchbot.to_dataframe(runs)
    assert len(frame) == 5 and {"model", "threads", "median_ms", "status", "run_id",
                                "started_at", "backend", "failure_kind"} <= set(frame.columns)
    assert set(frame["model"]) == {"tiny_conv", "tiny_fc"}
    verdicts = benchbot.compare(first, second)
    assert all(isinstance(c, benchbot.Comparison) for c in verdicts)
    paired = [c for c in verdicts if c.baseline is not None and c.candidate is not None]
    assert [(c.key.model, c.key.threads) for c in paired] == [("tiny_conv", 1)]


def test_bad_input_raises_the_clis_errors(models: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="min_tme"):
        benchbot.run(models["tiny_conv.onnx"], min_tme=1.0)
    with pytest.raises(UserError, match="not found"):
        benchbot.run(tmp_path / "missing.onnx", results=tmp_path)


def test_to_dataframe_without_pandas_names_the_extra() -> None:
    code = ("import sys; sys.modules['pandas'] = None\nimport benchbot\n"
            "from benchbot.errors import UserError\n"
            "try:\n    benchbot.to_dataframe([])\nexcept UserError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "pip install benchbot[pandas]" in out and "\n" not in out.strip()


def test_the_api_functions_are_not_also_subpackages() -> None:
    """No module shadows `benchbot.run` / `benchbot.compare` (the trap the package once held
    apart with a module-class override): importing every subpackage leaves them functions."""
    import importlib
    import pkgutil
    import types

    import benchbot

    for info in pkgutil.iter_modules(benchbot.__path__):
        assert info.name not in benchbot.__all__, info.name
    importlib.import_module("benchbot.runs.session")
    importlib.import_module("benchbot.verdicts.verdict")
    assert type(benchbot) is types.ModuleType
    assert callable(benchbot.run) and callable(benchbot.compare)
    assert benchbot.run.__module__ == benchbot.compare.__module__ == "benchbot.api"
