"""The adb server side of ADB: start and stop a server, connect and list devices, read
their properties. Every call is bounded by a timeout."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Mapping

import adbutils
from adbutils.errors import AdbError, AdbTimeout

from benchbot.errors import AuthFailed, CommandTimeout, TransportError
from benchbot.transports.settings import DEFAULT_ADB_SERVER
from benchbot.transports import adb_wire


def _devices(client: adbutils.AdbClient, server: str) -> dict[str, str]:
    """serial -> state ("device", "offline", "unauthorized", ...) of every device of the server."""
    try:
        return {info.serial: info.state for info in client.list()}
    except AdbTimeout as exc:
        raise CommandTimeout(f"the adb server at {server} did not list its devices in time") from exc
    except (AdbError, OSError) as exc:
        raise TransportError(f"the adb server at {server} did not list its devices: {exc}") from exc


def list_serials(server: str = DEFAULT_ADB_SERVER, timeout: float = 10.0) -> list[str]:
    """Serials of the devices the adb server at ``server`` can use now (state "device")."""
    devices = _devices(adb_wire.client(server, time.monotonic() + timeout), server)
    return [serial for serial, state in devices.items() if state == "device"]


def connect_device(address: str, server: str = DEFAULT_ADB_SERVER, timeout: float = 10.0) -> str:
    """``adb connect ADDRESS`` through the server, then wait until it is usable; returns the serial."""
    deadline = time.monotonic() + timeout
    serial = address if ":" in address else f"{address}:5555"
    client = adb_wire.client(server, deadline)
    try:
        reply = client.connect(address, timeout=adb_wire.left(deadline))
    except AdbError as exc:
        raise TransportError(f"the adb server at {server} could not connect to {address}: {exc}") from exc
    if not reply.startswith(("connected to", "already connected to")):
        raise TransportError(f"the adb server at {server} could not connect to {address}: {reply}",
                             output=reply)
    state = "absent"
    while time.monotonic() < deadline:
        state = _devices(client, server).get(serial, "absent")
        if state == "device":
            return serial
        if state == "unauthorized":
            raise AuthFailed(f"device {serial} has not authorized this computer: accept the "
                             "'Allow USB debugging' prompt on it")
        time.sleep(0.05)
    raise CommandTimeout(f"device {serial} was still '{state}' after {timeout:g}s")


def start_server(port: int = 5037, *, env: Mapping[str, str] | None = None,
                 timeout: float = 30.0) -> None:
    """Start adbutils' adb as a server on this host's ``port`` (nothing happens if one runs).

    ``env`` replaces the environment: tests give HOME and TMPDIR of their own, and
    ADB_LIBUSB=0, without which adb waits ~3 s for a USB scan where there is no USB.
    """
    with tempfile.TemporaryFile() as log:  # the daemon inherits it: a pipe would never close
        try:
            proc = subprocess.run([adbutils.adb_path(), "-P", str(port), "start-server"],
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                  env=None if env is None else dict(env), timeout=timeout)
        except (OSError, AdbError, subprocess.TimeoutExpired) as exc:
            raise TransportError(f"cannot start an adb server on port {port}: {exc}") from exc
        log.seek(0)
        output = log.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        last = output.strip().splitlines()[-1] if output.strip() else "no output"
        raise TransportError(f"adb could not start a server on port {port}: {last}", output=output)


def kill_server(port: int = 5037, *, env: Mapping[str, str] | None = None,
                timeout: float = 10.0) -> None:
    """``adb -P PORT kill-server``; quiet when no server runs there."""
    try:
        subprocess.run([adbutils.adb_path(), "-P", str(port), "kill-server"],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       env=None if env is None else dict(env), timeout=timeout)
    except (OSError, AdbError, subprocess.TimeoutExpired) as exc:
        raise TransportError(f"cannot stop the adb server on port {port}: {exc}") from exc
