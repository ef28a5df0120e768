"""A benchbot killed over SSH leaves a marked work folder; the next connection removes it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import secrets
import sys
import textwrap
import time
from pathlib import Path

import pytest

from benchbot.transports.owner import OWNER_FILE, Owner
from benchbot.transports.ssh import SshTransport
from tests.support.sshd import SshServer

REPO = Path(__file__).resolve().parents[3]
DEADLINE_S = 30.0

HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from benchbot.profiles.values import SshSettings
    from benchbot.transports.ssh import SshTransport
    host, port, user, key, known, config, script = sys.argv[1:8]
    t = SshTransport(SshSettings(host=host, port=int(port), user=user, key_file=Path(key),
                                 known_hosts=Path(known)), connect_timeout=5,
                     ssh_config=Path(config))
    remote = t.push(Path(script), timeout=60)
    print(remote, flush=True)
    t.run(["sh", remote], timeout=600)  # killed with -9 meanwhile
""")


def _pids_naming(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if text in cmdline and state not in ("Z", "X"):
                found.append(int(entry.name))
    return found


def _wait_until(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.1)


def test_the_next_connection_removes_a_dead_benchbots_folder_and_processes(
        server: SshServer, tmp_path: Path) -> None:
    if server.host not in ("127.0.0.1", "localhost"):
        pytest.skip("the test looks at the server's processes, so it must be this host")
    script = tmp_path / "spin.sh"
    script.write_text("while :; do sleep 1; done\n")  # a native tool that never notices
    settings = server.settings()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, settings.host, str(settings.port), settings.user or "",
         str(server.key_file), str(server.known_hosts), str(tmp_path / "no-config"), str(script)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stale: list[int] = []
    try:
        assert holder.stdout is not None
        remote = holder.stdout.readline().strip()
        assert remote.startswith("/tmp/benchbot."), holder.stderr.read() if holder.stderr else ""
        folder = Path(remote).parent
        mark = Owner.parse((folder / OWNER_FILE).read_text())
        assert mark is not None and mark.pid == holder.pid and not mark.gone()
        _wait_until(lambda: bool(_pids_naming(f"{folder}/")), "the remote command to start")
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        stale = _pids_naming(f"{folder}/")
        assert folder.is_dir()  # what kill -9 leaves behind
        said: list[str] = []
        t = SshTransport(settings, connect_timeout=5, ssh_config=tmp_path / "no-config",
                         say=said.append)
        try:
            t.connect()
        finally:
            t.close()
        assert not folder.exists()
        assert len(said) == 1 and str(folder) in said[0] and f"pid {holder.pid}" in said[0], said
        _wait_until(lambda: not _pids_naming(f"{folder}/"), "the stale process to be killed")
    finally:
        holder.kill()
        holder.wait()
        for pid in stale:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_a_live_benchbots_folder_is_left_alone(server: SshServer, tmp_path: Path) -> None:
    script = tmp_path / "x.txt"
    script.write_text("x")
    mine = SshTransport(server.settings(), connect_timeout=5, ssh_config=tmp_path / "no-config")
    said: list[str] = []
    other = SshTransport(server.settings(), connect_timeout=5, ssh_config=tmp_path / "no-config",
                         say=said.append)
    try:
        remote = Path(mine.push(script, timeout=60))
        other.connect()
        assert remote.exists() and said == []
    finally:
        mine.cleanup()
        mine.close()
        other.close()


def _dead_pid() -> int:
    """A pid no process can have: one above the kernel's largest."""
    return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1


def test_a_folder_name_cannot_supply_an_owner_mark(server: SshServer, tmp_path: Path) -> None:
    """issue 20: "/tmp/benchbot.X HOST PID x" once read as folder /tmp/benchbot.X, owner PID."""
    if server.host not in ("127.0.0.1", "localhost"):
        pytest.skip("the test makes folders in the server's /tmp, so it must be this host")
    script = tmp_path / "x.txt"
    script.write_text("x")
    mine = SshTransport(server.settings(), connect_timeout=5, ssh_config=tmp_path / "no-config")
    said: list[str] = []
    other = SshTransport(server.settings(), connect_timeout=5, ssh_config=tmp_path / "no-config",
                         say=said.append)
    live = Path(mine.push(script, timeout=60)).parent
    hostile = Path(f"{live} {socket.gethostname()} {_dead_pid()} x")
    hostile.mkdir()
    (hostile / OWNER_FILE).write_text("")  # the whole mark comes from the name
    try:
        other.connect()
        assert live.is_dir() and hostile.is_dir() and said == []
    finally:
        shutil.rmtree(hostile, ignore_errors=True)
        mine.cleanup()
        mine.close()
        other.close()


def _work_folder() -> Path:
    """A folder named as mktemp names benchbot's (letters and digits after the dot)."""
    folder = Path(f"/tmp/benchbot.{secrets.token_hex(4)}")
    folder.mkdir(mode=0o700)
    return folder


def test_only_a_folder_the_user_owns_with_its_own_mark_is_removed(
        server: SshServer, tmp_path: Path) -> None:
    if server.host not in ("127.0.0.1", "localhost"):
        pytest.skip("the test makes folders in the server's /tmp, so it must be this host")
    dead = f"{socket.gethostname()} {_dead_pid()} 1\n"
    gone = _work_folder()
    (gone / OWNER_FILE).write_text(dead)
    elsewhere = _work_folder()
    (elsewhere / OWNER_FILE).write_text(dead)
    linked = _work_folder()
    (linked / OWNER_FILE).symlink_to(elsewhere / OWNER_FILE)  # a mark that is not its own
    strangers = _work_folder()
    (strangers / OWNER_FILE).write_text(dead)
    if os.getuid() == 0:  # root can give it away; others cannot make one
        os.chown(strangers, 65534, 65534)
        os.chown(strangers / OWNER_FILE, 65534, 65534)
    said: list[str] = []
    t = SshTransport(server.settings(), connect_timeout=5, ssh_config=tmp_path / "no-config",
                     say=said.append)
    try:
        t.connect()
        assert not gone.exists() and not elsewhere.exists() and linked.is_dir()
        assert strangers.is_dir() == (os.getuid() == 0)
        assert sorted(line.split()[1] for line in said) == sorted([str(gone), str(elsewhere)])
    finally:
        t.close()
        for folder in (gone, elsewhere, linked, strangers):
            shutil.rmtree(folder, ignore_errors=True)
