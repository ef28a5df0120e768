"""Linux servers and boards over SSH: their facts, GPUs included (from nvidia-smi)."""

from __future__ import annotations

import re
import shlex
from typing import TYPE_CHECKING, Any, Mapping

from benchbot.devices.facts import cpu_model
from benchbot.devices.kinds import DeviceKind, Say
from benchbot.profiles import Profile, TransportName
from benchbot.transports import Transport

if TYPE_CHECKING:
    from benchbot.devices import Device, DeviceOptions

GPU_QUERY = ("name,driver_version,memory.total,clocks.sm,clocks.max.sm,clocks.mem,"
             "temperature.gpu")
_CUDA = r"CUDA (?:UMD )?Version: *([0-9.]+)"  # drivers from 610 on say "CUDA UMD Version"


def facts_command(python: str = "python3") -> str:
    """One round trip: sections separated by markers, each command allowed to be missing."""
    return ("echo '@uname'; uname -srm; echo '@nproc'; nproc; echo '@cpuinfo'; "
            f"cat /proc/cpuinfo; echo '@python'; {shlex.quote(python)} --version 2>&1; "
            "echo '@gpus'; nvidia-smi --query-gpu=" + GPU_QUERY +
            " --format=csv,noheader,nounits 2>/dev/null; "
            "echo '@cuda'; nvidia-smi 2>/dev/null | grep -oE 'CUDA (UMD )?Version: *[0-9.]+'; "
            "true")


def sections(text: str) -> dict[str, str]:
    """'@name' marker lines -> the text under each."""
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("@") and " " not in line:
            current = line[1:]
            out[current] = []
        elif current is not None:
            out[current].append(line)
    return {k: "\n".join(v).strip() for k, v in out.items()}


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None  # "[N/A]" on some boards


def parse_gpus(csv: str) -> list[dict[str, Any]]:
    """``nvidia-smi --query-gpu=GPU_QUERY --format=csv,noheader,nounits`` lines -> GPUs."""
    gpus = []
    for line in csv.splitlines():
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != 7:
            continue
        name, driver, memory, sm, max_sm, mem_clock, temp = cells
        gpus.append({"name": name, "driver": driver, "memory_mib": _number(memory),
                     "sm_clock_mhz": _number(sm), "max_sm_clock_mhz": _number(max_sm),
                     "mem_clock_mhz": _number(mem_clock), "temp_c": _number(temp)})
    return gpus


def parse_server_facts(text: str) -> dict[str, Any]:
    """The output of facts_command() -> facts for the results file."""
    s = sections(text)
    cuda = re.search(_CUDA, s.get("cuda", ""))
    nproc = s.get("nproc", "")
    return {"os": s.get("uname") or None, "cores": int(nproc) if nproc.isdigit() else None,
            "cpu_model": cpu_model(s.get("cpuinfo")) if s.get("cpuinfo") else None,
            "python": s.get("python", "").removeprefix("Python ").strip() or None,
            "gpus": parse_gpus(s.get("gpus", "")), "cuda": cuda.group(1) if cuda else None}


def server_facts(transport: Transport, python: str = "python3") -> dict[str, Any]:
    """Facts of the server behind ``transport``; ``python`` is the one the agent will use."""
    result = transport.run(["sh", "-c", facts_command(python)], timeout=60)
    return parse_server_facts(result.stdout)


def open_server(profile: Profile, options: DeviceOptions, say: Say) -> Device:
    """The server a profile's [ssh] table names, connected."""
    from benchbot.devices import Device, base_facts, make_runner, sampled  # (sampler imports us)
    from benchbot.devices.hygiene import Hygiene
    from benchbot.transports.ssh import SshTransport  # paramiko only when needed

    assert profile.ssh is not None
    transport = SshTransport(profile.ssh, workdir=profile.runner.workdir, keep=options.keep)
    transport.connect()
    runner = sampled(make_runner(profile, transport, options, "python3"), transport, False,
                     options)
    return Device(profile=profile, transport=transport, runner=runner,
                  hygiene=Hygiene(transport, profile.thermal, say, with_battery=False),
                  facts={**base_facts(profile, runner), "host": profile.ssh.host,
                         **SERVER.facts(transport, profile)})


def lease_key(profile: Profile, facts: Mapping[str, Any]) -> str:
    assert profile.ssh is not None
    return f"ssh-{profile.ssh.host}-{profile.ssh.port}"


def read_facts(transport: Transport, profile: Profile) -> dict[str, Any]:
    """A server's facts, with the Python the agent will use there."""
    return server_facts(transport, profile.runner.python or "python3")


SERVER = DeviceKind(TransportName("ssh"), open_server, read_facts, lease_key)
