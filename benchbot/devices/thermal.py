"""Thermal hygiene between cases: pause, and wait for hot zones to cool down."""

from __future__ import annotations

import shlex
import time
from typing import Callable

from benchbot.profiles import ThermalSettings
from benchbot.transports import Transport

MAX_WAIT_S = 120.0


def parse_zone_temp(text: str) -> float | None:
    """A thermal zone reading in °C; millidegrees are scaled, sentinels give None."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    if abs(value) >= 1000:
        value /= 1000.0
    return value if -30.0 < value < 150.0 else None


def read_temps(transport: Transport, zones: tuple[str, ...]) -> dict[str, float]:
    """Temperatures of the named zones (folders under /sys/class/thermal) that read sanely."""
    temps: dict[str, float] = {}
    for zone in zones:
        path = zone if zone.startswith("/") else f"/sys/class/thermal/{zone}/temp"
        result = transport.run(["sh", "-c", f"cat {shlex.quote(path)}"], timeout=10)
        value = parse_zone_temp(result.stdout) if result.ok else None
        if value is not None:
            temps[zone] = value
    return temps


def cool_down(transport: Transport, settings: ThermalSettings,
              say: Callable[[str], None], sleep: Callable[[float], None] = time.sleep,
              read_cpu_temps: Callable[[], dict[str, float]] | None = None) -> float:
    """Pause ``cooldown_s``; then, while a zone reads above ``max_temp_c``, keep waiting.

    The zones are the profile's; without any, ``read_cpu_temps`` (the device's
    CPU zones) when given. Returns the seconds waited.
    """
    if settings.cooldown_s:
        sleep(settings.cooldown_s)
    waited = 0.0
    if settings.max_temp_c is None:
        return settings.cooldown_s
    if settings.zones:
        def read() -> dict[str, float]:
            return read_temps(transport, settings.zones)
    elif read_cpu_temps is not None:
        read = read_cpu_temps
    else:
        return settings.cooldown_s
    while waited < MAX_WAIT_S:
        hot = {z: t for z, t in read().items() if t > settings.max_temp_c}
        if not hot:
            return settings.cooldown_s + waited
        if waited == 0:
            say(f"waiting for the device to cool below {settings.max_temp_c:g} °C: "
                + ", ".join(f"{z} {t:.0f} °C" for z, t in hot.items()))
        sleep(5.0)
        waited += 5.0
    say(f"still above {settings.max_temp_c:g} °C after {MAX_WAIT_S:.0f}s; measuring anyway "
        "(raise [thermal] cooldown_s in the device profile)")
    return settings.cooldown_s + waited
