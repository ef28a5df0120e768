"""Device hygiene around each case: cool down, snapshot clocks and temperatures, spot throttling.

Everything goes through the device's transport as shell commands, so the same
code serves the host, phones over ADB and servers over SSH. What was applied and
seen is recorded with the case.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

from benchbot.devices.android import (BATTERY_COMMAND, CPUFREQ_COMMAND, THERMAL_COMMAND, Battery,
                                      CpuPolicy, parse_battery, parse_cpufreq, parse_thermal)
from benchbot.errors import TransportError
from benchbot.devices.thermal import MAX_WAIT_S, cool_down
from benchbot.transports import Transport


@dataclass(frozen=True)
class DeviceState:
    """CPU clocks, CPU temperatures and battery at one moment."""

    at: float
    policies: tuple[CpuPolicy, ...]
    temps_c: dict[str, float]
    battery: Battery | None

    def to_dict(self) -> dict[str, Any]:
        return {"policies": [asdict(p) for p in self.policies], "temps_c": self.temps_c,
                "max_temp_c": max(self.temps_c.values(), default=None),
                "battery": asdict(self.battery) if self.battery else None}


def _shell(transport: Transport, command: str) -> str:
    try:
        result = transport.run(["sh", "-c", command], timeout=20)
    except TransportError:
        return ""
    return result.stdout if result.ok else ""


def read_cpu_temps(transport: Transport) -> dict[str, float]:
    return parse_thermal(_shell(transport, THERMAL_COMMAND))


def read_state(transport: Transport, with_battery: bool) -> DeviceState:
    return DeviceState(at=time.time(), policies=tuple(parse_cpufreq(_shell(transport,
                                                                           CPUFREQ_COMMAND))),
                       temps_c=read_cpu_temps(transport),
                       battery=parse_battery(_shell(transport, BATTERY_COMMAND))
                       if with_battery else None)


def throttling_warnings(state: DeviceState, cpus: list[int] | None) -> list[str]:
    """A warning per cluster (of the pinned cores, when pinned) whose clock ceiling is capped."""
    warnings = []
    for policy in state.policies:
        if policy.throttled and (not cpus or set(cpus) & set(policy.cpus)):
            warnings.append(f"cores {','.join(map(str, policy.cpus))} were capped at "
                            f"{policy.scaling_max_khz / 1000:.0f} of "
                            f"{policy.max_khz / 1000:.0f} MHz (throttling): let the device "
                            "cool down ([thermal] cooldown_s) and measure again")
    return warnings


def battery_problem(battery: Battery | None, floor: int) -> str | None:
    """Why measuring now would be unfair to the phone's clocks, if it would be."""
    if battery is None or battery.level is None or battery.level >= floor:
        return None
    return (f"battery at {battery.level}% is under the floor of {floor}%: charge the phone, or "
            "pass --battery-floor 0 to measure anyway")


class Hygiene:
    """Applies a device profile's thermal settings and records the device around each case."""

    def __init__(self, transport: Transport, thermal: Any, say: Callable[[str], None],
                 with_battery: bool) -> None:
        self.transport = transport
        self.thermal = thermal
        self.say = say
        self.with_battery = with_battery

    def gate_timed_out(self, waited: float) -> bool:
        """Whether the cool-down before a process gave up waiting for the temperature."""
        if self.thermal is None or self.thermal.max_temp_c is None:
            return False
        return waited >= (self.thermal.cooldown_s or 0) + MAX_WAIT_S

    def before(self) -> tuple[float, DeviceState]:
        waited = 0.0
        if self.thermal is not None:
            waited = cool_down(self.transport, self.thermal, self.say,
                               read_cpu_temps=lambda: read_cpu_temps(self.transport))
        return waited, read_state(self.transport, self.with_battery)

    def after(self, waited: float, before: DeviceState, cpus: list[int] | None
              ) -> tuple[dict[str, Any], list[str]]:
        after = read_state(self.transport, with_battery=False)
        record = {"cooldown_waited_s": round(waited, 3), "cpus": cpus,
                  "before": before.to_dict(), "after": after.to_dict()}
        return record, throttling_warnings(after, cpus)
