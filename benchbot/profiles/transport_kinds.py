"""Transport kinds as registered values: one frozen :class:`TransportKind` per kind.

A profile's ``transport = "adb"`` names an entry of :data:`TRANSPORT_KINDS`. The entry
says which profile table belongs to the kind (its keys, and the settings value they
build) and where a device of the kind is opened: ``opener`` is a ``module:attribute``
path to a :class:`benchbot.devices.kinds.DeviceKind`, imported only when such a device is
opened (as entry points are), so a local run never loads adbutils or paramiko and this
layer stays below the devices one.

Adding a transport: its module in ``transports/`` (the :class:`Transport` it speaks), one
module in ``devices/`` holding its ``DeviceKind`` (how a device is opened, its facts, its
lease key), and one entry here. Every choice list (the profile schema, ``profiles
list``, the help texts) is read from this registry.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Callable, Mapping

from benchbot.profiles.keytypes import (Field, Flag, HostPath, Integer, Invalid, KeyPath,
                                        Section, Text, quote, render_path)
from benchbot.profiles.values import AdbSettings, SshSettings


class HostPort(Text):
    """A ``host:port`` address (``[v6]:port`` for IPv6) with a port in 1..65535."""

    noun = 'a "host:port" string such as "127.0.0.1:5037"'

    def convert(self, value: object, path: KeyPath) -> object:
        text = str(super().convert(value, path))
        host, _, port = text.rpartition(":")
        bare_host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        if not bare_host or (":" in bare_host and bare_host == host) or not port.isdigit():
            raise Invalid(f"'{render_path(path)}' must be {self.noun}, got {quote(text)}")
        if not 1 <= int(port) <= 65535:
            raise Invalid(f"'{render_path(path)}' has port {port}; a port must be between 1 and 65535")
        return text


@dataclass(frozen=True)
class TransportKind:
    """One way to reach a device, as profiles name it.

    ``keys`` is the profile table named after the kind (``[adb]``, ``[ssh]``), None when
    the kind has none; ``settings`` builds the value a profile carries from that table's
    keys; ``section_required``: a profile of the kind must have the table.
    """

    name: str
    summary: str
    opener: str  # "module:attribute" of the kind's DeviceKind, imported when a device opens
    keys: Section | None = None
    settings: Callable[..., object] | None = None
    section_required: bool = False
    # its devices are phones behind an adb server: `devices` and a farm worker list them
    # by serial, and a native tool's binary is fetched for Android
    phones: bool = False


LOCAL = TransportKind("local", "this host, in subprocesses",
                      opener="benchbot.devices.local:LOCAL")
ADB = TransportKind(
    "adb", "an Android phone through an adb server",
    opener="benchbot.devices.phones:PHONE",
    keys=Section({"serial": Field(Text()), "server": Field(HostPort()),
                  "stop_charging": Field(Flag())}),
    settings=AdbSettings, phones=True)
SSH = TransportKind(
    "ssh", "a Linux server or board over SSH",
    opener="benchbot.devices.servers:SERVER",
    keys=Section({"host": Field(Text(), required=True),
                  "port": Field(Integer(minimum=1, maximum=65535)),
                  "user": Field(Text()), "key_file": Field(HostPath()),
                  "known_hosts": Field(HostPath())}),
    settings=SshSettings, section_required=True)

TRANSPORT_KINDS: Mapping[str, TransportKind] = {k.name: k for k in (ADB, LOCAL, SSH)}

# ``Profile.transport``'s type: one member per registered kind, equal to its name
TransportName = enum.StrEnum("TransportName", {k.upper(): k for k in TRANSPORT_KINDS})  # type: ignore[misc]

TRANSPORTS: tuple[str, ...] = tuple(TRANSPORT_KINDS)


def transport_kind(name: str) -> TransportKind:
    """The registered kind called ``name``; a ValueError naming the known ones otherwise."""
    try:
        return TRANSPORT_KINDS[name]
    except KeyError:
        raise ValueError(f"unknown transport {name!r} (known: {', '.join(TRANSPORTS)})") from None


def check_sections(top: Mapping[str, object]) -> None:
    """A profile's transport tables agree with its ``transport``: no other kind's table,
    and its own where the kind requires one."""
    transport = str(top["transport"])
    for kind in TRANSPORT_KINDS.values():
        if kind.keys is not None and kind.name in top and transport != kind.name:
            raise Invalid(
                f"'{kind.name}' is set but 'transport' is {quote(transport)}; "
                f"remove [{kind.name}] or set transport = {quote(kind.name)}"
            )
    own = TRANSPORT_KINDS[transport]
    if own.section_required and own.name not in top and own.keys is not None:
        first = next((k for k, f in own.keys.fields.items() if f.required), "")
        raise Invalid(f"missing required key '{own.name}.{first}' (needed when "
                      f"transport = {quote(own.name)})")


def settings_of(top: Mapping[str, object]) -> dict[str, object]:
    """The profile's transport settings, keyed by its kind (built from its own kind's table,
    empty when the table is absent and optional); {} for a kind without settings."""
    kind = TRANSPORT_KINDS[str(top["transport"])]
    if kind.settings is None:
        return {}
    table = top.get(kind.name, {})
    assert isinstance(table, Mapping)
    return {kind.name: kind.settings(**table)}
