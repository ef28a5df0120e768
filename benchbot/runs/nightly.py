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
    [meta]                                  # labels recorded with the run (--meta)
    farm = "lab-2"
    [thresholds]
    default = "5%"
    models  = { mobilenet_v3_small = "8%" }
    devices = { sd625 = "10%" }
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

from benchbot.verdicts import (Comparison, CompareReport, CompareSettings, Kind, Side,
                              ThresholdPolicy, Verdict, compare)
from benchbot.devices import DeviceOptions
from benchbot.errors import ConfigError, UserError
from benchbot.profiles import Profile
from benchbot.report.comparison import COLUMNS, table_rows
from benchbot.report.environment import environment_rows
from benchbot.runs import session
from benchbot.runs.ab import run_ab
from benchbot.runs.baselines import resolve_side
from benchbot.runs.executor import Progress
from benchbot.runs.spread import device_spreads
from benchbot.verdicts.sides import side_of_run
from benchbot.store import CaseResult, RunRecord, write_atomic
from benchbot.store.modelfile import ModelFile, inspect_model
from benchbot.stats.paired import fewest_pairs
from benchbot.sweep import Case, MeasureSettings, Plan, SweepSpec
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
    """Case ids of the candidate's suspected regressions: slower, or uncertain with an
    estimated slowdown beyond the threshold (two nights cannot tell it from the device's
    drift between them; an A/B in one session can)."""
    return {c.candidate.case.id for c in report.comparisons if c.candidate is not None and (
        c.verdict.kind == Kind.SLOWER or c.verdict.kind == Kind.UNCERTAIN
        and c.change is not None and c.change > c.threshold)}


FIRST = (Kind.SLOWER, Kind.FAILED, Kind.UNCERTAIN, Kind.FASTER, Kind.ADDED)
FOLDED = (Kind.UNCHANGED, Kind.REMOVED)


def _ab_settings(settings: MeasureSettings, alpha: float) -> MeasureSettings:
    """The confirming A/B's settings: the night's, in the ab order at the night's alpha, and
    never fewer pairs than its test needs to reach that alpha (a fixed repeat is raised)."""
    repeat = settings.repeat
    if repeat is not None:
        repeat = max(repeat, fewest_pairs(alpha))
    return replace(settings, order="ab", alpha=alpha, repeat=repeat)


def first_heading(report: CompareReport) -> str:
    """The heading over the rows that need a look, naming the kinds they hold: 'Slower,
    uncertain' or 'Added', in FIRST's order."""
    kinds = [str(k) for k in FIRST if report.count(k)]
    text = ", ".join(kinds)
    return text[:1].upper() + text[1:]


def _md_table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    return ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS),
            *("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
              for row in rows)]


def swept_only(report: CompareReport, plan: Plan) -> CompareReport:
    """The report without 'removed' rows for configurations tonight's sweep does not
    measure: a baseline that swept more is not a loss of tonight's cases."""
    swept = {(c.model.name, c.device, c.threads, c.batch, c.precision, c.backend)
             for c in plan.cases}
    kept = tuple(c for c in report.comparisons if c.verdict.kind != Kind.REMOVED or (
        c.key.stem, c.key.device, c.key.threads, c.key.batch, c.key.precision,
        c.key.backend) in swept)
    return replace(report, comparisons=kept)


def summary_markdown(run_id: str, baseline: str, report: CompareReport,
                     rechecked: dict[str, str],
                     environment: Sequence[tuple[str, str]] = ()) -> str:
    """The verdict a person reads first: one headline, the counts once, the environment,
    the rows that need a look (slower, failed, uncertain, faster, added; the heading
    names those present), the rest folded away."""
    head = "regressions found" if report.slower else "no regression"
    lines = [f"## benchbot nightly: {head}", "",
             f"Run `{run_id}` against `{baseline}`: {report.summary_line()}.", ""]
    if environment:
        lines += ["<details open><summary>Environment</summary>", "", "| | |", "|---|---|",
                  *(f"| {k} | {v.replace('|', '/')} |" for k, v in environment), "",
                  "</details>", ""]
    rows = table_rows(report)
    first = [row for c, row in zip(report.comparisons, rows) if c.verdict.kind in FIRST]
    if first:
        lines += [f"### {first_heading(report)}", "", *_md_table(first), ""]
    for kind in FOLDED:
        mine = [row for c, row in zip(report.comparisons, rows) if c.verdict.kind == kind]
        if mine:
            lines += [f"<details><summary>{len(mine)} {kind}</summary>", "",
                      *_md_table(mine), "", "</details>", ""]
    if not report.comparisons:
        lines += ["No cases to compare.", ""]
    if rechecked:
        lines += ["Re-measured once before the verdict (first verdict → final): " +
                  ", ".join(f"{label}: slower → {final}" for label, final in rechecked.items()),
                  ""]
    return "\n".join(lines).rstrip() + "\n"


def baseline_file(case: CaseResult) -> ModelFile | None:
    """The model file the baseline measured, if it is still here unchanged (by sha256)."""
    for where in dict.fromkeys((case.config.model.abs_path, case.config.model.path)):
        path = Path(where)
        if not path.is_file():
            continue
        try:
            found = inspect_model(path)
        except UserError:
            continue
        if found.sha256 == case.model_sha256:
            return found
    return None


@dataclass(frozen=True)
class NightlyOutcome:
    """What a nightly run measured, how it compares, and where its verdict was written."""

    record: RunRecord
    report: CompareReport
    text: str
    summary_path: Path


@dataclass(frozen=True)
class Night:
    """What every step of a nightly run measures with."""

    cfg: NightlyConfig
    profiles: Sequence[Profile]
    plan: Plan
    device_options: DeviceOptions
    results: Path
    progress: Callable[[Plan], AbstractContextManager[Progress]]
    say: Callable[[str], None]

    def measure(self, plan: Plan, record: RunRecord | None = None) -> RunRecord:
        with self.progress(plan) as shown:
            return session.measure(plan, self.profiles, self.device_options, self.results,
                                   shown, self.say, record=record)


def run_nightly(cfg: NightlyConfig, profiles: Sequence[Profile], plan: Plan,
                device_options: DeviceOptions, results: Path,
                progress: Callable[[Plan], AbstractContextManager[Progress]],
                say: Callable[[str], None]) -> NightlyOutcome:
    """Measure the sweep, compare it with the baseline, re-measure suspects once, write the
    markdown verdict (to its file and to ``$GITHUB_STEP_SUMMARY`` when that is set)."""
    night = Night(cfg, profiles, plan, device_options, results, progress, say)
    if not cfg.baseline.startswith("rolling:"):
        resolve_side(cfg.baseline, results)  # a bad baseline fails before the night's measuring
    record = night.measure(plan)
    settings = CompareSettings(alpha=cfg.alpha, thresholds=cfg.thresholds,
                               spreads=device_spreads(results, {record.run_id}, record.started_at))
    baseline = _baseline(cfg.baseline, results, record)
    report = compare(baseline, side_of_run(record, "tonight"), settings)
    rechecked: dict[str, str] = {}
    suspect_ids = suspects(report) if cfg.confirm else set()
    pairs = _with_baseline_files(report, plan, suspect_ids)
    if pairs:  # the baseline's model file is still here: an interleaved A/B decides
        report = _confirm_by_ab(night, report, pairs, settings, rechecked)
        suspect_ids -= {case.id for case, _ in pairs}
    if suspect_ids:  # no baseline file to pit against: measure tonight's again
        record, report = _measure_again(night, record, baseline, suspect_ids, settings,
                                        rechecked)
    report = swept_only(report, plan)
    text = summary_markdown(record.run_id, baseline.label, report, rechecked,
                            environment_rows([record]))
    target = cfg.summary or results / f"nightly-{record.run_id}.md"
    _publish(text, target)
    return NightlyOutcome(record=record, report=report, text=text, summary_path=target)


def _baseline(spec: str, results: Path, record: RunRecord) -> Side:
    """The side tonight is compared with; a rolling baseline with no earlier runs is empty."""
    try:
        return resolve_side(spec, results, other=side_of_run(record))
    except UserError:
        if not spec.startswith("rolling:"):
            raise
        # the first nights: nothing to roll over yet, so tonight starts the history
        return Side(label=f"{spec} (no earlier runs yet)", entries=())


def _with_baseline_files(report: CompareReport, plan: Plan, suspect_ids: set[str]
                         ) -> list[tuple[Case, ModelFile]]:
    """Each suspected case whose baseline's model file is still here, with that file."""
    by_id = {c.id: c for c in plan.cases}
    return [] if not suspect_ids else [
        (by_id[c.candidate.case.id], found) for c in report.comparisons
        if c.candidate is not None and c.candidate.case.id in suspect_ids
        and c.baseline is not None and (found := baseline_file(c.baseline.case)) is not None]


def _confirm_by_ab(night: Night, report: CompareReport, pairs: list[tuple[Case, ModelFile]],
                   settings: CompareSettings, rechecked: dict[str, str]) -> CompareReport:
    """Each suspect measured interleaved against the baseline's model file: slower only
    when that A/B says so too (what it said goes into ``rechecked``)."""
    night.say(f"confirming {len(pairs)} suspected regression(s) with an interleaved A/B "
              "against the baseline's model file")
    plan = night.plan
    ab = Plan(cases=tuple(c for case, found in pairs
                          for c in (replace(case, model=found, side="A"),
                                    replace(case, side="B"))),
              settings=_ab_settings(plan.settings, night.cfg.alpha),
              meta={**plan.meta, "ab_baseline": "the baseline's model files",
                    "ab_candidate": "tonight's"})
    with night.progress(ab) as shown:
        outcome = run_ab(ab, night.profiles, night.device_options, night.results, shown,
                         night.say, settings)
    final = {c.candidate.case.id: c.verdict for c in outcome.report.comparisons
             if c.candidate is not None}
    by_b = {case.id: final.get(replace(case, side="B").id) for case, _ in pairs}
    rechecked.update({case.label: f"{by_b[case.id].kind if by_b[case.id] else '?'} "
                                  "(interleaved A/B)" for case, _ in pairs})

    def settled(c: Comparison) -> Comparison:
        if c.candidate is None or c.candidate.case.id not in by_b:
            return c
        ab_verdict = by_b[c.candidate.case.id]
        if ab_verdict is not None and ab_verdict.kind == Kind.SLOWER:
            return replace(c, verdict=Verdict(Kind.SLOWER, "confirmed by an interleaved "
                                                           f"A/B: {ab_verdict.reason}"))
        return replace(c, verdict=Verdict(Kind.UNCERTAIN, "slower-looking against the "
                                                          "baseline run, not in an "
                                                          "interleaved A/B of the two "
                                                          "model files"))

    return replace(report, comparisons=tuple(settled(c) for c in report.comparisons))


def _measure_again(night: Night, record: RunRecord, baseline: Side, suspect_ids: set[str],
                   settings: CompareSettings, rechecked: dict[str, str]
                   ) -> tuple[RunRecord, CompareReport]:
    """Tonight's suspects measured once more, into tonight's run, and compared again."""
    night.say(f"re-measuring {len(suspect_ids)} suspected regression(s) once")
    again = replace(night.plan, cases=tuple(c for c in night.plan.cases if c.id in suspect_ids))
    record = night.measure(again, replace(record, cases=tuple(
        c for c in record.cases if c.id not in suspect_ids)))
    report = compare(baseline, side_of_run(record, "tonight"), settings)
    final = {c.candidate.case.id: c.verdict.kind for c in report.comparisons
             if c.candidate is not None}
    rechecked.update({c.label: str(final.get(c.id, "?")) for c in again.cases})
    return record, report


def _publish(text: str, target: Path) -> None:
    """The verdict to its file, and appended to ``$GITHUB_STEP_SUMMARY`` when that is set."""
    write_atomic(target, text)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as f:
            f.write(text + "\n")
