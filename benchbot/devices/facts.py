"""Facts about the host a run is recorded with: CPU, cores, frequencies, OS, Python; and
what a plan asks of a device's cores."""

from __future__ import annotations

import copy
import functools
import os
import platform
from pathlib import Path
from typing import Any, Mapping

from benchbot.store.facts import DeviceFacts
from benchbot.sweep.plan import Plan


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def cpu_model(cpuinfo: str | None) -> str:
    """The CPU's name from /proc/cpuinfo text, else what platform knows."""
    for line in (cpuinfo or "").splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Hardware", "Model") and value.strip():
            return value.strip()
    return platform.processor() or platform.machine()


def max_freqs_khz(sys_cpu: Path = Path("/sys/devices/system/cpu")) -> dict[str, int]:
    """cpuN -> maximum frequency in kHz, for the CPUs that expose cpufreq."""
    freqs: dict[str, int] = {}
    for path in sorted(sys_cpu.glob("cpu[0-9]*/cpufreq/cpuinfo_max_freq")):
        text = _read(path)
        if text and text.strip().isdigit():
            freqs[path.parent.parent.name] = int(text.strip())
    return freqs


def memory_gb(meminfo: str | None) -> float | None:
    for line in (meminfo or "").splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def host_facts() -> dict[str, Any]:
    """What a reader of the results needs to know about the host that ran them; gathered
    once per process (a run asks for them for its record and for each local device)."""
    return copy.deepcopy(_host_facts())


@functools.lru_cache(maxsize=1)
def _host_facts() -> dict[str, Any]:
    return {"hostname": platform.node(), "os": platform.platform(),
            "machine": platform.machine(),
            "cpu_model": cpu_model(_read(Path("/proc/cpuinfo"))),
            "cores": os.cpu_count(), "max_freq_khz": max_freqs_khz(),
            "memory_gb": memory_gb(_read(Path("/proc/meminfo"))),
            "python": platform.python_version()}


def thread_warnings(plan: Plan, facts: Mapping[str, DeviceFacts]) -> list[str]:
    """One warning per device whose cases ask for more threads than it has cores (pure).

    Threads past the core count share cores: the case then measures contention, not the
    model. ``facts`` maps a device name to its facts (as the run records them); a device whose
    facts give no core count is not judged. Call it once the devices are open, before the
    first case (``run.session.measure``), and print each warning on stderr.
    """
    warnings: list[str] = []
    for device in dict.fromkeys(c.device for c in plan.cases):
        known = facts.get(device)
        cores = known.core_count if known is not None else None
        over = sorted({c.threads for c in plan.cases if c.device == device and cores
                       and c.threads > cores})
        if cores and over:
            warnings.append(f"--threads {','.join(map(str, over))} is more than the {cores} "
                            f"core{'s' if cores > 1 else ''} of device '{device}': those cases "
                            f"measure threads sharing cores; use --threads {cores} or fewer")
    return warnings
