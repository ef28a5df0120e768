"""`benchbot ab`: did my change make it slower? Two models measured in one session on one
device, their processes alternating A B B A ..., then compared case by case.

Measuring both sides in the same session (as FAI-PEP runs treatment and control) removes
what separates two runs made minutes apart: the device's temperature, its clocks, the
other load on it. What remains is the model's difference and the noise between processes,
which the comparison across processes accounts for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

from benchbot.verdicts import CompareSettings
from benchbot.verdicts.verdict import CompareReport, compare_pairs
from benchbot.devices import DeviceOptions
from benchbot.profiles import Profile
from benchbot.runs import session
from benchbot.runs.executor import Progress
from benchbot.store import RunRecord
from benchbot.store.entries import Entry
from benchbot.sweep import Plan, SweepSpec


@dataclass(frozen=True)
class AbOutcome:
    record: RunRecord
    report: CompareReport


def ab_plan(baseline: str, candidate: str, spec: SweepSpec, profiles: Sequence[Profile],
            zoo_dir: Path, int8_mode: str = "static") -> Plan:
    """Both models in every configuration of ``spec``, as sides A and B (the same file twice
    is two cases), measured in the ``ab`` order."""
    plans = [session.plan_of(replace(spec, models=(model,)), profiles, zoo_dir, int8_mode)
             for model in (baseline, candidate)]
    a, b = ([replace(c, side=side) for c in p.cases] for side, p in zip("AB", plans))
    cases = tuple(c for pair in zip(a, b) for c in pair)
    settings = replace(plans[0].settings, order="ab")
    return Plan(cases=cases, settings=settings,
                meta={**plans[0].meta, "ab_baseline": baseline, "ab_candidate": candidate})


def _pairs(plan: Plan, record: RunRecord) -> list[tuple[Entry, Entry]]:
    by_id = {c.id: c for c in record.cases}
    pairs = []
    for a, b in zip(plan.cases[::2], plan.cases[1::2]):
        if a.id in by_id and b.id in by_id:
            pairs.append((Entry(record.run_id, by_id[a.id], record.label_of(a.device)),
                          Entry(record.run_id, by_id[b.id], record.label_of(b.device))))
    return pairs


def run_ab(plan: Plan, profiles: Sequence[Profile], options: DeviceOptions, results: Path,
           progress: Progress, say: Callable[[str], None],
           settings: CompareSettings) -> AbOutcome:
    """Measure the A/B plan in one session, then the candidate against the baseline."""
    record = session.measure(plan, profiles, options, results, progress, say)
    base, cand = plan.meta["ab_baseline"], plan.meta["ab_candidate"]
    report = compare_pairs(f"A: {base}", f"B: {cand}", _pairs(plan, record),
                           settings)
    return AbOutcome(record=record, report=report)
