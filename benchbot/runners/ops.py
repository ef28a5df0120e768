"""Op profiles and placement as typed values, from what a runner or tool reported (pure).

Every source (the agent's ORT profile, onnxruntime_perf_test's profile file,
benchmark_model's op tables, trtexec's exported profile) comes down to rows of
``(node, op_type, provider, ms per inference)``. :func:`op_profile` turns them into an
:class:`OpProfile` whose shares sum to 1 and whose total is the sum of its nodes;
:func:`placement_of` counts the nodes per provider and names those that ran
elsewhere than the accelerator asked for; :func:`judged` adds the
``partially_delegated`` and ``inaccurate`` validity codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from benchbot.store import Accuracy, OpProfile, OpTime, Placement, Validity

#: What each backend asks for, in the names the profiles use (ORT providers, TFLite
#: delegates, TensorRT); None: the default CPU path, which nothing falls back from.
REQUESTED = {"cuda": "CUDAExecutionProvider", "tensorrt": "TensorrtExecutionProvider",
             "gpu": "gpu", "nnapi": "nnapi", "xnnpack": "xnnpack"}


@dataclass(frozen=True)
class OpRow:
    """One node as a source reports it: ms per inference (already averaged over runs)."""

    node: str
    op_type: str
    provider: str
    ms: float


def op_profile(rows: Iterable[OpRow], runs: int, source: str) -> OpProfile:
    """The profile of ``rows``, slowest node first; ``total_ms`` is the sum of the nodes."""
    kept = sorted((r for r in rows if r.ms >= 0), key=lambda r: (-r.ms, r.node))
    total = sum(r.ms for r in kept)
    if not kept or total <= 0:
        return OpProfile(profiled_runs=runs, source=source,
                         reason="the profile holds no timed node")
    return OpProfile(ops=tuple(OpTime(node=r.node, op_type=r.op_type, provider=r.provider,
                                      ms=r.ms, share=r.ms / total) for r in kept),
                     total_ms=total, profiled_runs=runs, source=source)


def no_profile(reason: str, source: str) -> OpProfile:
    return OpProfile(source=source, reason=reason)


def provider_matches(provider: str, requested: str) -> bool:
    """Whether a node's provider is the one asked for: 'TfLiteNnapiDelegate' is nnapi,
    'TfLiteGpuDelegateV2' gpu, 'TfLiteXNNPackDelegate' xnnpack; ORT names match exactly."""
    p, r = provider.lower(), requested.lower()
    return p == r or (r in ("gpu", "nnapi", "xnnpack") and r in p)


def placement_of(providers: Mapping[str, str], backend: str) -> Placement | None:
    """Nodes per provider from ``node -> provider``; None when there is no node."""
    if not providers:
        return None
    counts: dict[str, int] = {}
    for provider in providers.values():
        counts[provider] = counts.get(provider, 0) + 1
    requested = REQUESTED.get(backend, "")
    fallback = tuple(n for n, p in providers.items()
                     if requested and not provider_matches(p, requested))
    return Placement(nodes_by_provider=dict(sorted(counts.items())), requested=requested,
                     fallback_nodes=fallback)


def placement_of_profile(profile: OpProfile, backend: str) -> Placement | None:
    return placement_of({o.node: o.provider for o in profile.ops}, backend)


def partially_delegated(placement: Placement | None) -> str | None:
    """The detail of a ``partially_delegated`` code, or None when every node ran where asked."""
    if placement is None or not placement.requested or not placement.fallback_nodes:
        return None
    ran = sum(n for p, n in placement.nodes_by_provider.items()
              if provider_matches(p, placement.requested))
    names = ", ".join(placement.fallback_nodes[:8])
    more = f" and {len(placement.fallback_nodes) - 8} more" if len(placement.fallback_nodes) > 8 \
        else ""
    return (f"{ran} of {placement.total} nodes ran on {placement.requested}; "
            f"fell back: {names}{more}")


def judged(validity: Validity, placement: Placement | None, accuracy: Accuracy | None,
           min_cosine: float) -> Validity:
    """``validity`` with the codes the placement and the accuracy call for."""
    detail = partially_delegated(placement)
    if detail is not None:
        validity = validity.with_code("partially_delegated", detail)
    worst = accuracy.worst_cosine if accuracy is not None else None
    if worst is not None and worst < min_cosine:
        validity = validity.with_code("inaccurate", f"worst cosine similarity {worst:.4f} "
                                                    f"against {accuracy.reference} is below "
                                                    f"--min-cosine {min_cosine:g}")
    return validity
