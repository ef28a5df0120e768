"""Where a run was measured, as values of its header: the host that drove it
(:class:`HostFacts`) and each device (:class:`DeviceFacts`), read once when the device
was opened. JSON in :mod:`benchbot.store.codec`.

A device is one of three kinds, after the transport that reaches it: ``host`` (this
machine, ``local``), ``phone`` (Android over ``adb``) or ``server`` (Linux over ``ssh``).
One type holds them all; the fields of another kind stay None. Facts a later benchbot
adds, or a tool reports beyond these, are kept in ``extras`` (never branched on).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

DEVICE_KINDS = ("host", "phone", "server")
# the kind of device each transport reaches (a results file before schema 3 says only this)
KIND_OF_TRANSPORT: Mapping[str, str] = {"local": "host", "adb": "phone", "ssh": "server"}


@dataclass(frozen=True)
class HostFacts:
    """A machine benchbot ran on: the host that drove a run, or a ``host`` device."""

    hostname: str = ""
    os: str | None = None
    machine: str | None = None
    cpu_model: str | None = None
    cores: int | None = None
    max_freq_khz: Mapping[str, int] = field(default_factory=dict)  # cpuN -> kHz
    memory_gb: float | None = None
    python: str | None = None


@dataclass(frozen=True)
class Cluster:
    """A phone's cpufreq policy: its CPUs and their maximum clock."""

    cpus: tuple[int, ...]
    max_freq_khz: int | None = None


@dataclass(frozen=True)
class Gpu:
    """A server's GPU as nvidia-smi lists it."""

    name: str
    driver: str | None = None
    memory_mib: float | None = None
    sm_clock_mhz: float | None = None
    max_sm_clock_mhz: float | None = None
    mem_clock_mhz: float | None = None
    temp_c: float | None = None


@dataclass(frozen=True)
class DeviceFacts:
    """A device of a run: its profile, and what was read from it when it was opened.

    ``farm_phones`` (a farm run): the serial of each phone that measured a case of this
    device, and the worker holding it.
    """

    kind: str  # one of DEVICE_KINDS
    profile: str = ""
    label: str = ""
    transport: str = ""
    runner: str = ""
    # the machine: a host device's own facts, a server's as read over ssh
    hostname: str | None = None  # host
    host: str | None = None  # server: the ssh host of its profile
    os: str | None = None
    machine: str | None = None
    cpu_model: str | None = None
    cores: int | None = None
    max_freq_khz: Mapping[str, int] | None = None
    memory_gb: float | None = None
    python: str | None = None
    gpus: tuple[Gpu, ...] | None = None  # server
    cuda: str | None = None  # server
    # phone
    serial: str | None = None
    adb_server: str | None = None
    model: str | None = None
    manufacturer: str | None = None
    soc: str | None = None
    platform: str | None = None
    android: str | None = None
    sdk: str | None = None
    abi: str | None = None
    clusters: tuple[Cluster, ...] | None = None
    max_temp_c: float | None = None
    battery: Mapping[str, Any] | None = None  # as read at opening (level, temperature...)
    farm_phones: Mapping[str, str] = field(default_factory=dict)
    extras: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in DEVICE_KINDS:
            raise ValueError(f"a device kind is one of {', '.join(DEVICE_KINDS)}, "
                             f"not {self.kind!r}")

    @property
    def read(self) -> bool:
        """Whether facts were read from the device itself (not only its profile's): a
        farm's client learns them from the first case a worker measures."""
        return self.serial is not None or self.hostname is not None or self.os is not None

    @property
    def core_count(self) -> int | None:
        """Cores: ``cores`` (hosts, servers), else the CPUs of the phone's clusters."""
        if self.cores:
            return self.cores
        cpus = {cpu for cluster in self.clusters or () for cpu in cluster.cpus}
        return len(cpus) or None
