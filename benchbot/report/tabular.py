"""One row per case, for spreadsheets and scripts: CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Mapping, Sequence

from benchbot.report.memory import memory_mb
from benchbot.store import RunRecord
from benchbot.store.entries import Entry

STAT_KEYS = ("n", "mean_ms", "median_ms", "p90_ms", "p99_ms", "std_ms", "min_ms", "max_ms",
             "mad_ms", "ci95_low_ms", "ci95_high_ms")
# a sustained case's figures (empty for the others)
SUSTAINED_KEYS = ("burst_median_ms", "sustained_median_ms", "sustained_over_burst",
                  "time_to_throttle_s", "clock_throttle_s")
# memory figures (MB, the largest any process reported; see report/memory.py for scopes)
MEMORY_KEYS = ("peak_rss_mb", "pss_mb", "private_dirty_mb", "load_delta_mb", "tool_peak_mb",
               "gpu_process_mb")
# energy per inference (run --sustained --energy)
ENERGY_KEYS = ("mj_per_inference", "ci95_low_mj", "ci95_high_mj", "idle_w", "load_w")
COLUMNS = ("run_id", "model", "model_path", "model_sha256", "device", "runtime", "backend",
           "runner", "threads", "batch", "precision", "int8_mode", "status", *STAT_KEYS,
           "processes", "failure_kind", "error", "valid", *MEMORY_KEYS, *SUSTAINED_KEYS, "sustained_stop",
           *(f"energy_{k}" for k in ENERGY_KEYS), "energy_source",
           "commit", "branch", "dirty", "meta")


def provenance_of(records: Sequence[RunRecord]) -> dict[str, dict[str, Any]]:
    """Run id -> the commit, branch, dirty flag and --meta labels recorded with it."""
    return {r.run_id: {"commit": r.git.commit if r.git else None,
                       "branch": r.git.branch if r.git else None,
                       "dirty": r.git.dirty if r.git else None, "meta": dict(r.meta)}
            for r in records}


def rows(entries: Sequence[Entry],
         provenance: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """One dict per case, in COLUMNS order; ``provenance`` (see provenance_of) fills the
    commit and meta columns."""
    provenance = provenance or {}
    none = {"commit": None, "branch": None, "dirty": None, "meta": {}}
    out = []
    for e in entries:
        c = e.case
        stats = c.stats.to_dict() if c.stats else {}
        s = c.sustained
        memory = memory_mb(c)
        out.append({"run_id": e.run_id, "model": c.model_name, "model_path": c.model,
                    "model_sha256": c.model_sha256, "device": c.device, "runtime": c.runtime,
                    "backend": c.backend, "runner": c.runner, "threads": c.threads,
                    "batch": c.batch, "precision": c.precision,
                    "int8_mode": c.config.int8_mode, "status": c.status,
                    **{k: stats.get(k) for k in STAT_KEYS}, "processes": len(c.runs),
                    "failure_kind": c.failure.kind if c.failure else None, "error": c.error,
                    "valid": c.valid,
                    **{k: memory.get(k[:-3]) for k in MEMORY_KEYS},
                    **{k: getattr(s, k) if s else None for k in SUSTAINED_KEYS},
                    "sustained_stop": s.stop_reason if s else None,
                    **{f"energy_{k}": getattr(c.energy, k) if c.energy else None
                       for k in ENERGY_KEYS},
                    "energy_source": c.energy.source if c.energy else None,
                    **provenance.get(e.run_id, none)})
    return out


def render_csv(entries: Sequence[Entry],
               provenance: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows(entries, provenance):
        writer.writerow({**row, "meta": ";".join(f"{k}={v}" for k, v in row["meta"].items())})
    return buf.getvalue()


def render_json(entries: Sequence[Entry],
                provenance: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    return json.dumps(rows(entries, provenance), indent=1, allow_nan=False) + "\n"
