"""Startup: `benchbot --version` and `--help` import only what they need.

Checked on the modules a fresh interpreter holds afterwards, not on time (time is
measured in benchmarks/overhead.py).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

HEAVY = ("numpy", "onnx", "onnxruntime", "matplotlib", "tflite_runtime", "ai_edge_litert",
         "paramiko", "adbutils", "distributed", "dask")
PROBE = """
import contextlib, io, json, sys
from benchbot.cli.main import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def _probe(*args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          cwd=REPO, timeout=120, env={"COLUMNS": "100", "PATH": "/usr/bin"})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in HEAVY]


def test_version_imports_neither_typer_nor_rich_nor_any_command() -> None:
    got = _probe("--version")
    assert got["code"] == 0 and got["out"].startswith("benchbot ")
    assert not _heavy(got["modules"])
    top = {m.split(".")[0] for m in got["modules"]}
    assert not top & {"typer", "rich", "click"}
    assert [m for m in got["modules"] if m.startswith("benchbot.")] == [
        "benchbot._version", "benchbot.cli", "benchbot.cli.main", "benchbot.errors"]


@pytest.mark.parametrize("args", [["--help"], []])
def test_help_imports_no_command_module(args: list[str]) -> None:
    got = _probe(*args)
    assert got["code"] == (0 if args else 2)
    assert not _heavy(got["modules"])
    assert not [m for m in got["modules"] if m.startswith("benchbot.cli.")
                and m != "benchbot.cli.main"]


def test_help_lists_what_the_commands_themselves_say() -> None:
    """COMMAND_HELP in benchbot/cli/main.py must follow the commands' own help."""
    import typer

    from benchbot.cli import main

    full = typer.main.get_command(main.app)
    light = typer.main.get_command(main._typer_app(light=True))
    ctx = full.make_context("benchbot", ["--version"], resilient_parsing=True)
    assert full.list_commands(ctx) == light.list_commands(ctx)  # type: ignore[attr-defined] == list(main.COMMANDS)
    for name in main.COMMANDS:
        command = full.get_command(ctx, name)  # type: ignore[attr-defined]
        own = (command.help or "").split("\n\n")[0]
        assert " ".join(main.COMMAND_HELP[name].split()) == " ".join(own.split()), \
            f"update COMMAND_HELP[{name!r}] in cli/main.py"


def test_planning_a_known_model_imports_neither_onnx_nor_numpy(tmp_path) -> None:  # noqa: ANN001
    """The first plan inspects the model (onnx); the second reads the inspection cache."""
    import os

    model = tmp_path / "net.onnx"
    model.write_bytes((REPO / "models" / "tiny_conv.onnx").read_bytes())
    env = {**os.environ, "BENCHBOT_INSPECT_CACHE": str(tmp_path / "cache"), "COLUMNS": "100"}
    args = ["run", "--model", str(model), "--threads", "1,2", "--dry-run"]
    runs = [subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                           text=True, cwd=REPO, timeout=300, env=env) for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    first, second = (json.loads(r.stdout.strip().splitlines()[-1]) for r in runs)
    assert first["out"] == second["out"] and "net" in second["out"]
    assert "onnx" in first["modules"]
    assert not _heavy(second["modules"])
