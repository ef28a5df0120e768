"""Faults a hostile new user found (issue 20), each pinned by a test that failed before its fix."""

from __future__ import annotations

from pathlib import Path

from benchbot.run.nightly import load_nightly
from benchbot.sweep import load_sweep_file


# --- zoo references and absolute paths in sweep and nightly files --------------------------

def test_a_sweep_file_in_a_subfolder_keeps_zoo_references_and_absolute_paths(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    absolute = tmp_path / "abs.onnx"
    sweep = sub / "sweep.toml"
    sweep.write_text(f'models = ["zoo:mobilenet_v3_small", "{absolute}", "m.onnx"]\n')
    assert load_sweep_file(sweep).models == ("zoo:mobilenet_v3_small", str(absolute),
                                             str(sub / "m.onnx"))


def test_a_nightly_file_in_a_subfolder_keeps_zoo_references(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    nightly = sub / "nightly.toml"
    nightly.write_text('models = ["zoo:mobilenet_v3_small"]\n')
    assert load_nightly(nightly).spec.models == ("zoo:mobilenet_v3_small",)
