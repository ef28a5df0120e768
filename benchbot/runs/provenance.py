"""What a run measured besides the models: the code (git) and the user's own labels (--meta).

A run started in a git checkout records its commit, branch and whether the tree had
uncommitted changes, so that history can be read by commit (pytest-benchmark's
``commit_info``, asv's commit axis). git is asked with a timeout; a machine without
git, a folder that is no checkout, or a git that hangs gives no git info, never a
failed run.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Iterable

from benchbot.errors import ConfigError
from benchbot.store.records import GitInfo

GIT_TIMEOUT_S = 5.0
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def _git(cwd: Path, *args: str, timeout: float) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError):  # no git, or it hung
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_info(cwd: Path, timeout: float = GIT_TIMEOUT_S) -> GitInfo | None:
    """The commit, branch and dirty flag of the checkout ``cwd`` is in; None outside one."""
    commit = _git(cwd, "rev-parse", "HEAD", timeout=timeout)
    if not commit:
        return None
    branch = _git(cwd, "rev-parse", "--abbrev-ref", "HEAD", timeout=timeout)
    status = _git(cwd, "status", "--porcelain", "--untracked-files=no", timeout=timeout)
    return GitInfo(commit=commit, branch=None if branch in (None, "HEAD") else branch,
                   dirty=bool(status))


def parse_meta(pairs: Iterable[str], option: str = "--meta") -> dict[str, str]:
    """``key=value`` strings as a mapping; a later key wins. ConfigError on a malformed one."""
    meta: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not _KEY.match(key):
            raise ConfigError(f"{option}: {pair!r} is not KEY=VALUE (a key of letters, digits, "
                              "_ . -), e.g. --meta build=1234")
        meta[key] = value.strip()
    return meta
