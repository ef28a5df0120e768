"""A benchbot killed over SSH leaves a marked work folder; the next connection removes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from benchbot.transports.owner import OWNER_FILE, Owner
from benchbot.transports.ssh import SshTransport
from tests.sshd import SshServer

REPO = Path(__file__).resolve().parents[1]
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
