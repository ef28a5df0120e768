"""The device's state while a case runs, read by the host through the transport: one shell
command per sample, never anything the measuring process does itself.

A sample holds how many windows the agent had closed (the lines of its series file: how
far the load has gone), the big cluster's clock and ceiling, whether any cluster is
capped, the hottest CPU zone, and on phones the battery's temperature and level.
"""

from __future__ import annotations

import shlex

from benchbot.devices.android import (BATTERY_COMMAND, CPUFREQ_COMMAND, THERMAL_COMMAND,
                                      parse_battery, parse_cpufreq, parse_thermal)
from benchbot.devices.servers import sections
from benchbot.errors import TransportError
from benchbot.store import DeviceSample
from benchbot.transports import Transport


def state_command(series_path: str | None, with_battery: bool) -> str:
    """One round trip: '@name' sections, each allowed to print nothing."""
    parts = []
    if series_path:
        parts.append(f"echo @windows; cat {shlex.quote(series_path)} 2>/dev/null | wc -l")
    parts += [f"echo @cpufreq; {CPUFREQ_COMMAND}", f"echo @thermal; {THERMAL_COMMAND}"]
    if with_battery:
        parts.append(f"echo @battery; {BATTERY_COMMAND}")
    return "; ".join(parts) + "; true"


def parse_state(text: str, at_s: float) -> DeviceSample:
    """The output of :func:`state_command` -> a sample (fields the device lacks are None)."""
    s = sections(text)
    count = s.get("windows", "").strip()
    policies = parse_cpufreq(s.get("cpufreq", ""))
    temps = parse_thermal(s.get("thermal", ""))
    battery = parse_battery(s.get("battery", ""))
    big = policies[-1] if policies else None
    return DeviceSample(
        windows_done=int(count) if count.isdigit() else 0, at_s=round(at_s, 3),
        big_cur_khz=big.cur_khz if big else None, big_max_khz=big.scaling_max_khz if big else None,
        throttled=any(p.throttled for p in policies) if policies else None,
        cpu_temp_c=max(temps.values(), default=None),
        battery_temp_c=battery.temperature_c if battery else None,
        battery_level=battery.level if battery else None)


class DeviceSampler:
    """Reads one :class:`DeviceSample` per call; a device that does not answer gives an
    empty sample (the measurement goes on)."""

    def __init__(self, transport: Transport, with_battery: bool) -> None:
        self.transport = transport
        self.with_battery = with_battery

    def read(self, series_path: str | None, at_s: float) -> DeviceSample:
        try:
            result = self.transport.run(["sh", "-c", state_command(series_path,
                                                                   self.with_battery)],
                                        timeout=20)
        except TransportError:
            return DeviceSample(windows_done=0, at_s=round(at_s, 3))
        return parse_state(result.stdout if result.ok else "", at_s)
