"""benchbot: on-device latency benchmarking for exported ML models.

From Python (see :mod:`benchbot.api`)::

    import benchbot
    run = benchbot.run(["models/tiny_conv.onnx"], threads=(1, 4), min_time=0.5)
    frame = benchbot.to_dataframe(benchbot.load("results"))
    verdicts = benchbot.compare(baseline_run, run)

The names are loaded on first use, so ``import benchbot`` (and the CLI) stays light.
``benchbot.run`` and ``benchbot.compare`` are the API's functions; the subpackages of
those names are imported by their full names (``from benchbot.run import session``).
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from benchbot._version import __version__

if TYPE_CHECKING:
    from benchbot.api import compare, load, run, to_dataframe
    from benchbot.compare import Comparison
    from benchbot.store import CaseResult, RunRecord as Run

__all__ = ["CaseResult", "Comparison", "Run", "__version__", "compare", "load", "run",
           "to_dataframe"]

_LAZY = {"run": ("benchbot.api", "run"), "load": ("benchbot.api", "load"),
         "to_dataframe": ("benchbot.api", "to_dataframe"),
         "compare": ("benchbot.api", "compare"),
         "Run": ("benchbot.store", "RunRecord"), "CaseResult": ("benchbot.store", "CaseResult"),
         "Comparison": ("benchbot.compare", "Comparison")}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'benchbot' has no attribute {name!r}")
    import importlib

    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


class _Package(types.ModuleType):
    """Keeps the API's functions as the package's attributes when the subpackages of the
    same names (benchbot/run/, benchbot/compare/) are imported: the import system would
    otherwise set ``benchbot.run`` to the subpackage."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return  # the subpackage stays in sys.modules under its full name
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
