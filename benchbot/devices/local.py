"""This host as a device: commands run in local subprocesses."""

from __future__ import annotations

import sys
from typing import Any, Mapping

from benchbot.devices import Device, DeviceOptions, base_facts, make_runner, sampled
from benchbot.devices.facts import host_facts
from benchbot.devices.hygiene import Hygiene
from benchbot.devices.kinds import DeviceKind, Say
from benchbot.profiles import Profile, TransportName
from benchbot.transports import LocalTransport, Transport


def open_local(profile: Profile, options: DeviceOptions, say: Say) -> Device:
    """The host itself, measured with this Python unless the profile names another."""
    transport = LocalTransport()
    runner = sampled(make_runner(profile, transport, options, sys.executable), transport,
                     False, options)
    return Device(profile=profile, transport=transport, runner=runner,
                  hygiene=Hygiene(transport, profile.thermal, say, with_battery=False),
                  facts={**base_facts(profile, runner), **LOCAL.facts(transport, profile)})


def lease_key(profile: Profile, facts: Mapping[str, Any]) -> str:
    return f"local-{facts.get('hostname', 'host')}"


def read_facts(transport: Transport, profile: Profile) -> dict[str, Any]:
    """The host's facts (read once per process)."""
    return host_facts()


LOCAL = DeviceKind(TransportName("local"), open_local, read_facts, lease_key)
