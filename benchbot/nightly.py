"""Nightly regression runs: what to measure, what to compare with, how to report.

    devices = ["sd855", "kirin980"]          # the sweep, as in a sweep file
    models  = ["zoo:mobilenet_v3_small"]
    threads = [1, 4]

    [nightly]
    baseline = "rolling:5"                  # a run id, baseline:NAME, latest or rolling:N
    alpha    = 0.01
    confirm  = true                         # re-measure suspected regressions once
    summary  = "nightly.md"                 # markdown verdict (also appended to
                                            # $GITHUB_STEP_SUMMARY when that is set)
    [thresholds]
    default = "5%"
    models  = { mobilenet_v3_small = "8%" }
    devices = { sd625 = "10%" }
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchbot.compare import CompareReport, Kind, ThresholdPolicy
from benchbot.errors import ConfigError
from benchbot.sweep import SweepSpec
from benchbot.sweep.config import read_toml, spec_from_mapping

_NIGHTLY_KEYS = {"baseline": str, "alpha": float, "confirm": bool, "summary": str}


@dataclass(frozen=True)
class NightlyConfig:
    spec: SweepSpec
    thresholds: ThresholdPolicy
    baseline: str = "rolling:5"
    alpha: float = 0.01
    confirm: bool = True
    summary: Path | None = None


def _nightly_table(path: Path, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: 'nightly' must be a table ([nightly])")
    for key, value in raw.items():
        kind = _NIGHTLY_KEYS.get(key)
        if kind is None:
            raise ConfigError(f"{path}: unknown key 'nightly.{key}' "
                              f"(known: {', '.join(sorted(_NIGHTLY_KEYS))})")
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) \
            if kind is float else isinstance(value, kind)
        if not ok:
            raise ConfigError(f"{path}: 'nightly.{key}' must be a {kind.__name__}, got {value!r}")
    return raw


def load_nightly(path: Path) -> NightlyConfig:
    """Read and validate a nightly file; problems are ConfigErrors naming file and key."""
    data = read_toml(path, "nightly file")
    nightly = _nightly_table(path, data.pop("nightly", {}))
    try:
        thresholds = ThresholdPolicy.from_mapping(data.pop("thresholds", {}))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    summary = nightly.get("summary")
    return NightlyConfig(spec=spec_from_mapping(data, path), thresholds=thresholds,
                         baseline=nightly.get("baseline", "rolling:5"),
                         alpha=float(nightly.get("alpha", 0.01)),
                         confirm=nightly.get("confirm", True),
                         summary=(path.parent / summary) if summary else None)


def suspects(report: CompareReport) -> set[str]:
    """Case ids of the candidate's suspected regressions."""
    return {c.candidate.case.id for c in report.comparisons
            if c.verdict.kind == Kind.SLOWER and c.candidate is not None}


def summary_markdown(run_id: str, baseline: str, report: CompareReport, table: str,
                     rechecked: dict[str, str]) -> str:
    """The verdict a person reads first: headline, the table, what was re-measured."""
    head = "regressions found" if report.slower else "no regression"
    lines = [f"## benchbot nightly: {head}", "",
             f"Run `{run_id}` against `{baseline}`: {report.summary_line()}.", "", table.rstrip()]
    if rechecked:
        lines += ["", "Re-measured once before the verdict (first verdict → final): " +
                  ", ".join(f"{label}: slower → {final}" for label, final in rechecked.items())]
    return "\n".join(lines) + "\n"
