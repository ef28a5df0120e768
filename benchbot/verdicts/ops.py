"""Which op types' time changed most between two op profiles of one case (pure).

A regression verdict says that a case got slower; this says where: per op type, the
ms per inference on each side and the difference, largest change first.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchbot.store.findings import OpProfile


@dataclass(frozen=True)
class OpChange:
    """One op type's time per inference on both sides."""

    op_type: str
    baseline_ms: float
    candidate_ms: float

    @property
    def delta_ms(self) -> float:
        return self.candidate_ms - self.baseline_ms


def _by_type(profile: OpProfile) -> dict[str, float]:
    out: dict[str, float] = {}
    for o in profile.ops:
        out[o.op_type] = out.get(o.op_type, 0.0) + o.ms
    return out


def op_type_changes(baseline: OpProfile | None, candidate: OpProfile | None,
                    top: int = 3) -> tuple[OpChange, ...]:
    """The ``top`` op types whose time changed most (either way); () without two profiles."""
    if baseline is None or candidate is None or not baseline.ops or not candidate.ops:
        return ()
    base, cand = _by_type(baseline), _by_type(candidate)
    changes = [OpChange(t, base.get(t, 0.0), cand.get(t, 0.0)) for t in {*base, *cand}]
    changes.sort(key=lambda c: (-abs(c.delta_ms), c.op_type))
    return tuple(c for c in changes[:top] if c.delta_ms != 0.0)
