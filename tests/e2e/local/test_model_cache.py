"""Model inspection cached by content: a second run of the same file does not parse it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PROBE = """
import json, sys
from pathlib import Path
from benchbot.runs.session import _card
from benchbot.store.codec import card_doc
from benchbot.store.modelfile import inspect_model, input_shapes
model = inspect_model(Path(sys.argv[1]))
print(json.dumps({"sha": model.sha256, "inputs": {k: list(v) for k, v in input_shapes(model).items()},
                  "card": card_doc(_card(model)), "onnx": "onnx" in sys.modules}))
"""


def _inspect(path: Path, cache: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True,
                          text=True, cwd=REPO, timeout=300,
                          env={**os.environ, "BENCHBOT_INSPECT_CACHE": str(cache)})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_second_inspection_reads_the_cache_not_the_model(tmp_path: Path) -> None:
    model = tmp_path / "net.onnx"
    shutil.copy(REPO / "models" / "tiny_conv.onnx", model)
    first = _inspect(model, tmp_path / "cache")
    assert first["onnx"] and first["card"] and first["inputs"]
    second = _inspect(model, tmp_path / "cache")
    assert not second["onnx"]
    assert {k: second[k] for k in ("sha", "inputs", "card")} == \
        {k: first[k] for k in ("sha", "inputs", "card")}


def test_a_changed_file_is_inspected_again(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from benchbot.errors import ModelError
    from benchbot.store.modelfile import inspect_model

    monkeypatch.setenv("BENCHBOT_INSPECT_CACHE", str(tmp_path / "cache"))
    model = tmp_path / "net.onnx"
    shutil.copy(REPO / "models" / "tiny_conv.onnx", model)
    good = inspect_model(model)
    other = tmp_path / "other.onnx"
    shutil.copy(REPO / "models" / "tiny_matmul.onnx", other)
    os.replace(other, model)  # replaced in place: another file under the same name
    assert inspect_model(model).sha256 != good.sha256
    before = model.stat()
    model.write_bytes(b"\x00" * before.st_size)  # same size, corrupt, in place
    # a later mtime, as a write a clock tick later makes (the cache keys on it, as make does)
    os.utime(model, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    with pytest.raises(ModelError):
        inspect_model(model)
