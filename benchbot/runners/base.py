"""What every runner returns: a CaseResult built from a case and its measuring processes."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, Sequence

from benchbot.errors import (CaseError, CommandTimeout, DeviceLost, DeviceUnavailable,
                             TransportError, UserError)
from benchbot.stats import stability_warnings, summarize
from benchbot.runners.memory import with_tool_memory
from benchbot.runners.ops import judged
from benchbot.store import (CaseConfig, CaseResult, Failure, ModelRef, OpProfile, Placement,
                            ProcessRun, Sustained, Validity, VariantRef, Energy)
from benchbot.sweep import Case, MeasureSettings


class Runner(Protocol):
    """Measures one case on a device; a failure is a failed CaseResult, not an exception."""

    kind: str

    def run_case(self, case: Case, settings: MeasureSettings) -> CaseResult: ...


def model_ref(case: Case) -> ModelRef:
    """The case's model as recorded: the path as given, absolute, by content."""
    path = case.model.path
    return ModelRef(path=case.model.as_given, sha256=case.model.sha256,
                    size_bytes=case.model.size_bytes, abs_path=str(path.absolute()),
                    name=path.stem)


def config_of(case: Case) -> CaseConfig:
    return CaseConfig(model=model_ref(case), device=case.device, runtime=case.runtime,
                      threads=case.threads, batch=case.batch, precision=case.precision,
                      backend=case.backend, runner=case.runner, int8_mode=case.int8_mode)


def variant_ref(case: Case) -> VariantRef | None:
    v = case.variant
    if v is None or not v.derived:
        return None
    return VariantRef(path=str(v.path), sha256=v.sha256, size_bytes=v.size_bytes,
                      derivation=dict(v.derivation))


def failure_of(exc: BaseException) -> Failure:
    """The recorded failure of an error raised while measuring a case."""
    if isinstance(exc, CaseError):
        return Failure(exc.kind, str(exc), output=exc.output, exit_code=exc.exit_code)
    if isinstance(exc, DeviceLost):
        return Failure("device_lost", str(exc), output=exc.output)
    if isinstance(exc, CommandTimeout):
        return Failure("timeout", str(exc), output=exc.output)
    if isinstance(exc, TransportError):
        return Failure("device_unavailable", str(exc), output=exc.output)
    if isinstance(exc, DeviceUnavailable):
        return Failure("device_unavailable", str(exc))
    if isinstance(exc, UserError):
        return Failure("bad_input", str(exc))
    return Failure("runtime_error", f"{type(exc).__name__}: {exc}")


def case_result(case: Case, *, started_at: str, ended_at: str,
                runs: Sequence[ProcessRun] = (), failure: Failure | None = None,
                op_profile: OpProfile | None = None, placement: Placement | None = None,
                settings: MeasureSettings | None = None,
                sustained: Sustained | None = None, energy: Energy | None = None
                ) -> CaseResult:
    """The record of one case; statistics come from the processes' raw samples, or from
    the aggregates a native tool printed when it gives no samples. The op profile and
    placement (when taken) and the variant's accuracy (prepared on the host) ride along,
    with the validity codes they call for."""
    runs = tuple(with_tool_memory(r, case.runner) for r in runs)
    if failure is None and case.variant_error is not None:
        failure = Failure("bad_input", case.variant_error)
    samples = [x for r in runs for x in r.samples_ms]
    aggregates = next((r.aggregates for r in runs if r.aggregates is not None), None)
    if failure is None and not samples and aggregates is None:
        failure = Failure("runtime_error", "the runner returned no samples")
    stats = None
    if failure is None:
        stats = summarize(samples) if samples else aggregates
    return CaseResult(id=case.id, config=config_of(case),
                      status="ok" if failure is None else "failed", runs=runs, stats=stats,
                      stats_source="samples" if samples else "aggregates", failure=failure,
                      warnings=tuple(stability_warnings(stats)) if stats else (),
                      started_at=started_at, ended_at=ended_at, variant=variant_ref(case),
                      card=case.card,
                      op_profile=op_profile, placement=placement, accuracy=case.accuracy,
                      sustained=sustained, energy=energy,
                      validity=judged(Validity(), placement, case.accuracy,
                                      (settings or MeasureSettings()).min_cosine))


def model_to_push(case: Case) -> Path:
    """The file that is measured: the derived variant when there is one, else the model."""
    return case.variant.path if case.variant is not None else case.model.path


def files_to_push(case: Case) -> tuple[Path, ...]:
    """Every file that is measured, the main one first: the derived variant, else each
    file of the model (an OpenVINO IR's .xml and .bin)."""
    if case.variant is not None and case.variant.derived:
        return (case.variant.path,)
    return case.model.files


def cpus_of_mask(mask: str) -> list[int]:
    """CPU ids set in a hex mask: 'f0' -> [4, 5, 6, 7]."""
    value = int(mask, 16)
    return [bit for bit in range(value.bit_length()) if value >> bit & 1]
