"""Thermal hygiene: zone readings as phones print them, and waiting for a hot device."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchbot.profiles import ThermalSettings
from benchbot.thermal import cool_down, parse_zone_temp, read_temps
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
