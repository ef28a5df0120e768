"""The profile schema: one declarative table, a few cross-checks, no I/O.

:data:`PROFILE_SCHEMA` lists every section and key a profile may have, with its
type; :func:`profile_from_toml` runs a parsed TOML document through it, then
through the checks that relate keys to each other (the name and the file, the
transport and its section, the CPU layout and its masks), and builds a frozen
:class:`~benchbot.profiles.values.Profile`. Every failure is one
:class:`~benchbot.errors.ProfileError` line naming the file and the dotted key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from benchbot.errors import ProfileError
from benchbot.profiles.keytypes import (
    ArrayOf,
    Field,
    HostPath,
    Integer,
    Invalid,
    KeyPath,
    Number,
    OneOrMany,
    Section,
    TableOf,
    Text,
    quote,
    render_path,
)
from benchbot.profiles.transport_kinds import (TRANSPORT_KINDS, TRANSPORTS, TransportName,
                                          check_sections, settings_of)
from benchbot.profiles.values import CpuSettings, Profile, RunnerSettings, ThermalSettings

_THREAD_COUNT = re.compile(r"[1-9][0-9]*")
_HEX_MASK = re.compile(r"(?:0[xX])?[0-9a-fA-F]+")


class HexMask(Text):
    """A CPU affinity mask in hex, as a string ("f0" or "0xf0"); stored as "f0"."""

    noun = 'a hex CPU mask string such as "f0"'

    def convert(self, value: object, path: KeyPath) -> object:
        text = str(super().convert(value, path))
        if not _HEX_MASK.fullmatch(text):
            raise Invalid(f"'{render_path(path)}' must be {self.noun}, got {quote(text)}")
        bits = int(text, 16)
        if bits == 0:
            raise Invalid(f"'{render_path(path)}' selects no CPU; set at least one bit")
        return format(bits, "x")


def _thread_count(key: str, path: KeyPath) -> int:
    if not _THREAD_COUNT.fullmatch(key):
        where = render_path(path[:-1])
        raise Invalid(f"'{where}' keys must be thread counts (positive integers such as 4), got {quote(key)}")
    return int(key)


def _property_name(key: str, path: KeyPath) -> str:
    if not key:
        raise Invalid(f"'{render_path(path[:-1])}' keys must be device property names, got an empty key")
    return key


PROFILE_SCHEMA = Section({
    "name": Field(Text(), required=True),
    "description": Field(Text(allow_empty=True)),
    "label": Field(Text()),
    "transport": Field(Text(choices=TRANSPORTS), required=True),
    # each registered transport's own table: [adb], [ssh]
    **{kind.name: Field(kind.keys) for kind in TRANSPORT_KINDS.values() if kind.keys},
    # Device property -> the value (or any of the values) that recognises it.
    "match": Field(TableOf(OneOrMany(Text()), key=_property_name)),
    "cpu": Field(Section({
        "cores": Field(Integer(minimum=1)),
        "clusters": Field(ArrayOf(ArrayOf(Integer(minimum=0), min_items=1), min_items=1)),
        "max_freq_khz": Field(ArrayOf(Integer(minimum=1), min_items=1)),
        "masks": Field(TableOf(HexMask(), key=_thread_count)),
    })),
    "runner": Field(Section({
        "kind": Field(Text()),  # a registered runner: checked where profiles are used
        "python": Field(Text()),
        "binary": Field(HostPath()),
        "workdir": Field(Text()),
    })),
    "thermal": Field(Section({
        "zones": Field(ArrayOf(Text())),
        "max_temp_c": Field(Number(above=0)),
        "cooldown_s": Field(Number(minimum=0)),
    })),
})


def profile_from_toml(data: Mapping[str, object], source: Path) -> Profile:
    """Validate one parsed TOML document read from ``source`` and build its Profile.

    Raises ProfileError, one line starting with ``source``, on the first problem.
    """
    try:
        top = PROFILE_SCHEMA.convert(dict(data), ())
        _check_name(top, source)
        check_sections(top)
        _check_cpu(top.get("cpu", {}))
    except Invalid as exc:
        raise ProfileError(f"{source}: {exc}") from None
    transport = TransportName(top["transport"])
    return Profile(
        name=str(top["name"]),
        description=str(top.get("description", "")),
        label=str(top.get("label", "")),
        transport=transport,
        source=source,
        transport_settings=settings_of(top).get(transport),
        match=top.get("match", MappingProxyType({})),
        cpu=CpuSettings(**top.get("cpu", {})),
        runner=RunnerSettings(**top.get("runner", {})),
        thermal=ThermalSettings(**top["thermal"]) if "thermal" in top else None,
    )


def _check_name(top: Mapping[str, object], source: Path) -> None:
    # The file name is how users pick a device (--device NAME), so they must agree.
    if top["name"] != source.stem:
        raise Invalid(
            f"'name' is {quote(str(top['name']))} but the file is {source.name}; "
            f"rename the file or set name = {quote(source.stem)}"
        )


def _check_cpu(cpu: Mapping[str, object]) -> None:
    cores: int | None = cpu.get("cores")  # type: ignore[assignment]
    clusters: tuple[tuple[int, ...], ...] = cpu.get("clusters", ())  # type: ignore[assignment]
    freqs: tuple[int, ...] = cpu.get("max_freq_khz", ())  # type: ignore[assignment]
    masks: Mapping[int, str] = cpu.get("masks", {})  # type: ignore[assignment]

    if clusters and freqs and len(clusters) != len(freqs):
        raise Invalid(
            f"'cpu.max_freq_khz' has {len(freqs)} entries but 'cpu.clusters' has "
            f"{len(clusters)}; give one frequency per cluster"
        )
    seen: set[int] = set()
    for core in (c for cluster in clusters for c in cluster):
        if core in seen:
            raise Invalid(f"'cpu.clusters' lists core {core} more than once")
        seen.add(core)
        if cores is not None and core >= cores:
            raise Invalid(f"'cpu.clusters' names core {core}, but 'cpu.cores' is {cores} (ids 0 to {cores - 1})")
    for threads, mask in masks.items():
        where = render_path(("cpu", "masks", str(threads)))
        bits = int(mask, 16)
        selected = bin(bits).count("1")
        if selected < threads:
            raise Invalid(
                f"'{where}' is {quote(mask)}, which selects {selected} CPU(s), fewer than its {threads} threads"
            )
        if cores is not None and bits >> cores:
            raise Invalid(
                f"'{where}' is {quote(mask)}, which selects CPU {bits.bit_length() - 1}, "
                f"but 'cpu.cores' is {cores} (ids 0 to {cores - 1})"
            )
