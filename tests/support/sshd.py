"""A real OpenSSH server on 127.0.0.1 for the SSH transport tests.

:class:`SshServer` runs ``sshd -D -e -f CONFIG`` on a free loopback port with
a fresh ed25519 host key and client key, root login by key allowed, and its
log in its own directory. The ``sshd`` fixture starts one per test session;
tests can drop every open connection (:meth:`SshServer.kill_connections`) or
stop and restart the server. Every wait has a deadline.

Where sshd is not installed or cannot start, the tests skip with the reason
(``scripts/install-test-deps.sh``, run as root, installs it); with
``BENCHBOT_REQUIRE_SSHD=1`` in the environment (CI) they fail instead.
"""

from __future__ import annotations

import ctypes
import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
import pytest

from benchbot.profiles.values import SshSettings

START_TIMEOUT_S = 10.0
PRIVSEP_DIR = Path("/run/sshd")


def _die_with_parent() -> None:
    """In the sshd child: get SIGTERM when pytest dies, even by SIGKILL (Linux prctl)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class SshdUnavailable(Exception):
    """sshd is missing or would not start here; the message says why."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keygen(path: Path, comment: str) -> Path:
    """A passphrase-less ed25519 key pair at path (and path.pub); returns path."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
                   check=True, timeout=30, stdin=subprocess.DEVNULL, capture_output=True)
    return path


@dataclass
class SshServer:
    """One sshd on 127.0.0.1:port, configured from files under ``root``."""

    root: Path
    host: str = "127.0.0.1"
    port: int = 0
    user: str = field(default_factory=getpass.getuser)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def key_file(self) -> Path:
        return self.root / "client_key"

    @property
    def other_key_file(self) -> Path:
        """A valid key the server does not accept."""
        return self.root / "stranger_key"

    @property
    def host_key(self) -> Path:
        return self.root / "host_key"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    @property
    def log(self) -> Path:
        return self.root / "sshd.log"

    def settings(self, **changes: object) -> SshSettings:
        values: dict[str, object] = dict(host=self.host, port=self.port, user=self.user,
                                         key_file=self.key_file, known_hosts=self.known_hosts)
        return SshSettings(**{**values, **changes})  # type: ignore[arg-type]

    def prepare(self) -> None:
        """Keys, known_hosts and sshd_config; raises SshdUnavailable when sshd cannot run."""
        sshd = shutil.which("sshd") or "/usr/sbin/sshd"
        if not os.access(sshd, os.X_OK):
            raise SshdUnavailable("sshd is not installed (run scripts/install-test-deps.sh as root, "
                                  "or apt-get install openssh-server)")
        if shutil.which("ssh-keygen") is None:
            raise SshdUnavailable("ssh-keygen is not installed (openssh-client)")
        self.sshd = os.path.abspath(sshd)  # sshd re-executes itself: it needs an absolute path
        if not PRIVSEP_DIR.is_dir():
            if os.geteuid() != 0:
                raise SshdUnavailable(f"sshd needs its privilege separation directory {PRIVSEP_DIR}, "
                                      "which only root can create")
            PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
        self.root.mkdir(parents=True, exist_ok=True)
        keygen(self.host_key, "benchbot-test-host")
        keygen(self.key_file, "benchbot-test-client")
        keygen(self.other_key_file, "benchbot-test-stranger")
        shutil.copyfile(self.key_file.with_suffix(".pub"), self.root / "authorized_keys")
        self.port = self.port or free_port()
        self.write_config()

    def write_config(self) -> None:
        host_pub = self.host_key.with_suffix(".pub").read_text().split()
        self.known_hosts.write_text(f"[{self.host}]:{self.port} {host_pub[0]} {host_pub[1]}\n")
        (self.root / "sshd_config").write_text(f"""\
Port {self.port}
ListenAddress {self.host}
HostKey {self.host_key}
PidFile {self.root / 'sshd.pid'}
AuthorizedKeysFile {self.root / 'authorized_keys'}
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowAgentForwarding no
AllowTcpForwarding no
X11Forwarding no
PrintMotd no
MaxStartups 50
MaxSessions 50
Subsystem sftp internal-sftp
LogLevel VERBOSE
""")

    def start(self, same_port: bool = False) -> None:
        """Start sshd and wait (bounded) until it greets on its port. ``same_port`` (a
        restart: the clients know the port) waits for the old listener's port to free
        rather than moving to another one."""
        for attempt in range(40 if same_port else 3):  # a port can be taken before the bind
            start = self.log.stat().st_size if self.log.exists() else 0
            with self.log.open("ab") as log:
                self.proc = subprocess.Popen(
                    [self.sshd, "-D", "-e", "-f", str(self.root / "sshd_config")],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    preexec_fn=_die_with_parent)
            if self._wait_ready():
                return
            self.stop()
            text = self.log.read_bytes()[start:].decode(errors="replace")  # this attempt's
            if "Address already in use" in text and same_port and attempt < 39:
                time.sleep(0.25)
                continue
            if "Address already in use" in text and attempt < 2:
                self.port = free_port()
                self.write_config()
                continue
            tail = " | ".join(text.strip().splitlines()[-3:])
            raise SshdUnavailable(f"sshd did not start: {tail or 'no output'}")

    def probe_login(self) -> None:
        """Log in once with the client key, so a refusing setup skips instead of failing tests."""
        client = paramiko.SSHClient()
        client.load_host_keys(str(self.known_hosts))
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            client.connect(self.host, port=self.port, username=self.user,
                           key_filename=str(self.key_file), allow_agent=False, look_for_keys=False,
                           timeout=START_TIMEOUT_S, banner_timeout=START_TIMEOUT_S,
                           auth_timeout=START_TIMEOUT_S)
        except (paramiko.SSHException, OSError) as exc:
            tail = " | ".join(self.log.read_text(errors="replace").strip().splitlines()[-2:])
            raise SshdUnavailable(f"sshd refuses {self.user} with the test key ({exc}): {tail}") from exc
        finally:
            client.close()

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as s:
                    if s.recv(8).startswith(b"SSH-"):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def _descendants(self) -> list[int]:
        """Pids below the sshd master: one process tree per open connection."""
        if self.proc is None:
            return []
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                ppid = int(stat.rpartition(")")[2].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
        found, todo = [], [self.proc.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return found

    def kill_connections(self, pids: list[int] | None = None) -> None:
        """Drop every open connection at once, as a crashed or rebooted server would."""
        for pid in self._descendants() if pids is None else pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop(self) -> None:
        if self.proc is None:
            return
        # the listener first: a client that sees its session drop may reconnect at once;
        # its sessions are found now, while they are still its children
        sessions = list(self._descendants())
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.kill_connections(sessions)  # sessions outlive the master otherwise
        self.proc = None

    def ensure_running(self) -> None:
        """Start the server again if a test stopped it (or it died)."""
        if self.proc is None or self.proc.poll() is not None:
            self.stop()
            self.start()

    def restart(self) -> None:
        self.stop()
        self.start(same_port=True)


def start_server(root: Path) -> SshServer:
    """A running server, or a skip (a failure under BENCHBOT_REQUIRE_SSHD=1) saying why not."""
    server = SshServer(root)
    try:
        server.prepare()
        server.start()
        server.probe_login()
    except (SshdUnavailable, subprocess.SubprocessError, OSError) as exc:
        server.stop()
        if os.environ.get("BENCHBOT_REQUIRE_SSHD") == "1":
            pytest.fail(f"cannot run a test sshd: {exc}")
        pytest.skip(f"cannot run a test sshd: {exc}")
    return server


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """A real sshd on 127.0.0.1 for the whole session; stopped at the end."""
    server = start_server(tmp_path_factory.mktemp("sshd"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server(sshd: SshServer) -> SshServer:
    """The shared sshd, running (a drop test may have stopped it)."""
    sshd.ensure_running()
    return sshd


DEVICE = "gpubox"  # the name of the test server's profile


def write_profile(folder: Path, server: SshServer, runner: str = "agent", **ssh: Path) -> Path:
    """A profile for the test server, named DEVICE, in folder, measuring with ``runner``
    (the agent on this host's Python, or a native tool); ssh overrides key_file etc."""
    folder.mkdir(exist_ok=True)
    keys = {"key_file": server.key_file, "known_hosts": server.known_hosts, **ssh}
    python = f"python = {json.dumps(sys.executable)}\n" if runner == "agent" else ""
    (folder / f"{DEVICE}.toml").write_text(f"""\
name = "{DEVICE}"
label = "GPU box"
description = "this machine through the test sshd"
transport = "ssh"

[ssh]
host = "{server.host}"
port = {server.port}
user = {json.dumps(server.user)}
key_file = {json.dumps(str(keys['key_file']))}
known_hosts = {json.dumps(str(keys['known_hosts']))}

[runner]
kind = "{runner}"
{python}""")
    return folder


def cli_env(home: Path) -> dict[str, str]:
    return {"HOME": str(home), "SSH_AUTH_SOCK": ""}
