"""The transports' own settings values: what a profile tells a transport, with no I/O.

Profiles (:mod:`benchbot.profiles`) are read into these; transports never import profiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_ADB_SERVER = "127.0.0.1:5037"


@dataclass(frozen=True)
class SshSettings:
    """How to reach a Linux server over SSH; paths are already ``~``-expanded."""

    host: str
    port: int = 22
    user: str | None = None
    key_file: Path | None = None
    known_hosts: Path | None = None
