"""The device's state while a case runs, read by the host through the transport: one shell
command per sample, never anything the measuring process does itself.

A sample holds how many windows the agent had closed (the lines of its series file: how
far the load has gone), the big cluster's clock and ceiling and whether that ceiling is
below its hardware maximum (throttled: the little cores are often capped by the power
policy alone), the hottest CPU zone, and on phones the battery's temperature and level.
"""

from __future__ import annotations

import dataclasses
import shlex

from benchbot.devices.android import (BATTERY_COMMAND, CPUFREQ_COMMAND, THERMAL_COMMAND,
                                      parse_battery, parse_cpufreq, parse_thermal)
from benchbot.devices.power import (BATTERY_POWER_COMMAND, GPU_POWER_COMMAND, RAPL_COMMAND,
                                    parse_battery_power, parse_power_draw, parse_rapl,
                                    rapl_packages)
from benchbot.devices.servers import sections
from benchbot.errors import TransportError
from benchbot.store import DeviceSample
from benchbot.transports import Transport


def state_command(series_path: str | None, with_battery: bool, with_power: bool = False) -> str:
    """One round trip: '@name' sections, each allowed to print nothing. With power: the
    battery's readings on phones, RAPL and nvidia-smi elsewhere."""
    parts = []
    if series_path:
        parts.append(f"echo @windows; cat {shlex.quote(series_path)} 2>/dev/null | wc -l")
    parts += [f"echo @cpufreq; {CPUFREQ_COMMAND}", f"echo @thermal; {THERMAL_COMMAND}"]
    if with_battery:
        parts.append(f"echo @battery; {BATTERY_COMMAND}")
    if with_power and with_battery:
        parts.append(f"echo @bpower; {BATTERY_POWER_COMMAND}")
    elif with_power:
        parts += [f"echo @rapl; {RAPL_COMMAND}", f"echo @gpupower; {GPU_POWER_COMMAND}"]
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
        throttled=big.throttled if big else None,
        cpu_temp_c=max(temps.values(), default=None),
        battery_temp_c=battery.temperature_c if battery else None,
        battery_level=battery.level if battery else None,
        charging=battery.charging if battery else None)


def power_of(sample: DeviceSample, text: str) -> tuple[DeviceSample, str | None]:
    """The sample with the power readings of :func:`state_command`'s power sections, and
    why the device gave none (None: it gave one)."""
    s = sections(text)
    if "bpower" in s:
        b = parse_battery_power(s["bpower"])
        charging = b.charging if b.charging is not None else sample.charging
        found = dataclasses.replace(sample, power_w=b.watts, current_raw=b.current_raw,
                                    voltage_raw=b.voltage_raw,
                                    charge_counter_uah=b.charge_counter_uah, charging=charging)
        why = None if b.watts is not None else (
            "the battery has no readable current_now/voltage_now under "
            "/sys/class/power_supply/battery")
        return found, why
    energy, _, why_rapl = rapl_packages(parse_rapl(s.get("rapl", "")))
    gpu = parse_power_draw(s.get("gpupower", ""))
    found = dataclasses.replace(sample, energy_uj=energy, power_w=gpu)
    if energy is None and gpu is None:
        return found, f"{why_rapl}; no nvidia-smi power.draw; no battery"
    return found, None


class DeviceSampler:
    """Reads one :class:`DeviceSample` per call; a device that does not answer gives an
    empty sample (the measurement goes on)."""

    def __init__(self, transport: Transport, with_battery: bool) -> None:
        self.transport = transport
        self.with_battery = with_battery
        self.power_note: str | None = None  # why the last read gave no power reading

    def read(self, series_path: str | None, at_s: float, power: bool = False) -> DeviceSample:
        command = state_command(series_path, self.with_battery, power)
        try:
            result = self.transport.run(["sh", "-c", command], timeout=20)
        except TransportError:
            return DeviceSample(windows_done=0, at_s=round(at_s, 3))
        text = result.stdout if result.ok else ""
        sample = parse_state(text, at_s)
        if power:
            sample, self.power_note = power_of(sample, text)
        return sample
