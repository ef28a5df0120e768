"""The adb transport end to end: adbutils -> the REAL adb server -> an emulated phone.

The server is adbutils' own adb binary, started on a free port with a private
HOME/TMPDIR (a developer's adb server and ~/.android are left alone) and killed
at the end; the phone is tests/adb_emulator.py on 127.0.0.1, reached with
``adb connect``. Everything is loopback and every wait has a time limit.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchbot import agent
from benchbot.errors import ConfigError, DeviceLost, TransportError
from benchbot.transports.adb_wire import start_server_command
from benchbot.transports.adb import AdbTransport
from benchbot.devices.phones import getprop_all
from benchbot.transports.adb_server import list_serials
from tests.support.adb_emulator import EmulatedPhone
from tests.support.adb_fixtures import _free_port, start_phone

pytestmark = pytest.mark.adb

WORKDIR = "/data/local/tmp/benchbot-test"
WEIRD = "a b  'c' \"d\" $HOME `id` $(id) ; | & > < * ? ~ \\ \t{x,y} #end\nline2 é"


@pytest.fixture(scope="session")
def old_phone(adb_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatedPhone]:
    """A phone without shell_v2 (Android 5/6): commands go through exec: and a wrapper."""
    phone = start_phone(tmp_path_factory.mktemp("old-phone"), adb_server, features=())
    yield phone
    phone.stop()


@pytest.fixture()
def t(phone: EmulatedPhone, adb_server: str) -> AdbTransport:
    return AdbTransport(phone.address, adb_server, workdir=WORKDIR)


# -- discovery ---------------------------------------------------------------------------------

def test_the_phone_is_listed_by_the_real_server(phone: EmulatedPhone, adb_server: str) -> None:
    assert phone.address in list_serials(adb_server, timeout=10)


def test_getprop_all_reads_a_real_dump_through_the_server(t: AdbTransport) -> None:
    props = getprop_all(t, timeout=20)
    assert props["ro.board.platform"] == "msmnile"
    assert props["ro.product.model"] == "GM1913"
    assert props["ro.product.device"] == "OnePlus7Pro"
    assert props["ro.build.version.release"] == "10"
    assert props["ro.product.cpu.abi"] == "arm64-v8a"
    assert "ro.soc.model" not in props  # Android 12+ only
    assert props["test.multiline"] == "first line\nsecond ] line\nthird"
    assert props["persist.sys.boot.reason.history"].count("\n") == 2  # the dump's own
    assert len(props) >= 880
    one = t.run(["getprop", "ro.hardware"], timeout=10)
    assert one.stdout == "qcom\n"


# -- commands ----------------------------------------------------------------------------------

def test_run_returns_stdout_stderr_and_exit_code_separately(t: AdbTransport, phone: EmulatedPhone) -> None:
    r = t.run(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=10)
    assert (r.returncode, r.stdout, r.stderr, r.timed_out) == (3, "out\n", "err\n", False)
    assert t.run(["echo", "hello"], timeout=10).stdout == "hello\n"
    assert t.run(["false"], timeout=10).returncode == 1
    assert phone.services[-1].startswith("shell,v2,raw:")


def test_a_command_that_calls_exit_itself_keeps_its_code(t: AdbTransport) -> None:
    r = t.run(["exit", "3"], timeout=10)  # the device shell itself exits
    assert (r.returncode, r.stdout, r.stderr) == (3, "", "")


def test_arguments_arrive_verbatim(t: AdbTransport) -> None:
    r = t.run(["printf", "%s", WEIRD], timeout=10)
    assert r.ok and r.stdout == WEIRD
    assert t.run(["printf", "%s|", "", "x"], timeout=10).stdout == "|x|"  # empty argument kept


def test_large_output_and_parallel_commands(t: AdbTransport, phone: EmulatedPhone,
                                            adb_server: str) -> None:
    r = t.run(["sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x; echo tail >&2"], timeout=20)
    assert r.ok and r.stdout == "x" * 1_000_000 and r.stderr == "tail\n"

    # streams are multiplexed, not queued: each command waits until all four have started,
    # which only happens when they run at once (queued, each would give up alone)
    meet = "/data/local/tmp/meet"
    phone.to_host(meet).mkdir(parents=True, exist_ok=True)
    wait_for_all = (f"touch {meet}/$0; n=0; while [ $(ls {meet} | wc -l) -lt 4 ] && "
                    f"[ $n -lt 600 ]; do sleep 0.05; n=$((n+1)); done; echo $0 $(ls {meet} | wc -l)")
    results: list[str] = []
    def one(i: int) -> None:
        own = AdbTransport(phone.address, adb_server, workdir=WORKDIR)
        results.append(own.run(["sh", "-c", wait_for_all, str(i)], timeout=60).stdout)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == ["0 4\n", "1 4\n", "2 4\n", "3 4\n"]


def test_a_hung_command_times_out(t: AdbTransport, phone: EmulatedPhone) -> None:
    phone.hang_commands_matching("never-answered")
    try:
        start = time.monotonic()
        r = t.run(["echo", "never-answered"], timeout=1.0)
    finally:
        phone.clear_hangs()
    assert r.timed_out and r.returncode is None and not r.ok
    assert time.monotonic() - start >= 0.9  # it waited for its timeout, no less
    assert t.run(["echo", "still usable"], timeout=10).stdout == "still usable\n"


def test_a_timeout_kills_the_command_and_its_children(t: AdbTransport, phone: EmulatedPhone) -> None:
    r = t.run(["sh", "-c", "echo started; sleep 30 & sleep 30"], timeout=1.5)
    assert r.timed_out and r.returncode is None and r.stdout == "started\n"
    assert r.stderr == ""  # the pid marker is not shown
    _wait_until(lambda: not phone.live_process_groups(), 5, "the timed-out command still runs")


# -- files ----------------------------------------------------------------------------------

def test_push_is_skipped_when_the_device_has_the_same_file(t: AdbTransport, phone: EmulatedPhone,
                                                            adb_server: str, tmp_path: Path) -> None:
    local = tmp_path / "model v1.onnx"
    local.write_bytes(os.urandom(300_000))
    remote = t.push(local, timeout=30)
    assert remote.startswith(WORKDIR + "/") and remote.endswith("-model_v1.onnx")
    assert phone.to_host(remote).read_bytes() == local.read_bytes()
    assert t.push(local, timeout=30) == remote
    fresh = AdbTransport(phone.address, adb_server, workdir=WORKDIR)  # asks sha256sum on the device
    assert fresh.push(local, timeout=30) == remote
    assert phone.sends[remote] == 1

    phone.to_host(remote).write_bytes(os.urandom(300_000))  # same size, other bytes
    assert AdbTransport(phone.address, adb_server, workdir=WORKDIR).push(local, timeout=30) == remote
    assert phone.sends[remote] == 2 and phone.to_host(remote).read_bytes() == local.read_bytes()

    local.write_bytes(b"changed")
    changed = t.push(local, timeout=30)
    assert changed != remote and phone.sends[changed] == 1
    assert phone.to_host(changed).read_bytes() == b"changed"


def test_pull_copies_a_device_file(t: AdbTransport, phone: EmulatedPhone, tmp_path: Path) -> None:
    data = os.urandom(200_000)
    phone.to_host("/sdcard/result.bin").write_bytes(data)
    assert t.pull("/sdcard/result.bin", tmp_path / "r.bin", timeout=30).read_bytes() == data
    with pytest.raises(TransportError, match="cannot pull"):
        t.pull("/sdcard/missing.bin", tmp_path / "m.bin", timeout=30)
    assert not (tmp_path / "m.bin").exists()


def test_the_agent_runs_on_the_phone_with_a_model(t: AdbTransport, models: dict[str, Path]) -> None:
    agent_path = t.push(Path(agent.__file__), timeout=60)
    model_path = t.push(models["tiny_conv.onnx"], timeout=60)
    r = t.run([sys.executable, agent_path, "--model", model_path, "--threads", "1",
               "--warmup", "1", "--min-runs", "3", "--min-time", "0", "--max-time", "2"],
              timeout=60)
    assert r.ok, r.stderr
    doc = json.loads(r.stdout.strip().splitlines()[-1])
    assert doc["status"] == "ok", doc


def test_cleanup_removes_the_workdir_unless_kept(phone: EmulatedPhone, adb_server: str,
                                                 tmp_path: Path) -> None:
    local = tmp_path / "f.bin"
    local.write_bytes(b"data")
    kept = AdbTransport(phone.address, adb_server, workdir="/data/local/tmp/bb-kept", keep=True)
    kept.push(local, timeout=30)
    kept.cleanup()
    assert phone.to_host("/data/local/tmp/bb-kept").is_dir()

    gone = AdbTransport(phone.address, adb_server, workdir="/data/local/tmp/bb-gone")
    gone.push(local, timeout=30)
    gone.cleanup()
    assert not phone.to_host("/data/local/tmp/bb-gone").exists()
    gone.push(local, timeout=30)  # usable again: the workdir is made again
    assert phone.to_host("/data/local/tmp/bb-gone").is_dir()
    gone.cleanup()
    gone.close()


# -- phones without shell_v2 ------------------------------------------------------------------

def test_old_phones_get_exit_codes_and_stderr_through_exec(old_phone: EmulatedPhone,
                                                           adb_server: str) -> None:
    t = AdbTransport(old_phone.address, adb_server, workdir=WORKDIR)
    r = t.run(["sh", "-c", "printf out; echo err >&2; exit 3"], timeout=10)
    assert (r.returncode, r.stdout, r.stderr) == (3, "out", "err\n")
    assert old_phone.services[-1].startswith("exec:")
    assert t.run(["exit", "4"], timeout=10).returncode == 4
    assert t.run(["printf", "%s", WEIRD], timeout=10).stdout == WEIRD
    r = t.run(["sh", "-c", "echo started; sleep 30"], timeout=1.5)
    assert r.timed_out and r.stdout == "started\n"
    _wait_until(lambda: not old_phone.live_process_groups(), 5, "the timed-out command still runs")
    assert list(old_phone.to_host(WORKDIR).glob(".stderr-*")) == []


# -- failures -------------------------------------------------------------------------------

def test_a_phone_that_disconnects_mid_command_is_lost(adb_server: str, tmp_path: Path) -> None:
    phone = start_phone(tmp_path / "fragile", adb_server)
    try:
        t = AdbTransport(phone.address, adb_server, workdir=WORKDIR)
        assert t.run(["true"], timeout=10).ok
        threading.Timer(0.5, phone.disconnect, kwargs={"stay_away": True}).start()
        # the call returns with DeviceLost (a missed loss would end as a timeout instead)
        with pytest.raises(DeviceLost, match=f"device {phone.address} went away") as lost:
            t.run(["sleep", "30"], timeout=20)
        assert "\n" not in str(lost.value)
        with pytest.raises(DeviceLost):
            t.run(["true"], timeout=10)
    finally:
        phone.stop()


def test_unknown_serial_is_a_lost_device(phone: EmulatedPhone, adb_server: str) -> None:
    with pytest.raises(DeviceLost, match="not available"):
        AdbTransport("127.0.0.1:1", adb_server).run(["true"], timeout=10)


def test_no_server_says_how_to_start_one() -> None:
    port = _free_port()
    with pytest.raises(TransportError) as exc:
        AdbTransport("x", f"127.0.0.1:{port}").run(["true"], timeout=5)
    # adb where it is on PATH, else the adb inside adbutils (the one benchbot uses)
    assert f"start it on that host with: {start_server_command(str(port))}" in str(exc.value)
    expected = f"adb -P {port} start-server" if shutil.which("adb") else f"'-P', '{port}'"
    assert expected in str(exc.value)


@pytest.mark.parametrize("workdir", ["/data/local/tmp/", "//data/local/tmp", "//sdcard",
                                     "/data/local/tmp/x/../..", "/data/data", "/system", "/x"])
def test_a_shared_workdir_is_refused(workdir: str) -> None:
    with pytest.raises(ConfigError, match="subdirectory"):
        AdbTransport("x", workdir=workdir)


def test_a_workdir_is_the_folder_it_names() -> None:
    assert AdbTransport("x", workdir="//data/local/tmp/bb/").workdir == "/data/local/tmp/bb"


def _wait_until(condition, timeout: float, message: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(message)
        time.sleep(0.05)
