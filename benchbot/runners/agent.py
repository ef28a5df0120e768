"""benchbot's own measuring agent as a runner: one agent process per case."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from benchbot import agent as agent_module
from benchbot.errors import CaseError, TransportError
from benchbot.runners.base import case_result, cpus_of_mask, failure_of, files_to_push
from benchbot.runners.memory import agent_memory
from benchbot.runners.ops import OpRow, no_profile, op_profile, placement_of_profile
from benchbot.runners.energy import energy_of
from benchbot.runners.sustained import (Charging, SeriesFiles, StateSampler,
                                        agent_options, early_stop_warning, idle_baseline, loop_samples,
                                        remove_files, run_sampled, series_files,
                                        stop_reason_for, sustained_of)
from benchbot.store import (CaseResult, DeviceSample, Energy, OpProfile, Placement, ProcessRun,
                            TensorInfo, utc_now)
from benchbot.sweep import Case, MeasureSettings
from benchbot.transports import CommandResult, Transport

AGENT_FILE = Path(agent_module.__file__)

# what the agent's JSON document says about the process, field by field
_RUN_FIELDS = ("runtime_version", "provider", "threads_applied", "load_ms",
               "first_inference_ms", "peak_rss_mb", "stop_reason")


def process_run(doc: dict[str, Any], started_at: str, ended_at: str) -> ProcessRun:
    """One agent process as a typed value; what the agent reports beyond it stays extras."""
    known = {name: doc.get(name) for name in _RUN_FIELDS}
    affinity = doc.get("cpu_affinity")
    inputs = tuple(TensorInfo(name=str(i.get("name", "")), dtype=str(i.get("dtype", "")),
                              shape=tuple(i.get("shape") or ()))
                   for i in doc.get("inputs") or ())
    skip = {*_RUN_FIELDS, "cpu_affinity", "inputs", "samples_ms", "status", "error",
            "op_profile", "windows", "sustained", "memory"}
    return ProcessRun(samples_ms=tuple(float(x) for x in doc.get("samples_ms") or ()),
                      started_at=started_at, ended_at=ended_at,
                      cpu_affinity=tuple(affinity) if affinity is not None else None,
                      inputs=inputs, memory=agent_memory(doc),
                      extras={k: v for k, v in doc.items() if k not in skip},
                      **known)


def profile_of_doc(doc: dict[str, Any], backend: str
                   ) -> tuple[OpProfile | None, Placement | None]:
    """The op profile and placement the agent's profiled pass reported (None: not asked)."""
    found = doc.get("op_profile")
    if not isinstance(found, dict):
        return None, None
    source = str(found.get("source") or doc.get("runtime") or "")
    if found.get("reason") and not found.get("ops"):
        return no_profile(str(found["reason"]), source), None
    rows = [OpRow(node=str(o.get("node", "")), op_type=str(o.get("op_type", "")),
                  provider=str(o.get("provider", "")), ms=float(o.get("ms", 0.0)))
            for o in found.get("ops") or ()]
    profile = op_profile(rows, int(found.get("profiled_runs") or 0), source)
    return profile, placement_of_profile(profile, backend) if profile.ops else None


def parse_agent_output(result: CommandResult) -> dict[str, Any]:
    """The agent's JSON document; CaseError with the reason when there is none or it failed."""
    if result.timed_out:
        raise CaseError(f"the agent ran past the case time limit ({result.duration_s:.0f}s); "
                        "raise --case-timeout or lower --max-time", kind="timeout",
                        output=result.stderr[-4000:])
    lines = [line for line in result.stdout.strip().splitlines() if line.startswith("{")]
    try:
        doc = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict):
        detail = result.stderr_tail() or "no output"
        raise CaseError(f"the agent exited with code {result.returncode} and no result: {detail}",
                        output=result.stderr[-4000:], exit_code=result.returncode)
    if doc.get("status") != "ok":
        raise CaseError(str(doc.get("error") or "the agent reported a failure without a reason"),
                        kind="bad_input" if result.returncode == 2 else "runtime_error",
                        exit_code=result.returncode)
    return doc


class AgentRunner:
    """Runs ``agent.py`` on the device with the case's options and reads its JSON."""

    kind = "agent"

    def __init__(self, transport: Transport, python: str, cpu_masks: dict[int, str],
                 sampler: StateSampler | None = None, battery_floor: int = 0) -> None:
        self.transport = transport
        self.python = python
        self.cpu_masks = cpu_masks
        self.sampler = sampler  # reads the device's state beside a sustained series
        self.battery_floor = battery_floor  # percent; a sustained series stops under it
        # a phone told to stop charging for the energy of a case (profile adb.stop_charging)
        self.charging_control: Charging | None = None
        self._agent_path: str | None = None

    def argv(self, case: Case, settings: MeasureSettings, model_path: str) -> list[str]:
        if self._agent_path is None:
            self._agent_path = self.transport.push(AGENT_FILE, timeout=60)
        argv = [self.python, self._agent_path, "--model", model_path,
                "--runtime", case.runtime, "--backend", case.backend,
                "--precision", case.precision, "--threads", str(case.threads),
                "--batch", str(case.batch), "--warmup", str(settings.warmup),
                "--min-runs", str(settings.min_runs), "--max-runs", str(settings.max_runs), "--min-time", str(settings.min_time_s),
                "--max-time", str(settings.max_time_s)]
        mask = self.cpu_masks.get(case.threads)
        if mask:
            argv += ["--cpus", ",".join(map(str, cpus_of_mask(mask)))]
        if settings.profile_ops:
            argv.append("--profile-ops")
        return argv

    def run_case(self, case: Case, settings: MeasureSettings) -> CaseResult:
        started = utc_now()
        try:
            if case.variant_error is not None:
                raise CaseError(case.variant_error, kind="bad_input")
            files = [self.transport.push(f, timeout=300) for f in files_to_push(case)]
            argv = self.argv(case, settings, files[0])
            if len(files) > 1:  # pushed under another name: the agent is told where it is
                argv += ["--weights", files[1]]
            if case.variant is not None and case.variant.derived:
                argv.append("--prepared")  # the file already is the case's precision and batch
            sustained = energy = None
            if settings.sustained_s is not None:
                doc, sustained, energy = self._run_sustained(case, settings, argv)
            else:
                doc = parse_agent_output(self.transport.run(argv,
                                                            timeout=settings.case_timeout_s))
        except (CaseError, TransportError) as exc:
            return case_result(case, started_at=started, ended_at=utc_now(),
                               failure=failure_of(exc), settings=settings)
        ended = utc_now()
        run = process_run(doc, started, ended)
        profile, placement = profile_of_doc(doc, case.backend)
        if isinstance(doc.get("op_profile"), dict) and doc["op_profile"].get("run_ms"):
            # the profiled pass's own time per inference, to set beside the timed median
            run = dataclasses.replace(run, extras={**run.extras, "op_profile_run_ms":
                                                   doc["op_profile"]["run_ms"]})
        result = case_result(case, started_at=started, ended_at=ended, runs=[run],
                             op_profile=profile, placement=placement, settings=settings,
                             sustained=sustained, energy=energy)
        early = early_stop_warning(sustained)
        return result if early is None else dataclasses.replace(
            result, warnings=(*result.warnings, early))

    def _run_sustained(self, case: Case, settings: MeasureSettings, argv: list[str]
                       ) -> tuple[dict[str, Any], Any, Energy | None]:
        """The agent's long series, with the device sampled beside it by the host; with
        --energy, an idle baseline first and the power read with every sample."""
        assert self._agent_path is not None
        files: SeriesFiles = series_files(self.transport, self._agent_path, case.id)
        sampler, power = self.sampler, settings.energy and self.sampler is not None
        read = None if sampler is None else (
            lambda path, at: sampler.read(path, at, power=power))
        control = self.charging_control if power else None
        idle: list[DeviceSample] = []
        try:
            if control is not None:
                control.stop()
            if power and read is not None:
                idle = idle_baseline(read, min(max(settings.window_s / 2, 0.1), 1.0))
            result, samples = run_sampled(
                self.transport, [*argv, *agent_options(settings, files)],
                settings.case_timeout_s, read, files, settings.window_s,
                lambda s: stop_reason_for(s, settings.max_temp_c, self.battery_floor))
        finally:
            if control is not None:
                control.restore()
            remove_files(self.transport, files)
        doc = parse_agent_output(result)
        sustained = sustained_of(doc, samples, settings)
        energy = None
        if settings.energy:
            energy = energy_of(idle, loop_samples(samples, len(sustained.windows)),
                               sustained.elapsed_s, sustained.total_runs, case.backend,
                               sampler.power_note if sampler is not None else None)
        return doc, sustained, energy
