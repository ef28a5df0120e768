"""The runtime registry is the one list of runtimes, formats, suffixes and backends: the
CLI, the sweep axes, the store and the agent read it; a model may be several files."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchbot import agent, runtimes
from benchbot.cli.main import app
from benchbot.errors import ModelError
from benchbot.runners.native import TOOLS
from benchbot.runtimes import agent_table
from benchbot.store import modelcache
from benchbot.store.modelfile import inspect_model, input_shapes
from benchbot.sweep import axes
from tests.support.openvino_ir import zoo_ir

REPO_MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture()
def ir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(modelcache.CACHE_ENV, str(tmp_path / "cache"))
    return zoo_ir(tmp_path, resolution=32)[1]


def _help(command: str) -> str:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "400", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_cli_choices_are_the_registrys() -> None:
    for command in ("run", "ab"):
        text = _help(command)
        for entry in runtimes.RUNTIMES.values():
            assert all(b in text for b in entry.backends), (command, entry.name)
    assert "reference" in _help("ab")  # the list that had drifted
    text = _help("run")
    assert all(name in text for name in runtimes.RUNTIMES)
    assert all(suffix in text for suffix in runtimes.suffix_table())
    assert axes.BACKENDS == runtimes.all_backends()
    assert axes.RUNTIMES == tuple(runtimes.RUNTIMES)


def test_the_agents_tables_are_generated_from_the_registry() -> None:
    text = Path(agent.__file__).read_text(encoding="utf-8")
    assert agent_table.current(text) == agent_table.render(), \
        "run: python -m benchbot.runtimes.agent_table"
    assert agent.RUNTIME_BY_SUFFIX == runtimes.suffix_table(agent_only=True)
    assert tuple(agent.LOADERS) == runtimes.agent_runtimes()
    for name, loader in agent.LOADERS.items():
        assert loader.__name__ == runtimes.runtime(name).agent_loader
    parser_choices = {a.dest: a.choices for a in _agent_parser()._actions}
    assert parser_choices["runtime"] == ["auto", *runtimes.agent_runtimes()]
    agent_backends = {b for r in runtimes.agent_runtimes() for b in runtimes.runtime(r).backends}
    assert set(parser_choices["backend"]) == agent_backends
    assert ".lite" in runtimes.suffix_table()  # the agent and the store agree on it now


def _agent_parser():  # type: ignore[no-untyped-def]
    import argparse

    captured = {}
    real = argparse.ArgumentParser.parse_args

    def keep(self, argv=None, namespace=None):  # type: ignore[no-untyped-def]
        captured["parser"] = self
        return real(self, argv, namespace)

    argparse.ArgumentParser.parse_args = keep  # type: ignore[method-assign]
    try:
        agent.parse_args(["--model", "m.onnx"])
    finally:
        argparse.ArgumentParser.parse_args = real  # type: ignore[method-assign]
    return captured["parser"]


def test_every_named_function_resolves_and_native_tools_name_registered_runtimes() -> None:
    for entry in runtimes.RUNTIMES.values():
        for ref in (entry.variant_maker, entry.host_runner,
                    *(f.card_reader for f in entry.formats)):
            if ref is not None:
                assert callable(runtimes.resolve(ref)), ref
    assert {t.runtime for t in TOOLS.values()} <= set(runtimes.RUNTIMES)


def test_a_second_runtime_claiming_a_suffix_is_refused() -> None:
    onnx_format = runtimes.runtime("onnxruntime").own_format
    with pytest.raises(ValueError, match="already selects"):
        runtimes.register(runtimes.Runtime(name="other", title="Other", formats=(onnx_format,),
                                           backends=("cpu",)))
    assert "other" not in runtimes.RUNTIMES


def test_an_ir_is_two_files_hashed_together(ir: Path) -> None:
    weights = ir.with_suffix(".bin")
    model = inspect_model(ir)
    assert model.runtime == "openvino" and model.files == (ir, weights)
    both = hashlib.sha256(ir.read_bytes() + weights.read_bytes()).hexdigest()
    assert model.sha256 == both
    assert model.size_bytes == ir.stat().st_size + weights.stat().st_size
    assert input_shapes(model) == {"input": ("?", 3, 32, 32)}
    data = bytearray(weights.read_bytes())  # new weights, same .xml: another model
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    changed = inspect_model(ir)
    assert changed.sha256 != model.sha256
    assert changed.sha256 == hashlib.sha256(ir.read_bytes() + bytes(data)).hexdigest()


def test_an_ir_without_its_weights_is_one_line_naming_the_fix(ir: Path) -> None:
    ir.with_suffix(".bin").unlink()
    with pytest.raises(ModelError) as caught:
        inspect_model(ir)
    message = str(caught.value)
    assert "\n" not in message
    assert f"{ir.stem}.bin is missing" in message and "put it beside" in message


def test_a_runtime_that_reads_another_format_is_named(tmp_path: Path) -> None:
    onnx_file = REPO_MODELS / "tiny_conv.onnx"
    assert inspect_model(onnx_file, "openvino").runtime == "openvino"
    assert inspect_model(onnx_file).runtime == "onnxruntime"
    with pytest.raises(ModelError, match="LiteRT does not read .onnx"):
        inspect_model(onnx_file, "litert")
    lite = tmp_path / "tiny_conv.lite"
    shutil.copyfile(REPO_MODELS / "tiny_conv.tflite", lite)
    assert inspect_model(lite).runtime == "litert"
    assert inspect_model(lite, "openvino").runtime == "openvino"  # its TFLite frontend
