"""Open a device from its profile: the transport to reach it and the runner to measure on it."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from benchbot.errors import UserError
from benchbot.facts import host_facts
from benchbot.profiles import Profile
from benchbot.runners import AgentRunner, Runner
from benchbot.transports import LocalTransport, Transport


@dataclass
class Device:
    """A device ready to measure on."""

    profile: Profile
    transport: Transport
    runner: Runner
    facts: dict[str, Any]

    @property
    def name(self) -> str:
        return self.profile.name

    def close(self) -> None:
        self.transport.close()


def open_device(profile: Profile) -> Device:
    """Connect to the device a profile describes (only the host itself in this version)."""
    if profile.transport != "local":
        raise UserError(f"device '{profile.name}' uses the {profile.transport} transport, which "
                        "this version of benchbot cannot drive yet; use --device local")
    if profile.runner.kind != "agent":
        raise UserError(f"runner '{profile.runner.kind}' is not available in this version of "
                        "benchbot; use --runner agent")
    transport = LocalTransport()
    runner = AgentRunner(transport, python=profile.runner.python or sys.executable,
                         cpu_masks=dict(profile.cpu.masks))
    facts = {"profile": profile.name, "label": profile.display_name, "transport": "local",
             "runner": runner.kind,
             **host_facts()}
    return Device(profile=profile, transport=transport, runner=runner, facts=facts)
