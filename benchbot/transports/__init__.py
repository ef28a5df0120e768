"""Transports: how benchbot reaches a device (local now; adb and ssh build on the same interface)."""

from __future__ import annotations

from benchbot.transports.base import CommandResult, Transport
from benchbot.transports.local import LocalTransport

__all__ = ["CommandResult", "LocalTransport", "Transport"]
