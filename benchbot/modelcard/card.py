"""A model card as a value: what a latency table is read beside (params, MACs, size)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class TensorSpec:
    """A graph input or output: name, dtype and shape (a str for a symbolic dimension:
    its name in ONNX, "?" for an unknown or dynamic one)."""

    name: str
    dtype: str
    shape: tuple[int | str, ...]

    def __str__(self) -> str:
        return f"{self.name}: {self.dtype}[{','.join(str(d) for d in self.shape)}]"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.shape)}

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> TensorSpec:
        return cls(name=str(doc["name"]), dtype=str(doc["dtype"]), shape=tuple(doc["shape"]))


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

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "format": self.format,
                "runtime": self.runtime, "sha256": self.sha256,
                "size_bytes": self.size_bytes, "size_mb": round(self.size_mb, 6),
                "inputs": [t.to_dict() for t in self.inputs],
                "outputs": [t.to_dict() for t in self.outputs],
                "params": self.params, "macs": self.macs, "flops": self.flops,
                "opset": self.opset, "producer": self.producer, "ir_version": self.ir_version,
                "weight_types": list(self.weight_types), "notes": list(self.notes)}

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> ModelCard:
        return cls(name=str(doc["name"]), path=str(doc["path"]), format=str(doc["format"]),
                   runtime=str(doc["runtime"]), sha256=str(doc["sha256"]),
                   size_bytes=int(doc["size_bytes"]),
                   inputs=tuple(TensorSpec.from_dict(t) for t in doc.get("inputs", ())),
                   outputs=tuple(TensorSpec.from_dict(t) for t in doc.get("outputs", ())),
                   params=doc.get("params"), macs=doc.get("macs"), flops=doc.get("flops"),
                   opset=doc.get("opset"), producer=doc.get("producer"),
                   ir_version=doc.get("ir_version"),
                   weight_types=tuple(doc.get("weight_types", ())),
                   notes=tuple(doc.get("notes", ())))
