"""Open a device from its profile: the transport to reach it, the runner to measure on it,
and the hygiene applied around each case."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from benchbot.errors import UserError
from benchbot.facts import host_facts
from benchbot.hygiene import Hygiene
from benchbot.profiles import Profile
from benchbot.runners import AgentRunner, Runner
from benchbot.runners.base import cpus_of_mask
from benchbot.runners.native.runner import NativeToolRunner
from benchbot.transports import LocalTransport, Transport


@dataclass(frozen=True)
class DeviceOptions:
    """Command-line choices that apply to every device of a run."""

    serial: str | None = None  # pick this phone, whatever the profile says
    keep: bool = False  # leave pushed files on the device
    battery_floor: int = 20  # percent; a phone under it is refused
    runner_bin: Path | None = None  # native tool binary, overriding the profile's


@dataclass
class Device:
    """A device ready to measure on."""

    profile: Profile
    transport: Transport
    runner: Runner
    hygiene: Hygiene
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.profile.name

    def cpus_for(self, threads: int) -> list[int] | None:
        mask = self.profile.cpu.mask_for(threads)
        return cpus_of_mask(mask) if mask else None

    def close(self) -> None:
        try:
            self.transport.cleanup()
        finally:
            self.transport.close()


def make_runner(profile: Profile, transport: Transport, options: DeviceOptions,
                default_python: str) -> Runner:
    """The profile's runner on this transport: benchbot's agent, or a native tool."""
    kind = profile.runner.kind
    masks = dict(profile.cpu.masks)
    if kind == "agent":
        return AgentRunner(transport, python=profile.runner.python or default_python,
                           cpu_masks=masks)
    binary: Path | str | None = options.runner_bin or profile.runner.binary
    if binary is None and kind == "trtexec":
        binary = "trtexec"  # GPU servers have it on their PATH
    if binary is None:
        raise UserError(f"the {kind} runner of device '{profile.name}' needs the tool's "
                        "binary: pass --runner-bin PATH or set [runner] binary in "
                        f"{profile.source}")
    if isinstance(binary, Path) and not binary.is_file():
        raise UserError(f"{kind} binary not found: {binary}")
    return NativeToolRunner(kind, transport, binary, masks)


def open_device(profile: Profile, options: DeviceOptions = DeviceOptions(),
                say: Callable[[str], None] = lambda _: None) -> Device:
    """Connect to the device a profile describes."""
    if profile.transport != "local":
        raise UserError(f"device '{profile.name}' uses the {profile.transport} transport, which "
                        "this version of benchbot cannot drive yet; use --device local")
    transport = LocalTransport()
    runner = make_runner(profile, transport, options, sys.executable)
    facts = {"profile": profile.name, "label": profile.display_name, "transport": "local",
             "runner": runner.kind, **host_facts()}
    return Device(profile=profile, transport=transport, runner=runner,
                  hygiene=Hygiene(transport, profile.thermal, say, with_battery=False),
                  facts=facts)
