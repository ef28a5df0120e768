"""An emulated Android phone: the DEVICE side of the ADB transport protocol, over TCP.

The real adb server reaches it with ``adb connect 127.0.0.1:PORT``, as it would
a phone in "adb tcpip" mode, so tests drive the whole real stack: adbutils ->
adb server -> this phone. No authentication (the phone answers CNXN at once),
protocol version 0x01000001 (no checksums), 256 KiB payloads.

Services:

* ``shell,v2[,raw]:CMD`` -- shell protocol v2: packets ``[id:1][len:4 LE][data]``
  (0 stdin, 1 stdout, 2 stderr, 3 exit, 4 close stdin, 5 window size);
* ``shell:CMD`` and ``exec:CMD`` -- raw byte streams, stderr merged into stdout
  (v1, as adbd does without the shell protocol);
* ``sync:`` -- STAT, LIST, SEND, RECV, QUIT of the file sync protocol (v1).

Commands run ON THE HOST through ``sh -c``, in their own session, with the
sandbox directory as working directory. The sandbox stands for the phone's
root: **path mapping** rewrites the device directories in ``device_dirs``
(default ``/data/local/tmp`` and ``/sdcard``) and the paths of ``files`` to
``<sandbox><path>`` inside every command string (only at a path boundary, so
already-mapped paths are left alone), and turns sandbox paths back into device
paths in what commands print (``pwd`` prints ``/``). Any other path in a
command is the host's (``/bin/sh``, ``sys.executable``). The sync service sees
only the sandbox: every sync path is ``<sandbox><path>``. :meth:`to_host` says
where a device path lives, to plant or inspect files. ``getprop`` is a script on the shell's PATH that prints the
property dump given as ``getprop_dump`` (a real phone's ``[key]: [value]`` text)
plus ``extra_props``, or a small built-in set of OnePlus 7 properties;
:func:`profile_getprop_dump` writes one for the phone a device profile's ``[match]`` picks.

A scripted device: ``before_command`` is called with every shell/exec command just
before it runs, so a test can make the phone's files follow what has happened so far.

Fault injection: :meth:`EmulatedPhone.disconnect` drops the TCP connection now
(the device vanishes; the adb server will try to reconnect unless
``stay_away``), :meth:`EmulatedPhone.hang_commands_matching` accepts matching
commands and never runs or answers them. Counters: ``sends`` (device path ->
number of sync SENDs), ``commands`` (every shell/exec command as received),
``services`` (every service opened); :meth:`live_process_groups` lists commands
(with their children) still running.

    phone = EmulatedPhone(tmp_path / "phone", getprop_dump=dump)
    port = phone.start()         # then: client.connect(f"127.0.0.1:{port}")
    ...
    phone.stop()
"""

from __future__ import annotations

import collections
import json
import os
import queue
import re
import signal
import socket
import stat
import struct
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path
from typing import Callable, Iterable, Mapping

VERSION = 0x01000001  # skips checksums
MAX_DATA = 256 * 1024
SYNC_DATA_MAX = 64 * 1024
FEATURES = ("shell_v2", "fixed_push_mkdir")

A_CNXN, A_OPEN, A_OKAY, A_WRTE, A_CLSE = (struct.unpack("<I", c)[0]
                                          for c in (b"CNXN", b"OPEN", b"OKAY", b"WRTE", b"CLSE"))

BUILTIN_PROPS = {
    "ro.product.name": "OnePlus7_EEA", "ro.product.model": "GM1903",
    "ro.product.device": "OnePlus7", "ro.product.manufacturer": "OnePlus",
    "ro.product.brand": "OnePlus", "ro.board.platform": "msmnile", "ro.hardware": "qcom",
    "ro.build.version.release": "9", "ro.build.version.sdk": "28",
    "ro.product.cpu.abi": "arm64-v8a",
}



def profile_getprop_dump(profile: Path, dest: Path, props: Mapping[str, str] | None = None
                         ) -> Path:
    """Write a getprop dump for a phone that ``profile``'s ``[match]`` keys pick, to ``dest``.

    The built-in OnePlus 7 properties, overridden by each ``[match]`` key (the first value of
    a list) and then by ``props``. For a phone of a profile that no real dump in tests/data
    stands for; the ADB tier needs no file outside the repository.
    """
    match = tomllib.loads(Path(profile).read_text(encoding="utf-8")).get("match", {})
    table = dict(BUILTIN_PROPS)
    for key, value in match.items():
        table[key] = str(value[0] if isinstance(value, list) else value)
    table |= dict(props or {})
    dest.write_text("".join(f"[{k}]: [{v}]\n" for k, v in sorted(table.items())), encoding="utf-8")
    return dest


_PROP_LINE = re.compile(r"^\[([^\]]*)\]: \[(.*)\]$")

GETPROP_SCRIPT = """#!{python}
# getprop of the emulated phone: the whole dump, or one value (else the default, else "").
import json, sys
if len(sys.argv) < 2:
    sys.stdout.write(open({dump!r}, encoding="utf-8").read())
else:
    props = json.load(open({table!r}, encoding="utf-8"))
    print(props.get(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""))
"""


class _Closed(Exception):
    """The stream or the connection is gone."""


class EmulatedPhone:
    """One phone on 127.0.0.1:<port>; start() and stop() it around the tests."""

    def __init__(self, sandbox: Path, *, getprop_dump: Path | None = None,
                 extra_props: Mapping[str, str] | None = None,
                 files: Mapping[str, Path | str | bytes] | None = None,
                 device_dirs: Iterable[str] = ("/data/local/tmp", "/sdcard"),
                 features: Iterable[str] = FEATURES, maxdata: int = MAX_DATA,
                 tools: Mapping[str, str] | None = None) -> None:
        self.sandbox = Path(sandbox).resolve()
        if not re.fullmatch(r"[A-Za-z0-9_./+-]+", str(self.sandbox)):
            raise ValueError(f"sandbox path must need no shell quoting: {self.sandbox}")
        self.features = tuple(features)
        self.maxdata = maxdata
        self.sends: collections.Counter[str] = collections.Counter()
        self.commands: list[str] = []
        self.services: list[str] = []
        self._hangs: list[re.Pattern[str]] = []
        # called with each shell/exec command just before it runs: a scripted device
        # rewrites its sysfs files there (tests/scripted_phone.py)
        self.before_command: Callable[[str], None] | None = None
        self.extra_env: dict[str, str] = {}  # added to the environment of every command
        self._stay_away = False
        self._lock = threading.Lock()
        self._conns: list[_Connection] = []
        self._procs: list[subprocess.Popen[bytes]] = []
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()
        self._root = str(self.sandbox).encode()
        self._setup(getprop_dump, dict(extra_props or {}), dict(files or {}), tuple(device_dirs))
        for name, script_text in (tools or {}).items():  # phone commands such as dumpsys
            tool = self.sandbox / ".emulator" / "bin" / name
            tool.write_text(script_text)
            tool.chmod(0o755)

    # -- set-up ---------------------------------------------------------------------------

    def _setup(self, dump: Path | None, extra: dict[str, str],
               files: dict[str, Path | str | bytes], device_dirs: tuple[str, ...]) -> None:
        meta = self.sandbox / ".emulator"
        (meta / "bin").mkdir(parents=True, exist_ok=True)
        for d in device_dirs:
            self.to_host(d).mkdir(parents=True, exist_ok=True)
        text = dump.read_text(encoding="utf-8") if dump else "".join(
            f"[{k}]: [{v}]\n" for k, v in sorted(BUILTIN_PROPS.items()))
        self.props = {m.group(1): m.group(2)
                      for m in map(_PROP_LINE.match, text.splitlines()) if m}
        if extra:
            text = (text if text.endswith("\n") or not text else text + "\n") + "".join(
                f"[{k}]: [{v}]\n" for k, v in extra.items())
            self.props.update(extra)
        (meta / "getprop.txt").write_text(text, encoding="utf-8")
        (meta / "getprop.json").write_text(json.dumps(self.props), encoding="utf-8")
        script = meta / "bin" / "getprop"
        script.write_text(GETPROP_SCRIPT.format(python=sys.executable, dump=str(meta / "getprop.txt"),
                                                table=str(meta / "getprop.json")))
        script.chmod(0o755)
        for device_path, content in files.items():
            host = self.to_host(device_path)
            host.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                host.write_bytes(content.read_bytes())
            else:
                host.write_bytes(content.encode() if isinstance(content, str) else content)
        prefixes = sorted({*device_dirs, *files}, key=len, reverse=True)
        self._mapping = re.compile(r"(?<![\w.\-/])(" + "|".join(map(re.escape, prefixes))
                                   + r")(?![\w.\-])")
        self._env = {**os.environ, "PATH": f"{meta / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
                     "TMPDIR": str(self.to_host("/data/local/tmp")), "ANDROID_ROOT": "/system"}

    def to_host(self, device_path: str) -> Path:
        """Where a device path lives in the sandbox (never outside it)."""
        return self.sandbox / os.path.normpath("/" + device_path).lstrip("/")

    def map_command(self, command: str) -> str:
        """The command with its device paths rewritten into the sandbox."""
        return self._mapping.sub(lambda m: str(self.sandbox) + m.group(1), command)

    @property
    def banner(self) -> bytes:
        keys = ("ro.product.name", "ro.product.model", "ro.product.device")
        props = "".join(f"{k}={self.props.get(k, BUILTIN_PROPS[k])};" for k in keys)
        return f"device::{props}features={','.join(self.features)}".encode()

    # -- life cycle and fault injection -----------------------------------------------------

    def start(self) -> int:
        """Listen on 127.0.0.1 (a free port) and serve in background threads; returns the port."""
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        threading.Thread(target=self._accept_loop, name="phone-accept", daemon=True).start()
        return self.port

    @property
    def port(self) -> int:
        assert self._listener is not None, "start() the phone first"
        return self._listener.getsockname()[1]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop listening, drop every connection, kill every command still running."""
        self._stopping.set()
        if self._listener is not None:
            self._listener.close()
        self.disconnect()
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            _kill_group(proc)

    def disconnect(self, *, stay_away: bool = False) -> None:
        """Drop the TCP connection now, as if the cable were pulled.

        Commands still running are killed with their process groups (adbd would
        SIGHUP the shells; killing leaks nothing). The real adb server marks the
        phone offline and reconnects to it within about half a second; with
        ``stay_away`` the phone refuses those attempts until :meth:`come_back`.
        """
        self._stay_away = stay_away
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            conn.drop()

    def come_back(self) -> None:
        """Accept the adb server's reconnection attempts again."""
        self._stay_away = False

    def hang_commands_matching(self, pattern: str) -> None:
        """Shell/exec commands matching ``pattern`` (re.search) are accepted and never answered."""
        self._hangs.append(re.compile(pattern))

    def clear_hangs(self) -> None:
        self._hangs.clear()

    def live_process_groups(self) -> list[int]:
        """Process groups of commands this phone started that still have a live member."""
        with self._lock:
            procs = list(self._procs)
        alive = []
        for proc in procs:
            proc.poll()
            try:
                os.killpg(proc.pid, 0)
            except (ProcessLookupError, PermissionError):
                continue
            if not _only_zombies(proc.pid):
                alive.append(proc.pid)
        return alive

    @property
    def connected(self) -> bool:
        with self._lock:
            return any(c.online for c in self._conns)

    # -- serving ------------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            if self._stay_away:
                sock.close()
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Connection(self, sock)
            with self._lock:
                self._conns.append(conn)
            threading.Thread(target=conn.serve, name="phone-conn", daemon=True).start()

    def _open_service(self, stream: _Stream, service: str) -> Callable[[], None] | None:
        """The body of the thread serving ``service`` on ``stream``, or None if unknown."""
        self.services.append(service)
        if service == "sync:":
            return lambda: _SyncSession(self, stream).serve()
        if service.startswith("exec:"):
            return self._shell_body(stream, service[5:], v2=False)
        if service.startswith("shell"):
            head, sep, command = service.partition(":")
            options = head.split(",")[1:]
            if not sep or options and options[0] == "" or not command:
                return None  # interactive shells (a pty) are not emulated
            v2 = "v2" in options and "shell_v2" in self.features
            return self._shell_body(stream, command, v2=v2)
        return None

    def _shell_body(self, stream: _Stream, command: str, v2: bool) -> Callable[[], None]:
        self.commands.append(command)
        if any(p.search(command) for p in self._hangs):
            return lambda: None  # accepted, never answered
        return lambda: _ShellSession(self, stream, command, v2).serve()

    def _spawn(self, command: str, v2: bool) -> subprocess.Popen[bytes]:
        if self.before_command is not None:
            self.before_command(command)
        proc = subprocess.Popen(["sh", "-c", self.map_command(command)], cwd=self.sandbox,
                                env={**self._env, **self.extra_env}, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE if v2 else subprocess.STDOUT,
                                start_new_session=True)
        with self._lock:
            self._procs = [p for p in self._procs if p.poll() is None] + [proc]
        return proc

    def _unmap(self, data: bytes, final: bool = False) -> tuple[bytes, bytes]:
        """``data`` with sandbox paths turned back into device paths: (ready, held-back tail).

        The tail is what might be a sandbox path cut by a read; ``final`` flushes it.
        """
        root, keep = self._root, 0
        if not final:
            for k in range(min(len(root), len(data)), 0, -1):
                if data.endswith(root[:k]):
                    keep = k
                    break
        ready, held = (data[:-keep], data[-keep:]) if keep else (data, b"")
        return ready.replace(root + b"/", b"/").replace(root, b"/"), held


class _Connection:
    """One TCP connection from the adb server: CNXN handshake, then streams."""

    def __init__(self, phone: EmulatedPhone, sock: socket.socket) -> None:
        self.phone = phone
        self.sock = sock
        self.maxdata = phone.maxdata
        self.version = VERSION
        self.online = False
        self._wlock = threading.Lock()
        self._streams: dict[int, _Stream] = {}
        self._next_id = 1
        self._dead = False

    def send(self, command: int, arg0: int, arg1: int, data: bytes = b"") -> None:
        check = 0 if self.version >= VERSION else sum(data) & 0xFFFFFFFF
        header = struct.pack("<6I", command, arg0, arg1, len(data), check, command ^ 0xFFFFFFFF)
        with self._wlock:
            if self._dead:
                raise _Closed()
            try:
                self.sock.sendall(header + data)
            except OSError as exc:
                raise _Closed() from exc

    def _recv_exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise _Closed()
            buf += chunk
        return bytes(buf)

    def serve(self) -> None:
        try:
            while True:
                command, arg0, arg1, length, _check, magic = struct.unpack(
                    "<6I", self._recv_exact(24))
                if magic != command ^ 0xFFFFFFFF:
                    raise _Closed()
                self._handle(command, arg0, arg1, self._recv_exact(length) if length else b"")
        except (_Closed, OSError):
            pass
        finally:
            self.drop()

    def _handle(self, command: int, arg0: int, arg1: int, data: bytes) -> None:
        if command == A_CNXN:
            self.version = min(arg0, VERSION)
            self.maxdata = min(arg1, self.phone.maxdata)
            self.send(A_CNXN, VERSION, self.phone.maxdata, self.phone.banner)
            self.online = True
        elif command == A_OPEN:
            self._open(arg0, data.rstrip(b"\0").decode("utf-8", "replace"))
        elif command == A_OKAY:
            stream = self._streams.get(arg1)
            if stream:
                stream.on_okay()
        elif command == A_WRTE:
            stream = self._streams.get(arg1)
            if stream:
                stream.on_write(data)
                self.send(A_OKAY, stream.local_id, stream.remote_id)
        elif command == A_CLSE:
            stream = self._streams.pop(arg1, None)
            if stream:
                stream.on_close()

    def _open(self, remote_id: int, service: str) -> None:
        local_id = self._next_id
        self._next_id += 1
        stream = _Stream(self, local_id, remote_id)
        body = self.phone._open_service(stream, service)
        if body is None:
            self.send(A_CLSE, 0, remote_id)
            return
        self._streams[local_id] = stream
        self.send(A_OKAY, local_id, remote_id)
        threading.Thread(target=body, name=f"phone-{service[:20]}", daemon=True).start()

    def forget(self, stream: _Stream) -> None:
        self._streams.pop(stream.local_id, None)

    def drop(self) -> None:
        """Close the socket and every stream; kill what the streams were running."""
        with self._wlock:
            if self._dead:
                return
            self._dead = True
        self.online = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for stream in list(self._streams.values()):
            stream.on_close(hangup=signal.SIGKILL)
        self._streams.clear()


class _Stream:
    """One ADB stream: buffered input, output that waits for the peer's OKAY per WRTE."""

    def __init__(self, conn: _Connection, local_id: int, remote_id: int) -> None:
        self.conn = conn
        self.local_id = local_id
        self.remote_id = remote_id
        self._cond = threading.Condition()
        self._inbox = bytearray()
        self._can_send = True  # a device-side stream may write right after its OKAY
        self._write_lock = threading.Lock()
        self.closed = False
        self.on_hangup: Callable[[int], None] | None = None

    def on_write(self, data: bytes) -> None:
        with self._cond:
            self._inbox += data
            self._cond.notify_all()

    def on_okay(self) -> None:
        with self._cond:
            self._can_send = True
            self._cond.notify_all()

    def on_close(self, hangup: int = signal.SIGHUP) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()
        if self.on_hangup:
            self.on_hangup(hangup)

    def read(self, n: int) -> bytes:
        """Up to n bytes; b"" once the peer closed and nothing is left."""
        with self._cond:
            while not self._inbox and not self.closed:
                self._cond.wait(0.5)
            data = bytes(self._inbox[:n])
            del self._inbox[:n]
            return data

    def read_exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.read(n - len(buf))
            if not chunk:
                raise _Closed()
            buf += chunk
        return bytes(buf)

    def write(self, data: bytes) -> None:
        with self._write_lock:
            view = memoryview(data)
            while view:
                with self._cond:
                    while not self._can_send and not self.closed:
                        self._cond.wait(0.5)
                    if self.closed:
                        raise _Closed()
                    self._can_send = False
                chunk, view = view[: self.conn.maxdata], view[self.conn.maxdata:]
                self.conn.send(A_WRTE, self.local_id, self.remote_id, bytes(chunk))

    def close(self) -> None:
        with self._cond:
            if self.closed:
                return
            self.closed = True
            self._cond.notify_all()
        self.conn.forget(self)
        try:
            self.conn.send(A_CLSE, self.local_id, self.remote_id)
        except _Closed:
            pass


class _ShellSession:
    """A command on the host behind a shell (v2 packets) or raw (v1/exec) stream."""

    def __init__(self, phone: EmulatedPhone, stream: _Stream, command: str, v2: bool) -> None:
        self.phone = phone
        self.stream = stream
        self.v2 = v2
        self.proc = phone._spawn(command, v2)
        self.out: queue.Queue[tuple[int, bytes] | None] = queue.Queue()
        stream.on_hangup = self._hangup

    def _hangup(self, sig: int) -> None:
        # adbd sends SIGHUP to the shell when its stream goes away; its children live on
        try:
            if sig == signal.SIGKILL:
                os.killpg(self.proc.pid, sig)
            else:
                os.kill(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def serve(self) -> None:
        readers = [threading.Thread(target=self._pump, args=(self.proc.stdout, 1), daemon=True)]
        if self.v2:
            readers.append(threading.Thread(target=self._pump, args=(self.proc.stderr, 2),
                                            daemon=True))
        for t in readers:
            t.start()
        threading.Thread(target=self._feed_stdin, daemon=True).start()
        sender = threading.Thread(target=self._send_all, daemon=True)
        sender.start()
        for t in readers:
            t.join()
        code = self.proc.wait()
        code = 128 - code if code < 0 else code  # killed by a signal: 128 + signal, as sh says
        if self.v2:
            self.out.put((3, bytes([code & 0xFF])))
        self.out.put(None)
        sender.join()
        self.stream.close()

    def _pump(self, pipe: object, packet_id: int) -> None:
        fd = pipe.fileno()  # type: ignore[attr-defined]
        held = b""
        while True:
            data = os.read(fd, 65536)
            if not data:
                break
            ready, held = self.phone._unmap(held + data)
            if ready:
                self.out.put((packet_id, ready))
        if held:
            self.out.put((packet_id, self.phone._unmap(held, final=True)[0]))

    def _send_all(self) -> None:
        while True:
            item = self.out.get()
            if item is None:
                return
            packet_id, data = item
            payload = struct.pack("<BI", packet_id, len(data)) + data if self.v2 else data
            try:
                self.stream.write(payload)
            except _Closed:
                # the host went away; keep draining so the readers never block
                continue

    def _feed_stdin(self) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        buf = b""
        try:
            while True:
                data = self.stream.read(65536)
                if not data:
                    break
                if not self.v2:
                    stdin.write(data)
                    stdin.flush()
                    continue
                buf += data
                while len(buf) >= 5:
                    packet_id, length = struct.unpack("<BI", buf[:5])
                    if len(buf) < 5 + length:
                        break
                    payload, buf = buf[5:5 + length], buf[5 + length:]
                    if packet_id == 0:
                        stdin.write(payload)
                        stdin.flush()
                    elif packet_id == 4:
                        stdin.close()
                        return
        except (OSError, ValueError):
            pass
        finally:
            try:
                stdin.close()
            except OSError:
                pass


class _SyncSession:
    """The file sync protocol (v1) on the sandbox."""

    def __init__(self, phone: EmulatedPhone, stream: _Stream) -> None:
        self.phone = phone
        self.stream = stream

    def serve(self) -> None:
        try:
            while True:
                request, length = struct.unpack("<4sI", self.stream.read_exact(8))
                if request == b"QUIT":
                    break
                if request not in (b"STAT", b"LIST", b"SEND", b"RECV") or length > 4096:
                    break  # adbd drops the connection on protocol errors
                path = self.stream.read_exact(length).decode("utf-8", "replace")
                getattr(self, "_" + request.decode().lower())(path)
        except _Closed:
            pass
        self.stream.close()

    def _reply(self, data: bytes) -> None:
        self.stream.write(data)

    def _fail(self, message: str) -> None:
        raw = message.encode()
        self._reply(b"FAIL" + struct.pack("<I", len(raw)) + raw)

    def _stat(self, path: str) -> None:
        try:
            st = os.lstat(self.phone.to_host(path))
            fields = (st.st_mode, st.st_size & 0xFFFFFFFF, int(st.st_mtime))
        except OSError:
            fields = (0, 0, 0)
        self._reply(b"STAT" + struct.pack("<3I", *fields))

    def _list(self, path: str) -> None:
        host = self.phone.to_host(path)
        try:
            names = [".", "..", *sorted(os.listdir(host))]
        except OSError:
            names = []
        for name in names:
            try:
                st = os.lstat(host / name)
            except OSError:
                continue
            raw = name.encode()
            self._reply(b"DENT" + struct.pack("<4I", st.st_mode, st.st_size & 0xFFFFFFFF,
                                              int(st.st_mtime), len(raw)) + raw)
        self._reply(b"DONE" + bytes(16))

    def _send(self, spec: str) -> None:
        path, _, mode_text = spec.rpartition(",")
        if not path:
            path, mode_text = spec, "33188"
        chunks = []
        while True:
            request, length = struct.unpack("<4sI", self.stream.read_exact(8))
            if request == b"DATA":
                chunks.append(self.stream.read_exact(length))
            elif request == b"DONE":
                mtime = length
                break
            else:
                raise _Closed()
        self.phone.sends[path] += 1
        host = self.phone.to_host(path)
        try:
            host.parent.mkdir(parents=True, exist_ok=True)
            host.write_bytes(b"".join(chunks))
            host.chmod(stat.S_IMODE(int(mode_text)))
            os.utime(host, (time.time(), mtime))
        except (OSError, ValueError) as exc:
            self._fail(f"couldn't create file: {exc.strerror or exc}")
            return
        self._reply(b"OKAY" + bytes(4))

    def _recv(self, path: str) -> None:
        try:
            with open(self.phone.to_host(path), "rb") as f:
                while chunk := f.read(SYNC_DATA_MAX):
                    self._reply(b"DATA" + struct.pack("<I", len(chunk)) + chunk)
        except OSError as exc:
            self._fail(exc.strerror or str(exc))
            return
        self._reply(b"DONE" + bytes(4))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _only_zombies(pgid: int) -> bool:
    """True when every process of group ``pgid`` is a zombie (dead, not yet reaped)."""
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return False
    return True
