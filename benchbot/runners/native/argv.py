"""Pieces the native tools' argv builders share: CPU pinning, numbers, shapes, checks."""

from __future__ import annotations

from typing import Callable, Sequence

from benchbot.errors import ConfigError
from benchbot.runners.base import cpus_of_mask, model_to_push
from benchbot.store.modelfile import ModelFile, input_shapes, inspect_model
from benchbot.sweep import Case
from benchbot.sweep.axes import PRECISIONS

#: ``build_argv(binary, model, case_threads, batch, precision, settings, *, cpu_mask=None,
#: **tool_options) -> argv``; each tool module documents its own options.
ArgvBuilder = Callable[..., list[str]]


def mask_cpus(cpu_mask: str) -> list[int]:
    """CPU ids (0-based) of a hex mask such as 'f0'; ConfigError when it is not one."""
    try:
        cpus = cpus_of_mask(cpu_mask)
    except ValueError:
        cpus = []
    if not cpus:
        raise ConfigError(f"CPU mask {cpu_mask!r} is not a non-zero hex mask such as f0")
    return cpus


def taskset(cpu_mask: str | None) -> list[str]:
    """``taskset MASK`` to prefix a command with (toybox and util-linux both take a hex mask)."""
    if cpu_mask is None:
        return []
    mask_cpus(cpu_mask)
    return ["taskset", cpu_mask.lower().removeprefix("0x")]


def num(value: float) -> str:
    """A number for a command line: 1.0 -> '1', 0.25 -> '0.25'."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def batched(shape: Sequence[int], batch: int) -> list[int]:
    """``shape`` with its first (batch) dimension replaced by ``batch``."""
    dims = [int(d) for d in shape]
    if not dims:
        raise ConfigError("an input shape needs at least the batch dimension")
    return [batch, *dims[1:]]


def check_case(case_threads: int, batch: int, precision: str) -> None:
    """ConfigError for values no tool accepts (the sweep validates them too)."""
    if case_threads < 1 or batch < 1:
        raise ConfigError(f"threads ({case_threads}) and batch ({batch}) must be >= 1")
    if precision not in PRECISIONS:
        raise ConfigError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")


def one_of(value: str, allowed: Sequence[str], what: str) -> str:
    """``value`` if allowed, else a ConfigError listing the choices."""
    if value not in allowed:
        raise ConfigError(f"{what} {value!r} is not one of {', '.join(allowed)}")
    return value


def measured_shapes(case: Case) -> dict[str, tuple[int | str, ...]]:
    """Input name -> shape of the file the case measures (its variant when it has one:
    a batch variant's batch is fixed), a free dimension as its name; {} if unknown."""
    path = model_to_push(case)
    model: ModelFile = case.model if path == case.model.path else inspect_model(path)
    return input_shapes(model)
