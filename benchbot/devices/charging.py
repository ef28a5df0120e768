"""Stopping a phone's charging for the energy of a case (profile ``adb.stop_charging``),
and restoring it afterwards."""

from __future__ import annotations

from typing import Callable

from benchbot.errors import TransportError
from benchbot.transports import Transport

_CHARGE_FILES = (("input_suspend", "1", "0"), ("charging_enabled", "0", "1"))


class ChargingControl:
    """Tells a phone to stop charging for a case, and restores it afterwards.

    ``dumpsys battery unplug`` makes Android report the phone unplugged; the charger
    itself stops only where the vendor's sysfs switch (``input_suspend``,
    ``charging_enabled``) is writable (usually root). Whether it worked is read back:
    the battery's status still saying "Charging" keeps the energy figure out.
    """

    def __init__(self, transport: Transport, device: str, say: Callable[[str], None]) -> None:
        self.transport = transport
        self.device = device
        self.say = say
        self._switched: list[tuple[str, str]] = []  # (file, value to restore)
        self._warned = False

    def _sh(self, command: str) -> str:
        try:
            result = self.transport.run(["sh", "-c", command], timeout=20)
        except TransportError:
            return ""
        return result.stdout

    def stop(self) -> None:
        parts = ["dumpsys battery unplug >/dev/null 2>&1"]
        for name, off, _ in _CHARGE_FILES:
            f = f"/sys/class/power_supply/battery/{name}"
            parts.append(f"[ -w {f} ] && echo {off} > {f} && echo {name}")
        out = self._sh("; ".join(parts) + "; true")
        self._switched = [(name, on) for name, _, on in _CHARGE_FILES if name in out.split()]
        if not self._warned:
            self._warned = True
            self.say(f"warning: {self.device}: told the phone to stop charging for each case "
                     "(dumpsys battery unplug" + "".join(f", {n}" for n, _ in self._switched)
                     + "), restored after it; if benchbot is killed, run `adb shell dumpsys "
                       "battery reset` yourself")

    def restore(self) -> None:
        parts = ["dumpsys battery reset >/dev/null 2>&1"]
        parts += [f"echo {on} > /sys/class/power_supply/battery/{name}"
                  for name, on in self._switched]
        self._sh("; ".join(parts) + "; true")
        self._switched = []
