"""Facts about the host a run is recorded with: CPU, cores, frequencies, OS, Python."""

from __future__ import annotations

import copy
import functools
import os
import platform
from pathlib import Path
from typing import Any


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
