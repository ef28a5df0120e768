"""Results as values: one CaseResult per measured case, one RunRecord per run."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

from benchbot.stats import Summary

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class CaseResult:
    """One case as measured (or failed), with its raw samples and their summary."""

    id: str
    model: str
    model_sha256: str
    model_size_mb: float
    device: str
    runtime: str
    threads: int
    batch: int
    precision: str
    status: str  # "ok" or "failed"
    backend: str = "cpu"
    error: str | None = None
    samples_ms: tuple[float, ...] = ()
    stats: Summary | None = None
    stats_source: str = "samples"  # or "aggregates": a native tool's own figures, no samples
    warnings: tuple[str, ...] = ()
    runner: str = "agent"
    started_at: str = ""
    ended_at: str = ""
    measurement: Mapping[str, Any] = field(default_factory=dict)  # what the runner reported

    def __post_init__(self) -> None:
        if self.status not in ("ok", "failed"):
            raise ValueError(f"case status must be ok or failed, not {self.status!r}")
        if self.status == "ok" and self.stats is None:
            raise ValueError("a case that succeeded has statistics")

    def with_device_state(self, state: Mapping[str, Any], warnings: list[str]) -> CaseResult:
        """This result with what the device looked like around it (clocks, temperatures)."""
        return dataclasses.replace(self, measurement={**self.measurement, "device_state": state},
                                   warnings=(*self.warnings, *warnings))

    @property
    def model_name(self) -> str:
        name = self.model.replace("\\", "/").rsplit("/", 1)[-1]
        return name.rsplit(".", 1)[0] if "." in name else name

    def to_dict(self) -> dict[str, Any]:
        doc = dataclasses.asdict(self)
        doc["samples_ms"] = list(self.samples_ms)
        doc["warnings"] = list(self.warnings)
        doc["stats"] = self.stats.to_dict() if self.stats else None
        doc["measurement"] = dict(self.measurement)
        return doc

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> CaseResult:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in doc.items() if k in names}
        values["samples_ms"] = tuple(doc.get("samples_ms") or ())
        values["warnings"] = tuple(doc.get("warnings") or ())
        values["stats"] = Summary(**doc["stats"]) if doc.get("stats") else None
        return cls(**values)


@dataclass(frozen=True)
class RunRecord:
    """A whole run: where and how it ran, and every case finished so far."""

    run_id: str
    started_at: str
    command: tuple[str, ...]
    benchbot_version: str
    host: Mapping[str, Any]
    devices: Mapping[str, Any]
    settings: Mapping[str, Any]
    planned_cases: int
    status: str = "running"  # running | complete | interrupted
    plan: tuple[Mapping[str, Any], ...] = ()  # every planned case, so a run can be resumed
    ended_at: str | None = None
    cases: tuple[CaseResult, ...] = ()

    def with_case(self, case: CaseResult) -> RunRecord:
        """This record with ``case`` added, replacing an earlier attempt of the same case."""
        kept = tuple(c for c in self.cases if c.id != case.id)
        return dataclasses.replace(self, cases=(*kept, case))

    def finished(self, status: str, ended_at: str) -> RunRecord:
        return dataclasses.replace(self, status=status, ended_at=ended_at)

    @property
    def runtime_versions(self) -> dict[str, str]:
        return {c.runtime: str(c.measurement["runtime_version"]) for c in self.cases
                if c.measurement.get("runtime_version")}

    @property
    def failed(self) -> tuple[CaseResult, ...]:
        return tuple(c for c in self.cases if c.status == "failed")

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, "run_id": self.run_id,
                "status": self.status, "started_at": self.started_at,
                "ended_at": self.ended_at, "command": list(self.command),
                "benchbot_version": self.benchbot_version, "host": dict(self.host),
                "devices": dict(self.devices), "runtime_versions": self.runtime_versions,
                "settings": dict(self.settings), "planned_cases": self.planned_cases,
                "plan": [dict(p) for p in self.plan],
                "cases": [c.to_dict() for c in self.cases]}

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> RunRecord:
        return cls(run_id=doc["run_id"], started_at=doc["started_at"],
                   command=tuple(doc.get("command", ())),
                   benchbot_version=doc.get("benchbot_version", ""),
                   host=doc.get("host", {}), devices=doc.get("devices", {}),
                   settings=doc.get("settings", {}),
                   planned_cases=int(doc.get("planned_cases", 0)),
                   status=doc.get("status", "complete"), ended_at=doc.get("ended_at"),
                   plan=tuple(doc.get("plan") or ()),
                   cases=tuple(CaseResult.from_dict(c) for c in doc.get("cases", ())))
