"""What the SSH transport sends to the remote shell, and how it reads the answer back.

Every argument is quoted with shlex; the command announces its process group first
so that a timed-out command can be killed with all its children.
"""

from __future__ import annotations

import contextlib
import re
import shlex
from typing import Sequence

import paramiko

from benchbot.transports.owner import OWNER_FILE

PGID_MARK = b"benchbot-pgid:"
_CHUNK = 1 << 16


def remote_command(argv: Sequence[str]) -> str:
    """The line the login shell runs for argv: announce the process group, then the command."""
    # The trailing exit keeps the shell waiting as the command's parent (no exec of the last
    # command), so a command killed by signal N reports 128+N instead of no status at all.
    return "printf 'benchbot-pgid:%s\\n' \"$$\"; " + shlex.join(argv) + "; exit $?"


def kill_command(pgid: int) -> str:
    """Kill the process group of a timed-out command (or its shell alone, if it leads none)."""
    return f"kill -9 -{pgid} 2>/dev/null || kill -9 {pgid} 2>/dev/null; exit 0"


def mkdtemp_argv() -> list[str]:
    return ["mktemp", "-d", "/tmp/benchbot.XXXXXX"]


def mark_owner_argv(folder: str, mark: str) -> list[str]:
    """Write the owner mark into a fresh work folder (see benchbot.transports.owner)."""
    return ["sh", "-c", 'printf "%s\\n" "$1" > "$2"', "sh", mark, f"{folder}/{OWNER_FILE}"]


# A folder mktemp made from /tmp/benchbot.XXXXXX: letters and digits only, never whitespace.
_WORK_FOLDER = re.compile(r"/tmp/benchbot\.[A-Za-z0-9]+")


def owners_argv() -> list[str]:
    """List the owner marks of the connecting user's benchbot work folders, NUL-separated:
    ``FOLDER\\0MARK\\0`` for each folder of this user holding a plain file of this user
    as its mark (a name can hold any byte but NUL, so no name can pass for a mark)."""
    each = (f'for d; do f="$d/{OWNER_FILE}"; [ -f "$f" ] && [ ! -L "$f" ] && [ -O "$f" ] '
            "|| continue; printf '%s\\000' \"$d\"; head -n 1 -- \"$f\" | tr -d '\\000'; "
            "printf '\\000'; done")
    script = ('find /tmp -mindepth 1 -maxdepth 1 -type d -name "benchbot.*" -user "$(id -u)" '
              '-exec sh -c "$1" sh {} +; exit 0')
    return ["sh", "-c", script, "sh", each]


def parse_owners(stdout: str) -> list[tuple[str, str]]:
    """owners_argv()'s answer -> (folder, mark) pairs, only for folders named as mktemp names
    them; anything else (whitespace, another shape) is never acted on."""
    fields = stdout.split("\0")
    return [(folder, mark) for folder, mark in zip(fields[0::2], fields[1::2])
            if _WORK_FOLDER.fullmatch(folder)]


def remove_leftover_argv(folder: str) -> list[str]:
    """Kill the connecting user's processes whose command line names a path in ``folder``,
    then remove it, if it is still this user's folder; prints one ``killed PID`` line per
    process."""
    script = ('[ -d "$1" ] && [ ! -L "$1" ] && [ -O "$1" ] || exit 3; '
              'for p in /proc/[0-9]*; do pid=${p#/proc/}; [ "$pid" = "$$" ] && continue; '
              '[ -O "$p" ] || continue; '
              'case "$(tr "\\000" " " < "$p/cmdline" 2>/dev/null)" in *"$1"/*) '
              'kill -9 "$pid" 2>/dev/null && echo "killed $pid";; esac; done; rm -rf -- "$1"')
    return ["sh", "-c", script, "sh", folder]


def mkdir_argv(path: str) -> list[str]:
    return ["mkdir", "-p", "--", path]


def sha256_argv(path: str) -> list[str]:
    return ["sha256sum", "--", path]


def rmtree_argv(path: str) -> list[str]:
    return ["rm", "-rf", "--", path]


class Reader:
    """What one command has sent back so far."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.err = bytearray()
        self.pgid: int | None = None
        self._marked = False

    def drain(self, chan: paramiko.Channel) -> None:
        while chan.recv_ready():
            self.out += chan.recv(_CHUNK)
        while chan.recv_stderr_ready():
            self.err += chan.recv_stderr(_CHUNK)
        if not self._marked:
            at = self.out.find(PGID_MARK)
            end = self.out.find(b"\n", at)
            if at >= 0 and end >= 0:
                with contextlib.suppress(ValueError):
                    self.pgid = int(self.out[at + len(PGID_MARK):end])
                del self.out[:end + 1]  # the marker, and any login noise before it
                self._marked = True

    def text(self) -> tuple[str, str]:
        return self.out.decode(errors="replace"), self.err.decode(errors="replace")
