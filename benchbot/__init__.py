"""benchbot: on-device latency benchmarking for exported ML models."""

from __future__ import annotations

from benchbot._version import __version__

__all__ = ["__version__"]
