"""Which measured cases a report shows: the latest of each configuration, filtered, with
the models labelled so that two different models never share a row (pure).

A configuration is the model file (its path as given) and every axis that changes the
measurement (``CaseKey.configuration``); the latest run's case of it is shown. Rows are
labelled by the model's stem (``net``); when model files share a stem, by their suffix
where they differ in it (``net.onnx``, ``net.tflite``: the format, so the runtime), and
by as many parent folders as needed (``v1/net``, ``v2/net``), and by a short hash of the
content when their folders agree too (``net@1a2b3c4``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Iterable, Sequence

from benchbot.errors import printable
from benchbot.store.casekey import CaseKey
from benchbot.store.records import CaseResult, RunRecord, stem_of

METRICS = {"median": "median_ms", "mean": "mean_ms", "p90": "p90_ms"}


@dataclass(frozen=True)
class Entry:
    """A case and the run it comes from."""

    run_id: str
    case: CaseResult
    device_label: str = ""  # the device profile's label, for column titles

    @property
    def device_title(self) -> str:
        return self.device_label or self.case.device


@dataclass(frozen=True)
class Filters:
    """Restrict a report to some configurations; None keeps all."""

    threads: int | None = None
    batch: int | None = None
    precision: str | None = None
    device: str | None = None

    def keep(self, case: CaseResult) -> bool:
        return all(want is None or want == have for want, have in
                   ((self.threads, case.threads), (self.batch, case.batch),
                    (self.precision, case.precision), (self.device, case.device)))


def _folders(path: str) -> list[str]:
    return [p for p in path.replace("\\", "/").split("/")[:-1] if p not in ("", ".")]


def _suffix(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name[len(stem_of(path)):]


def model_labels(cases: Iterable[CaseResult]) -> dict[str, str]:
    """Model path -> its label among ``cases`` (see the module docstring)."""
    shas: dict[str, str] = {}
    for c in cases:
        shas.setdefault(c.model, c.model_sha256)
    by_stem: dict[str, list[str]] = {}
    for path in shas:
        by_stem.setdefault(stem_of(path), []).append(path)
    labels: dict[str, str] = {}
    for stem, group in by_stem.items():
        if len(group) == 1:
            labels[group[0]] = stem
            continue
        # the suffix (the format, so the runtime) where the group has several: 'net.tflite'
        end = {path: _suffix(path) if len({_suffix(p) for p in group}) > 1 else ""
               for path in group}
        depth = max(len(_folders(path)) for path in group)
        for k in range(0, depth + 1):
            named = {path: "/".join([*_folders(path)[len(_folders(path)) - k:], stem]) + end[path]
                     for path in group}
            if len(set(named.values())) == len(group):
                labels.update(named)
                break
        else:  # the folders agree too ('net.onnx', './net.onnx'): tell them apart by content
            for path in group:
                base = "/".join([*_folders(path), stem]) + end[path]
                labels[path] = f"{base}@{shas[path][:7]}" if shas[path] else path
    return {path: printable(label) for path, label in labels.items()}


def labelled(entries: Sequence[Entry]) -> list[Entry]:
    """The entries with each case's model named by its label among them."""
    labels = model_labels(e.case for e in entries)
    return [dataclasses.replace(e, case=e.case.with_model_name(
        labels[e.case.model])) for e in entries]


def planned_order(record: RunRecord) -> tuple[CaseResult, ...]:
    """The run's cases in the order of its plan (models as given), not the order they
    finished in: on a farm, or with several devices, cases end in any order."""
    where = {p.id: i for i, p in enumerate(record.plan)}
    return tuple(sorted(record.cases, key=lambda c: where.get(c.id, len(where))))


def entries_of(record: RunRecord) -> tuple[Entry, ...]:
    """Every case of a run as an Entry (in plan order), labelled with its device's label."""
    return tuple(Entry(record.run_id, case, record.label_of(case.device))
                 for case in planned_order(record))


def latest_entries(records: Sequence[RunRecord], filters: Filters = Filters()) -> list[Entry]:
    """One entry per configuration: the one from the most recently started run, labelled."""
    chosen: dict[tuple[object, ...], Entry] = {}
    for record in sorted((r for r in records if not r.is_ab), key=lambda r: r.started_at):
        for entry in entries_of(record):
            if filters.keep(entry.case):
                key = CaseKey.of(entry.case).configuration
                chosen.pop(key, None)  # re-insert so the order follows the latest run
                chosen[key] = entry
    return labelled(list(chosen.values()))


def metric_value(case: CaseResult, metric: str) -> float | None:
    """The case's value of a metric, None when it has none (failed)."""
    value = getattr(case.stats, METRICS[metric]) if case.stats is not None else None
    return None if value is None else float(value)
