"""Android phones through an adb server (via adbutils): shell protocol v2 commands, sync copies.

    t = AdbTransport("R58M123", server="127.0.0.1:5037")
    t.run(["getprop", "ro.board.platform"], timeout=10)   # CommandResult
    path = t.push(Path("m.onnx"), timeout=300)            # skipped when the phone has it

Errors from adbutils and sockets are translated here; the raw adb text stays on
``.output``:

    no adb server at host:port                -> TransportError (says how to start one)
    device not found / offline / stream EOF   -> DeviceLost
    device unauthorized                       -> AuthFailed
    run() past its timeout                    -> CommandResult(timed_out=True), command killed
    push() / pull() past their timeout        -> CommandTimeout
    any other refusal                         -> TransportError

Exit codes. Phones with the ``shell_v2`` feature (Android 7+) run commands over
``shell,v2,raw:``: stdout and stderr come as separate packets and an exit packet
carries the code, whatever the command does. Older phones get ``exec:``
(Android 5+) and a wrapper: the command runs in a child ``sh -c`` with stdin
from /dev/null and stderr into a file in the workdir, so an ``exit`` in it
cannot skip what follows; then comes a line with a random marker and ``$?``,
then that file. Either way the shell first prints its pid behind a random
marker (on stderr for v2, as the first stdout line for exec); the transport
strips it, and on a timeout kills the command's process group with a second
command (up to 5 s more): adbd only sends SIGHUP to the shell when the stream
closes, and the shell's children would live on.

Every call opens its own connections to the server and bounds every wait by
its timeout (adbutils' shell2 and sync bound each read, or nothing). Not
thread-safe: one transport per thread, except :meth:`AdbTransport.abort`, which
any thread may call (Ctrl-C) to kill the process groups of the commands running
now, as the timeout does.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import secrets
import shlex
import stat
import struct
import threading
import time
from pathlib import Path
from typing import Sequence

from adbutils.errors import AdbError

from benchbot.errors import AuthFailed, CommandTimeout, ConfigError, DeviceLost, TransportError
from benchbot.transports.settings import DEFAULT_ADB_SERVER
from benchbot.transports.adb_wire import Deadline, Ended, Wire, client, left
from benchbot.transports.base import CommandResult

DEFAULT_WORKDIR = "/data/local/tmp/benchbot"
# cleanup() deletes the workdir: never one that other programs keep files in (nor any
# top-level folder, which _shared() refuses by depth)
_SHARED_DIRS = frozenset({"/data/local", "/data/local/tmp", "/data/data", "/data/user",
                          "/data/user/0", "/data/media", "/data/media/0", "/mnt/sdcard",
                          "/storage/emulated", "/storage/emulated/0", "/storage/self",
                          "/storage/self/primary"})
_SYNC_CHUNK = 64 * 1024  # the sync protocol's largest DATA block
_KILL_TIMEOUT_S = 5.0
_CLOSE_STDIN = struct.pack("<BI", 4, 0)  # shell v2: no stdin, as LocalTransport's DEVNULL
_QUIT = b"QUIT" + bytes(4)


class AdbTransport:
    """Runs commands on one phone through an adb server (a farm host's, or this host's)."""

    def __init__(self, serial: str | None, server: str = DEFAULT_ADB_SERVER,
                 workdir: str = DEFAULT_WORKDIR, keep: bool = False) -> None:
        if not workdir.startswith("/"):
            raise ConfigError(f"the device workdir '{workdir}' must be an absolute path")
        workdir = "/" + posixpath.normpath(workdir).lstrip("/")  # "//data" is "/data"
        if (workdir in _SHARED_DIRS or workdir.count("/") < 2) and not keep:
            below = f"{workdir}/benchbot" if workdir.count("/") >= 2 else DEFAULT_WORKDIR
            raise ConfigError(f"the device workdir '{workdir}' is shared with other programs and "
                              f"cleanup would delete it; use a subdirectory such as {below}")
        self.serial, self.server, self.workdir, self.keep = serial, server, workdir, keep
        self.name = f"adb:{serial}" if serial else "adb"
        self._features: frozenset[str] | None = None
        self._workdir_ready = False
        self._verified: dict[str, str] = {}  # device path -> sha256 it is known to have
        self._live: set[int] = set()  # shell pids of the commands running now, for abort()
        self._aborted: set[int] = set()  # of those, the ones abort() killed
        self._live_lock = threading.Lock()

    # -- connections -------------------------------------------------------------------------

    def _open(self, service: str, deadline: float, host_request: str | None = None) -> Wire:
        """A connection to ``service`` on the device (e.g. "sync:"), open and acknowledged.

        With ``host_request`` (e.g. "features"), a request about the device to the server instead.
        """
        if self.serial is None:  # the one device attached, else an error
            from benchbot.transports.adb_server import list_serials  # it imports this module

            serials = list_serials(self.server, timeout=left(deadline))
            if len(serials) != 1:
                raise TransportError(f"{len(serials)} devices on the adb server at {self.server} "
                                     f"({', '.join(serials) or 'none'}); set adb.serial in the profile")
            self.serial, self.name = serials[0], f"adb:{serials[0]}"
        wire = Wire(client(self.server, deadline), deadline)
        try:
            if host_request:
                wire.request(f"host-serial:{self.serial}:{host_request}")
            else:
                wire.request(f"host:transport:{self.serial}")
                wire.request(service)
            return wire
        except BaseException as exc:
            wire.close()
            if isinstance(exc, AdbError):
                raise self._refusal(str(exc), host_request or service) from exc
            if isinstance(exc, Ended):
                raise self._lost(service, str(exc), b"") from exc
            raise

    def _refusal(self, message: str, service: str) -> TransportError:
        first = message.strip().splitlines()[0] if message.strip() else "no reason given"
        if "unauthorized" in message:
            return AuthFailed(f"device {self.serial} has not authorized this computer: unlock it "
                              "and accept the 'Allow USB debugging' prompt")
        if any(word in message for word in ("not found", "offline", "no devices")):
            return DeviceLost(f"device {self.serial} is not available on the adb server at "
                              f"{self.server}: {first}", output=message)
        return TransportError(f"device {self.serial} refused '{service.partition(':')[0]}': {first}",
                              output=message)

    def _lost(self, command: str, reason: str, output: bytes | bytearray) -> DeviceLost:
        shown = " ".join(command.split())  # one line
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return DeviceLost(f"device {self.serial} went away during `{shown}` ({reason})",
                          output=_text(bytes(output)))

    def _shell_v2(self, deadline: float) -> bool:
        if self._features is None:
            wire = self._open("features", deadline, host_request="features")
            try:
                text = wire.recv_exact(int(wire.recv_exact(4), 16)).decode()
            except Ended as exc:
                raise self._lost("features", str(exc), b"") from exc
            finally:
                wire.close()
            self._features = frozenset(text.strip().split(","))
        return "shell_v2" in self._features

    # -- commands -----------------------------------------------------------------------------

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        """Run argv on the device, every argument quoted; past ``timeout`` the command is killed."""
        if not argv:
            raise TransportError("no command to run")
        start = time.monotonic()
        try:
            run = self._run_v2 if self._shell_v2(start + timeout) else self._run_exec
            out, err, code = run(shlex.join(argv), start + timeout)
        except Deadline:  # before the command started: nothing to kill
            out, err, code = b"", b"", None
        return CommandResult(argv=tuple(argv), returncode=code, stdout=_text(out),
                             stderr=_text(err), duration_s=time.monotonic() - start,
                             timed_out=code is None)

    def _run_v2(self, command: str, deadline: float, kill: bool = True) -> tuple[bytes, bytes, int | None]:
        marker = secrets.token_hex(8).encode()
        wire = self._open(f"shell,v2,raw:echo {marker.decode()}:$$ >&2; {command}", deadline)
        out, err, pid, head = bytearray(), bytearray(), None, True
        try:
            wire.send(_CLOSE_STDIN)
            while True:
                kind, length = struct.unpack("<BI", wire.recv_exact(5))
                data = wire.recv_exact(length) if length else b""
                if kind == 1:
                    out += data
                elif kind == 2:
                    err += data
                    if head and b"\n" in err:  # the first stderr line is ours: "<marker>:<pid>"
                        line, _, rest = bytes(err).partition(b"\n")
                        if line.startswith(marker + b":") and line[len(marker) + 1:].isdigit():
                            pid, err[:] = int(line[len(marker) + 1:]), rest
                            if kill:
                                self._started(pid)
                        head = False
                elif kind == 3:
                    return bytes(out), bytes(err), data[0] if data else 255
        except Deadline:
            if kill and pid is not None:
                self._kill(pid)
            return bytes(out), bytes(err), None
        except Ended as exc:
            raise self._lost(command, str(exc), out + err) from exc
        except BaseException:  # e.g. Ctrl-C in this thread: never leave the command behind
            if kill and pid is not None:
                self._kill(pid)
            raise
        finally:
            self._ended(pid, forget=True)
            wire.close()

    def _run_exec(self, command: str, deadline: float, kill: bool = True) -> tuple[bytes, bytes, int | None]:
        marker, q = secrets.token_hex(8), shlex.quote
        errors = q(f"{self.workdir}/.stderr-{marker}")
        wire = self._open(f"exec:echo {marker}:$$; mkdir -p {q(self.workdir)}; "
                          f"sh -c {q(command)} </dev/null 2>{errors}; printf '\\n{marker}:%d\\n' $?; "
                          f"cat {errors} 2>/dev/null; rm -f {errors}", deadline)
        data = bytearray()
        head = re.compile(marker.encode() + rb":(\d+)\n")
        pid: int | None = None
        try:
            while chunk := wire.recv_some(65536):
                data += chunk
                if pid is None and kill and (started := head.match(data)):
                    pid = int(started.group(1))
                    self._started(pid)
        except Deadline:
            started = head.match(data)
            if kill and started:
                self._kill(int(started.group(1)), also=f"rm -f {errors}")
            return bytes(data[started.end():] if started else b""), b"", None
        except Ended as exc:
            raise self._lost(command, str(exc), data) from exc
        except BaseException:
            if pid is not None:
                self._kill(pid, also=f"rm -f {errors}")
            raise
        finally:
            self._ended(pid)
            wire.close()
        started = head.match(data)
        ended = re.search(b"\n" + marker.encode() + rb":(\d+)\n", data)
        if started and not ended and pid in self._aborted:  # abort() killed the wrapper too
            self._ended(pid, forget=True)
            return bytes(data[started.end():]), b"", 128 + 9  # as shell_v2 reports SIGKILL
        if not started or not ended:
            raise self._lost(command, "the output stopped before the exit status", data)
        return bytes(data[started.end():ended.start()]), bytes(data[ended.end():]), int(ended.group(1))

    def _started(self, pid: int) -> None:
        with self._live_lock:
            self._live.add(pid)

    def _ended(self, pid: int | None, forget: bool = False) -> None:
        with self._live_lock:
            self._live.discard(pid)  # type: ignore[arg-type]
            if forget:  # (exec: reads whether abort() killed it after this)
                self._aborted.discard(pid)  # type: ignore[arg-type]

    def abort(self) -> None:
        """Kill every command running now, from any thread (the run is being interrupted);
        each of those run() calls then returns the killed command's result."""
        with self._live_lock:
            pids = sorted(self._live)
            self._aborted.update(pids)
        for pid in pids:
            self._kill(pid)

    def _kill(self, pid: int, also: str = "") -> None:
        """Best effort: kill the command's process group (else the shell alone) on the device."""
        script = f"kill -9 -{pid} 2>/dev/null || kill -9 {pid} 2>/dev/null; {also}"
        deadline = time.monotonic() + _KILL_TIMEOUT_S
        try:
            run = self._run_v2 if self._shell_v2(deadline) else self._run_exec
            run(script, deadline, kill=False)
        except (TransportError, Deadline):
            pass

    def _run_until(self, argv: Sequence[str], deadline: float, failure: str = "") -> CommandResult:
        """run() by a deadline: Deadline if it passes; TransportError(failure) if it fails."""
        result = self.run(argv, timeout=deadline - time.monotonic())
        if result.timed_out:
            raise Deadline()
        if failure and not result.ok:
            raise TransportError(f"{failure} on {self.serial}: "
                                 f"{result.stderr_tail() or result.stdout.strip()}",
                                 output=result.stdout + result.stderr)
        return result

    # -- files --------------------------------------------------------------------------------

    def push(self, local: Path, timeout: float) -> str:
        """Copy ``local`` to ``<workdir>/<sha256[:16]>-<name>``, unless the device has it already."""
        deadline = time.monotonic() + timeout
        local = Path(local)
        try:
            info, digest = local.stat(), _sha256(local)
        except OSError as exc:
            raise TransportError(f"cannot read {local}: {exc.strerror or exc}") from exc
        remote = f"{self.workdir}/{digest[:16]}-{re.sub(r'[^A-Za-z0-9._-]', '_', local.name)}"
        try:
            if not self._holds(remote, info.st_size, digest, deadline):
                if not self._workdir_ready:
                    self._run_until(["mkdir", "-p", self.workdir], deadline,
                                    failure=f"cannot create {self.workdir}")
                    self._workdir_ready = True
                self._send(local, remote, stat.S_IFREG | stat.S_IMODE(info.st_mode), deadline)
        except Deadline as exc:
            raise CommandTimeout(f"pushing {local.name} to {self.serial} took longer than "
                                 f"{timeout:g}s") from exc
        self._verified[remote] = digest
        return remote

    def _holds(self, remote: str, size: int, digest: str, deadline: float) -> bool:
        """Whether the device has ``remote`` with this size (sync STAT) and sha256 (sha256sum)."""
        wire = self._open("sync:", deadline)
        try:
            wire.send(b"STAT" + struct.pack("<I", len(remote.encode())) + remote.encode())
            ident, mode, remote_size, _ = struct.unpack("<4s3I", wire.recv_exact(16))
            wire.send(_QUIT)
        except Ended as exc:
            raise self._lost(f"stat {remote}", str(exc), b"") from exc
        finally:
            wire.close()
        if ident != b"STAT" or not stat.S_ISREG(mode) or remote_size != size & 0xFFFFFFFF:
            return False  # (v1 STAT has a 32-bit size)
        if self._verified.get(remote) == digest:
            return True
        result = self._run_until(["sha256sum", remote], deadline)  # toybox has it (Android 6+)
        return result.ok and result.stdout.split()[:1] == [digest]

    def _send(self, local: Path, remote: str, mode: int, deadline: float) -> None:
        wire = self._open("sync:", deadline)
        try:
            spec = f"{remote},{mode}".encode()
            try:
                wire.send(b"SEND" + struct.pack("<I", len(spec)) + spec)
                with local.open("rb") as f:
                    while chunk := f.read(_SYNC_CHUNK):
                        wire.send(b"DATA" + struct.pack("<I", len(chunk)) + chunk)
                wire.send(b"DONE" + struct.pack("<I", int(local.stat().st_mtime)))  # as adb push
            except Ended:
                pass  # the device may have refused early: its FAIL is read below
            reply, length = struct.unpack("<4sI", wire.recv_exact(8))
            if reply != b"OKAY":
                message = (wire.recv_exact(length).decode("utf-8", "replace") if reply == b"FAIL"
                           else repr(reply))
                raise TransportError(f"device {self.serial} refused {remote}: {message}",
                                     output=message)
            wire.send(_QUIT)
        except Ended as exc:
            raise self._lost(f"push {remote}", str(exc), b"") from exc
        finally:
            wire.close()

    def pull(self, remote: str, local: Path, timeout: float) -> Path:
        """Copy a device file to ``local`` (removed again if the copy fails)."""
        deadline = time.monotonic() + timeout
        local = Path(local)
        try:
            wire = self._open("sync:", deadline)
        except Deadline as exc:
            raise CommandTimeout(f"pulling {remote} from {self.serial} took longer than "
                                 f"{timeout:g}s") from exc
        try:
            wire.send(b"RECV" + struct.pack("<I", len(remote.encode())) + remote.encode())
            with local.open("wb") as f:
                while True:
                    ident, length = struct.unpack("<4sI", wire.recv_exact(8))
                    if ident == b"DONE":
                        break
                    data = wire.recv_exact(length)
                    if ident != b"DATA":
                        message = data.decode("utf-8", "replace") if ident == b"FAIL" else repr(ident)
                        raise TransportError(f"cannot pull {remote} from {self.serial}: {message}",
                                             output=message)
                    f.write(data)
            wire.send(_QUIT)
        except BaseException as exc:
            local.unlink(missing_ok=True)
            if isinstance(exc, Deadline):
                raise CommandTimeout(f"pulling {remote} from {self.serial} took longer than "
                                     f"{timeout:g}s") from exc
            if isinstance(exc, Ended):
                raise self._lost(f"pull {remote}", str(exc), b"") from exc
            raise
        finally:
            wire.close()
        return local

    def cleanup(self) -> None:
        """Delete the workdir and all pushed files on the device, unless ``keep``."""
        self._verified.clear()
        self._workdir_ready = False
        if not self.keep:
            try:
                self._run_until(["rm", "-rf", self.workdir], time.monotonic() + 60,
                                failure=f"cannot remove {self.workdir}")
            except Deadline as exc:
                raise CommandTimeout(f"removing {self.workdir} on {self.serial} took over 60s") from exc

    def close(self) -> None:
        """Nothing is held between calls; forget what this transport knew about the device."""
        self._features = None
        self._verified.clear()


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
