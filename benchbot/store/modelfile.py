"""Model files on the host: recognise the format, reject corrupt files early, hash them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from benchbot.errors import ModelError
from benchbot.store import modelcache

RUNTIME_BY_SUFFIX = {".onnx": "onnxruntime", ".tflite": "litert", ".nb": "paddle_lite"}


@dataclass(frozen=True)
class ModelFile:
    """A model file the host has checked: its path, format, size and content hash."""

    path: Path
    runtime: str
    sha256: str
    size_bytes: int
    # the path as the user first gave it, when ``path`` is where it was found since (a run
    # resumed from another folder): what records and reports name
    given: str | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def as_given(self) -> str:
        return self.given if self.given is not None else str(self.path)

    @property
    def size_mb(self) -> float:
        return self.size_bytes / 1e6


def _check_onnx(path: Path) -> None:
    import onnx  # lazy: only needed when an ONNX model is in the sweep

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:
        raise ModelError(f"{path}: not a readable ONNX model ({type(exc).__name__}); "
                         "re-export it") from exc
    if not model.graph.node:
        raise ModelError(f"{path}: the ONNX graph has no nodes; re-export the model")


def _check_tflite(path: Path) -> None:
    with path.open("rb") as f:
        head = f.read(8)
    if len(head) < 8 or head[4:8] != b"TFL3":
        raise ModelError(f"{path}: not a TFLite flatbuffer (no TFL3 identifier); re-export it")


def _check_paddle_lite(path: Path) -> None:
    pass  # an opt-converted Paddle Lite model has no magic number to check


_CHECKS = {".onnx": _check_onnx, ".tflite": _check_tflite, ".nb": _check_paddle_lite}


def input_shapes(model: ModelFile) -> dict[str, tuple[int | str, ...]]:
    """Input name -> shape (a str for a symbolic dimension), read on the host; {} if unknown.
    Cached by the file's content (:mod:`benchbot.store.modelcache`)."""
    cached = modelcache.lookup(model.path)
    if cached.get("sha256") == model.sha256 and isinstance(cached.get("inputs"), list):
        return {name: tuple(shape) for name, shape in cached["inputs"]}
    shapes = _read_input_shapes(model)
    modelcache.remember(model.path, sha256=model.sha256,
                        inputs=[[name, list(shape)] for name, shape in shapes.items()])
    return shapes


def _read_input_shapes(model: ModelFile) -> dict[str, tuple[int | str, ...]]:
    try:
        if model.runtime == "onnxruntime":
            import onnx

            graph = onnx.load(str(model.path), load_external_data=False).graph
            weights = {i.name for i in graph.initializer}
            return {i.name: tuple(d.dim_param or d.dim_value
                                  for d in i.type.tensor_type.shape.dim)
                    for i in graph.input if i.name not in weights}
        if model.runtime == "litert":
            from ai_edge_litert.interpreter import Interpreter

            details = Interpreter(model_path=str(model.path)).get_input_details()
            return {d["name"]: tuple(int(x) for x in d["shape"]) for d in details}
    except Exception:  # a model the host cannot read is still measured as stored
        return {}
    return {}


def inspect_model(path: Path) -> ModelFile:
    """Check that ``path`` is a model benchbot can run; raises ModelError with the fix."""
    if path.is_dir():  # before the suffix: a folder may well be called "models.onnx"
        raise ModelError(f"{path} is a folder, not a model file: name a .onnx, .tflite or "
                         ".nb file (e.g. --model {path / 'model.onnx'})")
    suffix = path.suffix.lower()
    if suffix not in RUNTIME_BY_SUFFIX:
        raise ModelError(f"{path}: unknown model format {suffix or '(no suffix)'!r}; "
                         "benchbot runs .onnx, .tflite and Paddle Lite .nb files")
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    size = path.stat().st_size
    if size == 0:
        raise ModelError(f"{path}: the file is empty; re-export the model")
    cached = modelcache.lookup(path)  # this very file (path, size, mtime) checked before
    if cached.get("checked") and isinstance(cached.get("sha256"), str):
        return ModelFile(path=path, runtime=RUNTIME_BY_SUFFIX[suffix], sha256=cached["sha256"],
                         size_bytes=size)
    _CHECKS[suffix](path)
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    modelcache.remember(path, checked=True, sha256=digest.hexdigest())
    return ModelFile(path=path, runtime=RUNTIME_BY_SUFFIX[suffix], sha256=digest.hexdigest(),
                     size_bytes=size)
