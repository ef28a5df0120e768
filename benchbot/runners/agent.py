"""benchbot's own measuring agent as a runner: one agent process per case."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchbot import agent as agent_module
from benchbot.errors import CaseError, DeviceLost, TransportError
from benchbot.runners.base import case_result, cpus_of_mask, model_to_push
from benchbot.store import CaseResult, utc_now
from benchbot.sweep import Case, MeasureSettings
from benchbot.transports import CommandResult, Transport

AGENT_FILE = Path(agent_module.__file__)


def parse_agent_output(result: CommandResult) -> dict[str, Any]:
    """The agent's JSON document; CaseError with the reason when there is none or it failed."""
    if result.timed_out:
        raise CaseError(f"the agent ran past the case time limit ({result.duration_s:.0f}s); "
                        "raise --case-timeout or lower --max-time")
    lines = [line for line in result.stdout.strip().splitlines() if line.startswith("{")]
    try:
        doc = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict):
        detail = result.stderr_tail() or "no output"
        raise CaseError(f"the agent exited with code {result.returncode} and no result: {detail}")
    if doc.get("status") != "ok":
        raise CaseError(str(doc.get("error") or "the agent reported a failure without a reason"))
    return doc


class AgentRunner:
    """Runs ``agent.py`` on the device with the case's options and reads its JSON."""

    kind = "agent"

    def __init__(self, transport: Transport, python: str, cpu_masks: dict[int, str]) -> None:
        self.transport = transport
        self.python = python
        self.cpu_masks = cpu_masks
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
        return argv

    def run_case(self, case: Case, settings: MeasureSettings) -> CaseResult:
        started = utc_now()
        try:
            if case.variant_error is not None:
                raise CaseError(case.variant_error)
            model_path = self.transport.push(model_to_push(case), timeout=300)
            argv = self.argv(case, settings, model_path)
            if case.variant is not None and case.variant.derived:
                argv.append("--prepared")  # the file already is the case's precision and batch
            result = self.transport.run(argv,
                                        timeout=settings.case_timeout_s)
            doc = parse_agent_output(result)
        except (CaseError, TransportError) as exc:
            return case_result(case, runner=self.kind, started_at=started, ended_at=utc_now(),
                               error=str(exc),
                               measurement={"device_lost": isinstance(exc, DeviceLost)})
        samples = doc.pop("samples_ms")
        doc.pop("status", None)
        doc.pop("error", None)
        return case_result(case, runner=self.kind, started_at=started, ended_at=utc_now(),
                           samples_ms=samples, measurement=doc)
