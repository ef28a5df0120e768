"""Android phones over ADB: find the attached phone a profile describes, and its facts."""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from benchbot.devices import Device, DeviceOptions, base_facts, make_runner, sampled
from benchbot.devices.android import (BATTERY_COMMAND, CPUFREQ_COMMAND, Battery, matches,
                                      parse_battery, parse_cpufreq, parse_getprop, soc_of)
from benchbot.devices.hygiene import Hygiene, battery_problem, read_cpu_temps
from benchbot.devices.kinds import DeviceKind, Say
from benchbot.errors import CommandTimeout, DeviceUnavailable, TransportError, UserError
from benchbot.profiles import Profile, TransportName, default_adb_server
from benchbot.transports import Transport

if TYPE_CHECKING:  # adbutils is imported when a phone is reached, never before
    from benchbot.transports.adb import AdbTransport  # (see open_phone)


def getprop_all(transport: Transport, timeout: float = 30.0) -> dict[str, str]:
    """Every system property of the device behind ``transport`` (multi-line values kept)."""
    result = transport.run(["getprop"], timeout=timeout)
    if result.timed_out:
        raise CommandTimeout(f"getprop on {transport.name} took longer than {timeout:g}s")
    if not result.ok:
        raise TransportError(f"getprop failed on {transport.name}: {result.stderr_tail()}",
                             output=result.stdout + result.stderr)
    return parse_getprop(result.stdout)


def _shell(transport: AdbTransport, command: str) -> str:
    result = transport.run(["sh", "-c", command], timeout=30)
    return result.stdout if result.ok else ""


def phone_facts(transport: AdbTransport, props: Mapping[str, str]
                ) -> tuple[dict[str, Any], Battery | None]:
    """What a report needs to know about a phone: model, SoC, Android, clusters, heat, battery."""
    cpuinfo = _shell(transport, "cat /proc/cpuinfo")
    policies = parse_cpufreq(_shell(transport, CPUFREQ_COMMAND))
    temps = read_cpu_temps(transport)
    battery = parse_battery(_shell(transport, BATTERY_COMMAND))
    facts = {"model": props.get("ro.product.model"),
             "manufacturer": props.get("ro.product.manufacturer"),
             "soc": soc_of(props, cpuinfo), "platform": props.get("ro.board.platform"),
             "android": props.get("ro.build.version.release"),
             "sdk": props.get("ro.build.version.sdk"), "abi": props.get("ro.product.cpu.abi"),
             "clusters": [{"cpus": list(p.cpus), "max_freq_khz": p.max_khz} for p in policies],
             "max_temp_c": max(temps.values(), default=None),
             "battery": asdict(battery) if battery else None}
    return facts, battery


def attached(server: str) -> list[tuple[str, dict[str, str]]]:
    """(serial, properties) of every phone the adb server can use now."""
    from benchbot.transports.adb import AdbTransport
    from benchbot.transports.adb_server import list_serials

    found = []
    for serial in list_serials(server):
        try:
            found.append((serial, getprop_all(AdbTransport(serial, server))))
        except TransportError:
            continue  # went away while we looked
    return found


def _describe(phones: Sequence[tuple[str, Mapping[str, str]]]) -> str:
    if not phones:
        return "no phone is attached"
    return "attached: " + ", ".join(f"{serial} ({props.get('ro.product.model', '?')}, "
                                    f"{soc_of(props) or '?'})" for serial, props in phones)


def pick_serial(profile: Profile, server: str, environ: Mapping[str, str] | None = None) -> str:
    """The one attached phone whose properties match the profile's [match] table; when
    several match, the one ``ANDROID_SERIAL`` names (as adb itself picks one)."""
    phones = attached(server)
    hits = [serial for serial, props in phones if matches(profile.match, props)]
    if len(hits) == 1:
        return hits[0]
    wanted = ", ".join(f"{k}={'|'.join(v)}" for k, v in profile.match.items()) or "nothing"
    if not hits:
        raise DeviceUnavailable(f"no attached phone matches device '{profile.name}' ({wanted}); "
                        f"{_describe(phones)}; pass --serial to pick one")
    chosen = (os.environ if environ is None else environ).get("ANDROID_SERIAL", "").strip()
    if chosen in hits:
        return chosen
    if chosen:
        raise UserError(f"ANDROID_SERIAL={chosen} is none of the {len(hits)} attached phones "
                        f"that match device '{profile.name}' ({', '.join(hits)}); pass "
                        "--serial or fix ANDROID_SERIAL to pick one")
    raise UserError(f"{len(hits)} attached phones match device '{profile.name}' "
                    f"({', '.join(hits)}); pass --serial (or set ANDROID_SERIAL) to pick one")


def open_phone(profile: Profile, options: DeviceOptions, say: Say) -> Device:
    """The phone a profile describes (``--serial``, its [adb] serial, else the one attached
    phone its [match] table recognises), refused under ``--battery-floor``."""
    assert profile.adb is not None
    # always, and first: it checks ANDROID_ADB_SERVER_*, which adbutils reads (unchecked)
    # on import; the server is --adb-server, else the profile's, else the environment's
    default = default_adb_server()
    server = options.adb_server or profile.adb.server or default
    from benchbot.transports.adb import DEFAULT_WORKDIR, AdbTransport

    serial = options.serial or profile.adb.serial or pick_serial(profile, server)
    transport = AdbTransport(serial, server, workdir=profile.runner.workdir or DEFAULT_WORKDIR,
                             keep=options.keep)
    facts = PHONE.facts(transport, profile)
    battery = Battery(**facts["battery"]) if facts.get("battery") else None
    problem = battery_problem(battery, options.battery_floor) if options.battery_floor else None
    if problem is not None:
        raise UserError(f"{profile.name} ({serial}): {problem}")
    runner = sampled(make_runner(profile, transport, options, "python3", abi=facts.get("abi"),
                                 say=say), transport, True, options, profile, say)
    return Device(profile=profile, transport=transport, runner=runner,
                  hygiene=Hygiene(transport, profile.thermal, say, with_battery=True),
                  facts={**base_facts(profile, runner), "serial": serial, "adb_server": server,
                         **facts})


def lease_key(profile: Profile, facts: Mapping[str, Any]) -> str:
    return f"adb-{facts.get('serial')}"


def read_facts(transport: Transport, profile: Profile) -> dict[str, Any]:
    """A phone's facts (:func:`phone_facts`), its properties read first."""
    return phone_facts(transport, getprop_all(transport))[0]  # type: ignore[arg-type]


PHONE = DeviceKind(TransportName("adb"), open_phone, read_facts, lease_key)
