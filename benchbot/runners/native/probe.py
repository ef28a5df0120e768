"""Which dialect a native tool binary speaks, learnt from the tool itself, once per binary.

The binary is asked for its usage (``NativeTool.probe_argv``, ``--help``): each dialect
prints its own flags there (BenchmarkModel lists every flag it defines, trtexec tags its
``&&&& RUNNING`` line with the TensorRT version, perf_test's two parsers word their
help differently). The answer is kept with the binary's sha256 in benchbot's host cache
(:mod:`benchbot.store.modelcache`, keyed by path, size and mtime), so a binary on this
host is probed once; a tool on the device's PATH is probed once per run. A build that
matches no dialect is one line naming what was expected.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from benchbot.errors import CaseError
from benchbot.runners.native.tools import NativeTool, ToolDialect
from benchbot.store import modelcache
from benchbot.transports import Transport

PROBE_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Known:
    """A binary and the dialect it speaks (``sha256`` None: a tool on the device's PATH)."""

    dialect: ToolDialect
    sha256: str | None


def detect(tool: NativeTool, text: str) -> ToolDialect | None:
    """The first dialect of ``tool`` whose usage ``text`` matches, else None (pure)."""
    for dialect in tool.dialects:
        if dialect.detect is not None:
            if dialect.detect(text):
                return dialect
        elif dialect.markers and all(m in text for m in dialect.markers):
            return dialect
    return None


def unknown_build(tool: NativeTool, binary: str, text: str) -> str:
    """One line: the binary matches none of the tool's dialects, and what each looks like."""
    expected = "; ".join(f"{d.title} ({', '.join(d.markers) or 'its version tag'})"
                         for d in tool.dialects)
    said = " ".join(text.split())[:120] or "nothing"
    return (f"{binary} is no {tool.kind} build benchbot knows: its "
            f"`{' '.join(tool.probe_argv)}` printed {said!r}; expected one of: {expected}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def cached(tool: NativeTool, binary: Path) -> Known | None:
    """The dialect remembered for this very file (same path, size, mtime), or None."""
    entry = modelcache.lookup(binary)
    name = (entry.get("native_dialects") or {}).get(tool.kind)
    if not name or not entry.get("sha256"):
        return None
    found = next((d for d in tool.dialects if d.name == name), None)
    return Known(found, entry["sha256"]) if found is not None else None


def probe(tool: NativeTool, transport: Transport, device_binary: str,
          host_binary: Path | None) -> Known:
    """The dialect of the binary at ``device_binary`` (pushed from ``host_binary`` when
    there is one): from the cache, else by running its usage on the device. CaseError
    (``tool_error``) with one line for a build that matches no dialect."""
    if host_binary is not None and (known := cached(tool, host_binary)) is not None:
        return known
    result = transport.run([device_binary, *tool.probe_argv], timeout=PROBE_TIMEOUT_S)
    text = result.stdout + "\n" + result.stderr
    dialect = detect(tool, text)
    if dialect is None:
        raise CaseError(unknown_build(tool, device_binary, text), kind="tool_error")
    if host_binary is None:
        return Known(dialect, None)
    sha = sha256_of(host_binary)
    dialects = dict(modelcache.lookup(host_binary).get("native_dialects") or {})
    modelcache.remember(host_binary, sha256=sha,
                        native_dialects={**dialects, tool.kind: dialect.name})
    return Known(dialect, sha)
