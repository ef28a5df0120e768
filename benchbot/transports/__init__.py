"""Transports: how benchbot reaches a device. Each one runs argv lists with a time limit and
moves files: local (the host), adb (Android phones), ssh (Linux servers and boards)."""

from __future__ import annotations

from benchbot.transports.base import CommandResult, Transport
from benchbot.transports.local import LocalTransport

__all__ = ["CommandResult", "LocalTransport", "Transport"]
# AdbTransport and SshTransport are imported from their modules where needed, so that a
# local run never loads adbutils or paramiko.
