"""Batch variants of ONNX models exported with a fixed batch.

A model whose inputs fix axis 0 gets it rewritten to the requested batch (the outputs'
axis 0 where it held the old batch too), its stale ``value_info`` cleared and shapes
inferred again. Whether the graph really has a batch axis is then proved, not assumed:

1. strict ONNX shape inference must agree with the new shapes (cheap: it catches a
   Reshape to a constant ``[1, ...]``);
2. onnxruntime must load the rewritten model and run it once at the new batch on the
   host, and every output that carried the old batch must carry the new one.

A model that fails either is refused with VariantError "model has no batch axis": its
graph hard-codes the batch it was exported with, and only a re-export can change it.
Dynamic-batch models need no variant at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from benchbot.variants.onnx_check import RunFailed, first_line, run_once
from benchbot.variants.variant import VariantError

if TYPE_CHECKING:
    import onnx


def fixed_batches(shapes: Mapping[str, tuple[int | str, ...]]) -> set[int]:
    """The fixed axis-0 sizes of the graph inputs (from ModelFile input shapes)."""
    return {s[0] for s in shapes.values() if s and isinstance(s[0], int) and s[0] > 0}


def needs_rewrite(shapes: Mapping[str, tuple[int | str, ...]], batch: int | None) -> bool:
    """Whether running at ``batch`` needs a rewritten file (some input fixes another)."""
    return batch is not None and any(b != batch for b in fixed_batches(shapes))


def rewrite_batch(model: onnx.ModelProto, batch: int, name: str) -> onnx.ModelProto:
    """``model`` (changed in place) with the batch set to ``batch`` and shapes re-inferred;
    raises VariantError when the graph has no batch axis (see the module docstring)."""
    import onnx

    weights = {t.name for t in model.graph.initializer}
    old: set[int] = set()
    for vi in model.graph.input:
        dims = vi.type.tensor_type.shape.dim
        if vi.name not in weights and dims and dims[0].HasField("dim_value") \
                and dims[0].dim_value > 0:
            old.add(dims[0].dim_value)
            dims[0].dim_value = batch
    batched_outputs = []
    for vi in model.graph.output:
        dims = vi.type.tensor_type.shape.dim
        if dims and dims[0].HasField("dim_value") and dims[0].dim_value in old:
            dims[0].dim_value = batch
            batched_outputs.append(vi.name)
    del model.graph.value_info[:]  # intermediate shapes of the old batch would contradict
    was = "/".join(str(b) for b in sorted(old))

    def no_batch_axis(reason: str) -> VariantError:
        return VariantError(f"model has no batch axis: {name} was exported with batch {was} "
                            f"and its graph hard-codes it, so it cannot run at batch {batch} "
                            f"({reason}); re-export it with a dynamic batch axis or with "
                            f"batch {batch}")

    inference_error = ""
    try:
        model = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    except Exception as exc:  # a conflict, or only an op ONNX does not know: ask onnxruntime
        inference_error = f"; ONNX shape inference: {first_line(exc)[:200]}"
    try:
        shapes = run_once(model.SerializeToString(), batch)
    except RunFailed as exc:
        raise no_batch_axis(f"onnxruntime: {str(exc)[:200]}{inference_error}") from exc
    for output in batched_outputs:
        shape = shapes.get(output, ())
        if not shape or shape[0] != batch:
            raise no_batch_axis(f"output {output!r} has shape {list(shape)} at batch {batch}")
    return model
