"""The host-wide lease folder is hostile ground; two users share it; hand-over is fair."""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Iterator

import pytest

from benchbot.errors import UserError
from benchbot.runs.lease import DeviceBusy, device_lease, safe_lease_dir

REPO = Path(__file__).resolve().parents[3]
OTHER_USER = "benchbot-t2"
DEADLINE_S = 30.0


def _one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(exc.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_the_folder_is_made_sticky_and_world_writable(tmp_path: Path) -> None:
    folder = tmp_path / "leases"
    with device_lease("phone-1", folder=folder):
        pass
    assert stat.S_IMODE(folder.stat().st_mode) == 0o1777


def test_a_symlinked_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "leases").symlink_to(tmp_path / "real")
    with pytest.raises(UserError) as exc:
        safe_lease_dir(tmp_path / "leases")
    assert "symlink" in _one_line(exc) and "BENCHBOT_LEASE_DIR" in str(exc.value)


def test_a_folder_others_may_write_without_the_sticky_bit_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "leases"
    folder.mkdir()
    folder.chmod(0o777)
    with pytest.raises(UserError) as exc:
        safe_lease_dir(folder)
    assert "sticky" in _one_line(exc) and "chmod 1777" in str(exc.value)


def test_a_lease_folder_that_cannot_be_made_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError) as exc:
        safe_lease_dir(tmp_path / "file" / "leases")
    assert str(tmp_path / "file" / "leases") in _one_line(exc)


def test_an_unusable_lease_dir_fails_the_run_with_one_line(tmp_path: Path,
                                                           models: dict[str, Path]) -> None:
    (tmp_path / "file").write_text("x")
    env = {**os.environ, "BENCHBOT_LEASE_DIR": str(tmp_path / "file" / "leases")}
    proc = subprocess.run([sys.executable, "-m", "benchbot", "run", "-m",
                           str(models["tiny_conv.onnx"]), "--warmup", "1", "--min-runs", "1",
                           "--min-time", "0", "--results", str(tmp_path / "results")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "lease folder" in proc.stderr and "BENCHBOT_LEASE_DIR" in proc.stderr


def test_a_symlinked_lock_file_never_touches_its_target(tmp_path: Path) -> None:
    folder = tmp_path / "leases"
    safe_lease_dir(folder)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (folder / "local-HOST.lock").symlink_to(victim)
    with pytest.raises(UserError) as exc:
        with device_lease("local-HOST", folder=folder):
            pass
    assert "symlink" in _one_line(exc)
    assert victim.read_text() == "precious\n"
    dangling = tmp_path / "not-there"
    (folder / "phone-2.lock").symlink_to(dangling)
    with pytest.raises(UserError):
        with device_lease("phone-2", folder=folder):
            pass
    assert not dangling.exists()


# --------------------------------------------------------------------- two users

@pytest.fixture(scope="module")
def other_user() -> pwd.struct_passwd:
    """An unprivileged second user (made with useradd when missing); needs root."""
    if os.geteuid() != 0:
        pytest.skip("a second user can only be made and switched to as root")
    try:
        return pwd.getpwnam(OTHER_USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        OTHER_USER], check=True, capture_output=True, timeout=60)
        return pwd.getpwnam(OTHER_USER)


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A lease folder both users can reach (pytest's tmp_path is root's alone)."""
    parent = Path(tempfile.mkdtemp(prefix="benchbot-lease-test-", dir="/tmp"))
    parent.chmod(0o755)
    try:
        yield parent / "leases"
    finally:
        shutil.rmtree(parent, ignore_errors=True)


HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from benchbot.runs.lease import device_lease
    folder, key = Path(sys.argv[1]), sys.argv[2]
    with device_lease(key, folder=folder, say=lambda m: print("said", m, flush=True)):
        print("holding", flush=True)
        sys.stdin.readline()  # held until the test says (a line, or our stdin closed)
    print("released", flush=True)
""")


def _as_user(user: pwd.struct_passwd, *args: str) -> subprocess.Popen[str]:
    # the system python: the test venv's lives under root's home, out of the user's reach
    return subprocess.Popen(["/usr/bin/python3", "-c", HOLDER, *args], user=user.pw_uid,
                            group=user.pw_gid, extra_groups=[], cwd="/",
                            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _release(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.write("release\n")
    proc.stdin.flush()


def _line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, f"the holder ended early: {proc.stderr.read() if proc.stderr else ''}"
    return line.strip()


def test_two_users_exclude_each_other_and_neither_crashes(other_user: pwd.struct_passwd,
                                                          shared_folder: Path) -> None:
    if not Path("/usr/bin/python3").exists():
        pytest.skip("no /usr/bin/python3 for the second user")
    # root makes the folder and the lock file (0644, root's): the other user must still lock it
    with device_lease("phone-1", folder=shared_folder):
        other = _as_user(other_user, str(shared_folder), "phone-1")
        try:
            said = _line(other)
            assert said.startswith("said waiting for device phone-1: in use by "
                                   f"pid {os.getpid()} since"), said
        except BaseException:
            other.kill()
            raise
    try:
        assert _line(other) == "holding"
        with pytest.raises(DeviceBusy) as exc:  # now root waits for the other user
            with device_lease("phone-1", folder=shared_folder, wait=False):
                pass
        assert f"pid {other.pid}" in str(exc.value)
        _release(other)
        assert _line(other) == "released"
        assert other.wait(timeout=DEADLINE_S) == 0
    finally:
        other.kill()
        other.wait()
    # the other way round: the other user's lock file, locked by root
    other = _as_user(other_user, str(shared_folder), "phone-2")
    try:
        assert _line(other) == "holding"
        assert (shared_folder / "phone-2.lock").stat().st_uid == other_user.pw_uid
        with pytest.raises(DeviceBusy):
            with device_lease("phone-2", folder=shared_folder, wait=False):
                pass
    finally:
        other.kill()
        other.wait()
    with device_lease("phone-2", folder=shared_folder, wait=False):
        pass  # the dead holder's lease is free


# --------------------------------------------------------------------- fair hand-over

LOOPER = textwrap.dedent("""
    import fcntl, os, sys, time
    from pathlib import Path
    from benchbot.runs.lease import device_lease
    folder, name, rounds, log, go = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], Path(sys.argv[5])
    other_done = Path(log + "." + ("B" if name == "A" else "A") + ".done")

    def other_is_queued():  # the other run holds the turnstile: it waits for the lease now
        fd = os.open(folder / "phone-1.queue", os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

    while not go.exists():
        time.sleep(0.01)
    for _ in range(rounds):
        with device_lease("phone-1", folder=folder):  # released and asked again at once
            fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(fd, name.encode())
            os.close(fd)
            # a case: it lasts until the other run is waiting in line (or is done), an
            # event, so the hand-over is tested whatever the machine's speed
            while not (other_is_queued() or other_done.exists()):
                time.sleep(0.005)
    Path(log + "." + name + ".done").touch()
""")


def test_two_runs_on_one_device_alternate_case_by_case(tmp_path: Path) -> None:
    folder, log, go = tmp_path / "leases", tmp_path / "order", tmp_path / "go"
    rounds = 8
    procs = [subprocess.Popen([sys.executable, "-c", LOOPER, str(folder), name, str(rounds),
                               str(log), str(go)], cwd=REPO)
             for name in "AB"]
    go.touch()
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    order = log.read_text()
    assert sorted(order) == sorted("A" * rounds + "B" * rounds)
    first, second = order[0], "B" if order[0] == "A" else "A"
    # from the second run's first turn until the first one's last, they take turns
    both = order[order.index(second):order.rindex(first) + 1]
    assert all(a != b for a, b in zip(both, both[1:])), order
    assert len(both) >= rounds  # most of the sweep is shared, not one run after the other
