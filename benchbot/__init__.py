"""benchbot: on-device latency benchmarking for exported ML models.

From Python (see :mod:`benchbot.api`)::

    import benchbot
    run = benchbot.run(["models/tiny_conv.onnx"], threads=(1, 4), min_time=0.5)
    frame = benchbot.to_dataframe(benchbot.load("results"))
    verdicts = benchbot.compare(baseline_run, run)

The names are loaded on first use, so ``import benchbot`` (and the CLI) stays light.
``benchbot.run`` and ``benchbot.compare`` are the API's functions; the subpackages of
those names are imported by their full names (``from benchbot.runs import session``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from benchbot._version import __version__

if TYPE_CHECKING:
    from benchbot.api import compare, load, run, to_dataframe
    from benchbot.verdicts import Comparison
    from benchbot.store import CaseResult, RunRecord as Run

__all__ = ["CaseResult", "Comparison", "Run", "__version__", "compare", "load", "run",
           "to_dataframe"]

_LAZY = {"run": ("benchbot.api", "run"), "load": ("benchbot.api", "load"),
         "to_dataframe": ("benchbot.api", "to_dataframe"),
         "compare": ("benchbot.api", "compare"),
         "Run": ("benchbot.store", "RunRecord"), "CaseResult": ("benchbot.store", "CaseResult"),
         "Comparison": ("benchbot.verdicts", "Comparison")}


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
