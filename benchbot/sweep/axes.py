"""Parse axis values given on the command line or in a sweep file."""

from __future__ import annotations

from typing import Iterable

from benchbot import runtimes
from benchbot.errors import ConfigError

PRECISIONS = ("fp32", "fp16", "int8")
# What executes a model (ONNX Runtime providers, TFLite delegates, OpenVINO devices): every
# runtime's backends, from the runtime registry. A device's native tool adds its backends
# to its runtime's (make_plan's ``tool_backends``), e.g. OpenVINO benchmark_app's GPU on ONNX.
BACKENDS = runtimes.all_backends()
RUNTIMES = tuple(runtimes.RUNTIMES)
# Beyond these no device has the cores or the memory; the runtimes take a C int
MAX_THREADS = 1024
MAX_BATCH = 65536


def _items(raw: str | Iterable[object]) -> list[object]:
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(",")]
    return list(raw)


def positive_ints(raw: str | Iterable[object], option: str,
                  most: int | None = None) -> tuple[int, ...]:
    """'1,4' or [1, 4] -> (1, 4), each at most ``most``; anything else is a ConfigError
    naming the option."""
    values: list[int] = []
    for item in _items(raw):
        if isinstance(item, bool):
            item = str(item)
        try:
            value = int(item) if not isinstance(item, float) else None
        except (TypeError, ValueError):
            value = None
        if value is None or value < 1:
            raise ConfigError(f"{option}: {item!r} is not a positive integer "
                              f"(give a list such as 1,4)")
        if most is not None and value > most:
            raise ConfigError(f"{option}: {value} is more than {most} (give a list such as 1,4)")
        values.append(value)
    if not values:
        raise ConfigError(f"{option}: give at least one value")
    return tuple(dict.fromkeys(values))


def threads(raw: str | Iterable[object], option: str) -> tuple[int, ...]:
    return positive_ints(raw, option, MAX_THREADS)


def batches(raw: str | Iterable[object], option: str) -> tuple[int, ...]:
    return positive_ints(raw, option, MAX_BATCH)


def choices(raw: str | Iterable[object], option: str, allowed: Iterable[str]) -> tuple[str, ...]:
    """'fp32,fp16' -> ('fp32', 'fp16'), each checked against the allowed values."""
    allowed = tuple(allowed)
    values: list[str] = []
    for item in _items(raw):
        if not isinstance(item, str) or item.lower() not in allowed:
            raise ConfigError(f"{option}: {item!r} is not one of {', '.join(allowed)}")
        values.append(item.lower())
    if not values:
        raise ConfigError(f"{option}: give at least one value")
    return tuple(dict.fromkeys(values))


def names(raw: str | Iterable[object], option: str) -> tuple[str, ...]:
    """'a,b' -> ('a', 'b'): non-empty strings, duplicates dropped."""
    values = _items(raw)
    if not values or any(not isinstance(v, str) or not v for v in values):
        raise ConfigError(f"{option}: give comma-separated names, e.g. local")
    return tuple(dict.fromkeys(str(v) for v in values))
