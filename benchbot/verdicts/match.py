"""Which baseline case each candidate case is compared with (pure).

A configuration is every axis that changes the measurement (``CaseKey.axes``): device,
runtime, backend, runner, threads, batch, precision and int8 mode. Within one
configuration, cases pair up in three passes, each over what the previous
passes left:

1. same model bytes at the same path (sha256 and path equal);
2. same model bytes at another path (a renamed or moved file);
3. same path with other bytes (the model was re-exported: exactly what a model
   change wants compared; such pairs are flagged ``model_changed``).

Two different models that share a file name (``v1/net.onnx``, ``v2/net.onnx``)
are never paired. Whatever is left is ``removed`` (baseline only) or ``added``
(candidate only). An empty sha256 (a tool that did not hash the model) only
matches by path. Within one side, a configuration measured twice keeps its last
case. Rows are labelled as the reports label them (:mod:`benchbot.store.entries`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Hashable, Sequence

from benchbot.store import CaseResult
from benchbot.store.casekey import CaseKey
from benchbot.store.entries import Entry, labelled

__all__ = ["CaseKey", "Match", "match_entries"]


@dataclass(frozen=True)
class Match:
    """A baseline entry and a candidate entry of the same case; one may be missing."""

    key: CaseKey
    baseline: Entry | None
    candidate: Entry | None

    @property
    def model_changed(self) -> bool:
        """Both sides ran a model of this name, but not the same bytes."""
        if self.baseline is None or self.candidate is None:
            return False
        return self.baseline.case.model_sha256 != self.candidate.case.model_sha256


def _last_per_case(entries: Sequence[Entry]) -> list[Entry]:
    kept: dict[tuple[object, ...], Entry] = {}
    for entry in entries:
        c = entry.case
        ident = (c.model_sha256, c.model, *CaseKey.of(c).axes)
        kept.pop(ident, None)
        kept[ident] = entry
    return list(kept.values())


def _pair(base: list[Entry], cand: list[Entry], ident: Callable[[CaseResult], Hashable | None],
          out: list[Match]) -> tuple[list[Entry], list[Entry]]:
    """Pair entries with equal ident; returns what is left on each side, in order."""
    waiting: dict[Hashable, list[Entry]] = {}
    for entry in base:
        key = ident(entry.case)
        if key is not None:
            waiting.setdefault(key, []).append(entry)
    paired: set[int] = set()
    left_cand: list[Entry] = []
    for entry in cand:
        key = ident(entry.case)
        queue = waiting.get(key) if key is not None else None
        if queue:
            partner = queue.pop(0)
            paired.add(id(partner))
            out.append(Match(CaseKey.of(entry.case), partner, entry))
        else:
            left_cand.append(entry)
    return [e for e in base if id(e) not in paired], left_cand


def match_entries(baseline: Sequence[Entry], candidate: Sequence[Entry]) -> list[Match]:
    """Pair cases of the two sides (see the module docstring for the rule)."""
    both = labelled([*_last_per_case(baseline), *_last_per_case(candidate)])
    n_base = len(_last_per_case(baseline))
    base, cand = both[:n_base], both[n_base:]
    matches: list[Match] = []
    passes: list[Callable[[CaseResult], Hashable | None]] = [
        lambda c: (c.model_sha256, c.model, *CaseKey.of(c).axes) if c.model_sha256 else None,
        lambda c: (c.model_sha256, *CaseKey.of(c).axes) if c.model_sha256 else None,
        lambda c: (c.model, *CaseKey.of(c).axes),
    ]
    for ident in passes:
        base, cand = _pair(base, cand, ident, matches)
    matches += [Match(CaseKey.of(e.case), e, None) for e in base]
    matches += [Match(CaseKey.of(e.case), None, e) for e in cand]
    return matches
