"""Schema 1 cases, migrated to the records of today (part of :mod:`benchbot.store.codec`,
which calls it for a document whose ``schema_version`` is 1).

Schema 1 kept one measuring process per case and what its runner reported in one
``measurement`` mapping: the model card, the variant, the farm placement, whether the
device was lost and the attempts sat there beside the process's own figures.
"""

from __future__ import annotations

from benchbot.store.codec import _case, _farm, _tensor, _variant
from benchbot.store.codec_values import card_of_doc
from benchbot.store.jsonread import At, listed, number, optional, text, whole
from benchbot.store.records import CaseResult, Failure, ProcessRun

_V1_RUN_FIELDS = {"runtime_version": optional(text), "provider": optional(text),
                  "threads_applied": optional(whole), "cpu_affinity": optional(listed(whole)),
                  "load_ms": optional(number), "first_inference_ms": optional(number),
                  "peak_rss_mb": optional(number), "stop_reason": optional(text),
                  "inputs": listed(_tensor)}
_V1_CASE_KEYS = {"device_lost", "attempts", "model_card", "variant", "farm", "device_state"}


def case_of_v1(at: At) -> CaseResult:
    """A schema 1 case as a CaseResult with one process."""
    m = at.sub("measurement")
    measurement = m.doc if m is not None else {}
    values = {name: check(measurement[name], f"{m.where}.{name}")  # type: ignore[union-attr]
              for name, check in _V1_RUN_FIELDS.items() if measurement.get(name) is not None}
    extras = {k: v for k, v in measurement.items()
              if k not in _V1_RUN_FIELDS and k not in _V1_CASE_KEYS}
    samples = at.get("samples_ms", listed(number), ())
    run = ProcessRun(samples_ms=samples, started_at=at.get("started_at", text, ""),
                     ended_at=at.get("ended_at", text, ""),
                     device_state=measurement.get("device_state"), extras=extras, **values)
    failure = None
    if at.get("status", text) == "failed":
        kind = "device_lost" if measurement.get("device_lost") else "runtime_error"
        failure = Failure(kind, at.get("error", optional(text), None) or "failed")
    where = m.where if m is not None else at.where
    farm = _farm(measurement["farm"], f"{where}.farm") if measurement.get("farm") else None
    variant = (_variant(measurement["variant"], f"{where}.variant", 1)
               if measurement.get("variant") else None)
    card = (card_of_doc(measurement["model_card"], f"{where}.model_card", 1)
            if measurement.get("model_card") else None)
    return _case(at, (run,), failure, attempts=int(measurement.get("attempts") or 1),
                 card=card, farm=farm, variant=variant, version=1)
