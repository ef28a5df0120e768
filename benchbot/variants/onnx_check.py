"""The proof a derived ONNX file works: onnxruntime (CPU) loads it and runs it once."""

from __future__ import annotations

import os
from typing import Any

from benchbot.agent import concrete_shape, random_input

_DTYPES = {"tensor(float)": "float32", "tensor(float16)": "float16",
           "tensor(double)": "float64", "tensor(int8)": "int8", "tensor(uint8)": "uint8",
           "tensor(int16)": "int16", "tensor(int32)": "int32", "tensor(int64)": "int64",
           "tensor(bool)": "bool"}


class RunFailed(Exception):
    """onnxruntime refused the model or failed running it; the message is its first line."""


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:400]


def run_batch(data: bytes) -> int:
    """The batch a model runs at when none is asked: its fixed axis 0, else 1."""
    import onnx

    model = onnx.load_from_string(data)
    weights = {t.name for t in model.graph.initializer}
    for vi in model.graph.input:
        dims = vi.type.tensor_type.shape.dim
        if vi.name not in weights and dims and dims[0].HasField("dim_value") \
                and dims[0].dim_value > 0:
            return int(dims[0].dim_value)
    return 1


def run_once(data: bytes, batch: int) -> dict[str, tuple[int, ...]]:
    """Create a CPU session for the model ``data`` and run it once on random inputs at
    ``batch`` (seeded); returns each output's shape. Raises RunFailed."""
    import numpy as np
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 4  # the failure is reported through the exception
    opts.intra_op_num_threads = min(4, os.cpu_count() or 1)
    try:
        session = ort.InferenceSession(data, sess_options=opts,
                                       providers=["CPUExecutionProvider"])
        rng = np.random.default_rng(0)
        feeds: dict[str, Any] = {}
        for i in session.get_inputs():
            dtype = _DTYPES.get(i.type)
            if dtype is None:
                raise RunFailed(f"input {i.name!r} has type {i.type}, which benchbot cannot "
                                "generate")
            feeds[i.name] = random_input(np, concrete_shape(list(i.shape), batch), dtype, rng)
        outputs = session.run(None, feeds)
    except RunFailed:
        raise
    except Exception as exc:
        raise RunFailed(first_line(exc)) from exc
    for name, value in zip((o.name for o in session.get_outputs()), outputs):
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" \
                and not np.isfinite(value).all():
            raise RunFailed(f"output {name!r} has non-finite values on random inputs")
    return {o.name: tuple(np.shape(v)) for o, v in zip(session.get_outputs(), outputs)}


def ort_version() -> str:
    import onnxruntime as ort

    return str(ort.__version__)
