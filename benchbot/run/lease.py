"""Exclusive device leases across processes: one measurement per device at a time.

A lease is an advisory ``flock`` on a file named after the device (its serial or
host), held for the duration of one case. The kernel releases it when its holder
dies, so the lease of a crashed or killed benchbot is reclaimed by the next one
without any clean-up. The file records who holds it, for the waiting message.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from benchbot.errors import DeviceUnavailable

POLL_S = 0.2


def lease_dir() -> Path:
    """$BENCHBOT_LEASE_DIR, else a folder shared by the users of this host."""
    return Path(os.environ.get("BENCHBOT_LEASE_DIR") or "/tmp/benchbot-leases")


def lease_path(key: str, folder: Path | None = None) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", key)
    return (folder or lease_dir()) / f"{safe}.lock"


class DeviceBusy(DeviceUnavailable):
    """The device is leased by another process and the user asked not to wait."""


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return "another process"
    return f"pid {info.get('pid', '?')} since {info.get('since', '?')}"


@contextmanager
def device_lease(key: str, *, wait: bool = True, say: Callable[[str], None] = lambda _: None,
                 folder: Path | None = None) -> Iterator[None]:
    """Hold the device's lease for the ``with`` block; wait for it, or fail fast."""
    path = lease_path(key, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        said = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait:
                    raise DeviceBusy(f"device {key} is in use by {_holder(path)}; wait for it "
                                     "(drop --no-wait) or pick another device") from None
                if not said:
                    say(f"waiting for device {key}: in use by {_holder(path)}")
                    said = True
                time.sleep(POLL_S)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(),
                                  "since": time.strftime("%H:%M:%S")}).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
