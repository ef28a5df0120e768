"""What opening a device of one transport kind takes: a :class:`DeviceKind` per kind.

Each kind's module (``devices/local.py``, ``devices/phones.py``, ``devices/servers.py``)
holds one; the profile's registered :class:`~benchbot.profiles.TransportKind` names it by
``module:attribute``, and :func:`device_kind` imports it when a device of that kind is
opened (so adbutils and paramiko load only for the kinds that need them).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

from benchbot.profiles import Profile, TransportName
from benchbot.profiles.transport_kinds import transport_kind
from benchbot.transports import Transport

if TYPE_CHECKING:
    from benchbot.devices import Device, DeviceOptions

Say = Callable[[str], None]


@dataclass(frozen=True)
class DeviceKind:
    """How a device of one transport kind is opened and told apart.

    ``open`` connects to the device a profile describes (transport, runner, hygiene,
    facts); ``facts`` reads what a report needs to know about it over its transport;
    ``lease_key`` names the physical device, which two benchbot processes must never
    measure on at once.
    """

    name: TransportName
    open: Callable[[Profile, DeviceOptions, Say], Device]
    facts: Callable[[Transport, Profile], dict[str, Any]]
    lease_key: Callable[[Profile, Mapping[str, Any]], str]


def device_kind(profile: Profile) -> DeviceKind:
    """The registered DeviceKind of ``profile``'s transport."""
    module, _, attribute = transport_kind(profile.transport).opener.partition(":")
    kind = getattr(importlib.import_module(module), attribute)
    assert isinstance(kind, DeviceKind) and kind.name == profile.transport, kind
    return kind
