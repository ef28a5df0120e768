"""`benchbot devices`: the phones attached to an adb server, their facts and matching profile."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from benchbot.cli import options
from benchbot.cli.console import out
from benchbot.devices.android import matches
from benchbot.errors import DeviceUnavailable, TransportError
from benchbot.profiles import default_adb_server, list_profiles
from benchbot.profiles.transport_kinds import transport_kind


def _row(phone: dict[str, Any]) -> str:
    clusters = " + ".join(f"{len(c['cpus'])}x{(c['max_freq_khz'] or 0) / 1e6:.2f}GHz"
                          for c in phone["clusters"]) or "-"
    battery = phone["battery"] or {}
    level = f"{battery['level']}%" if battery.get("level") is not None else "-"
    charging = {True: " charging", False: ""}.get(battery.get("charging"), "")
    temp = f"{phone['max_temp_c']:.0f} °C" if phone["max_temp_c"] is not None else "-"
    cells = [phone["serial"], phone["model"], phone["soc"], phone["android"], phone["abi"],
             clusters, temp, level + charging, ", ".join(phone["profiles"]) or "-"]
    return "| " + " | ".join(str(c) if c is not None else "-" for c in cells) + " |"


@options.examples('benchbot devices', 'benchbot devices --json', 'benchbot devices --adb-server farmhost:5037')
def devices_command(
    adb_server: Optional[str] = typer.Option(
        None, help="host:port of the adb server [default: $ANDROID_ADB_SERVER_ADDRESS:"
                   "$ANDROID_ADB_SERVER_PORT, else 127.0.0.1:5037]."),
    profiles: Optional[list[Path]] = options.ProfilesOption,
    as_json: bool = typer.Option(False, "--json", help="JSON instead of a table."),
) -> None:
    """List attached phones: model, SoC, Android, ABI, CPU clusters, temperature, battery,
    and the device profiles that match them (use one with --device)."""
    # always, and first: it checks ANDROID_ADB_SERVER_*, which adbutils reads (unchecked)
    # on import
    default = default_adb_server()
    adb_server = adb_server or default
    from benchbot.devices.phones import attached, phone_facts  # adbutils only when asked
    from benchbot.transports.adb import AdbTransport

    known = [p for p in list_profiles(options.dirs(profiles)) if transport_kind(p.transport).phones]
    phones = []
    try:
        found = attached(adb_server)
    except TransportError as exc:  # no server there: the infrastructure, as for `run` (3)
        raise DeviceUnavailable(str(exc)) from exc
    for serial, props in found:
        facts, _ = phone_facts(AdbTransport(serial, adb_server), props)
        phones.append({"serial": serial, **facts,
                       "profiles": [p.name for p in known if matches(p.match, props)]})
    if as_json:
        out(json.dumps(phones, indent=1) + "\n")
        return
    lines = ["| Serial | Model | SoC | Android | ABI | CPU clusters | Temp | Battery | "
             "Profile |", "|---|---|---|---|---|---|---|---|---|"]
    out("\n".join(lines + [_row(p) for p in phones]) + "\n" if phones else
        f"No phone attached to the adb server at {adb_server}.\n")
