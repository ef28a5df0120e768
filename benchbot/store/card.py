"""A model card as a value: what a latency table is read beside (params, MACs, size).

Recorded with each case (``CaseResult.card``); encoded and decoded by
:mod:`benchbot.store.codec`. The readers that make one live in :mod:`benchbot.modelcard`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TensorSpec:
    """A graph input or output: name, dtype and shape (a str for a symbolic dimension:
    its name in ONNX, "?" for an unknown or dynamic one)."""

    name: str
    dtype: str
    shape: tuple[int | str, ...]

    def __str__(self) -> str:
        return f"{self.name}: {self.dtype}[{','.join(str(d) for d in self.shape)}]"

@dataclass(frozen=True)
class ModelCard:
    """One model file described: its interface, parameters, per-sample cost and size.

    ``macs`` and ``flops`` are per inference at batch 1 (see
    :mod:`benchbot.modelcard.onnx_counts` for the counting rules); None where they
    cannot be known (a Paddle Lite file, a TFLite graph without static shapes).
    ``notes`` say what a figure leaves out.
    """

    name: str
    path: str
    format: str  # its ModelFormat name (benchbot.runtimes): "onnx", "tflite", ...
    runtime: str
    sha256: str
    size_bytes: int
    inputs: tuple[TensorSpec, ...] = ()
    outputs: tuple[TensorSpec, ...] = ()
    params: int | None = None
    macs: int | None = None
    flops: int | None = None
    opset: int | None = None  # ONNX default-domain opset
    producer: str | None = None  # ONNX producer, TFLite description
    ir_version: int | None = None  # ONNX IR version, TFLite schema version
    weight_types: tuple[str, ...] = ()  # dtypes the parameters are stored in
    notes: tuple[str, ...] = ()

    @property
    def size_mb(self) -> float:
        """File size in megabytes of 1e6 bytes, as model tables print it."""
        return self.size_bytes / 1e6
