"""Linux servers over SSH: one paramiko connection per transport, reused for the whole sweep.

Connecting (the target from the profile and ~/.ssh/config, host keys, login) lives
in :mod:`benchbot.transports.ssh_target`, which translates the errors of getting
in. Once connected, paramiko's and the socket layer's errors are translated here:

    connection dropped mid-command   -> DeviceLost (what was read so far on ``.output``)
    connection gone before a command -> DeviceLost (the next call reconnects)
    push / pull past its time limit  -> CommandTimeout

How a command runs on the device. ``exec_command`` hands the login shell one line,
built by :func:`remote_command`::

    printf 'benchbot-pgid:%s\\n' "$$"; 'arg 0' 'arg 1' ...; exit $?

Every argument is quoted with :func:`shlex.join`, so paths with spaces or shell
metacharacters arrive verbatim (the login shell must be POSIX-like, as for any
``ssh host cmd``). sshd calls ``setsid()`` before it starts the shell of a
non-pty session, so the shell leads its own process group and ``$$`` is that
group's id; the command and everything it spawns inherit it. The marker line
is read first and stripped from stdout (together with anything a chatty shell
rc file printed before it). On timeout, or Ctrl-C, a second channel on the same
connection runs ``kill -9 -PGID`` (falling back to the shell's pid alone on a
server that does not start sessions in their own group), then the command's
channel is closed; the result says ``timed_out``.

Leftovers. A benchbot killed with ``kill -9`` cannot clean up: its remote work
folder stays (the agent itself stops when the connection drops, see
:mod:`benchbot.agent`, but a native tool may run on). So every work folder this
transport makes carries an owner mark (:mod:`benchbot.transports.owner`), and
the first connection of a transport looks for marked folders whose owner is
gone, kills the processes still running from them, removes them, and says so in
one line on stderr. Only folders that the connecting user owns, named as mktemp
names them, with their own mark file (the listing is NUL-separated, so no name
can pass for a mark), and only that user's processes.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import select
import socket
import threading
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Callable, Sequence

import paramiko

from benchbot.errors import CommandTimeout, DeviceLost, TransportError
from benchbot.transports.settings import SshSettings
from benchbot.transports.base import CommandResult
from benchbot.transports.owner import Owner
from benchbot.transports.ssh_commands import (Reader, kill_command, mark_owner_argv, mkdir_argv,
                                              mkdtemp_argv, owners_argv, parse_owners,
                                              remote_command, remove_leftover_argv, rmtree_argv, sha256_argv)
# The connection target and host-key checks moved to ssh_target; these names stay importable here.
from benchbot.transports.ssh_target import (DEFAULT_KNOWN_HOSTS, DEFAULT_SSH_CONFIG, KEEPALIVE_S,
                                            SshTarget, changed_host_message, connect_error,
                                            open_client, resolve_target, unknown_host_message)

__all__ = ["DEFAULT_KNOWN_HOSTS", "DEFAULT_SSH_CONFIG", "KEEPALIVE_S", "SshTarget", "SshTransport",
           "changed_host_message", "connect_error", "kill_command", "open_client",
           "remote_command", "resolve_target", "unknown_host_message"]

_KILL_TIMEOUT_S = 5.0
RECONNECT_S = 10.0  # a server that was reached once: how long a reconnect keeps trying
_SWEEP_TIMEOUT_S = 30.0


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr)

# paramiko logs what it then raises; its errors reach the user translated, not twice.
logging.getLogger("paramiko").addHandler(logging.NullHandler())


class _Deadline(Exception):
    """Raised from an SFTP progress callback when a push or pull runs out of time."""


class SshTransport:
    """Runs commands on a Linux server over one reused SSH connection; pushes with SFTP.

    ``workdir`` is where pushed files go (default: a fresh ``mktemp -d
    /tmp/benchbot.XXXXXX``, removed by :meth:`cleanup` unless ``keep``). A
    user-given workdir is never removed, only the files this transport put
    there. ``uploads`` and ``cache_hits`` count what :meth:`push` did.
    """

    name = "ssh"

    def __init__(self, settings: SshSettings, *, workdir: str | None = None,
                 connect_timeout: float = 15, keep: bool = False,
                 ssh_config: Path = DEFAULT_SSH_CONFIG,
                 say: Callable[[str], None] = _to_stderr) -> None:
        self.settings = settings
        self.workdir = workdir
        self.connect_timeout = connect_timeout
        self.keep = keep
        self.ssh_config = ssh_config
        self.uploads = 0
        self.cache_hits = 0
        self._target: SshTarget | None = None
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._dir: str | None = None          # resolved remote working directory
        self._dir_is_ours = False             # made by mktemp: cleanup removes it whole
        self._dir_client: paramiko.SSHClient | None = None  # the connection that last saw it
        self._pushed: set[str] = set()        # remote files this transport uploaded
        self._verified: dict[str, str] = {}   # remote path -> sha256 checked in this session
        self._digests: dict[tuple[str, int, int], str] = {}
        self._live: set[Reader] = set()      # commands running now, for abort()
        self._live_lock = threading.Lock()
        self.say = say
        self._swept = False                   # leftovers of dead benchbots looked for

    # ------------------------------------------------------------- connection
    @property
    def target(self) -> SshTarget:
        if self._target is None:
            self._target = resolve_target(self.settings, self.ssh_config)
        return self._target

    def connect(self) -> None:
        """Open the connection now (otherwise the first call does); reconnects after a drop,
        for up to RECONNECT_S while the server refuses (a restarting sshd)."""
        reconnecting = self._client is not None
        if self._client is not None:
            if self._alive():
                return
            self._drop_connection()
        deadline = time.monotonic() + (RECONNECT_S if reconnecting else 0.0)
        while True:
            try:
                self._client = open_client(self.target, self.connect_timeout)
                break
            except DeviceLost:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.25)
        if not self._swept:
            self._swept = True
            self._remove_leftovers()

    def _remove_leftovers(self) -> None:
        """Best effort: remove the work folders of benchbots of this host that are gone."""
        with contextlib.suppress(TransportError):
            listing = self.run(owners_argv(), timeout=_SWEEP_TIMEOUT_S)
            for folder, mark in parse_owners(listing.stdout) if listing.ok else []:
                owner = Owner.parse(mark)
                if owner is None or not owner.gone():
                    continue
                result = self.run(remove_leftover_argv(folder), timeout=_SWEEP_TIMEOUT_S)
                if result.ok:
                    killed = result.stdout.count("killed ")
                    self.say(f"removed {folder} on {self.target.where}, left by benchbot "
                             f"{owner} which is gone" + (f"; killed its {killed} leftover "
                                                         "process(es)" if killed else ""))

    def _connection(self) -> paramiko.Transport:
        self.connect()
        assert self._client is not None
        transport = self._client.get_transport()
        assert transport is not None
        return transport

    def _alive(self) -> bool:
        transport = self._client.get_transport() if self._client else None
        return transport is not None and transport.is_active()

    def _dying(self, grace: float = 1.0) -> bool:
        """Whether the connection is going down: paramiko closes its channels first, then
        marks itself inactive, so a channel that ended without an exit status gets a grace."""
        deadline = time.monotonic() + grace
        while self._alive():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def _lost(self, what: str, output: str = "") -> DeviceLost:
        return DeviceLost(f"connection to {self.target.where} dropped while {what}", output=output)

    def _drop_sftp(self) -> None:
        if self._sftp is not None:
            with contextlib.suppress(Exception):
                self._sftp.close()
        self._sftp = None

    def _drop_connection(self) -> None:
        self._drop_sftp()
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
        self._client = None
        self._verified.clear()  # the device may have rebooted meanwhile

    def close(self) -> None:
        self._drop_connection()

    def __enter__(self) -> SshTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------- commands
    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        """Run argv on the server; on timeout kill its process group and say timed_out.

        The return code is the shell's: 127 when the program is not found, 128+N when
        signal N killed it. A connection lost before the end raises DeviceLost.
        """
        argv = tuple(argv)
        if not argv:
            raise ValueError("run() needs a command")
        connection = self._connection()
        start = time.monotonic()
        reader = Reader()
        try:
            chan = connection.open_session(timeout=self.connect_timeout)
        except (EOFError, OSError, paramiko.SSHException) as exc:
            if self._dying():
                raise self._lost(f"starting {argv[0]}") from exc
            raise TransportError(f"cannot open an ssh channel to {self.target.where}: {exc}") from exc
        with self._live_lock:
            self._live.add(reader)
        try:
            chan.exec_command(remote_command(argv))
            timed_out = self._collect(chan, reader, start + timeout)
        except BaseException as exc:  # Ctrl-C or a failed exec: never leave the command behind
            self._kill(reader.pgid)
            chan.close()
            if isinstance(exc, (EOFError, OSError, paramiko.SSHException)):
                raise self._lost(f"running {argv[0]}", "".join(reader.text())) from exc
            raise
        finally:
            with self._live_lock:
                self._live.discard(reader)
        if timed_out:
            self._kill(reader.pgid)
        chan.close()
        out, err = reader.text()
        # exit_status stays -1 when none came: paramiko ignores exit-signal, and a dropped
        # connection closes the channel without one (exit_status_ready() is True on close)
        # a server that ends a channel normally sends EOF first: only then no grace is needed
        if not timed_out and chan.exit_status == -1 and self._dying(0 if chan.eof_received else 1):
            raise self._lost(f"running {argv[0]}", out + err)
        returncode = None if timed_out else chan.exit_status
        return CommandResult(argv=argv, returncode=returncode, stdout=out, stderr=err,
                             duration_s=time.monotonic() - start, timed_out=timed_out)

    @staticmethod
    def _collect(chan: paramiko.Channel, reader: Reader, deadline: float) -> bool:
        """Read stdout and stderr together until the command ends; True if time ran out."""
        while True:
            reader.drain(chan)
            if chan.closed or (chan.eof_received and chan.exit_status_ready()):
                reader.drain(chan)
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            wait = min(remaining, 0.5)  # also bounds how late a dead connection is noticed
            if chan.eof_received:  # the pipe stays readable after EOF: wait on the status
                chan.status_event.wait(wait)
            else:
                select.select([chan], [], [], wait)

    def abort(self) -> None:
        """Kill every command running now, whichever thread runs it (the run is interrupted);
        each of those run() calls then returns the killed command's result."""
        with self._live_lock:
            pgids = [reader.pgid for reader in self._live]
        for pgid in pgids:
            self._kill(pgid)

    def _kill(self, pgid: int | None) -> None:
        """Best effort: kill a timed-out command's process group on a second channel."""
        if pgid is None or not self._alive():
            return
        with contextlib.suppress(Exception):
            assert self._client is not None
            chan = self._client.get_transport().open_session(timeout=_KILL_TIMEOUT_S)  # type: ignore[union-attr]
            chan.exec_command(kill_command(pgid))
            self._collect(chan, Reader(), time.monotonic() + _KILL_TIMEOUT_S)
            chan.close()

    # ------------------------------------------------------------- files
    @contextlib.contextmanager
    def _sftp_calls(self, what: str, timeout: float, deadline: float) -> Iterator[paramiko.SFTPClient]:
        """An SFTP session (opened once per connection) whose errors become ours."""
        self.connect()
        try:
            if self._sftp is None:
                assert self._client is not None
                self._sftp = self._client.open_sftp()
            self._sftp.get_channel().settimeout(max(deadline - time.monotonic(), 0.1))  # type: ignore[union-attr]
            yield self._sftp
        except (_Deadline, TimeoutError, socket.timeout) as exc:
            self._drop_sftp()  # a late reply must not answer the next request
            raise CommandTimeout(f"{what} took longer than {timeout:g} s") from exc
        except (EOFError, OSError, paramiko.SSHException) as exc:
            if self._dying():
                raise self._lost(what) from exc
            if isinstance(exc, paramiko.SSHException) and self._sftp is None:
                raise TransportError(f"{self.target.where} offers no sftp: {exc}; enable "
                                     "'Subsystem sftp' in its sshd_config") from exc
            raise TransportError(f"{what} failed: {exc}", output=str(exc)) from exc

    def _local_digest(self, local: Path) -> tuple[str, int]:
        try:
            st = local.stat()
            key = (str(local.resolve()), st.st_size, st.st_mtime_ns)
            if key not in self._digests:
                h = hashlib.sha256()
                with local.open("rb") as f:
                    while chunk := f.read(1 << 20):
                        h.update(chunk)
                self._digests[key] = h.hexdigest()
        except OSError as exc:
            raise TransportError(f"cannot read {local}: {exc.strerror or exc}") from exc
        return self._digests[key], st.st_size

    def _workdir(self, deadline: float) -> str:
        """The remote directory pushes go to, made on first use."""
        self.connect()
        if self._dir is not None and self._dir_client is self._client:
            return self._dir
        if self._dir is not None:  # reconnected since: /tmp may have been wiped
            self._mkdir(self._dir, deadline)
        elif self.workdir is None:
            result = self.run(mkdtemp_argv(), timeout=max(deadline - time.monotonic(), 1))
            if not result.ok:
                raise TransportError(f"cannot make a working directory on {self.target.where}: "
                                     f"{result.stderr_tail()}", output=result.stderr)
            self._dir, self._dir_is_ours = result.stdout.strip(), True
            # best effort: an unmarked folder is merely never swept by a later benchbot
            self.run(mark_owner_argv(self._dir, Owner.me().line()),
                     timeout=max(deadline - time.monotonic(), 1))
        else:
            path = self.workdir
            if not path.startswith("/"):  # "~", "~/x" or "x": under the login directory
                home = self.run(["pwd"], timeout=max(deadline - time.monotonic(), 1)).stdout.strip()
                rest = path[2:] if path.startswith("~/") else "" if path == "~" else path
                path = f"{home}/{rest}".rstrip("/")
            self._mkdir(path, deadline)
            self._dir = path
        self._dir_client = self._client
        return self._dir

    def _mkdir(self, path: str, deadline: float) -> None:
        result = self.run(mkdir_argv(path), timeout=max(deadline - time.monotonic(), 1))
        if not result.ok:
            raise TransportError(f"cannot make {path} on {self.target.where}: "
                                 f"{result.stderr_tail()}", output=result.stderr)

    def _remote_sha256(self, sftp: paramiko.SFTPClient, remote: str, deadline: float) -> str:
        result = self.run(sha256_argv(remote), timeout=max(deadline - time.monotonic(), 1))
        if result.ok and result.stdout.strip():
            return result.stdout.split()[0].lstrip("\\")
        h = hashlib.sha256()  # no sha256sum there: read the file back
        with sftp.open(remote, "rb") as f:
            f.prefetch()
            while chunk := f.read(1 << 20):
                if time.monotonic() > deadline:
                    raise _Deadline()
                h.update(chunk)
        return h.hexdigest()

    def push(self, local: Path, timeout: float) -> str:
        """Upload into the working directory, unless a file of same size and sha256 is there."""
        deadline = time.monotonic() + timeout
        local = Path(local)
        digest, size = self._local_digest(local)
        workdir = self._workdir(deadline)
        remote = f"{workdir}/{digest[:16]}-{local.name}"
        with self._sftp_calls(f"pushing {local} to {self.target.where}", timeout, deadline) as sftp:
            try:
                remote_size: int | None = sftp.stat(remote).st_size
            except FileNotFoundError:
                remote_size = None
            if remote_size == size and (self._verified.get(remote) == digest
                                        or self._remote_sha256(sftp, remote, deadline) == digest):
                self._verified[remote] = digest
                self.cache_hits += 1
                return remote
            part = f"{remote}.part{os.getpid()}"
            try:
                sftp.put(str(local), part, callback=_deadline_callback(deadline))
                sftp.chmod(part, local.stat().st_mode & 0o777)
                sftp.posix_rename(part, remote)
            except BaseException:
                if self._alive():
                    with contextlib.suppress(Exception):
                        sftp.get_channel().settimeout(_KILL_TIMEOUT_S)  # type: ignore[union-attr]
                        sftp.remove(part)
                raise
        self._pushed.add(remote)
        self._verified[remote] = digest
        self.uploads += 1
        return remote

    def pull(self, remote: str, local: Path, timeout: float) -> Path:
        """Download a device file; ``local`` appears only once it is complete."""
        deadline = time.monotonic() + timeout
        local = Path(local)
        part = local.with_name(local.name + ".part")
        if not local.parent.is_dir():
            raise TransportError(f"cannot pull {remote} into {local}: no folder {local.parent}")
        with self._sftp_calls(f"pulling {remote} from {self.target.where}", timeout, deadline) as sftp:
            try:
                sftp.get(remote, str(part), callback=_deadline_callback(deadline))
            except FileNotFoundError as exc:
                part.unlink(missing_ok=True)
                raise TransportError(f"no file {remote} on {self.target.where}") from exc
            except BaseException:
                part.unlink(missing_ok=True)
                raise
        os.replace(part, local)
        return local

    def cleanup(self) -> None:
        """Remove what push() put on the device: our mktemp directory, or our files in the user's."""
        if self.keep or self._dir is None:
            return
        if self._dir_is_ours:
            if not self._dir.startswith("/tmp/benchbot."):  # never rm -rf anything else
                raise TransportError(f"refusing to remove unexpected directory {self._dir}")
            result = self.run(rmtree_argv(self._dir), timeout=60)
            if not result.ok:
                raise TransportError(f"cannot remove {self._dir} on {self.target.where}: "
                                     f"{result.stderr_tail()}", output=result.stderr)
        else:
            with self._sftp_calls(f"cleaning {self._dir} on {self.target.where}", 60,
                                  time.monotonic() + 60) as sftp:
                for remote in sorted(self._pushed):
                    with contextlib.suppress(FileNotFoundError):
                        sftp.remove(remote)
        self._dir, self._dir_is_ours = None, False
        self._pushed.clear()
        self._verified.clear()


def _deadline_callback(deadline: float):  # type: ignore[no-untyped-def]
    def check(done: int, total: int) -> None:
        if time.monotonic() > deadline:
            raise _Deadline()
    return check
