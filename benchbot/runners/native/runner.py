"""A native benchmark tool as a runner: push it once, run it per case, parse what it prints.

The tool's own aggregates become the case's statistics (``stats_source``
"aggregates"); benchbot never invents samples it did not see.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchbot.errors import CaseError, DeviceLost, TransportError
from benchbot.store.modelfile import input_shapes
from benchbot.runners.base import case_result, model_to_push
from benchbot.runners.native import ARGV_BUILDERS, PARSERS
from benchbot.runners.native.failure import failure_message
from benchbot.stats import Summary
from benchbot.store import CaseResult, utc_now
from benchbot.sweep import Case, MeasureSettings
from benchbot.transports import Transport

# The model runtime each tool executes.
RUNTIME_OF_TOOL = {"tflite_benchmark_model": "litert", "onnxruntime_perf_test": "onnxruntime",
                   "trtexec": "onnxruntime", "paddle_lite": "paddle_lite"}


def precision_applies(kind: str, backend: str, precision: str) -> bool:
    """Whether the tool itself can make the case's precision (else the file must be it)."""
    if precision == "fp32":
        return True
    return ((kind == "tflite_benchmark_model" and backend in ("gpu", "nnapi")
             and precision == "fp16")
            or kind == "trtexec"
            or (kind == "onnxruntime_perf_test" and backend == "tensorrt")
            or kind == "paddle_lite")


def tool_options(kind: str, case: Case) -> dict[str, Any]:
    """The case's backend and batch in the tool's own terms."""
    shapes = input_shapes(case.model)
    if kind == "tflite_benchmark_model":
        return {"delegate": case.backend, "input_shapes": shapes or None}
    if kind == "onnxruntime_perf_test":
        symbolic = next((s[0] for s in shapes.values() if s and isinstance(s[0], str)), None)
        return {"provider": case.backend, "batch_dim": symbolic}
    if kind == "trtexec":
        name, shape = next(iter(shapes.items()), (None, None))
        concrete = tuple(d if isinstance(d, int) and d > 0 else 1 for d in shape or ())
        return {"input_name": name, "input_shape": concrete or None}
    return {"backend": "opencl" if case.backend == "gpu" else "arm"}


class NativeToolRunner:
    """Measures cases with a native tool (benchmark_model, onnxruntime_perf_test, ...)."""

    def __init__(self, kind: str, transport: Transport, binary: Path | str,
                 cpu_masks: dict[int, str]) -> None:
        self.kind = kind
        self.transport = transport
        self.binary = binary  # a host file to push, or a name on the device's PATH
        self.cpu_masks = cpu_masks
        self._binary_path: str | None = None

    def _device_binary(self) -> str:
        if self._binary_path is None:
            if isinstance(self.binary, Path):
                path = self.transport.push(self.binary, timeout=300)
                chmod = self.transport.run(["chmod", "755", path], timeout=30)
                if not chmod.ok:
                    raise CaseError(f"cannot make {path} executable: {chmod.stderr_tail()}")
                self._binary_path = path
            else:
                self._binary_path = self.binary
        return self._binary_path

    def argv(self, case: Case, settings: MeasureSettings, model_path: str) -> list[str]:
        return ARGV_BUILDERS[self.kind](self._device_binary(), model_path, case.threads,
                                        case.batch, case.precision, settings,
                                        cpu_mask=self.cpu_masks.get(case.threads),
                                        **tool_options(self.kind, case))

    def run_case(self, case: Case, settings: MeasureSettings) -> CaseResult:
        started = utc_now()
        argv: list[str] = []
        try:
            if case.runtime != RUNTIME_OF_TOOL[self.kind]:
                raise CaseError(f"{self.kind} does not run {case.model.path.suffix} models; "
                                "use --runner agent or the tool for that format")
            if not precision_applies(self.kind, case.backend, case.precision):
                raise CaseError(f"{case.precision} on {case.backend} needs the model's "
                                f"{case.precision} file; {self.kind} measures it as stored")
            if case.variant_error is not None:
                raise CaseError(case.variant_error)
            argv = self.argv(case, settings, self.transport.push(model_to_push(case),
                                                                 timeout=300))
            result = self.transport.run(argv, timeout=settings.case_timeout_s)
            if result.timed_out:
                raise CaseError(f"{self.kind} ran past the case time limit "
                                f"({result.duration_s:.0f}s); raise --case-timeout")
            log = result.stdout + "\n" + result.stderr
            parsed = PARSERS[self.kind](log)
        except (CaseError, TransportError, ValueError) as exc:
            return case_result(case, runner=self.kind, started_at=started, ended_at=utc_now(),
                               error=str(exc), measurement={
                                   "argv": argv, "device_lost": isinstance(exc, DeviceLost)})
        measurement = {"argv": argv, "tool": parsed.to_dict(), "exit_code": result.returncode,
                       "log_tail": log[-4000:]}
        if parsed.status != "ok":
            return case_result(case, runner=self.kind, started_at=started, ended_at=utc_now(),
                               error=f"{self.kind}: " + failure_message(
                                   result.returncode, result.stdout, result.stderr, parsed.error),
                               measurement=measurement)
        figures = parsed.to_stats()
        stats = Summary.from_aggregates(
            n=int(figures.pop("n") or 0),
            mean_ms=figures.pop("mean_ms") or parsed.latency_ms, **figures)
        return case_result(case, runner=self.kind, started_at=started, ended_at=utc_now(),
                           aggregates=stats, measurement=measurement)
