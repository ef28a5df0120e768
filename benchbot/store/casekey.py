"""A case's identity across runs, defined once (pure).

:class:`CaseKey` is what reports, comparisons, histories, the results index and the
published site call "the same case": the model (its file as given, ``path``, and the
name it is shown under, ``model``) and every axis that changes the measurement.

- ``key.configuration``: the model file and the axes, not the name shown: the latest
  entry of a configuration (report), a site series (its id hashes this tuple);
- ``key.axes``: the axes alone: where comparisons pair a model with another file of the
  same content, or with the same path re-exported.

A case's *id* (``Case.id``, the plan's and the journal's) is another thing: a hash of
the model's content and the axes, stable within and across runs of one results folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from benchbot.store.records import stem_of

if TYPE_CHECKING:
    from benchbot.store.records import CaseConfig, CaseResult

# the order of ``CaseKey.configuration`` (and of the results index's configuration columns)
CONFIGURATION = ("model_path", "device", "runtime", "backend", "runner", "threads", "batch",
                 "precision", "int8_mode")


@dataclass(frozen=True, order=True)
class CaseKey:
    """A model (by the name shown, and its file as given) in one configuration."""

    model: str
    device: str
    runtime: str
    threads: int
    batch: int
    precision: str
    backend: str = "cpu"
    runner: str = "agent"
    int8_mode: str = ""  # "" where none applies
    path: str = ""  # the model file as given: the identity behind the name

    @classmethod
    def of(cls, case: CaseResult) -> CaseKey:
        """The key of a recorded case (its model under the name it carries now)."""
        return cls.of_config(case.config)

    @classmethod
    def of_config(cls, c: CaseConfig) -> CaseKey:
        return cls(c.model.name, c.device, c.runtime, c.threads, c.batch, c.precision,
                   c.backend, c.runner, c.int8_mode or "", c.model.path)

    @classmethod
    def of_row(cls, row: Any) -> CaseKey:
        """The key of a results index row (:class:`benchbot.store.index.Row`)."""
        return cls(row.model_name, row.device, row.runtime, row.threads, row.batch,
                   row.precision, row.backend, row.runner, row.int8_mode or "", row.model_path)

    @property
    def axes(self) -> tuple[object, ...]:
        """Every axis of the measurement, without the model."""
        return (self.device, self.runtime, self.backend, self.runner, self.threads,
                self.batch, self.precision, self.int8_mode or None)

    @property
    def configuration(self) -> tuple[object, ...]:
        """The model file and every axis (:data:`CONFIGURATION` order), not the name."""
        return (self.path, *self.axes)

    @property
    def stem(self) -> str:
        """The model's file stem, which per-model thresholds name."""
        return stem_of(self.path) if self.path else self.model

    @property
    def config(self) -> str:
        """'onnxruntime, cuda, 4 threads, batch 1, int8 (static)': the axes, for people."""
        threads = "1 thread" if self.threads == 1 else f"{self.threads} threads"
        parts = [self.runtime]
        if self.backend != "cpu":
            parts.append(self.backend)
        if self.runner != "agent":
            parts.append(self.runner)
        parts += [threads, f"batch {self.batch}",
                  f"{self.precision} ({self.int8_mode})" if self.int8_mode else self.precision]
        return ", ".join(parts)
