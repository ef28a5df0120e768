"""How far a variant's outputs are from the fp32 model's, on the same seeded inputs.

A fast int8 file is only a win if it still computes the model: every fp16 and int8
case gets an :class:`~benchbot.store.Accuracy` made on the host, before measuring, by
running the variant and the fp32 model it was derived from (or, for TFLite, the
separate export it stands beside) on the same random inputs (``numpy`` seeded
generator, the agent's distributions), with ONNX Runtime CPU or LiteRT:

    max_abs_err, mean_abs_err   over every element of an output
    cosine                      of the flattened outputs (1: same direction)
    top1_agreement              share of rows whose argmax agrees, for outputs shaped
                                batch x classes; None for any other shape

The pure part is :func:`output_error`; :func:`compare_models` runs two files;
:func:`accuracy_of_cases` does it once per (variant, reference) of a plan.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Protocol

import numpy as np

from benchbot import runtimes
from benchbot.agent import ORT_DTYPES, random_input
from benchbot.store import Accuracy, OutputError
from benchbot.sweep import Case

CHECKED_PRECISIONS = ("fp16", "int8")


def output_error(name: str, variant: np.ndarray, reference: np.ndarray) -> OutputError:
    """The error of one output against the reference's (pure)."""
    a = np.asarray(variant, dtype=np.float64).ravel()
    b = np.asarray(reference, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"output {name!r} has {a.size} values, the reference's {b.size}")
    diff = np.abs(a - b)
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if (na == 0.0 and nb == 0.0) or not diff.any():  # identical: exactly 1, not 1 - 2e-16
        cosine = 1.0
    elif na == 0.0 or nb == 0.0:
        cosine = 0.0
    else:
        cosine = float(np.clip(np.dot(a, b) / (na * nb), -1.0, 1.0))
    top1 = None
    shaped = np.asarray(reference)
    if shaped.ndim == 2 and shaped.shape[1] > 1:
        top1 = float(np.mean(np.argmax(np.asarray(variant), axis=1)
                             == np.argmax(shaped, axis=1)))
    return OutputError(name=name, max_abs_err=float(diff.max()) if diff.size else 0.0,
                       mean_abs_err=float(diff.mean()) if diff.size else 0.0,
                       cosine=cosine, top1_agreement=top1)


def _shape(dims: Iterable[Any], batch: int) -> list[int]:
    out = [d if isinstance(d, int) and d > 0 else 1 for d in dims]
    if out and not (isinstance(list(dims)[0], int) and list(dims)[0] > 0):
        out[0] = batch
    return out


class OnnxModel:
    """A file run by ONNX Runtime CPU on the host."""

    def __init__(self, path: Path) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), sess_options=opts,
                                            providers=["CPUExecutionProvider"])

    def inputs(self, batch: int) -> list[tuple[str, list[int], str]]:
        return [(i.name, _shape(i.shape, batch), ORT_DTYPES.get(i.type, "float32"))
                for i in self.session.get_inputs()]

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        kinds = {i.name: ORT_DTYPES.get(i.type, "float32") for i in self.session.get_inputs()}
        names = [o.name for o in self.session.get_outputs()]
        values = self.session.run(names, {k: v.astype(kinds[k]) for k, v in feeds.items()})
        return dict(zip(names, values))


class TfliteModel:
    """A file run by LiteRT on the host (quantized tensors scaled to and from floats)."""

    def __init__(self, path: Path) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(path))
        self.interpreter.allocate_tensors()

    def inputs(self, batch: int) -> list[tuple[str, list[int], str]]:
        return [(d["name"], [int(x) for x in d["shape"]], np.dtype(d["dtype"]).name)
                for d in self.interpreter.get_input_details()]

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        for d in self.interpreter.get_input_details():
            value = feeds[d["name"]]
            scale, zero = d.get("quantization", (0.0, 0))
            if np.dtype(d["dtype"]).kind in "iu" and scale:  # a quantized input
                value = np.round(value / scale + zero)
            self.interpreter.set_tensor(d["index"], value.astype(d["dtype"]))
        self.interpreter.invoke()
        out = {}
        for d in self.interpreter.get_output_details():
            value = self.interpreter.get_tensor(d["index"]).astype(np.float64)
            scale, zero = d.get("quantization", (0.0, 0))
            if np.dtype(d["dtype"]).kind in "iu" and scale:
                value = (value - zero) * scale
            out[d["name"]] = value
        return out


class HostModel(Protocol):
    """A model file run on the host: its inputs at a batch, and one run on given feeds."""

    def inputs(self, batch: int) -> list[tuple[str, list[int], str]]: ...

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]: ...


def _open(path: Path) -> HostModel:
    """The file run by its runtime's host runner (the runtime registry's)."""
    entry = runtimes.runtime_for(path)
    if entry.host_runner is None:
        raise ValueError(f"{entry.title} files cannot be run on the host")
    return runtimes.resolve(entry.host_runner)(path)


def compare_models(variant: Path, reference: Path, *, seed: int = 0, batch: int = 1,
                   reference_name: str = "fp32") -> Accuracy:
    """The variant's outputs against the reference's on the same seeded inputs.

    Inputs follow the reference's input names and shapes (symbolic axes: ``batch`` on
    axis 0, 1 elsewhere); outputs are matched by position, since converters may rename.
    """
    ref_model, var_model = _open(reference), _open(variant)
    rng = np.random.default_rng(seed)
    feeds = {name: random_input(np, shape, "float32" if dtype.startswith("float") else dtype,
                                rng)  # the agent's own inputs
             for name, shape, dtype in ref_model.inputs(batch)}
    var_names = [name for name, _, _ in var_model.inputs(batch)]
    if len(var_names) != len(feeds):
        return Accuracy(reference=reference_name,
                        reason=f"the variant has {len(var_names)} inputs, the reference "
                               f"{len(feeds)}")
    ref_out = ref_model.run(feeds)
    var_out = var_model.run(dict(zip(var_names, feeds.values())))
    errors = tuple(output_error(name, got, want)
                   for name, want, got in zip(ref_out, ref_out.values(), var_out.values()))
    return Accuracy(reference=reference_name, outputs=errors)


def accuracy_of_cases(cases: Iterable[Case], seed: int = 0,
                      say: Callable[[str], None] | None = None) -> dict[str, Accuracy]:
    """Case id -> the accuracy of its variant, for every fp16 and int8 case that has one.

    Each (variant, reference, batch) is run once. A case whose precision the device makes
    itself (TensorRT fp16, a GPU delegate's fp16) gets an Accuracy with the reason.
    """
    done: dict[tuple[str, str, int], Accuracy] = {}
    out: dict[str, Accuracy] = {}
    for case in cases:
        if case.precision not in CHECKED_PRECISIONS or case.variant_error is not None:
            continue
        variant = case.variant
        if variant is None or not variant.derived or \
                variant.derivation.get("precision", case.precision) != case.precision:
            out[case.id] = Accuracy(reason=f"{case.precision} is made on the device by the "
                                           f"{case.backend} backend; the host cannot run it")
            continue
        key = (variant.sha256, case.model.sha256, case.batch)
        if key not in done:
            try:
                done[key] = compare_models(Path(variant.path), case.model.path, seed=seed,
                                           batch=case.batch)
            except Exception as exc:  # a file the host cannot run is measured anyway
                done[key] = Accuracy(reason=f"could not run both files on the host: "
                                            f"{type(exc).__name__}: {exc}"[:300])
            if say is not None and done[key].worst_cosine is not None:
                say(f"{case.model.path.name} {case.precision}: worst cosine "
                    f"{done[key].worst_cosine:.5f} against fp32")
        out[case.id] = done[key]
    return out
