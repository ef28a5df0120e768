"""Paddle Lite's optimised ``.nb`` models: run by its native benchmark_bin only."""

from __future__ import annotations

from benchbot.runtimes import ModelFormat, Runtime, register

# an opt-converted Paddle Lite model has no magic number to check; the host cannot read
# its inputs (benchmark_bin is given --input-shape) nor its graph (its card is its size)
NB = ModelFormat(name="paddle_lite", title="Paddle Lite", suffixes=(".nb",))

PADDLE_LITE = register(Runtime(
    name="paddle_lite", title="Paddle Lite", formats=(NB,), backends=("cpu", "gpu"),
    export_hint="its own export (paddle_lite_opt); give that .nb file as a model"))
