"""The transports' own settings values: what a profile tells a transport, with no I/O.

Profiles (:mod:`benchbot.profiles`) are read into these; transports never import profiles.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from benchbot.errors import ConfigError

# adb's own default; ANDROID_ADB_SERVER_ADDRESS / ANDROID_ADB_SERVER_PORT move it, as they
# do for adb itself and adbutils (see default_adb_server)
DEFAULT_ADB_SERVER = "127.0.0.1:5037"


def default_adb_server(environ: Mapping[str, str] | None = None) -> str:
    """The adb server to use when none is named (``--adb-server``, a profile's [adb] server).

    ``host:port`` from ``ANDROID_ADB_SERVER_ADDRESS`` (default 127.0.0.1) and
    ``ANDROID_ADB_SERVER_PORT`` (default 5037), the variables adb and adbutils honour. Read
    when a server is chosen, not at import, so the environment of the moment counts.
    """
    env = os.environ if environ is None else environ
    default_host, _, default_port = DEFAULT_ADB_SERVER.rpartition(":")
    host = env.get("ANDROID_ADB_SERVER_ADDRESS", "").strip() or default_host
    port = env.get("ANDROID_ADB_SERVER_PORT", "").strip() or default_port
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"ANDROID_ADB_SERVER_PORT={port!r} is not a TCP port (1-65535): "
                          "fix it or unset it")
    if any(c.isspace() or c in "[]/" for c in host):
        raise ConfigError(f"ANDROID_ADB_SERVER_ADDRESS={host!r} is not a host name or "
                          "address: fix it or unset it")
    return f"[{host}]:{int(port)}" if ":" in host else f"{host}:{int(port)}"


@dataclass(frozen=True)
class SshSettings:
    """How to reach a Linux server over SSH; paths are already ``~``-expanded."""

    host: str
    port: int = 22
    user: str | None = None
    key_file: Path | None = None
    known_hosts: Path | None = None
