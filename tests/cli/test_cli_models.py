"""`benchbot models info`: model cards as a markdown table or JSON, zoo references."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchbot.cli.models import app
from benchbot.errors import ModelError, UserError

runner = CliRunner()


def test_info_table(models: dict[str, Path]) -> None:
    result = runner.invoke(app, ["info", str(models["tiny_conv.onnx"]),
                                 str(models["tiny_fc.tflite"])])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ("| Model | Inputs | Outputs | Params (M) | MACs (G) | FLOPs (G) | "
                        "Size (MB) | Format |")
    assert lines[2] == ("| tiny_conv | input: float32[batch,3,32,32] | output: float32[batch,10] "
                        "| 0.002 | 0.001 | 0.001 | 0.007 | onnx opset 17 |")
    assert lines[3].startswith("| tiny_fc | input: float32[?,64] | output: float32[?,10] | 0.002 |")
    assert lines[3].endswith("| tflite (litert) |")


def test_info_json(models: dict[str, Path]) -> None:
    result = runner.invoke(app, ["info", "--json", str(models["tiny_fc.tflite"]),
                                 str(models["tiny_conv_fixed.onnx"])])
    assert result.exit_code == 0, result.output
    cards = json.loads(result.stdout)
    assert [c["name"] for c in cards] == ["tiny_fc", "tiny_conv_fixed"]
    for card in cards:
        assert {"params", "macs", "flops", "size_mb", "inputs", "outputs", "opset",
                "producer", "ir_version", "notes"} <= set(card)
    assert cards[0]["params"] == 2_410 and cards[0]["opset"] is None
    assert cards[1]["inputs"][0]["shape"] == [1, 3, 32, 32] and cards[1]["opset"] == 17


def test_info_of_a_zoo_reference(tmp_path: Path) -> None:
    zoo_dir = tmp_path / "zoo"
    args = ["info", "--json", "zoo:squeezenet1_1", "--zoo-dir", str(zoo_dir)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    (card,) = json.loads(result.stdout)
    assert card["params"] == 1_235_496 and round(card["macs"] / 1e9, 3) == 0.349
    assert Path(card["path"]) == zoo_dir / "squeezenet1_1.onnx"
    mtime = (zoo_dir / "squeezenet1_1.onnx").stat().st_mtime_ns
    assert runner.invoke(app, args).exit_code == 0
    assert (zoo_dir / "squeezenet1_1.onnx").stat().st_mtime_ns == mtime, "exported once"


def test_info_errors_are_user_errors(tmp_path: Path) -> None:
    result = runner.invoke(app, ["info", str(tmp_path / "missing.onnx")])
    assert isinstance(result.exception, ModelError)
    result = runner.invoke(app, ["info", "zoo:resnet19", "--zoo-dir", str(tmp_path)])
    assert isinstance(result.exception, UserError) and "resnet18" in str(result.exception)


@pytest.mark.parametrize("args", [[], ["info"]])
def test_info_needs_a_model(args: list[str]) -> None:
    assert runner.invoke(app, args).exit_code != 0
