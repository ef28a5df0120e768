"""Device profiles: TOML files -> frozen, validated values.

One file per device, ``NAME.toml``, found in the built-in ``device_profiles/``,
then in the folders of ``BENCHBOT_PROFILES``, then in ``--profiles DIR``
(later folders override earlier ones). Each file is validated once, against
the declarative table in :mod:`benchbot.profiles.schema`; a problem is a
one-line :class:`~benchbot.errors.ProfileError` naming the file and the key.
"""

from __future__ import annotations

from benchbot.profiles.catalog import (
    ENV_VAR,
    builtin_profiles_dir,
    get_profile,
    list_profiles,
    load_profile_file,
    profile_dirs,
)
from benchbot.profiles.schema import PROFILE_SCHEMA, profile_from_toml
from benchbot.transports.settings import DEFAULT_ADB_SERVER
from benchbot.profiles.transport_kinds import TRANSPORT_KINDS, TRANSPORTS, TransportKind, TransportName
from benchbot.profiles.values import (
    AdbSettings,
    CpuSettings,
    Profile,
    RunnerSettings,
    SshSettings,
    ThermalSettings,
    default_adb_server,
)

__all__ = [
    "DEFAULT_ADB_SERVER",
    "ENV_VAR",
    "PROFILE_SCHEMA",
    "TRANSPORTS",
    "TRANSPORT_KINDS",
    "TransportKind",
    "TransportName",
    "AdbSettings",
    "CpuSettings",
    "Profile",
    "RunnerSettings",
    "SshSettings",
    "ThermalSettings",
    "builtin_profiles_dir",
    "default_adb_server",
    "get_profile",
    "list_profiles",
    "load_profile_file",
    "profile_dirs",
    "profile_from_toml",
]
