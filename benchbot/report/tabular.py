"""One row per case, for spreadsheets and scripts: CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Sequence

from benchbot.store.entries import Entry

STAT_KEYS = ("n", "mean_ms", "median_ms", "p90_ms", "p99_ms", "std_ms", "min_ms", "max_ms",
             "mad_ms", "ci95_low_ms", "ci95_high_ms")
COLUMNS = ("run_id", "model", "model_path", "model_sha256", "device", "runtime", "backend",
           "runner", "threads", "batch", "precision", "int8_mode", "status", *STAT_KEYS,
           "processes", "failure_kind", "error")


def rows(entries: Sequence[Entry]) -> list[dict[str, Any]]:
    out = []
    for e in entries:
        c = e.case
        stats = c.stats.to_dict() if c.stats else {}
        out.append({"run_id": e.run_id, "model": c.model_name, "model_path": c.model,
                    "model_sha256": c.model_sha256, "device": c.device, "runtime": c.runtime,
                    "backend": c.backend, "runner": c.runner, "threads": c.threads,
                    "batch": c.batch, "precision": c.precision,
                    "int8_mode": c.config.int8_mode, "status": c.status,
                    **{k: stats.get(k) for k in STAT_KEYS}, "processes": len(c.runs),
                    "failure_kind": c.failure.kind if c.failure else None, "error": c.error})
    return out


def render_csv(entries: Sequence[Entry]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(entries))
    return buf.getvalue()


def render_json(entries: Sequence[Entry]) -> str:
    return json.dumps(rows(entries), indent=1, allow_nan=False) + "\n"
