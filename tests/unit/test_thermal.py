"""Thermal hygiene: zone readings as phones print them, and waiting for a hot device."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchbot.profiles import ThermalSettings
from benchbot.devices.thermal import cool_down, parse_zone_temp, read_temps
from benchbot.transports import LocalTransport


@pytest.mark.parametrize("text,expected", [
    ("45000\n", 45.0), ("38", 38.0), ("-40000", None), ("-274000", None), ("0", 0.0),
    ("abc", None), ("", None), ("200000", None)])
def test_zone_readings(text: str, expected: float | None) -> None:
    assert parse_zone_temp(text) == expected


def test_cool_down_waits_until_the_zone_reads_below_the_limit(tmp_path: Path) -> None:
    zone = tmp_path / "temp"
    zone.write_text("52000\n")
    slept: list[float] = []
    said: list[str] = []

    def sleep(seconds: float) -> None:  # the device cools while benchbot waits
        slept.append(seconds)
        if len(slept) == 3:
            zone.write_text("41000\n")

    settings = ThermalSettings(zones=(str(zone),), max_temp_c=45.0, cooldown_s=1.5)
    cool_down(LocalTransport(), settings, said.append, sleep=sleep)
    assert slept == [1.5, 5.0, 5.0]
    assert len(said) == 1 and "45 °C" in said[0] and "52 °C" in said[0]
    assert read_temps(LocalTransport(), (str(zone), str(tmp_path / "absent"))) == {
        str(zone): 41.0}


def test_no_limit_means_only_the_pause(tmp_path: Path) -> None:
    slept: list[float] = []
    cool_down(LocalTransport(), ThermalSettings(cooldown_s=2.0), print, sleep=slept.append)
    assert slept == [2.0]


def test_throttling_is_reported_for_the_pinned_cluster_only() -> None:
    from benchbot.devices.android import CpuPolicy
    from benchbot.devices.hygiene import DeviceState, throttling_warnings

    state = DeviceState(at=0, temps_c={}, battery=None, policies=(
        CpuPolicy((0, 1, 2, 3), 1785600, 1785600, 300000),
        CpuPolicy((7,), 2841600, 2419200, 2419200)))
    assert throttling_warnings(state, cpus=[0]) == []
    warning, = throttling_warnings(state, cpus=[4, 5, 6, 7])
    assert "cores 7" in warning and "2419 of 2842 MHz" in warning and "cooldown_s" in warning
    assert len(throttling_warnings(state, cpus=None)) == 1


def test_battery_floor() -> None:
    from benchbot.devices.android import Battery
    from benchbot.devices.hygiene import battery_problem

    assert battery_problem(Battery(level=84, charging=True, powered_by=("USB",)), 20) is None
    assert battery_problem(None, 20) is None
    problem = battery_problem(Battery(level=12, charging=False, powered_by=()), 20)
    assert problem is not None and "12%" in problem and "--battery-floor 0" in problem
