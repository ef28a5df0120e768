"""A native benchmark tool as a runner: push it once, run it per case, parse what it prints.

The tool's own aggregates become the case's statistics (``stats_source``
"aggregates"); benchbot never invents samples it did not see.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from benchbot.errors import CaseError, ConfigError, TransportError
from benchbot.runners.base import case_result, failure_of, model_to_push
from benchbot.runners.native.applies import refusal
from benchbot.runners.native.echo import refused_flag_line
from benchbot.runners.native.failure import failure_message
from benchbot.runners.native.op_tables import ToolProfile
from benchbot.runners.native.result import NativeResult
from benchbot.runners.native.probe import Known, probe
from benchbot.runners.native.tools import OpProfiler, tool
from benchbot.runners.ops import (no_profile, op_profile, placement_of,
                                  placement_of_profile)
from benchbot.stats import Summary
from benchbot.store import CaseResult, Failure, OpProfile, Placement, ProcessRun, utc_now
from benchbot.sweep import Case, MeasureSettings
from benchbot.transports import Transport

#: runs of the separate profiled pass (its figures never become the case's latency)
PROFILE_RUNS = 20


def delegate_placement(parsed: NativeResult, backend: str) -> Placement | None:
    """benchmark_model's 'Replacing N out of M node(s) with delegate (D)' as a placement."""
    if parsed.delegated_nodes is None or parsed.graph_nodes is None or not parsed.delegate:
        return None
    rest = parsed.graph_nodes - parsed.delegated_nodes
    providers = {f"{parsed.delegate}#{i}": parsed.delegate for i in range(parsed.delegated_nodes)}
    providers.update({f"cpu#{i}": "cpu" for i in range(rest)})
    found = placement_of(providers, backend)
    if found is None:
        return None
    # the partition line counts nodes but does not name the ones left on the CPU
    return dataclasses.replace(found, fallback_nodes=tuple(
        f"{rest} node(s) the log does not name" for _ in range(1 if rest else 0)))


class NativeToolRunner:
    """Measures cases with a native tool (benchmark_model, onnxruntime_perf_test, ...)."""

    def __init__(self, kind: str, transport: Transport, binary: Path | str,
                 cpu_masks: dict[int, str]) -> None:
        self.kind = kind
        self.tool = tool(kind)
        self.dialect = self.tool.dialect()  # until the binary says which it speaks
        self.transport = transport
        self.binary = binary  # a host file to push, or a name on the device's PATH
        self.cpu_masks = cpu_masks
        self._binary_path: str | None = None
        self._known: Known | None = None
        self._unknown: str | None = None  # why the binary is no build benchbot knows

    def _device_binary(self) -> str:
        if self._binary_path is None:
            if isinstance(self.binary, Path):
                path = self.transport.push(self.binary, timeout=300)
                chmod = self.transport.run(["chmod", "755", path], timeout=30)
                if not chmod.ok:
                    raise CaseError(f"cannot make {path} executable: {chmod.stderr_tail()}")
                self._binary_path = path
            else:
                self._binary_path = self.binary
        return self._binary_path

    def _learn_dialect(self) -> None:
        """Ask the binary which dialect it speaks (once; a failure fails every case)."""
        if self._unknown is not None:
            raise CaseError(self._unknown, kind="tool_error")
        if self._known is None:
            try:
                self._known = probe(self.tool, self.transport, self._device_binary(),
                                    self.binary if isinstance(self.binary, Path) else None)
            except CaseError as exc:
                if exc.kind == "tool_error":
                    self._unknown = str(exc)
                raise
            self.dialect = self._known.dialect

    def argv(self, case: Case, settings: MeasureSettings, model_path: str) -> list[str]:
        return self.dialect.build_argv(self._device_binary(), model_path, case.threads,
                                       case.batch, case.precision, settings,
                                       cpu_mask=self.cpu_masks.get(case.threads),
                                       **self.tool.case_options(case))

    def run_case(self, case: Case, settings: MeasureSettings) -> CaseResult:
        started = utc_now()
        argv: list[str] = []
        try:
            if (reason := refusal(self.tool, case)) is not None:
                raise CaseError(reason, kind="bad_input")
            self._learn_dialect()
            if (reason := refusal(self.tool, case, self.dialect)) is not None:
                raise CaseError(reason, kind="bad_input")
            if case.variant_error is not None:
                raise CaseError(case.variant_error, kind="bad_input")
            argv = self.argv(case, settings, self.transport.push(model_to_push(case),
                                                                 timeout=300))
            result = self.transport.run(argv, timeout=settings.case_timeout_s)
            if result.timed_out:
                raise CaseError(f"{self.kind} ran past the case time limit "
                                f"({result.duration_s:.0f}s); raise --case-timeout",
                                kind="timeout")
            log = result.stdout + "\n" + result.stderr
            parsed = self.tool.parse(log)
        except (CaseError, TransportError, ValueError, ConfigError) as exc:
            if isinstance(exc, ConfigError):  # an argv the dialect cannot build
                failure = Failure("bad_input", f"{self.kind}: {exc}")
            elif isinstance(exc, ValueError):  # a parser that met figures it cannot read
                failure = Failure("tool_error", f"{self.kind}: {exc}")
            else:
                failure = failure_of(exc)
            return case_result(case, started_at=started, ended_at=utc_now(), failure=failure,
                               settings=settings)
        ended = utc_now()
        extras = {"argv": argv, "tool": parsed.to_dict(), "exit_code": result.returncode,
                  "dialect": self.dialect.name,
                  "binary_sha256": self._known.sha256 if self._known else None}
        refused = refused_flag_line(log)
        problems = [] if refused or self.dialect.verify is None else \
            self.dialect.verify(argv, log)
        if parsed.status == "ok" and (refused or problems):
            run = ProcessRun(started_at=started, ended_at=ended, extras=extras, log=log)
            why = (f"it did not take a flag benchbot gave it: {refused}" if refused
                   else "; ".join(problems))
            return case_result(case, started_at=started, ended_at=ended, runs=[run],
                               failure=Failure("tool_error",
                                               f"{self.kind} ({self.dialect.title}): {why}",
                                               output=log[-4000:],
                                               exit_code=result.returncode))
        if parsed.status != "ok":
            run = ProcessRun(started_at=started, ended_at=ended, extras=extras, log=log)
            message = failure_message(result.returncode, result.stdout, result.stderr,
                                      parsed.error)
            return case_result(case, started_at=started, ended_at=ended, runs=[run],
                               failure=Failure("tool_error", f"{self.kind}: {message}",
                                               output=log[-4000:],
                                               exit_code=result.returncode))
        figures = parsed.to_stats()
        stats = Summary.from_aggregates(
            n=int(figures.pop("n") or 0),
            mean_ms=figures.pop("mean_ms") or parsed.latency_ms, **figures)
        run = ProcessRun(aggregates=stats, started_at=started, ended_at=ended,
                         load_ms=parsed.init_ms, first_inference_ms=parsed.first_ms,
                         provider=parsed.delegate,
                         peak_rss_mb=parsed.peak_memory_mb,
                         extras=extras, log=log)
        profile: OpProfile | None = None
        placement = delegate_placement(parsed, case.backend)
        if settings.profile_ops:
            profile = self._profile_pass(case, settings, argv)
            if profile.ops and (placement is None or any(o.provider != "cpu"
                                                         for o in profile.ops)):
                placement = placement_of_profile(profile, case.backend) or placement
        return case_result(case, started_at=started, ended_at=ended, runs=[run],
                           op_profile=profile, placement=placement, settings=settings)

    def _profile_pass(self, case: Case, settings: MeasureSettings,
                      argv: list[str]) -> OpProfile:
        """The tool once more with its op profiler on, after the timed run; never fails
        the case: a profile that cannot be taken says why."""
        profiler = self.dialect.op_profiler
        if profiler is None:
            return no_profile(f"{self.kind} ({self.dialect.title}) has no op profiler "
                              "benchbot reads", self.kind)
        model = next((a.split("=", 1)[1] for a in argv
                      if a.startswith(("--graph=", "--onnx=", "--loadEngine="))), argv[-1])
        remote = f"{model.rsplit('/', 1)[0]}/{profiler.file or ''}"
        short = dataclasses.replace(settings, min_runs=min(settings.min_runs, PROFILE_RUNS),
                                    min_time_s=0.0)
        try:
            timed_argv = self.argv(case, short, model)
            result = self.transport.run(profiler.argv(timed_argv, remote),
                                        timeout=settings.case_timeout_s)
            if not result.ok:
                return no_profile(f"the profiled run of {self.kind} failed (exit "
                                  f"{result.returncode}): {result.stderr_tail()}", self.kind)
            found = self._read_profile(profiler, result.stdout + "\n" + result.stderr, remote)
        except (CaseError, TransportError, ValueError, OSError) as exc:
            return no_profile(f"the {self.kind} profile could not be read: {exc}", self.kind)
        if found is None or not found.rows:
            return no_profile(f"the profiled run of {self.kind} printed no op profile",
                              self.kind)
        return op_profile(found.rows, found.runs, self.kind)

    def _read_profile(self, profiler: OpProfiler, log: str, remote: str) -> ToolProfile | None:
        if profiler.file is None:
            return profiler.parse(log)
        if profiler.by_prefix:
            folder, prefix = remote.rsplit("/", 1)
            listing = self.transport.run(["ls", folder], timeout=30)
            names = sorted(n for n in listing.stdout.split() if n.startswith(prefix)
                           and n.endswith(".json"))
            if not names:
                return None
            remote = f"{folder}/{names[-1]}"
        with tempfile.TemporaryDirectory(prefix="benchbot-prof-") as tmp:
            local = self.transport.pull(remote, Path(tmp) / "profile.json", timeout=120)
            text = Path(local).read_text(encoding="utf-8")
        self.transport.run(["rm", "-f", remote], timeout=30)
        return profiler.parse(text)
