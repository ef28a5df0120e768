"""Facts about an Android phone from what its shell prints (pure parsers).

Real phones disagree on details: ``ro.soc.model`` exists only from Android 12,
property values can span lines, vendors prefix /proc/cpuinfo's Hardware line,
and thermal zones read in millidegrees, with sentinels (-40000, -274000) and
zones that are no temperature at all. Each parser here tolerates that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from benchbot.devices.thermal import parse_zone_temp

_PROP = re.compile(r"^\[([^\]]+)\]: \[(.*)$")

# One shell command per fact family, so a phone is asked few times.
CPUFREQ_COMMAND = ("for p in /sys/devices/system/cpu/cpufreq/policy*; do "
                   "echo \"$p|$(cat $p/related_cpus)|$(cat $p/cpuinfo_max_freq)|"
                   "$(cat $p/scaling_max_freq)|$(cat $p/scaling_cur_freq)\"; done 2>/dev/null")
THERMAL_COMMAND = ("for z in /sys/class/thermal/thermal_zone*; do "
                   "echo \"${z##*/}|$(cat $z/type)|$(cat $z/temp)\"; done 2>/dev/null")
BATTERY_COMMAND = "dumpsys battery 2>/dev/null"


def parse_getprop(text: str) -> dict[str, str]:
    """``[key]: [value]`` lines -> dict; a value may run over several lines until ``]``."""
    props: dict[str, str] = {}
    key: str | None = None
    value: list[str] = []
    for line in text.splitlines():
        line = line.rstrip("\r")  # adb's old shell turns \n into \r\n
        m = _PROP.match(line)
        if key is not None and m:  # a value that never closed: keep what it had
            props[key] = "\n".join(value)
            key = None
        if key is None:
            if not m:
                continue  # junk between properties
            key, rest = m.group(1), m.group(2)
            value = [rest]
        else:
            value.append(line)
        if value[-1].endswith("]"):
            value[-1] = value[-1][:-1]
            props[key] = "\n".join(value)
            key = None
    return props


def cpuinfo_hardware(cpuinfo: str) -> str | None:
    """The ``Hardware`` line of /proc/cpuinfo, if the kernel prints one."""
    for line in cpuinfo.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip() == "Hardware" and value.strip():
            return value.strip()
    return None


def soc_of(props: Mapping[str, str], cpuinfo: str = "") -> str | None:
    """The SoC: ro.soc.model (Android 12+), else ro.board.platform, else cpuinfo's Hardware."""
    for key in ("ro.soc.model", "ro.board.platform"):
        if props.get(key, "").strip():
            return props[key].strip()
    return cpuinfo_hardware(cpuinfo)


@dataclass(frozen=True)
class CpuPolicy:
    """One cpufreq policy: a cluster of cores that share a clock."""

    cpus: tuple[int, ...]
    max_khz: int | None
    scaling_max_khz: int | None
    cur_khz: int | None

    @property
    def throttled(self) -> bool:
        """The governor's ceiling sits below the hardware maximum (thermal or power capping)."""
        return bool(self.max_khz and self.scaling_max_khz and self.scaling_max_khz < self.max_khz)


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


def parse_cpufreq(text: str) -> list[CpuPolicy]:
    """Lines of CPUFREQ_COMMAND -> clusters, little to big (by maximum frequency)."""
    policies = []
    for line in text.splitlines():
        parts = line.split("|")
        if len(parts) != 5:
            continue
        cpus = tuple(int(c) for c in parts[1].split() if c.isdigit())
        if cpus:
            policies.append(CpuPolicy(cpus, _int(parts[2]), _int(parts[3]), _int(parts[4])))
    return sorted(policies, key=lambda p: (p.max_khz or 0, p.cpus))


_NOT_TEMPERATURE = re.compile(r"battery|charger|usb|pa_|modem|bcl|vbat|ibat|soc$|limit|"
                              r"pm\d|xo_therm_buf|quiet", re.IGNORECASE)
_CPU_ZONE = re.compile(r"cpu|tsens|apc|cluster|big|little|soc_thermal|mtktscpu", re.IGNORECASE)


def parse_thermal(text: str) -> dict[str, float]:
    """Lines of THERMAL_COMMAND -> {zone type: °C} of the zones that are CPU temperatures.

    When no zone's type names the CPU, every zone that reads like a temperature is kept.
    """
    readings: dict[str, float] = {}
    cpu_like: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split("|")
        if len(parts) != 3:
            continue
        zone, kind, raw = parts
        celsius = parse_zone_temp(raw)
        name = kind.strip() or zone.strip()
        if celsius is None or _NOT_TEMPERATURE.search(name):
            continue
        readings[name] = celsius
        if _CPU_ZONE.search(name):
            cpu_like[name] = celsius
    return cpu_like or readings


@dataclass(frozen=True)
class Battery:
    level: int | None
    charging: bool | None
    powered_by: tuple[str, ...]
    temperature_c: float | None = None  # dumpsys prints tenths of a degree


def _tenths(text: str | None) -> float | None:
    value = _int((text or "").lstrip("-"))
    if value is None:
        return None
    return (-value if (text or "").strip().startswith("-") else value) / 10.0


def parse_battery(text: str) -> Battery | None:
    """``dumpsys battery`` -> level (%), charging, power sources; None when it printed nothing."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.strip().partition(":")
        if sep:
            fields[name.strip().lower()] = value.strip()
    if "level" not in fields:
        return None
    powered = tuple(src for src in ("AC", "USB", "Wireless", "Dock")
                    if fields.get(f"{src.lower()} powered", "").lower() == "true")
    status = fields.get("status")  # BatteryManager: 2 charging, 5 full
    charging = status in ("2", "5") if status is not None else (bool(powered) or None)
    return Battery(level=_int(fields["level"]), charging=charging, powered_by=powered,
                   temperature_c=_tenths(fields.get("temperature")))


def matches(match: Mapping[str, tuple[str, ...]], props: Mapping[str, str]) -> bool:
    """Every [match] property equals one of its values (case-insensitive); empty never matches."""
    if not match:
        return False
    return all(props.get(key, "").strip().lower() in {v.lower() for v in values}
               for key, values in match.items())
