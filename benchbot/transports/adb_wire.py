"""The wire under the adb transport: connections through the adb server, each bounded by
one deadline for the whole call (adbutils' own helpers bound each read, or nothing)."""

from __future__ import annotations

import shutil
import socket
import time
from typing import Callable, TypeVar

import adbutils
from adbutils.errors import AdbError, AdbTimeout

from benchbot.errors import ConfigError, TransportError
from benchbot.transports.settings import DEFAULT_ADB_SERVER

_T = TypeVar("_T")
_R = TypeVar("_R")


class Deadline(Exception):
    """The call's time limit passed."""


class Ended(Exception):
    """The server closed the connection early: the device went away, or the server did."""


def left(deadline: float) -> float:
    return max(0.05, deadline - time.monotonic())


def client(server: str, deadline: float) -> adbutils.AdbClient:
    """An adbutils client whose waits end by ``deadline``, for a server that answers.

    Checked first because adbutils, finding no server, starts one itself on the default port.
    """
    host, _, port_text = server.rpartition(":")
    host = host[1:-1] if host.startswith("[") else host
    if not host or not port_text.isdigit():
        raise ConfigError(f"adb server '{server}' is not HOST:PORT, e.g. {DEFAULT_ADB_SERVER}")
    try:
        socket.create_connection((host, int(port_text)), timeout=left(deadline)).close()
    except OSError as exc:
        raise TransportError(f"cannot reach the adb server at {server} ({exc.strerror or exc}); "
                             f"start it on that host with: {start_server_command(port_text)}"
                             ) from exc
    return adbutils.AdbClient(host=host, port=int(port_text), socket_timeout=left(deadline))


def start_server_command(port: str) -> str:
    """The command that starts an adb server on ``port`` here: ``adb`` where it is on PATH,
    else the adb that ships inside the adbutils package (what benchbot itself uses)."""
    if shutil.which("adb"):
        return f"adb -P {port} start-server"
    return (f"python -c \"import adbutils, subprocess; subprocess.run([adbutils.adb_path(), "
            f"'-P', '{port}', 'start-server'])\"")


class Wire:
    """One connection through the adb server; every send and receive ends by the deadline."""

    def __init__(self, client: adbutils.AdbClient, deadline: float) -> None:
        try:
            self._conn = client.make_connection(timeout=left(deadline))
        except AdbTimeout as exc:
            raise Deadline() from exc
        except AdbError as exc:
            raise TransportError(f"cannot reach the adb server: {exc}") from exc
        self.sock = self._conn.conn
        self.deadline = deadline

    def _io(self, op: Callable[[_T], _R], arg: _T) -> _R:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise Deadline()
        self.sock.settimeout(remaining)
        try:
            return op(arg)
        except socket.timeout as exc:
            raise Deadline() from exc
        except OSError as exc:
            raise Ended(exc.strerror or str(exc)) from exc

    def send(self, data: bytes) -> None:
        self._io(self.sock.sendall, data)

    def recv_some(self, n: int) -> bytes:
        return self._io(self.sock.recv, n)

    def recv_exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.recv_some(n - len(buf))
            if not chunk:
                raise Ended("connection closed")
            buf += chunk
        return bytes(buf)

    def request(self, text: str) -> None:
        """One smart-socket request ("%04x" length + text); AdbError with the server's FAIL text."""
        raw = text.encode()
        self.send(b"%04x" % len(raw) + raw)
        status = self.recv_exact(4)
        if status == b"FAIL":
            raise AdbError(self.recv_exact(int(self.recv_exact(4), 16)).decode("utf-8", "replace"))
        if status != b"OKAY":
            raise AdbError(f"unexpected reply {status!r}")

    def close(self) -> None:
        self._conn.close()
