"""benchbot: on-device latency benchmarking for exported ML models."""

from __future__ import annotations

__version__ = "0.1.0"
