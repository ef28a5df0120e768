"""What benchbot concludes about a case beyond its latency, as typed values with their JSON:

    Validity    is the case's figure trustworthy? codes, each with the advice that fixes it
    OpProfile   where the time goes: per node, op type, provider; ms per inference, share
    Placement   how many nodes ran on each provider or delegate, and which fell back
    Accuracy    how far a variant's outputs (fp16, int8, another backend) are from fp32

Each is optional on a case (None: not looked at); a reason says why one could not be made.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

from benchbot.store.jsonread import (At, listed, mapping, number, optional, text, whole)

# validity codes and the advice each carries when it is raised
VALIDITY_ADVICE: Mapping[str, str] = {
    "few_runs": "raise --min-runs or --min-time",
    "few_processes": "raise --repeat (or let the adaptive default run at least 3)",
    "wide_ci": "raise --max-repeat (more processes) or --min-time, or quiet the device",
    "unstable_between_processes": "the device drifts between processes: cool it down, pin "
                                  "its cores, close other programs",
    "max_time_hit": "raise --max-time: the case stopped before its minimum runs",
    "throttled": "let the device cool down ([thermal] cooldown_s) and measure again",
    "thermal_gate_timeout": "the device never cooled under [thermal] max_temp_c: raise "
                            "cooldown_s or max_temp_c",
    "partially_delegated": "some nodes fell back from the accelerator: see the placement",
    "inaccurate": "the variant's outputs are far from fp32: check the conversion",
}


# what each code means, for a grid's one footnote per code
VALIDITY_MEANING: Mapping[str, str] = {
    "few_runs": "a process timed fewer runs than --min-runs",
    "few_processes": "fewer than 3 measuring processes: the spread between processes is "
                     "unknown",
    "wide_ci": "this run's part of the 95% CI is wider than --valid-ci",
    "unstable_between_processes": "the processes' medians spread by more than 5%",
    "max_time_hit": "a process stopped at --max-time before --min-runs",
    "throttled": "the pinned cores' clocks were capped during a process",
    "thermal_gate_timeout": "the device never cooled below its profile's limit",
    "partially_delegated": "some nodes fell back from the accelerator",
    "inaccurate": "the variant's outputs are far from fp32's",
}


@dataclass(frozen=True)
class ValidityCode:
    """Why a case is not valid, and what to do about it."""

    code: str
    detail: str = ""
    hint: str = ""  # this case's advice, where it is more precise than the code's usual one

    @property
    def advice(self) -> str:
        return self.hint or VALIDITY_ADVICE.get(self.code, "")


@dataclass(frozen=True)
class Validity:
    """Whether a case's figure can be trusted; ``codes`` says why not."""

    codes: tuple[ValidityCode, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.codes

    def with_code(self, code: str, detail: str = "", hint: str = "") -> Validity:
        if any(c.code == code for c in self.codes):
            return self
        return Validity((*self.codes, ValidityCode(code, detail, hint)))


@dataclass(frozen=True)
class OpTime:
    """One node (or op type) of an op profile: ms per inference and share of the total."""

    node: str
    op_type: str
    provider: str
    ms: float
    share: float


@dataclass(frozen=True)
class OpProfile:
    """Where the time of one inference goes, from a separate profiled pass."""

    ops: tuple[OpTime, ...] = ()
    total_ms: float | None = None  # profiled time per inference
    profiled_runs: int = 0
    source: str = ""  # onnxruntime, tflite_benchmark_model, trtexec, ...
    reason: str | None = None  # why there is no profile (then ops is empty)


@dataclass(frozen=True)
class Placement:
    """Nodes per provider or delegate, and the nodes that fell back from the one asked for."""

    nodes_by_provider: Mapping[str, int]
    requested: str = ""
    fallback_nodes: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return sum(self.nodes_by_provider.values())


@dataclass(frozen=True)
class OutputError:
    """How one output of a variant differs from the reference's on the same inputs."""

    name: str
    max_abs_err: float
    mean_abs_err: float
    cosine: float
    top1_agreement: float | None = None  # outputs shaped batch x classes only


@dataclass(frozen=True)
class Accuracy:
    """A variant's outputs against the reference (fp32) model's, on the same seeded inputs."""

    reference: str = "fp32"
    outputs: tuple[OutputError, ...] = ()
    reason: str | None = None  # why it could not be checked

    @property
    def worst_cosine(self) -> float | None:
        return min((o.cosine for o in self.outputs), default=None)


# ---------------------------------------------------------------- JSON

def validity_doc(v: Validity) -> dict[str, Any]:
    return {"valid": v.valid, "codes": [{"code": c.code, "detail": c.detail,
                                         "advice": c.advice} for c in v.codes]}


def validity_of_doc(doc: Any, where: str) -> Validity:
    at = At(doc, where)
    codes = at.get("codes", listed(lambda v, w: At(v, w)), ())
    found = []
    for c in codes:
        code, advice = c.get("code", text), c.get("advice", text, "")
        found.append(ValidityCode(code, c.get("detail", text, ""),
                                  advice if advice != VALIDITY_ADVICE.get(code, "") else ""))
    return Validity(tuple(found))


def op_profile_doc(p: OpProfile) -> dict[str, Any]:
    return {"ops": [asdict(o) for o in p.ops], "total_ms": p.total_ms,
            "profiled_runs": p.profiled_runs, "source": p.source, "reason": p.reason}


def op_profile_of_doc(doc: Any, where: str) -> OpProfile:
    at = At(doc, where)

    def op(v: Any, w: str) -> OpTime:
        o = At(v, w)
        return OpTime(node=o.get("node", text), op_type=o.get("op_type", text),
                      provider=o.get("provider", text, ""), ms=o.get("ms", number),
                      share=o.get("share", number))

    return OpProfile(ops=at.get("ops", listed(op), ()),
                     total_ms=at.get("total_ms", optional(number), None),
                     profiled_runs=at.get("profiled_runs", whole, 0),
                     source=at.get("source", text, ""),
                     reason=at.get("reason", optional(text), None))


def placement_doc(p: Placement) -> dict[str, Any]:
    return {"nodes_by_provider": dict(p.nodes_by_provider), "requested": p.requested,
            "fallback_nodes": list(p.fallback_nodes)}


def placement_of_doc(doc: Any, where: str) -> Placement:
    at = At(doc, where)
    counts = at.get("nodes_by_provider", mapping)
    return Placement(nodes_by_provider={k: whole(v, f"{where}.nodes_by_provider.{k}")
                                        for k, v in counts.items()},
                     requested=at.get("requested", text, ""),
                     fallback_nodes=at.get("fallback_nodes", listed(text), ()))


def accuracy_doc(a: Accuracy) -> dict[str, Any]:
    return {"reference": a.reference, "outputs": [asdict(o) for o in a.outputs],
            "reason": a.reason}


def accuracy_of_doc(doc: Any, where: str) -> Accuracy:
    at = At(doc, where)

    def output(v: Any, w: str) -> OutputError:
        o = At(v, w)
        return OutputError(name=o.get("name", text), max_abs_err=o.get("max_abs_err", number),
                           mean_abs_err=o.get("mean_abs_err", number),
                           cosine=o.get("cosine", number),
                           top1_agreement=o.get("top1_agreement", optional(number), None))

    return Accuracy(reference=at.get("reference", text, "fp32"),
                    outputs=at.get("outputs", listed(output), ()),
                    reason=at.get("reason", optional(text), None))
