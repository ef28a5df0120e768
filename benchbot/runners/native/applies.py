"""Whether a native tool can apply a case's settings, before anything is measured (pure
but for reading the model's input shapes, which are cached).

A label is a promise: a case labelled batch 4, fp16, 4 threads or ``reference`` is
measured only by a tool that applies exactly that. :func:`refusal` says, in one line,
why a case cannot be, for one dialect or (at plan time, before the binary has been
asked) for every dialect of the tool.
"""

from __future__ import annotations

from benchbot.runners.native.tools import NativeTool, ToolDialect
from benchbot.store.modelfile import input_shapes
from benchbot.sweep import Case


def _file_batch(case: Case) -> int | None:
    """The batch the model file itself fixes (its first input's first dimension)."""
    shape = next(iter(input_shapes(case.model).values()), ())
    first = shape[0] if shape else None
    return first if isinstance(first, int) and first > 0 else None


def _refusal(tool: NativeTool, dialect: ToolDialect, case: Case) -> str | None:
    suffix = case.model.path.suffix.lower()
    if case.runtime != tool.runtime or suffix not in tool.model_suffixes:
        return (f"{tool.kind} does not run {suffix} models; use --runner agent or the tool "
                "for that format")
    if case.backend not in dialect.backends:
        return (f"{dialect.title} cannot run backend {case.backend!r} (it runs "
                f"{', '.join(dialect.backends)}); pick one of those or another runner")
    if not dialect.threads and case.threads != 1:
        return (f"{dialect.title} runs on the GPU: a CPU thread count does not apply; "
                "measure it with --threads 1")
    if not dialect.batch and case.runtime == "litert" and case.batch != _file_batch(case):
        return (f"{dialect.title} cannot resize inputs: batch {case.batch} of "
                f"{case.model.path.name} would run at its file's batch "
                f"({_file_batch(case) or 'unknown'}); export it at batch {case.batch} "
                "or use the classic benchmark_model")
    if case.precision != "fp32" and not dialect.makes_precision(case.backend, case.precision):
        if case.runtime == "paddle_lite":
            return (f"{case.precision} on {case.backend} cannot be applied to a .nb by "
                    f"{dialect.title} (it runs the file's own precision; --cpu_precision "
                    "is read only when converting a Paddle model); measure the .nb "
                    "exported at that precision as fp32, or use --backend gpu for fp16")
        variant = case.variant
        if variant is not None and (variant.derivation or {}).get("precision") == \
                case.precision:
            return None  # the file itself holds the precision: measured as stored
        if case.runtime == "onnxruntime" and tool.kind == "trtexec":
            return (f"{dialect.title} has no {case.precision} flag (strongly typed "
                    f"networks): measure an {case.precision} ONNX file, or use an older "
                    "trtexec")
    return None


def refusal(tool: NativeTool, case: Case, dialect: ToolDialect | None = None) -> str | None:
    """Why ``dialect`` (None: every dialect of ``tool``) cannot apply ``case``; None if
    it can (with no dialect given: if any dialect can, the binary decides later)."""
    dialects = (dialect,) if dialect is not None else tool.dialects
    reasons = [_refusal(tool, d, case) for d in dialects]
    return reasons[0] if all(reasons) else None
