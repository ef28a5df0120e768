"""Sustained mode on the host side: the agent runs its long series while the host samples
the device beside it, stops it at the battery floor or the temperature ceiling, and joins
the samples to the agent's windows.

    agent (device)                       host (this module)
    warm-up, then windows ----------->   every window_s: one shell command through the
    each closed window: a line in        transport reads the series file's line count
    the series file                      (the load so far), clocks, temperatures, battery
    stop file appears -> stop early <--  writes the stop file when a limit is crossed

The agent never reads the device's state itself, and the sampling reads only small
sysfs files and ``dumpsys battery``.
"""

from __future__ import annotations

import posixpath
import secrets
import shlex
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Protocol, Sequence

from benchbot.errors import TransportError
from benchbot.stats.sustained import WindowTime, sustained_figures, time_to_step
from benchbot.store import DeviceSample, SeriesPoint, Sustained
from benchbot.sweep import MeasureSettings
from benchbot.transports import CommandResult, LocalTransport, Transport


class StateSampler(Protocol):
    """Reads the device's state once (see :mod:`benchbot.devices.sampler`); with ``power``
    its power readings too, and ``power_note`` says why there were none."""

    power_note: str | None

    def read(self, series_path: str | None, at_s: float, power: bool = False
             ) -> DeviceSample: ...


@dataclass(frozen=True)
class SeriesFiles:
    """Where the agent writes its windows, and where the host asks it to stop."""

    series: str
    stop: str
    local_dir: str | None = None  # on this host: a folder to remove afterwards


def series_files(transport: Transport, agent_path: str, case_id: str) -> SeriesFiles:
    """Fresh file names beside the pushed agent (a private temporary folder locally)."""
    name = f"sustained-{case_id}-{secrets.token_hex(4)}"
    if isinstance(transport, LocalTransport):
        folder = tempfile.mkdtemp(prefix="benchbot-sustained-")
        return SeriesFiles(posixpath.join(folder, name + ".jsonl"),
                           posixpath.join(folder, name + ".stop"), local_dir=folder)
    folder = posixpath.dirname(agent_path)
    return SeriesFiles(posixpath.join(folder, name + ".jsonl"),
                       posixpath.join(folder, name + ".stop"))


def remove_files(transport: Transport, files: SeriesFiles) -> None:
    if files.local_dir is not None:
        shutil.rmtree(files.local_dir, ignore_errors=True)
        return
    try:
        transport.run(["rm", "-f", files.series, files.stop], timeout=20)
    except TransportError:
        pass  # the device went away: cleanup of the work folder removes them later


def agent_options(settings: MeasureSettings, files: SeriesFiles) -> list[str]:
    """The agent's sustained-mode options."""
    assert settings.sustained_s is not None
    argv = ["--sustained", f"{settings.sustained_s:g}", "--window", f"{settings.window_s:g}",
            "--series-file", files.series, "--stop-file", files.stop]
    if settings.rate_hz:
        argv += ["--rate", f"{settings.rate_hz:g}"]
    return argv


class Charging(Protocol):
    """Stops a phone's charging for a case and restores it (devices/charging.py)."""

    def stop(self) -> None: ...

    def restore(self) -> None: ...


def stop_reason_for(sample: DeviceSample, max_temp_c: float | None,
                    battery_floor: int) -> str | None:
    """Why the series must stop now, from one sample (pure): a CPU zone above the ceiling,
    or the battery under the floor."""
    if max_temp_c is not None and sample.cpu_temp_c is not None and sample.cpu_temp_c > max_temp_c:
        return "temperature_ceiling"
    if battery_floor and sample.battery_level is not None and sample.battery_level < battery_floor:
        return "battery_floor"
    return None


def run_sampled(transport: Transport, argv: Sequence[str], timeout: float,
                read: Callable[[str | None, float], DeviceSample] | None,
                files: SeriesFiles | None, interval_s: float,
                stop_when: Callable[[DeviceSample], str | None] = lambda _: None
                ) -> tuple[CommandResult, list[DeviceSample]]:
    """Run ``argv`` and, until it ends, read the device's state every ``interval_s``; the
    first reason ``stop_when`` gives is written into the stop file once."""
    box: dict[str, Any] = {}

    def measure() -> None:
        try:
            box["result"] = transport.run(argv, timeout=timeout)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=measure, name="sustained-agent", daemon=True)
    start = time.monotonic()
    thread.start()
    samples: list[DeviceSample] = []
    stopped = False
    due = start
    while True:
        # on a fixed grid, so a slow read does not stretch the interval after it
        due = max(due + interval_s, time.monotonic())
        thread.join(timeout=due - time.monotonic())  # returns at once when the agent ends
        if not thread.is_alive() or read is None:
            if not thread.is_alive():
                break
            continue
        sample = read(files.series if files else None, time.monotonic() - start)
        samples.append(sample)
        reason = None if stopped or files is None else stop_when(sample)
        if reason is not None:
            stopped = True
            try:
                transport.run(["sh", "-c", f"echo {reason} > {shlex.quote(files.stop)}"],
                              timeout=20)
            except TransportError:
                pass  # the agent then runs to its duration
    if "error" in box:
        raise box["error"]
    return box["result"], samples


def early_stop_warning(sustained: Sustained | None) -> str | None:
    """'the series stopped at 34 s of 120 s: temperature ceiling; ...' (None: it ran out)."""
    if sustained is None or sustained.stop_reason == "duration":
        return None
    fix = {"temperature_ceiling": "let the device cool down, or raise --max-temp",
           "battery_floor": "charge the phone, or lower --battery-floor"}
    return (f"the series stopped at {sustained.elapsed_s:.0f} s of {sustained.duration_s:.0f} s:"
            f" {sustained.stop_reason.replace('_', ' ')}; "
            + fix.get(sustained.stop_reason, "the host asked it to stop"))


def idle_baseline(read: Callable[[str | None, float], DeviceSample], interval_s: float,
                  count: int = 5, sleep: Callable[[float], None] = time.sleep
                  ) -> list[DeviceSample]:
    """``count`` readings ``interval_s`` apart with nothing measuring: the device's idle draw."""
    samples = []
    start = time.monotonic()
    for i in range(count):
        if i:
            sleep(interval_s)
        samples.append(read(None, time.monotonic() - start))
    return samples


def loop_samples(samples: Sequence[DeviceSample], windows: int) -> list[DeviceSample]:
    """The samples read while the timed loop surely ran: after its first window closed and
    before its last (the process may be ending after that)."""
    return [s for s in samples if 1 <= s.windows_done < windows]


def attach_samples(windows: Sequence[dict[str, Any]], samples: Sequence[DeviceSample]
                   ) -> tuple[SeriesPoint, ...]:
    """The agent's windows as points, each with the first sample read right after it
    closed (the series file then held exactly its index + 1 lines); None when the host
    read no sample in that span."""
    after: dict[int, DeviceSample] = {}
    for s in samples:
        after.setdefault(s.windows_done, s)
    return tuple(SeriesPoint(index=int(w["index"]), start_s=float(w["start_s"]),
                             end_s=float(w["end_s"]), runs=int(w["runs"]),
                             median_ms=float(w["median_ms"]), p90_ms=float(w["p90_ms"]),
                             device=after.get(int(w["index"]) + 1))
                 for w in windows)


def sustained_of(doc: dict[str, Any], samples: Sequence[DeviceSample],
                 settings: MeasureSettings) -> Sustained:
    """The case's sustained section from the agent's document and the host's samples."""
    points = attach_samples(doc.get("windows") or (), samples)
    figures = sustained_figures([WindowTime(p.start_s, p.end_s, p.median_ms) for p in points])
    clock = time_to_step([(p.start_s, bool(p.device.throttled)) for p in points
                          if p.device is not None and p.device.throttled is not None])
    info = doc.get("sustained") or {}
    return Sustained(duration_s=float(settings.sustained_s or 0.0), window_s=settings.window_s,
                     elapsed_s=round(float(doc.get("timed_wall_ms") or 0.0) / 1000.0, 3),
                     total_runs=int(info.get("total_runs") or 0),
                     late_runs=int(info.get("late_runs") or 0),
                     stop_reason=str(doc.get("stop_reason") or "duration"), windows=points,
                     burst_median_ms=figures.burst_median_ms,
                     sustained_median_ms=figures.sustained_median_ms,
                     sustained_over_burst=figures.sustained_over_burst,
                     time_to_throttle_s=figures.time_to_throttle_s, clock_throttle_s=clock,
                     rate_hz=settings.rate_hz)
