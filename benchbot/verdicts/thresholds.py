"""How big a change must be to matter: a default, overridden per model and device.

A policy is a value; it can come from the command line (``--override``) or a
mapping read elsewhere (a nightly TOML), e.g.::

    [thresholds]
    default = "5%"
    models = { mobilenet_v2 = "8%" }
    devices = { pixel7 = "10%" }
    pairs = { "mobilenet_v2@pixel7" = "12%" }

The most specific entry wins: model@device, then model, then device, then the
default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from benchbot.errors import ConfigError

_NUMBER = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*$")


def parse_threshold(text: str | float, where: str = "threshold") -> float:
    """'5%' or 0.05 -> 0.05; refuses bare numbers above 1 as ambiguous."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value, percent = float(text), False
    else:
        match = _NUMBER.match(str(text))
        if not match:
            raise ConfigError(f"{where}: {text!r} is not a relative change; write e.g. 5% "
                              "or 0.05")
        value, percent = float(match.group(1)), bool(match.group(2))
    fraction = value / 100.0 if percent else value
    if not percent and value > 1:
        raise ConfigError(f"{where}: {text!r} is ambiguous; write {value:g}% or "
                          f"{value / 100:g}")
    if not 0.0 <= fraction < 1.0:
        raise ConfigError(f"{where}: {text!r} must be at least 0% and below 100%")
    return fraction


@dataclass(frozen=True)
class ThresholdPolicy:
    """The practical threshold of each case, as a fraction (0.05 = 5%)."""

    default: float = 0.05
    models: Mapping[str, float] = field(default_factory=dict)
    devices: Mapping[str, float] = field(default_factory=dict)
    pairs: Mapping[str, float] = field(default_factory=dict)  # "model@device"

    def for_case(self, model: str, device: str) -> float:
        for table, key in ((self.pairs, f"{model}@{device}"), (self.models, model),
                           (self.devices, device)):
            if key in table:
                return table[key]
        return self.default

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any]) -> ThresholdPolicy:
        """From {"default": "5%", "models": {...}, "devices": {...}, "pairs": {...}}."""
        unknown = set(doc) - {"default", "models", "devices", "pairs"}
        if unknown:
            raise ConfigError(f"thresholds: unknown key(s) {', '.join(sorted(unknown))}; "
                              "use default, models, devices or pairs")
        tables: dict[str, dict[str, float]] = {}
        for name in ("models", "devices", "pairs"):
            table = doc.get(name) or {}
            if not isinstance(table, Mapping):
                raise ConfigError(f"thresholds.{name} must be a table of name = \"N%\"")
            tables[name] = {str(k): parse_threshold(v, f"thresholds.{name}.{k}")
                            for k, v in table.items()}
        return cls(default=parse_threshold(doc.get("default", 0.05), "thresholds.default"),
                   **tables)

    def with_overrides(self, overrides: list[str]) -> ThresholdPolicy:
        """Add 'MODEL=8%', 'device:NAME=10%' or 'MODEL@DEVICE=12%' entries."""
        tables = {"models": dict(self.models), "devices": dict(self.devices),
                  "pairs": dict(self.pairs)}
        for item in overrides:
            key, sep, value = item.partition("=")
            key = key.strip()
            if not sep or not key:
                raise ConfigError(f"--override: {item!r} is not NAME=N%; e.g. "
                                  "mobilenet_v2=8%, device:pixel7=10% or "
                                  "mobilenet_v2@pixel7=12%")
            if key.startswith("device:"):
                name, table = key[len("device:"):], "devices"
            else:
                name, table = key, "pairs" if "@" in key else "models"
            tables[table][name] = parse_threshold(value, f"--override {key}")
        return ThresholdPolicy(default=self.default, **tables)
