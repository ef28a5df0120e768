"""Where the tests find ``../shared``: the folder beside the repository (read only).

One place for the path, relative to the repository, so a clone anywhere (CI keeps a
copy of the folder beside its clone) finds it. Tests that read it skip when it is
absent; nothing in the ADB, SSH or farm tiers depends on it.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    """``../shared`` beside the repository (it may not exist)."""
    return REPO.parent / "shared"


def reference(*parts: str) -> Path:
    """A path under ``../shared/reference``: ``reference("tool_outputs", "adb_shell")``."""
    return shared_dir().joinpath("reference", *parts)
