"""Native benchmark tools: one module per tool (a pure ``parse(text)`` and a ``build_argv``),
each registered as a :class:`~benchbot.runners.native.tools.NativeTool` in
:mod:`benchbot.runners.native.tools`, the one list of them.

``TOOLS[kind]`` is the tool (its runtime, model files, parsers, dialects);
``tool(kind).parse(text)`` gives one :class:`NativeResult` (a failure when the log
holds no run or several); ``tool(kind).parse_all(text)`` every run in the log, labelled.
"""

from __future__ import annotations

from benchbot.runners.native.argv import ArgvBuilder
from benchbot.runners.native.result import Measurement, NativeResult
from benchbot.runners.native.tools import (TOOLS, NativeTool, OpProfiler, ToolDialect, register,
                                           runner_kinds, tool)

__all__ = ["TOOLS", "ArgvBuilder", "Measurement", "NativeResult", "NativeTool", "OpProfiler",
           "ToolDialect", "register", "runner_kinds", "tool"]
