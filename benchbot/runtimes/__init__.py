"""The model runtimes benchbot measures, each a frozen value in one registry.

A :class:`Runtime` is what a case's ``runtime`` names: the model formats it reads (the
first is its own: that format's suffixes pick it for a model file), the backends it
runs on, the loader in ``benchbot/agent.py`` that runs it on a device (None: only a
native tool does), the precisions it makes itself at run time, and its variant maker.
A :class:`ModelFormat` is a kind of model file: its suffixes, the files that belong
beside it (an OpenVINO IR's ``.bin`` weights), its format check, how its inputs' shapes
are read on the host, and its model-card reader. Nothing outside this package lists
runtimes, suffixes or backends: ``store/`` (the model check and hash), ``sweep/`` (the
backend axis), ``modelcard/``, ``variants/``, the CLI's help and the agent's tables
(generated, see :mod:`benchbot.runtimes.agent_table`) all read :data:`RUNTIMES`.

Adding a runtime: write its module beside this one (its format, if new, and its
``register(Runtime(...))``), import it at the end of this file, write its loader in
``benchbot/agent.py`` if the agent runs it, then ``python -m benchbot.runtimes.agent_table``
rewrites the agent's generated tables (a test fails until it has).

Importing this package is cheap: the runtimes themselves (onnx, onnxruntime, LiteRT,
openvino) are imported inside the functions that need them. Functions that live in
higher layers (card readers, variant makers, host runners) are named as
``"module:function"`` and imported when first called (:func:`resolve`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from benchbot.errors import ModelError
from benchbot.registry import Registry

InputShapes = dict[str, tuple[int | str, ...]]


def _no_check(path: Path) -> None:
    """A format with nothing to check (no magic number)."""


@dataclass(frozen=True)
class ModelFormat:
    """A kind of model file.

    ``companions``: suffixes of the files that belong beside the main file, with its stem
    (OpenVINO IR: ``model.xml`` + ``model.bin``); the model is all of them. ``check(path)``
    raises ModelError (with the fix) for a corrupt main file. ``input_shapes(files)``: input
    name -> shape read on the host (a str for a symbolic dimension). ``card_reader``:
    ``"module:function"`` taking the main file's path, returning the model card's fields.
    """

    name: str
    title: str
    suffixes: tuple[str, ...]
    companions: tuple[str, ...] = ()
    check: Callable[[Path], None] = _no_check
    input_shapes: Callable[[tuple[Path, ...]], InputShapes] | None = None
    card_reader: str | None = None

    def files(self, path: Path) -> tuple[Path, ...]:
        """The main file and its companions, in hashing and pushing order."""
        return (path, *(path.with_suffix(s) for s in self.companions))


@dataclass(frozen=True)
class Runtime:
    """A model runtime: what it reads, where it runs, how the agent loads it.

    ``makes_precision``: the (backend, precision) pairs the runtime makes itself from an
    fp32 file (TensorRT's fp16), so no variant file is derived for them.
    ``variant_maker``: ``"module:function"`` called as ``(model, precision, batch,
    int8_mode, cache_dir) -> Variant``; None: fp32 only, other precisions are their own
    export (``export_hint`` says how to make one). ``host_runner``: ``"module:Class"``
    that runs a file on the host, for the accuracy of a variant against its fp32 source.
    """

    name: str
    title: str
    formats: tuple[ModelFormat, ...]
    backends: tuple[str, ...]
    agent_loader: str | None = None
    makes_precision: frozenset[tuple[str, str]] = frozenset()
    variant_maker: str | None = None
    host_runner: str | None = None
    export_hint: str = "its own export; give that file as a model"

    def __post_init__(self) -> None:
        if not self.formats or not self.backends:
            raise ValueError(f"runtime {self.name} needs at least one format and one backend")

    @property
    def own_format(self) -> ModelFormat:
        """The format whose suffixes select this runtime."""
        return self.formats[0]

    def format_for(self, path: Path) -> ModelFormat | None:
        """The format of ``path`` among those this runtime reads (None: it reads none)."""
        suffix = path.suffix.lower()
        return next((f for f in self.formats if suffix in f.suffixes), None)


_REGISTRY: Registry[Runtime] = Registry("runtime")
#: name -> runtime, in registration order (read-only; :func:`register` adds to it).
RUNTIMES: Mapping[str, Runtime] = _REGISTRY.entries


def register(entry: Runtime) -> Runtime:
    """Add ``entry`` to :data:`RUNTIMES`; a second runtime of a name, or a second runtime
    claiming a suffix as its own, is an error."""
    taken = set(suffix_table())
    clash = [s for s in entry.own_format.suffixes if s in taken]
    if clash:
        raise ValueError(f"{entry.name}: suffix {clash[0]} already selects another runtime")
    return _REGISTRY.add(entry.name, entry)


def runtime(name: str) -> Runtime:
    """The registered runtime ``name``; ConfigError naming the known ones otherwise."""
    return _REGISTRY.get(name)


def suffix_table(agent_only: bool = False) -> dict[str, str]:
    """Suffix -> the runtime that runs a file of it by default (its own format's)."""
    return {s: r.name for r in RUNTIMES.values() if r.agent_loader or not agent_only
            for s in r.own_format.suffixes}


def runtime_for(path: Path) -> Runtime:
    """The runtime of a model file by its suffix; ModelError naming the formats otherwise."""
    name = suffix_table().get(path.suffix.lower())
    if name is None:
        raise ModelError(f"{path}: unknown model format "
                         f"{path.suffix.lower() or '(no suffix)'!r}; benchbot runs "
                         f"{formats_text()} files")
    return RUNTIMES[name]


def formats_text() -> str:
    """'.onnx (ONNX), .tflite/.lite (TFLite), ...': every format, for messages and help."""
    seen: dict[str, ModelFormat] = {}
    for r in RUNTIMES.values():
        for f in r.formats:
            seen.setdefault(f.name, f)
    return ", ".join(f"{'/'.join(f.suffixes)} ({f.title})" for f in seen.values())


def agent_runtimes() -> tuple[str, ...]:
    """The runtimes the agent runs (those with a loader), in registration order."""
    return tuple(r.name for r in RUNTIMES.values() if r.agent_loader)


def all_backends() -> tuple[str, ...]:
    """Every backend of any runtime, each once, in registration order."""
    return tuple(dict.fromkeys(b for r in RUNTIMES.values() for b in r.backends))


def backends_text() -> str:
    """'cpu, cuda, tensorrt (ONNX Runtime); ...': for the CLI's --backend help."""
    return "; ".join(f"{', '.join(r.backends)} ({r.title})" for r in RUNTIMES.values())


def resolve(ref: str) -> Any:
    """The object a ``"module:name"`` reference names, imported now."""
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


# --- the runtimes (registration order is the order of choices and help) ---------------
from benchbot.runtimes import onnxruntime, litert, paddle_lite, openvino  # noqa: E402,F401
