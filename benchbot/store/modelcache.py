"""What the host learnt about a model file (checked, sha256, inputs, card), cached by content.

Reading an ONNX model on the host costs the import of ``onnx`` and a parse (a second or
more); a second run of the same file should pay neither. An entry is one small JSON file
under ``$BENCHBOT_INSPECT_CACHE`` (default ``$XDG_CACHE_HOME/benchbot/inspect``, i.e.
``~/.cache/benchbot/inspect``), named by the file's absolute path, inode, size and mtime: a
file changed in place gets another name, so a stale entry is never read. Each entry also
holds the sha256 the facts were read from. A cache that cannot be read or written is
skipped silently: the model is then inspected as if there were none.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

CACHE_ENV = "BENCHBOT_INSPECT_CACHE"
VERSION = 1


def cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "benchbot" / "inspect"


def _entry_path(path: Path) -> tuple[Path, int, int] | None:
    try:
        absolute = path.resolve()
        st = absolute.stat()
    except OSError:
        return None
    key = f"{absolute}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}".encode()
    return cache_dir() / f"{hashlib.sha256(key).hexdigest()[:32]}.json", st.st_size, \
        st.st_mtime_ns


def lookup(path: Path) -> dict[str, Any]:
    """The facts cached for this very file (same path, size and mtime), or {}."""
    found = _entry_path(path)
    if found is None:
        return {}
    entry, size, mtime = found
    try:
        doc = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict) or doc.get("version") != VERSION or \
            doc.get("size") != size or doc.get("mtime_ns") != mtime:
        return {}
    return doc


def remember(path: Path, **facts: Any) -> None:
    """Add facts about this file to its entry (atomically; errors ignored)."""
    found = _entry_path(path)
    if found is None:
        return
    entry, size, mtime = found
    doc = {**lookup(path), **facts, "version": VERSION, "size": size, "mtime_ns": mtime}
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.parent / f".{entry.name}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(doc), encoding="utf-8")
        os.replace(tmp, entry)
    except (OSError, TypeError, ValueError):
        pass
