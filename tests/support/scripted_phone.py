"""A scripted phone for sustained runs: the emulated phone (tests/adb_emulator.py) whose
clocks, temperatures and battery follow the load, never the wall clock.

The load is how many windows the agent has closed: the lines of its series file in the
phone's work folder (the agent appends one per window; the host reads the same count).
Before every command the phone runs, :class:`ScriptedLoad` rewrites the phone's sysfs
files and its ``dumpsys battery`` from that count:

* the big cluster (cpu7, 2.84 GHz) is capped at 2.02 GHz from window ``throttle_at`` on;
* the CPU zones read ``temp_start + temp_step x windows`` °C, the battery 30 + 0.2 x windows;
* the battery level drops ``level_step`` percent per window from 80;
* the battery's current_now is -150 mA (µA, negative while discharging, as some vendors
  write it) at rest and -650 mA while a series file exists, at 3.85 V; its
  charge_counter drops 100 µAh per window;
* it is charging over USB until ``dumpsys battery unplug``, again after ``dumpsys battery
  reset`` (the phone's dumpsys is a script that keeps a flag file);
* with ``slow_after``, its CPU steps down too: each inference takes ``BASE_S`` more (a
  phone's model, not the host's microseconds), ``SLOW_S`` more from the window
  ``slow_after`` on (a ``sitecustomize`` on the phone's Python path wraps ONNX Runtime's
  ``InferenceSession.run``; the agent itself is untouched), so the latency step falls in
  a known window and is three times the burst.

So a test knows what the figures must be: idle 0.5775 W, load 2.5025 W, and the energy
per inference 1.925 W x the loop's seconds / its inferences.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from tests.support.adb_emulator import EmulatedPhone

WORKDIR = "/data/local/tmp/benchbot"
SYS_DIRS = ("/sys/devices/system/cpu/cpufreq", "/sys/class/thermal", "/sys/class/power_supply")
CLUSTERS = ((0, "0 1 2 3", 1785600), (4, "4 5 6", 2419200), (7, "7", 2841600))
CAPPED_KHZ = 2016000
CPU_ZONES = (("thermal_zone10", "cpu0-silver-usr"), ("thermal_zone17", "cpu7-gold-usr"))
IDLE_UA, LOAD_UA, VOLTAGE_UV = -150_000, -650_000, 3_850_000
IDLE_W = 0.150 * 3.85
LOAD_W = 0.650 * 3.85

BASE_S, SLOW_S = 0.002, 0.006
SITECUSTOMIZE = """# the scripted phone's CPU: every inference takes BASE_S more, SLOW_S more once the
# agent's series file holds SLOW_AFTER windows (see tests/scripted_phone.py)
import glob, os, time
_after = int(os.environ["BENCHBOT_SCRIPTED_SLOW_AFTER"])
_base = float(os.environ["BENCHBOT_SCRIPTED_BASE_S"])
_slow = float(os.environ["BENCHBOT_SCRIPTED_SLOW_S"])
_series = os.path.join(os.environ["BENCHBOT_SCRIPTED_WORKDIR"], "sustained-*.jsonl")


def _windows():
    for path in glob.glob(_series):
        try:
            with open(path) as f:
                return f.read().count("\\n")
        except OSError:
            return 0
    return 0


try:
    import onnxruntime as _ort
except ImportError:
    _ort = None
if _ort is not None:
    _run = _ort.InferenceSession.run

    def _scripted_run(self, *args, **kwargs):
        out = _run(self, *args, **kwargs)
        time.sleep(_slow if _windows() >= _after else _base)
        return out

    _ort.InferenceSession.run = _scripted_run
"""

DUMPSYS = """#!/bin/sh
# dumpsys of the scripted phone: `battery unplug` / `battery reset` flip a flag file
if [ "$1 $2" = "battery unplug" ]; then touch {flag}
elif [ "$1 $2" = "battery reset" ]; then rm -f {flag}
else cat {battery}
fi
"""


@dataclass
class ScriptedLoad:
    """Rewrites the phone's files from the load before each command (see the module doc)."""

    phone: EmulatedPhone
    throttle_at: int = 4
    temp_start: float = 38.0
    temp_step: float = 0.5
    level_step: int = 0
    slow_after: int | None = None  # windows after which inferences take SLOW_S, not BASE_S

    @property
    def flag(self) -> Path:
        return self.phone.sandbox / ".emulator" / "unplugged"

    @property
    def battery_file(self) -> Path:
        return self.phone.sandbox / ".emulator" / "dumpsys-battery.txt"

    def series(self) -> Path | None:
        found = sorted(self.phone.to_host(WORKDIR).glob("sustained-*.jsonl"))
        return found[-1] if found else None

    def windows(self) -> int:
        path = self.series()
        if path is None:
            return 0
        try:
            return path.read_text().count("\n")
        except FileNotFoundError:  # removed at the end of its case, just now
            return 0

    def write(self, device_path: str, text: str) -> None:
        host = self.phone.to_host(device_path)
        host.parent.mkdir(parents=True, exist_ok=True)
        host.write_text(text)

    def __call__(self, command: str) -> None:
        loaded = self.series() is not None
        k = self.windows()
        for policy, cpus, max_khz in CLUSTERS:
            base = f"/sys/devices/system/cpu/cpufreq/policy{policy}"
            cap = CAPPED_KHZ if policy == 7 and k >= self.throttle_at else max_khz
            for name, value in (("related_cpus", cpus), ("cpuinfo_max_freq", max_khz),
                                ("scaling_max_freq", cap), ("scaling_cur_freq", cap)):
                self.write(f"{base}/{name}", f"{value}\n")
        temp = self.temp_start + self.temp_step * k
        for zone, kind in CPU_ZONES:
            self.write(f"/sys/class/thermal/{zone}/type", kind + "\n")
            self.write(f"/sys/class/thermal/{zone}/temp", f"{round(temp * 1000)}\n")
        plugged = not self.flag.exists()
        level = 80 - self.level_step * k
        battery = "/sys/class/power_supply/battery"
        for name, value in (("current_now", LOAD_UA if loaded else IDLE_UA),
                            ("voltage_now", VOLTAGE_UV),
                            ("charge_counter", 3_000_000 - 100 * k),
                            ("status", "Charging" if plugged else "Discharging")):
            self.write(f"{battery}/{name}", f"{value}\n")
        self.battery_file.write_text(
            "Current Battery Service state:\n"
            f"  AC powered: false\n  USB powered: {str(plugged).lower()}\n"
            f"  status: {2 if plugged else 3}\n  level: {level}\n  scale: 100\n"
            f"  voltage: {VOLTAGE_UV // 1000}\n  temperature: {round((30 + 0.2 * k) * 10)}\n")


def scripted_phone(root: Path, adb_server: str, dump: Path, **script: object
                   ) -> tuple[EmulatedPhone, ScriptedLoad]:
    """An emulated SD855 phone (``dump``: its real getprop) playing the script."""
    from tests.support.adb_fixtures import start_phone

    root.mkdir(parents=True, exist_ok=True)
    flag, battery = root / ".emulator" / "unplugged", root / ".emulator" / "dumpsys-battery.txt"
    phone = start_phone(root, adb_server, getprop_dump=dump,
                        device_dirs=("/data/local/tmp", "/sdcard", *SYS_DIRS),
                        tools={"dumpsys": DUMPSYS.format(flag=shlex.quote(str(flag.resolve())),
                                                         battery=shlex.quote(
                                                             str(battery.resolve())))})
    load = ScriptedLoad(phone, **script)  # type: ignore[arg-type]
    load("")  # the files exist before the first command
    phone.before_command = load
    if load.slow_after is not None:
        site = root / ".emulator" / "site"
        site.mkdir(parents=True, exist_ok=True)
        (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
        phone.extra_env.update({
            "PYTHONPATH": str(site.resolve()), "BENCHBOT_SCRIPTED_BASE_S": str(BASE_S),
            "BENCHBOT_SCRIPTED_SLOW_S": str(SLOW_S),
            "BENCHBOT_SCRIPTED_SLOW_AFTER": str(load.slow_after),
            "BENCHBOT_SCRIPTED_WORKDIR": str(phone.to_host(WORKDIR))})
    return phone, load
