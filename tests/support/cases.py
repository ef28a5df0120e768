"""Typed cases for tests, built from the flat v1-style fields that tests care about."""

from __future__ import annotations

from typing import Any, Sequence

from benchbot.runs.repeats import summary_of
from benchbot.stats import Summary, summarize
from benchbot.store import (CaseConfig, CaseResult, Failure, ModelCard, ModelRef, ProcessRun,
                            TensorInfo, VariantRef)


def make_case(*, id: str = "0123456789ab", model: str = "models/m.onnx",
              model_sha256: str = "ab" * 32, model_size_mb: float = 1.0,
              device: str = "local", runtime: str = "onnxruntime", threads: int = 1,
              batch: int = 1, precision: str = "fp32", status: str = "ok",
              backend: str = "cpu", runner: str = "agent", int8_mode: str | None = None,
              error: str | None = None, failure_kind: str = "runtime_error",
              samples_ms: Sequence[float] = (), runs: Sequence[Sequence[float]] | None = None,
              stats: Summary | None = None, stats_source: str | None = None,
              warnings: Sequence[str] = (), started_at: str = "", ended_at: str = "",
              runtime_version: str | None = None, inputs: Sequence[TensorInfo] = (),
              variant: VariantRef | None = None, card: ModelCard | None = None,
              extras: dict[str, Any] | None = None) -> CaseResult:
    """A CaseResult; ``runs`` gives the samples of several processes, ``samples_ms`` one's."""
    groups = [tuple(r) for r in runs] if runs is not None else [tuple(samples_ms)]
    all_samples = [x for g in groups for x in g]
    if stats is None and status == "ok" and all_samples:
        stats = summarize(all_samples) if len(groups) == 1 else \
            summary_of(tuple(ProcessRun(samples_ms=g) for g in groups))
    process_runs = tuple(ProcessRun(samples_ms=g, runtime_version=runtime_version,
                                    inputs=tuple(inputs), extras=dict(extras or {}),
                                    aggregates=stats if not all_samples else None)
                         for g in groups)
    config = CaseConfig(model=ModelRef(path=model, sha256=model_sha256,
                                       size_bytes=round(model_size_mb * 1e6)),
                        device=device, runtime=runtime, threads=threads, batch=batch,
                        precision=precision, backend=backend, runner=runner,
                        int8_mode=int8_mode)
    failure = Failure(failure_kind, error or "failed") if status == "failed" else None
    return CaseResult(id=id, config=config, status=status, runs=process_runs, stats=stats,
                      stats_source=stats_source or ("samples" if all_samples else "aggregates"),
                      failure=failure, warnings=tuple(warnings), started_at=started_at,
                      ended_at=ended_at, variant=variant, card=card)
