"""Exclusive device leases across processes and users: one measurement per device at a time.

A lease is an advisory ``flock`` on a file named after the device (its serial or
host), held for the duration of one case. The kernel releases it when its holder
dies, so the lease of a crashed or killed benchbot is reclaimed by the next one
without any clean-up.

The folder is shared by every user of the host (``/tmp/benchbot-leases``, or
``$BENCHBOT_LEASE_DIR``), so that two users exclude each other from one phone.
Being a predictable name in ``/tmp``, it is treated as hostile ground:

- it is created sticky and world-writable (mode 1777, as ``/tmp``); a folder that
  is a symlink, or that others may write without the sticky bit, is refused;
- lock files are opened read-only (``flock`` needs no write access, so another
  user's lock file locks just as well), with ``O_NOFOLLOW``, never truncated and
  never written: a planted symlink is refused, and its target is left alone;
- who holds a lease is written to ``KEY.UID.holder``, a file only that user
  writes (made under a fresh name, then renamed over the old one: a file planted
  by another user under that name is never written through), for the waiting
  message.

Hand-over is first come, first served: a process takes the device's turnstile
(``KEY.queue``, a second flock) before the lease itself, and lets go of it as
soon as it holds the lease. A holder that releases the lease and asks again
between two cases finds a waiter holding the turnstile, so two runs on one
device alternate case by case instead of one starving the other.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import stat
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from benchbot.errors import DeviceUnavailable, UserError

POLL_S = 0.05
DEFAULT_LEASE_DIR = "/tmp/benchbot-leases"
_FIX = "set BENCHBOT_LEASE_DIR to a folder of your own (e.g. ~/.cache/benchbot/leases)"


def lease_dir() -> Path:
    """$BENCHBOT_LEASE_DIR, else a folder shared by the users of this host."""
    return Path(os.environ.get("BENCHBOT_LEASE_DIR") or DEFAULT_LEASE_DIR)


def _safe_key(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", key)


def lease_path(key: str, folder: Path | None = None) -> Path:
    return (folder or lease_dir()) / f"{_safe_key(key)}.lock"


class DeviceBusy(DeviceUnavailable):
    """The device is leased by another process and the user asked not to wait."""


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def safe_lease_dir(folder: Path | None = None) -> Path:
    """The lease folder, created 1777 when absent; UserError when it is unsafe or unusable."""
    path = folder or lease_dir()
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.mkdir(path, 0o700)  # opened up below, once it is surely ours
            os.chmod(path, 0o1777)
        except FileExistsError:
            pass  # another benchbot made it meanwhile: check it like any other
        except OSError as exc:
            raise UserError(f"cannot create the lease folder {path}: {_reason(exc)}; {_FIX}") from None
        info = os.lstat(path)
    except OSError as exc:
        raise UserError(f"cannot use the lease folder {path}: {_reason(exc)}; {_FIX}") from None
    if stat.S_ISLNK(info.st_mode):
        raise UserError(f"the lease folder {path} is a symlink, which anyone could have planted; "
                        f"remove it, or {_FIX}")
    if not stat.S_ISDIR(info.st_mode):
        raise UserError(f"the lease folder {path} is not a folder; remove it, or {_FIX}")
    if info.st_mode & stat.S_IWOTH and not info.st_mode & stat.S_ISVTX:
        raise UserError(f"the lease folder {path} is writable by others without the sticky bit; "
                        f"run `chmod 1777 {path}`, or {_FIX}")
    if not os.access(path, os.W_OK | os.X_OK):
        raise UserError(f"cannot write the lease folder {path}: permission denied; "
                        f"run `chmod 1777 {path}` as its owner, or {_FIX}")
    return path


def _open_lock(path: Path) -> int:
    """A read-only descriptor on the lock file, made when absent; never through a symlink."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    for _ in range(10):
        try:
            fd = os.open(path, flags)
        except FileNotFoundError:
            try:  # O_EXCL: never opens what is there already, a dangling symlink included
                fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                continue  # another process made it first: open that one
            except OSError as exc:
                raise UserError(f"cannot create the lock file {path}: {_reason(exc)}; "
                                f"{_FIX}") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UserError(f"the lock file {path} is a symlink, which benchbot never follows; "
                                "remove it (someone may have planted it)") from None
            raise UserError(f"cannot open the lock file {path}: {_reason(exc)}; {_FIX}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise UserError(f"the lock file {path} is not a regular file; remove it")
        return fd
    raise UserError(f"cannot open the lock file {path}: it keeps appearing and vanishing")


def _holder_files(folder: Path, key: str) -> list[tuple[Path, int]]:
    """The device's holder files, each with the uid its name says wrote it."""
    name = re.compile(re.escape(_safe_key(key)) + r"\.(\d+)\.holder")
    found = []
    for path in folder.glob(f"{_safe_key(key)}.*.holder"):
        match = name.fullmatch(path.name)
        if match:
            found.append((path, int(match.group(1))))
    return found


def _write_holder(folder: Path, key: str) -> Path | None:
    """Say who holds the lease, in a file only this user writes (best effort); its path."""
    uid = os.getuid()
    target = folder / f"{_safe_key(key)}.{uid}.holder"
    temp = folder / f"{_safe_key(key)}.{uid}.holder.{os.getpid()}.tmp"
    doc = {"pid": os.getpid(), "uid": uid, "since": time.strftime("%H:%M:%S"),
           "taken_ns": time.time_ns()}
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o644)
    except OSError:
        return None
    try:
        os.write(fd, json.dumps(doc).encode())
    finally:
        os.close(fd)
    try:  # in a sticky folder the rename fails over a file another user planted
        os.replace(temp, target)
    except OSError:
        temp.unlink(missing_ok=True)
        return None
    return target


def _holder(folder: Path, key: str) -> str:
    """The latest holder's pid and start time, as written by the holder itself."""
    latest: dict[str, object] | None = None
    for path, uid in _holder_files(folder, key):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            info = os.fstat(fd)
            doc = json.loads(os.read(fd, 4096) or b"{}")
        except (OSError, ValueError):
            continue
        finally:
            os.close(fd)
        # only the user named in the file's name may speak for that user
        if (not isinstance(doc, dict) or not stat.S_ISREG(info.st_mode)
                or uid != info.st_uid):
            continue
        if latest is None or int(doc.get("taken_ns", 0)) > int(latest.get("taken_ns", 0)):
            latest = doc
    if latest is None:
        return "another process"
    return f"pid {latest.get('pid', '?')} since {latest.get('since', '?')}"


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextmanager
def device_lease(key: str, *, wait: bool = True, say: Callable[[str], None] = lambda _: None,
                 folder: Path | None = None) -> Iterator[None]:
    """Hold the device's lease for the ``with`` block; wait for it in turn, or fail fast."""
    where = safe_lease_dir(folder)
    turnstile = _open_lock(where / f"{_safe_key(key)}.queue")
    try:
        lock = _open_lock(lease_path(key, where))
    except BaseException:
        os.close(turnstile)
        raise
    try:
        said = False
        for fd in (turnstile, lock):  # in turn: the turnstile orders the waiters
            while not _try_lock(fd):
                if not wait:
                    raise DeviceBusy(f"device {key} is in use by {_holder(where, key)}; wait for "
                                     "it (drop --no-wait) or pick another device")
                if not said:
                    say(f"waiting for device {key}: in use by {_holder(where, key)}")
                    said = True
                time.sleep(POLL_S)
        os.close(turnstile)  # the next in line may now queue for the lease
        turnstile = -1
        holder = _write_holder(where, key)
        try:
            yield
        finally:
            if holder is not None:  # still under the lease: no one else of ours wrote it since
                holder.unlink(missing_ok=True)
    finally:
        if turnstile >= 0:
            os.close(turnstile)
        os.close(lock)  # closing the descriptor releases the lock
