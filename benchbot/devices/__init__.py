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


def _runner(profile: Profile, transport: Transport, default_python: str) -> Runner:
    if profile.runner.kind != "agent":
        raise UserError(f"runner '{profile.runner.kind}' is not available in this version of "
                        "benchbot; use --runner agent")
    return AgentRunner(transport, python=profile.runner.python or default_python,
                       cpu_masks=dict(profile.cpu.masks))


def open_device(profile: Profile, options: DeviceOptions = DeviceOptions(),
                say: Callable[[str], None] = lambda _: None) -> Device:
    """Connect to the device a profile describes."""
    if profile.transport != "local":
        raise UserError(f"device '{profile.name}' uses the {profile.transport} transport, which "
                        "this version of benchbot cannot drive yet; use --device local")
    transport = LocalTransport()
    runner = _runner(profile, transport, sys.executable)
    facts = {"profile": profile.name, "label": profile.display_name, "transport": "local",
             "runner": runner.kind, **host_facts()}
    return Device(profile=profile, transport=transport, runner=runner,
                  hygiene=Hygiene(transport, profile.thermal, say, with_battery=False),
                  facts=facts)
