"""The SSH transport end to end, against a real OpenSSH server on 127.0.0.1 (tests/sshd.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchbot.errors import AuthFailed, CommandTimeout, DeviceLost, HostKeyRejected, TransportError
from benchbot.transports import ssh as ssh_module
from benchbot.transports.ssh import SshTransport
from tests.support.sshd import SshServer, free_port

pytestmark = pytest.mark.ssh

REPO = Path(__file__).resolve().parents[3]
NASTY = """a b; rm -rf x $(whoami) 'q' "d" `id` * \\ $HOME > y | z & \n end"""


@pytest.fixture
def no_config(tmp_path: Path) -> Path:
    """An ssh config path that does not exist: the user's ~/.ssh/config stays out of the tests."""
    return tmp_path / "no-ssh-config"


@pytest.fixture
def transport(server: SshServer, no_config: Path) -> Iterator[SshTransport]:
    t = SshTransport(server.settings(), connect_timeout=5, ssh_config=no_config)
    try:
        yield t
    finally:
        t.cleanup()
        t.close()


def _one_line_error(exc: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(exc.value)
    assert "\n" not in message and message
    return message


# --------------------------------------------------------------------------- commands
def test_run_captures_output_exit_code_and_stderr(transport: SshTransport) -> None:
    result = transport.run(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=10)
    assert (result.returncode, result.stdout, result.stderr_tail()) == (3, "out\n", "err")
    assert not result.ok and not result.timed_out
    assert transport.run(["echo", "hello"], timeout=10).stdout == "hello\n"
    assert transport.run(["true"], timeout=10).ok
    assert transport.run(["sh", "-c", "kill -9 $$"], timeout=10).returncode == 128 + 9
    assert transport.run(["no-such-program-xyz"], timeout=10).returncode == 127


def test_arguments_arrive_verbatim(transport: SshTransport) -> None:
    result = transport.run(["printf", "%s", NASTY], timeout=10)
    assert result.ok and result.stdout == NASTY
    result = transport.run(["printf", "[%s]", "", " ", "two words"], timeout=10)
    assert result.stdout == "[][ ][two words]"


def test_large_output_on_both_streams_does_not_deadlock(transport: SshTransport) -> None:
    script = "i=0; while [ $i -lt 3000 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done"
    result = transport.run(["sh", "-c", script], timeout=20)
    assert result.ok
    assert result.stdout.splitlines()[-1] == "out2999" and len(result.stdout.splitlines()) == 3000
    assert result.stderr.splitlines()[-1] == "err2999"


def test_one_connection_serves_every_command(transport: SshTransport) -> None:
    seen = {transport.run(["sh", "-c", "echo $SSH_CONNECTION"], timeout=10).stdout for _ in range(3)}
    assert len(seen) == 1 and seen.pop().strip()


def test_timeout_kills_the_remote_process_group(transport: SshTransport) -> None:
    script = "sleep 31.4159 & sleep 31.4159; wait"
    result = transport.run(["sh", "-c", script], timeout=1)
    assert result.timed_out and result.returncode is None and not result.ok
    deadline = time.monotonic() + 60  # a poll for the event, not a bound on the time
    while True:  # SIGKILL is immediate; give the kernel a moment to reap
        left = transport.run(["pgrep", "-f", "^sleep 31.4159"], timeout=10)
        if left.returncode == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert left.returncode == 1, f"still running: {left.stdout}"
    assert transport.run(["echo", "after"], timeout=10).stdout == "after\n"  # connection still fine


def test_abort_kills_what_another_thread_runs(transport: SshTransport) -> None:
    results = []
    worker = threading.Thread(target=lambda: results.append(
        transport.run(["sh", "-c", "sleep 27.1828 & sleep 27.1828; wait"], timeout=30)))
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while transport.run(["pgrep", "-f", "^sleep 27.1828"], timeout=10).returncode != 0:
            assert time.monotonic() < deadline, "the command never started"
            time.sleep(0.05)
        start = time.monotonic()
        transport.abort()  # as the executor does on Ctrl-C, from the main thread
        worker.join(timeout=10)
        assert not worker.is_alive() and time.monotonic() - start < 8
    finally:
        worker.join(timeout=30)
    (result,) = results
    assert not result.ok and not result.timed_out  # killed, not timed out
    deadline = time.monotonic() + 5
    while transport.run(["pgrep", "-f", "^sleep 27.1828"], timeout=10).returncode != 1:
        assert time.monotonic() < deadline, "the command's process group outlived abort()"
        time.sleep(0.1)  # SIGKILL is immediate; give the kernel a moment to reap
    transport.abort()  # nothing running: nothing to do


# --------------------------------------------------------------------------- files
def test_push_skips_unchanged_files_and_reuploads_changed_ones(transport: SshTransport,
                                                               tmp_path: Path) -> None:
    f = tmp_path / "my model (v1); $x.onnx"
    f.write_bytes(b"first version")
    remote = transport.push(f, timeout=20)
    assert (transport.uploads, transport.cache_hits) == (1, 0)
    assert remote.endswith(f.name)
    assert transport.run(["cat", remote], timeout=10).stdout == "first version"
    assert transport.push(f, timeout=20) == remote
    assert (transport.uploads, transport.cache_hits) == (1, 1)
    f.write_bytes(b"second version")
    changed = transport.push(f, timeout=20)
    assert changed != remote and transport.uploads == 2
    assert transport.run(["cat", changed], timeout=10).stdout == "second version"
    assert transport.run(["cat", remote], timeout=10).stdout == "first version"


def test_push_checks_the_remote_hash(server: SshServer, no_config: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    workdir = str(tmp_path / "remote work dir")
    f = tmp_path / "m.onnx"
    f.write_bytes(b"0123456789")
    with SshTransport(server.settings(), workdir=workdir, ssh_config=no_config) as first:
        remote = first.push(f, timeout=20)
    with SshTransport(server.settings(), workdir=workdir, ssh_config=no_config) as second:
        assert second.push(f, timeout=20) == remote and second.uploads == 0  # sha256sum agreed
        Path(remote).write_bytes(b"ABCDEFGHIJ")  # same size, other content
    monkeypatch.setattr(ssh_module, "sha256_argv", lambda path: ["no-such-sha256sum", path])
    with SshTransport(server.settings(), workdir=workdir, ssh_config=no_config) as third:
        assert third.push(f, timeout=20) == remote and third.uploads == 1  # hashed by reading back
        assert Path(remote).read_bytes() == b"0123456789"
        assert third.push(f, timeout=20) == remote and third.uploads == 1
        third.cleanup()
    assert Path(workdir).is_dir() and not Path(remote).exists()  # the user's dir stays


def test_push_past_its_time_limit_is_a_timeout(transport: SshTransport, tmp_path: Path) -> None:
    f = tmp_path / "big.bin"
    f.write_bytes(b"x" * (4 << 20))
    workdir = str(Path(transport.push(_small(tmp_path), timeout=20)).parent)
    with pytest.raises(CommandTimeout, match="longer than"):
        transport.push(f, timeout=0)
    assert transport.uploads == 1
    assert "big.bin" not in transport.run(["ls", workdir], timeout=10).stdout  # no partial file


def _small(tmp_path: Path) -> Path:
    f = tmp_path / "small.txt"
    f.write_text("small")
    return f


def test_pull(transport: SshTransport, tmp_path: Path) -> None:
    remote = transport.push(_small(tmp_path), timeout=20)
    assert transport.run(["sh", "-c", 'echo "{\\"x\\": 1}" > "$1.json"', "sh", remote], timeout=10).ok
    got = transport.pull(remote + ".json", tmp_path / "result.json", timeout=20)
    assert json.loads(got.read_text()) == {"x": 1}
    with pytest.raises(TransportError, match="no file"):
        transport.pull("/nonexistent/benchbot-file", tmp_path / "missing", timeout=20)
    assert not (tmp_path / "missing").exists() and not (tmp_path / "missing.part").exists()
    with pytest.raises(TransportError, match="no folder"):
        transport.pull(remote, tmp_path / "absent" / "x", timeout=20)


def test_cleanup_removes_the_working_directory_unless_kept(server: SshServer, no_config: Path,
                                                           tmp_path: Path) -> None:
    with SshTransport(server.settings(), ssh_config=no_config) as t:
        workdir = str(Path(t.push(_small(tmp_path), timeout=20)).parent)
        assert workdir.startswith("/tmp/benchbot.") and Path(workdir).is_dir()
        t.cleanup()
        assert not Path(workdir).exists()
        again = str(Path(t.push(_small(tmp_path), timeout=20)).parent)  # a fresh one after cleanup
        assert again != workdir and t.uploads == 2
        t.cleanup()
    with SshTransport(server.settings(), ssh_config=no_config, keep=True) as kept:
        workdir = str(Path(kept.push(_small(tmp_path), timeout=20)).parent)
        kept.cleanup()
    assert Path(workdir).is_dir()
    shutil.rmtree(workdir)


def test_relative_workdir_is_under_the_login_directory(server: SshServer, no_config: Path,
                                                       tmp_path: Path) -> None:
    name = f".cache/benchbot-test-{tmp_path.name}-{time.time_ns()}"
    with SshTransport(server.settings(), workdir=f"~/{name}", ssh_config=no_config) as t:
        remote = t.push(_small(tmp_path), timeout=20)
        home = t.run(["pwd"], timeout=10).stdout.strip()
        try:
            assert remote.startswith(f"{home}/{name}/") and Path(remote).read_text() == "small"
            t.cleanup()
            assert not Path(remote).exists() and Path(home, name).is_dir()
        finally:
            shutil.rmtree(Path(home, name), ignore_errors=True)


def test_the_agent_measures_over_ssh(transport: SshTransport, models: dict[str, Path],
                                     tmp_path: Path) -> None:
    model = tmp_path / "tiny conv (v1).onnx"  # a name the remote shell must not split
    shutil.copyfile(models["tiny_conv.onnx"], model)
    agent = transport.push(REPO / "benchbot" / "agent.py", timeout=30)
    remote_model = transport.push(model, timeout=30)
    result = transport.run([sys.executable, agent, "--model", remote_model, "--threads", "1",
                            "--batch", "2", "--min-runs", "3", "--min-time", "0", "--max-time", "2"],
                           timeout=60)
    assert result.ok, result.stderr
    doc = json.loads(result.stdout)
    assert doc["status"] == "ok", doc


# --------------------------------------------------------------------------- connecting
def test_ssh_config_supplies_hostname_port_user_and_key(server: SshServer, tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(f"Host bench-gpu\n  HostName {server.host}\n  Port {server.port}\n"
                      f"  User {server.user}\n  IdentityFile {server.key_file}\n")
    settings = server.settings(host="bench-gpu", port=22, user=None, key_file=None)
    with SshTransport(settings, ssh_config=config) as t:
        assert t.run(["echo", "via config"], timeout=10).stdout == "via config\n"


def test_unknown_host_key_is_rejected_with_advice(server: SshServer, no_config: Path,
                                                  tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(HostKeyRejected) as exc:
        SshTransport(server.settings(known_hosts=empty), ssh_config=no_config).connect()
    message = _one_line_error(exc)
    assert "is not in" in message
    assert f"ssh-keyscan -p {server.port} 127.0.0.1 >> {empty}" in message


def test_changed_host_key_is_rejected(server: SshServer, no_config: Path, tmp_path: Path) -> None:
    other = server.other_key_file.with_suffix(".pub").read_text().split()
    known = tmp_path / "known_hosts"
    known.write_text(f"# another host\nexample.org {other[0]} {other[1]}\n"
                     f"[127.0.0.1]:{server.port} {other[0]} {other[1]}\n")
    with pytest.raises(HostKeyRejected) as exc:
        SshTransport(server.settings(known_hosts=known), ssh_config=no_config).connect()
    message = _one_line_error(exc)
    assert "CHANGED" in message and "man-in-the-middle" in message
    assert f"line 3 of {known}" in message and "ssh-keygen -R" in message


def test_hashed_known_hosts(server: SshServer, no_config: Path, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    shutil.copyfile(server.known_hosts, known)
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", str(known)], check=True, timeout=10,
                   capture_output=True)
    assert known.read_text().startswith("|1|")
    with SshTransport(server.settings(known_hosts=known), ssh_config=no_config) as t:
        assert t.run(["true"], timeout=10).ok


def test_wrong_client_key_is_auth_failed(server: SshServer, no_config: Path) -> None:
    with pytest.raises(AuthFailed) as exc:
        SshTransport(server.settings(key_file=server.other_key_file), ssh_config=no_config).connect()
    assert "refused ssh login" in _one_line_error(exc)
    with pytest.raises(AuthFailed, match="does not exist"):
        SshTransport(server.settings(key_file=server.root / "nope"), ssh_config=no_config).connect()


def test_closed_port_is_device_lost(server: SshServer, no_config: Path) -> None:
    with pytest.raises(DeviceLost) as exc:
        SshTransport(server.settings(port=free_port()), ssh_config=no_config).run(["true"], timeout=5)
    assert "refused" in _one_line_error(exc)


def test_connection_dropped_mid_command_is_device_lost(server: SshServer, transport: SshTransport,
                                                       tmp_path: Path) -> None:
    remote = transport.push(_small(tmp_path), timeout=20)
    killer = threading.Timer(1.0, server.kill_connections)
    killer.start()
    try:
        with pytest.raises(DeviceLost) as exc:
            transport.run(["sh", "-c", "echo started; sleep 5"], timeout=20)
    finally:
        killer.join()
    assert "dropped" in _one_line_error(exc) and "started" in exc.value.output
    assert transport.run(["echo", "back"], timeout=10).stdout == "back\n"  # reconnects
    shutil.rmtree(Path(remote).parent)  # as if the server had rebooted and wiped /tmp
    assert transport.push(_small(tmp_path), timeout=20) == remote and transport.uploads == 2


def test_server_gone_is_device_lost(server: SshServer, transport: SshTransport) -> None:
    assert transport.run(["true"], timeout=10).ok
    server.stop()
    try:
        with pytest.raises(DeviceLost):
            transport.run(["true"], timeout=10)
    finally:
        server.start()
    assert transport.run(["true"], timeout=10).ok
