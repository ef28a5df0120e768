"""Open a device from its profile: the transport to reach it, the runner to measure on it,
and the hygiene applied around each case.

Each transport kind opens its devices in its own module (``local.py``, ``phones.py``,
``servers.py``: a :class:`~benchbot.devices.kinds.DeviceKind` each), found through the
profile's registered kind (:mod:`benchbot.profiles.transport_kinds`); this module holds
what they share: :class:`Device`, :class:`DeviceOptions` and the runner they measure with."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from benchbot.errors import ConfigError, TransportError, UserError
from benchbot.devices.charging import ChargingControl
from benchbot.devices.hygiene import Hygiene
from benchbot.devices.sampler import DeviceSampler
from benchbot.profiles import Profile
from benchbot.runners import AgentRunner, Runner
from benchbot.runners.base import cpus_of_mask
from benchbot.runners.native import tool
from benchbot.runners.native.runner import NativeToolRunner
from benchbot.transports import Transport


@dataclass(frozen=True)
class DeviceOptions:
    """Command-line choices that apply to every device of a run."""

    serial: str | None = None  # pick this phone, whatever the profile says
    keep: bool = False  # leave pushed files on the device
    battery_floor: int = 20  # percent; a phone under it is refused
    runner_bin: Path | None = None  # native tool binary, overriding the profile's
    adb_server: str | None = None  # host:port, overriding the profile's

    def __post_init__(self) -> None:
        if isinstance(self.battery_floor, bool) or not 0 <= self.battery_floor <= 100:
            raise ConfigError(f"--battery-floor is a percentage from 0 to 100 (0: never refuse), "
                              f"got {self.battery_floor}")


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

    @property
    def lease_key(self) -> str:
        """What two benchbot processes must never measure on at once: the physical device."""
        from benchbot.devices.kinds import device_kind  # imports this package

        return device_kind(self.profile).lease_key(self.profile, self.facts)

    def wait_until_back(self, timeout: float, poll: float = 1.0) -> bool:
        """Whether the device answers again within ``timeout`` seconds (after a disconnect)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.transport.run(["true"], timeout=5).ok:
                    return True
            except TransportError:
                pass
            time.sleep(poll)
        return False

    def abort(self) -> None:
        """Kill what the device is measuring now (every transport can)."""
        self.transport.abort()

    def cpus_for(self, threads: int) -> list[int] | None:
        mask = self.profile.cpu.mask_for(threads)
        return cpus_of_mask(mask) if mask else None

    def close(self) -> None:
        try:
            self.transport.cleanup()
        except TransportError as exc:  # the device went away: what was measured still counts
            self.hygiene.say(f"warning: could not remove benchbot's files from {self.name} "
                             f"({exc}); remove them by hand or run again with --keep")
        finally:
            self.transport.close()


def make_runner(profile: Profile, transport: Transport, options: DeviceOptions,
                default_python: str, abi: str | None = None,
                say: Callable[[str], None] = lambda _: None) -> Runner:
    """The profile's runner on this transport: benchbot's agent, or a native tool.

    ``--runner-bin auto`` (the default, without a binary, for a tool that can be
    fetched: LiteRT's prebuilt benchmark_model) downloads it for the phone's ``abi``, once."""
    kind = profile.runner.kind
    masks = dict(profile.cpu.masks)
    if kind == "agent":
        return AgentRunner(transport, python=profile.runner.python or default_python,
                           cpu_masks=masks)
    binary: Path | str | None = options.runner_bin or profile.runner.binary
    found = tool(kind)
    if binary is None and found.default_binary is not None:
        binary = found.default_binary  # e.g. trtexec: GPU servers have it on their PATH
    if found.fetch is not None and ((binary is None and abi) or str(binary) == "auto"):
        binary = found.fetch(abi, profile.name, say)
    if binary is None:
        raise UserError(f"the {kind} runner of device '{profile.name}' needs the tool's "
                        "binary: pass --runner-bin PATH or set [runner] binary in "
                        f"{profile.source}")
    if isinstance(binary, Path) and not binary.is_file():
        raise UserError(f"{kind} binary not found: {binary}")
    return NativeToolRunner(kind, transport, binary, masks)


def sampled(runner: Runner, transport: Transport, with_battery: bool,
             options: DeviceOptions, profile: Profile | None = None,
             say: Callable[[str], None] = lambda _: None) -> Runner:
    """The runner, reading the device's state beside sustained series (agent only), and
    stopping a phone's charging for --energy where its profile says so."""
    if isinstance(runner, AgentRunner):
        runner.sampler = DeviceSampler(transport, with_battery)
        runner.battery_floor = options.battery_floor if with_battery else 0
        if profile is not None and profile.adb is not None and profile.adb.stop_charging:
            runner.charging_control = ChargingControl(transport, profile.name, say)
    return runner


def base_facts(profile: Profile, runner: Runner) -> dict[str, Any]:
    """What every device's facts start with: its profile, transport and runner."""
    return {"profile": profile.name, "label": profile.display_name,
            "transport": str(profile.transport), "runner": runner.kind}


def open_device(profile: Profile, options: DeviceOptions = DeviceOptions(),
                say: Callable[[str], None] = lambda _: None) -> Device:
    """Connect to the device a profile describes, as its transport kind opens one."""
    from benchbot.devices.kinds import device_kind  # imports this package

    return device_kind(profile).open(profile, options, say)
