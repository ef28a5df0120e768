"""Device profiles as frozen values.

A :class:`Profile` is built once, by :mod:`benchbot.profiles.schema`, from a
TOML file that has already been checked key by key; the rest of benchbot only
reads it. Every nested collection is a tuple or a read-only mapping, so a
profile handed to a transport or a runner cannot be changed under its feet.
Field names here are exactly the TOML key names, so the schema can build these
classes directly and their defaults are the only defaults.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from benchbot.transports.settings import SshSettings, default_adb_server

if TYPE_CHECKING:
    from benchbot.profiles.transport_kinds import TransportName


def _empty_mapping() -> Mapping[object, object]:
    return MappingProxyType({})


@dataclass(frozen=True)
class AdbSettings:
    """How to reach a phone over ADB: which device, through which adb server."""

    serial: str | None = None
    server: str | None = None  # None: the environment's (ANDROID_ADB_SERVER_*), else 5037
    # run --energy: tell the phone to stop charging for each case (restored afterwards)
    stop_charging: bool = False

    def chosen_server(self) -> str:
        """This profile's adb server, or the environment's default, read now."""
        return self.server or default_adb_server()

    @property
    def server_host(self) -> str:
        """The adb server's host, without IPv6 brackets."""
        host = self.chosen_server().rpartition(":")[0]
        return host[1:-1] if host.startswith("[") else host

    @property
    def server_port(self) -> int:
        """The adb server's TCP port."""
        return int(self.chosen_server().rpartition(":")[2])


@dataclass(frozen=True)
class CpuSettings:
    """The device's CPU layout and the affinity masks to pin a run with.

    ``clusters`` lists core ids per cluster, little to big; ``max_freq_khz`` has
    one entry per cluster. ``masks`` maps a thread count to a hex CPU mask
    (lower case, no ``0x``), as ``taskset`` takes it.
    """

    cores: int | None = None
    clusters: tuple[tuple[int, ...], ...] = ()
    max_freq_khz: tuple[int, ...] = ()
    masks: Mapping[int, str] = field(default_factory=_empty_mapping)

    def mask_for(self, threads: int) -> str | None:
        """The mask configured for exactly ``threads`` threads, else ``None`` (no pinning)."""
        return self.masks.get(threads)


@dataclass(frozen=True)
class RunnerSettings:
    """What measures on the device: our agent or one native benchmark tool.

    ``python`` is the agent's interpreter on the device, ``binary`` a native
    tool on this host to push, ``workdir`` the working directory on the device.
    ``kind`` is checked against the runners' registry (the layer above profiles)
    when the profile is used: see :func:`benchbot.runs.session.profiles_of`.
    """

    kind: str = "agent"
    python: str | None = None
    binary: Path | None = None
    workdir: str | None = None


@dataclass(frozen=True)
class ThermalSettings:
    """Which thermal zones to watch, the temperature to wait below, and for how long to cool.

    An empty ``zones`` leaves the choice of zones to the transport;
    ``max_temp_c`` of ``None`` means no temperature gate.
    """

    zones: tuple[str, ...] = ()
    max_temp_c: float | None = None
    cooldown_s: float = 0.0


@dataclass(frozen=True)
class Profile:
    """One device: how to reach it, how to recognise it, and how to run on it.

    ``transport`` is a registered kind (:mod:`benchbot.profiles.transport_kinds`);
    ``transport_settings`` is what its profile table says (an :class:`AdbSettings` for
    ``adb``, an :class:`SshSettings` for ``ssh``, None for a kind without a table);
    ``source`` is the file the profile was read from.
    """

    name: str
    description: str
    transport: TransportName
    source: Path
    transport_settings: object | None = None
    match: Mapping[str, tuple[str, ...]] = field(default_factory=_empty_mapping)
    cpu: CpuSettings = field(default_factory=CpuSettings)
    runner: RunnerSettings = field(default_factory=RunnerSettings)
    thermal: ThermalSettings | None = None
    label: str = ""  # how reports title the device's column; the name when empty

    @property
    def display_name(self) -> str:
        return self.label or self.name

    @property
    def adb(self) -> AdbSettings | None:
        """The [adb] settings of a phone's profile; None for other transports."""
        given = self.transport_settings
        return given if isinstance(given, AdbSettings) else None

    @property
    def ssh(self) -> SshSettings | None:
        """The [ssh] settings of a server's profile; None for other transports."""
        given = self.transport_settings
        return given if isinstance(given, SshSettings) else None

    def with_runner(self, kind: str) -> Profile:
        """A copy that measures with runner ``kind`` (the ``--runner KIND`` override)."""
        return dataclasses.replace(self, runner=dataclasses.replace(self.runner, kind=kind))

    def to_dict(self) -> dict[str, object]:
        """The profile as JSON-able data (paths as strings), for ``profiles show``: each
        transport table under its kind's name (null for the kinds the profile is not)."""
        from benchbot.profiles.transport_kinds import TRANSPORT_KINDS  # the registry imports us

        data = {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)
                if f.name != "transport_settings"}
        for kind in TRANSPORT_KINDS.values():
            if kind.settings is not None:
                mine = kind.name == self.transport
                data[kind.name] = _jsonable(self.transport_settings if mine else None)
        return data


def _jsonable(value: object) -> object:
    """Turn nested dataclasses, tuples, mappings and paths into JSON data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        # JSON object keys are strings; mask thread counts become "4".
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (Path, enum.Enum)):
        return str(value)
    return value
