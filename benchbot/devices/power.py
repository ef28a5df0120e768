"""Where a device can tell its power draw, read through its shell (pure parsers and the
commands that feed them).

    phones   /sys/class/power_supply/battery: current_now x voltage_now, charge_counter,
             status (units and sign differ by vendor: normalised here, raw values kept)
    GPUs     nvidia-smi --query-gpu=power.draw (W, summed over the GPUs)
    hosts    RAPL package counters, /sys/class/powercap/intel-rapl:*/energy_uj (µJ,
             wrapping at max_energy_range_uj; root only since Linux 5.10)
"""

from __future__ import annotations

from dataclasses import dataclass

from benchbot.stats.energy import battery_watts

BATTERY_POWER_COMMAND = ("d=/sys/class/power_supply/battery; for f in current_now voltage_now "
                         "charge_counter status; do echo \"$f|$(cat $d/$f 2>/dev/null)\"; done")
RAPL_COMMAND = ("grep . /sys/class/powercap/intel-rapl:*/name "
                "/sys/class/powercap/intel-rapl:*/energy_uj "
                "/sys/class/powercap/intel-rapl:*/max_energy_range_uj 2>&1")
GPU_POWER_FIELDS = ("power.draw",)
GPU_POWER_COMMAND = ("nvidia-smi --query-gpu=" + ",".join(GPU_POWER_FIELDS)
                     + " --format=csv,noheader,nounits 2>/dev/null")

def _int(text: str) -> int | None:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class BatteryReading:
    current_raw: int | None
    voltage_raw: int | None
    charge_counter_uah: int | None
    status: str | None

    @property
    def charging(self) -> bool | None:
        """Charging (or full on the charger) by the kernel's status; None: not said."""
        if not self.status:
            return None
        return self.status.strip().lower() in ("charging", "full")

    @property
    def watts(self) -> float | None:
        return battery_watts(self.current_raw, self.voltage_raw)


def parse_battery_power(text: str) -> BatteryReading:
    """Lines ``name|value`` of BATTERY_POWER_COMMAND -> the raw readings."""
    found = {}
    for line in text.splitlines():
        name, sep, value = line.partition("|")
        if sep:
            found[name.strip()] = value.strip()
    return BatteryReading(current_raw=_int(found.get("current_now", "")),
                          voltage_raw=_int(found.get("voltage_now", "")),
                          charge_counter_uah=_int(found.get("charge_counter", "")),
                          status=found.get("status") or None)


def parse_power_draw(text: str, fields: tuple[str, ...] = GPU_POWER_FIELDS) -> float | None:
    """``nvidia-smi --query-gpu=FIELDS --format=csv,noheader,nounits`` lines -> the sum of
    power.draw over the GPUs in watts; None when no line has a number there ("[N/A]")."""
    at = fields.index("power.draw")
    total, seen = 0.0, False
    for line in text.splitlines():
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != len(fields):
            continue
        try:
            total += float(cells[at])
            seen = True
        except ValueError:
            continue
    return total if seen else None


@dataclass(frozen=True)
class RaplZone:
    zone: str  # the powercap folder: intel-rapl:0
    name: str | None  # package-0, core, dram...
    energy_uj: int | None
    max_range_uj: int | None
    error: str | None  # why energy_uj could not be read


def parse_rapl(text: str) -> list[RaplZone]:
    """``grep . .../intel-rapl:N/{name,energy_uj,max_energy_range_uj}`` output (values as
    ``path:value``, failures as ``grep: path: reason``) -> one zone per folder."""
    zones: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        failed = line.startswith("grep: ")
        body = line[len("grep: "):] if failed else line
        if failed:  # grep: PATH: Permission denied
            path, sep, value = body.rpartition(": ")
        else:  # PATH:VALUE
            path, sep, value = _split_value(body)
        if not sep:
            continue
        parts = path.rstrip("/").split("/")
        if len(parts) < 2 or not parts[-2].startswith("intel-rapl"):
            continue
        zone, key = parts[-2], parts[-1]
        entry = zones.setdefault(zone, {})
        if failed:
            entry[f"{key}_error"] = value.strip()
        else:
            entry[key] = value.strip()
    return [RaplZone(zone=z, name=e.get("name"), energy_uj=_int(e.get("energy_uj", "")),
                     max_range_uj=_int(e.get("max_energy_range_uj", "")),
                     error=e.get("energy_uj_error"))
            for z, e in sorted(zones.items())]


def _split_value(line: str) -> tuple[str, str, str]:
    """'/sys/.../name:package-0' -> (path, ':', value): the value follows the last colon
    after the file name (zone folders have colons of their own)."""
    slash = line.rfind("/")
    colon = line.find(":", slash)
    if slash < 0 or colon < 0:
        return line, "", ""
    return line[:colon], ":", line[colon + 1:]


def rapl_packages(zones: list[RaplZone]) -> tuple[int | None, int | None, str | None]:
    """(sum of the package counters in µJ, the sum of their ranges, why there is none)."""
    packages = [z for z in zones if (z.name or "").startswith("package")]
    if not packages:
        return None, None, "no RAPL package zone under /sys/class/powercap"
    unreadable = [z for z in packages if z.energy_uj is None]
    if unreadable:
        why = unreadable[0].error or "no value"
        return None, None, (f"RAPL {unreadable[0].zone}/energy_uj is not readable ({why}; "
                            "root only since Linux 5.10: run as root or chmod it)")
    ranges = [z.max_range_uj for z in packages]
    return (sum(z.energy_uj or 0 for z in packages),
            sum(ranges) if all(r for r in ranges) else None, None)  # type: ignore[misc]
