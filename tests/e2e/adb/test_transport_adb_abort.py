"""Ctrl-C on a phone: abort() kills what the adb transport runs there, children included."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from benchbot.transports.adb import AdbTransport
from benchbot.transports.base import CommandResult
from tests.support.adb_emulator import EmulatedPhone
from tests.support.adb_fixtures import start_phone

WORKDIR = "/data/local/tmp/benchbot-test"
DEADLINE_S = 30.0


@pytest.fixture(scope="module")
def old_phone(adb_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatedPhone]:
    """A phone without shell_v2: commands go through exec: and a wrapper."""
    phone = start_phone(tmp_path_factory.mktemp("old-phone"), adb_server, features=())
    yield phone
    phone.stop()


def _wait_until(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.05)


@pytest.mark.parametrize("which", ["phone", "old_phone"])
def test_abort_kills_the_running_command_and_its_children(which: str, adb_server: str,
                                                          request: pytest.FixtureRequest) -> None:
    phone: EmulatedPhone = request.getfixturevalue(which)
    t = AdbTransport(phone.address, adb_server, workdir=WORKDIR)
    results: list[CommandResult] = []
    worker = threading.Thread(target=lambda: results.append(
        t.run(["sh", "-c", "echo started; sleep 300 & sleep 300 & sleep 300"], timeout=600)))
    worker.start()
    try:
        _wait_until(lambda: phone.live_process_groups() and t._live, "the command to start")
        t.abort()
        worker.join(DEADLINE_S)
        assert not worker.is_alive(), "run() did not return after abort()"
        _wait_until(lambda: not phone.live_process_groups(), "the command to be killed")
        assert results and not results[0].ok
    finally:
        for pid in phone.live_process_groups():  # never leave the sleeps behind
            os.killpg(pid, signal.SIGKILL)
        worker.join(DEADLINE_S)
    assert t.run(["echo", "still usable"], timeout=10).stdout == "still usable\n"


def test_every_transport_can_abort() -> None:
    from benchbot.transports.base import Transport
    from benchbot.transports.local import LocalTransport
    from benchbot.transports.ssh import SshTransport

    assert "abort" in Transport.__dict__
    for kind in (AdbTransport, LocalTransport, SshTransport):
        assert callable(getattr(kind, "abort", None)), kind
