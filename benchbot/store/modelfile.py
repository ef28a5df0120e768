"""Model files on the host: recognise the format, reject corrupt files early, hash them.

What a format is (its suffixes, the files beside it, its check, how its inputs are read)
is the runtime registry's (:mod:`benchbot.runtimes`); nothing here imports a runtime.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from benchbot import runtimes
from benchbot.errors import ModelError
from benchbot.store import modelcache


@dataclass(frozen=True)
class ModelFile:
    """A model the host has checked: its path, runtime, size and content hash.

    A model may be several files: ``path`` is the main one (what is named and loaded),
    ``parts`` the files beside it (an OpenVINO IR's ``.bin``); ``sha256`` is then over
    the files' bytes in order (``cat model.xml model.bin | sha256sum``) and
    ``size_bytes`` their total.
    """

    path: Path
    runtime: str
    sha256: str
    size_bytes: int
    # the path as the user first gave it, when ``path`` is where it was found since (a run
    # resumed from another folder): what records and reports name
    given: str | None = field(default=None, compare=False)
    parts: tuple[Path, ...] = ()

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file of the model, the main one first: what is hashed and pushed."""
        return (self.path, *self.parts)

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def as_given(self) -> str:
        return self.given if self.given is not None else str(self.path)

    @property
    def size_mb(self) -> float:
        return self.size_bytes / 1e6


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
    fmt = runtimes.runtime(model.runtime).format_for(model.path)
    if fmt is None or fmt.input_shapes is None:
        return {}
    try:
        return fmt.input_shapes(model.files)
    except Exception:  # a model the host cannot read is still measured as stored
        return {}


def _signature(files: tuple[Path, ...]) -> list[list[object]]:
    """Each file's name, size and mtime: a cached check of a model holds while they do."""
    return [[f.name, f.stat().st_size, f.stat().st_mtime_ns] for f in files]


def inspect_model(path: Path, runtime: str | None = None) -> ModelFile:
    """Check that ``path`` is a model benchbot can run; raises ModelError with the fix.

    ``runtime`` names the runtime that runs it (one that reads its format, e.g.
    ``openvino`` for an ``.onnx``); None: the one its suffix selects.
    """
    if path.is_dir():  # before the suffix: a folder may well be called "models.onnx"
        raise ModelError(f"{path} is a folder, not a model file: name a "
                         f"{runtimes.formats_text()} file (e.g. --model "
                         f"{path / 'model.onnx'})")
    entry = runtimes.runtime_for(path) if runtime is None else runtimes.runtime(runtime)
    fmt = entry.format_for(path)
    if fmt is None:
        raise ModelError(f"{path}: {entry.title} does not read {path.suffix or 'this'} "
                         f"files; it reads {', '.join(f.title for f in entry.formats)}")
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    files = fmt.files(path)
    for part in files[1:]:
        if not part.is_file():
            raise ModelError(f"{path}: its {fmt.title} {part.suffix} file {part.name} is "
                             f"missing; put it beside {path.name} (they are exported together)")
    size = sum(f.stat().st_size for f in files)
    if path.stat().st_size == 0:
        raise ModelError(f"{path}: the file is empty; re-export the model")
    signature = _signature(files)
    cached = modelcache.lookup(path)  # these very files (path, size, mtime) checked before
    if cached.get("checked") and isinstance(cached.get("sha256"), str) and \
            cached.get("files", signature) == signature:
        return ModelFile(path=path, runtime=entry.name, sha256=cached["sha256"],
                         size_bytes=size, parts=files[1:])
    fmt.check(path)
    digest = hashlib.sha256()
    for file in files:
        with file.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    modelcache.remember(path, checked=True, sha256=digest.hexdigest(),
                        **({"files": signature} if len(files) > 1 else {}))
    return ModelFile(path=path, runtime=entry.name, sha256=digest.hexdigest(),
                     size_bytes=size, parts=files[1:])
