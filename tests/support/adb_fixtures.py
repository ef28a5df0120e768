"""Shared fixtures for ADB tests: a private REAL adb server and emulated phones behind it.

The server is adbutils' own adb binary on a free port with a private HOME and
TMPDIR (a developer's adb server and ~/.android are left alone), killed at the
end; phones are tests/support/adb_emulator.py on 127.0.0.1, reached with ``adb connect``.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import adbutils
import pytest

from benchbot.transports.adb_server import connect_device, kill_server, start_server
from tests.support.adb_emulator import EmulatedPhone
from tests.support.shared import REPO, reference

# extra real outputs in ../shared, used when present (a /proc/cpuinfo); the tier needs none
DUMPS = reference("tool_outputs", "adb_shell")
# a real OnePlus 7 Pro (SD855, Android 10) `adb shell getprop`; its source is beside it
SD855_DUMP = Path(__file__).resolve().parents[1] / "data" / "android" / "getprop_oneplus7pro_sd855_android10.txt"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def private_adb_env(home: Path) -> dict[str, str]:
    """The environment of an adb server that leaves the user's own alone."""
    # own HOME (adbkey) and TMPDIR (log); no USB scan (it costs 3 s), no mDNS, no emulator-port scan
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(home), "ADB_LIBUSB": "0",
           "ADB_MDNS": "0", "ADB_EMU": "0"}
    for name in ("ANDROID_SERIAL", "ADB_SERVER_SOCKET", "ANDROID_ADB_SERVER_PORT",
                 "ANDROID_ADB_SERVER_ADDRESS"):
        env.pop(name, None)
    return env


def private_adb_server(home: Path) -> Iterator[str]:
    """A private adb server on a free port while the generator runs: 'host:port'."""
    try:
        adbutils.adb_path()
    except adbutils.AdbError as exc:
        pytest.skip(f"adbutils ships no adb for this platform: {exc}")
    env = private_adb_env(home)
    port = _free_port()
    start_server(port, env=env, timeout=30)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        kill_server(port, env=env, timeout=10)


@pytest.fixture(scope="session")
def adb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private adb server shared by the session's transport tests."""
    yield from private_adb_server(tmp_path_factory.mktemp("adb-home"))


def start_phone(root: Path, server: str, **options: object) -> EmulatedPhone:
    phone = EmulatedPhone(root, **options)  # type: ignore[arg-type]
    phone.start()
    connect_device(phone.address, server, timeout=10)
    return phone


@pytest.fixture(scope="session")
def phone(adb_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatedPhone]:
    """A OnePlus 7 Pro (SD855, Android 10) with shell_v2, its real getprop dump and one more
    multi-line value."""
    phone = start_phone(tmp_path_factory.mktemp("phone"), adb_server, getprop_dump=SD855_DUMP,
                   extra_props={"test.multiline": "first line\nsecond ] line\nthird"})
    yield phone
    phone.stop()


def agent_phone_profile(name: str = "sd855") -> str:
    """A built-in phone profile's text with the agent on this host's Python (as on a phone
    with Termux), no cool-down pause and a 1-thread mask that fits this host's cores."""
    text = (REPO / "device_profiles" / f"{name}.toml").read_text()
    text = text.replace('kind = "tflite_benchmark_model"',
                        f'kind = "agent"\npython = "{sys.executable}"')
    text = text.replace('masks = { 1 = "80", 4 = "f0" }', 'masks = { 1 = "1" }')
    return text.replace("cooldown_s = 5.0", "cooldown_s = 0.0")
