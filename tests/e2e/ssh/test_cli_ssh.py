"""`benchbot run` on a Linux server over SSH, end to end: the real CLI against a real sshd.

The "server" is this machine, reached through the sshd of tests/sshd.py on
127.0.0.1, so the agent measures with this host's Python (the profile's
``python``). Remote files land in this machine's /tmp, which lets the tests see
what the run left behind. Without sshd the tests skip (tests/sshd.py says why).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from benchbot.errors import UserError
from benchbot.store import case_doc, load_run
from tests.conftest import FAST, benchbot
from tests.support.sshd import DEVICE, SshServer, cli_env, write_profile
from tests.support.standin import recorded, write_standin

pytestmark = pytest.mark.ssh

WEIRD_NAME = "we ird $(id) 'q' ;x.onnx"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A HOME without ~/.ssh, so the user's ssh config and keys stay out of the runs."""
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def run_on_server(server: SshServer, tmp_path: Path, home: Path, *args: str, **ssh: Path
                  ) -> subprocess.CompletedProcess[str]:
    profiles = write_profile(tmp_path / "profiles", server, **ssh)
    return benchbot("run", "--device", DEVICE, "--profiles", str(profiles),
                    "--results", str(tmp_path / "results"), *args, env=cli_env(home))


def only_run(results: Path):
    files = sorted(results.glob("*.json"))
    assert len(files) == 1, files
    return load_run(files[0])


def stderr_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.strip()]


@contextmanager
def kept_run(server: SshServer, tmp_path: Path, home: Path,
             model: Path) -> Iterator[tuple[subprocess.CompletedProcess[str], list[Path]]]:
    """A --keep run of ``model`` on the server, and the working directories it left there
    (removed afterwards, whatever the test found)."""
    before = set(remote_dirs_holding(model.name))
    proc = run_on_server(server, tmp_path, home, "-m", str(model), "--keep", *FAST)
    kept = [d for d in remote_dirs_holding(model.name) if d not in before]
    try:
        yield proc, kept
    finally:
        for d in kept:
            shutil.rmtree(d, ignore_errors=True)


def remote_dirs_holding(name: str) -> list[Path]:
    """Working directories (on this machine, the "server") holding a pushed file named name."""
    found = []
    for folder in Path("/tmp").glob("benchbot.*"):
        try:  # other runs create and remove theirs meanwhile
            if any(f.name.endswith(f"-{name}") for f in folder.iterdir()):
                found.append(folder)
        except OSError:
            continue
    return sorted(found)


def model_copy(models: dict[str, Path], tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    shutil.copyfile(models["tiny_conv.onnx"], path)
    return path


# --------------------------------------------------------------------------- measuring
def test_run_over_ssh_records_the_servers_facts_and_cleans_up(
        server: SshServer, models: dict[str, Path], tmp_path: Path, home: Path) -> None:
    model = model_copy(models, tmp_path, f"tiny-{tmp_path.name}.onnx")
    proc = run_on_server(server, tmp_path, home, "-m", str(model), "-t", "1", "-b", "1,2", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"Latency \(median, (ms|µs)\) on GPU box", proc.stdout)  # µs: < 0.1 ms
    assert "| Model |" in proc.stdout
    record = only_run(tmp_path / "results")
    facts = record.devices[DEVICE]
    assert (facts.kind, facts.transport, facts.label, facts.host, facts.runner) == (
        "server", "ssh", "GPU box", "127.0.0.1", "agent")
    uname = os.uname()
    assert facts.os == f"{uname.sysname} {uname.release} {uname.machine}"
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, timeout=10).stdout
    assert facts.cores == int(nproc)
    assert re.fullmatch(r"3\.\d+\.\d+\S*", str(facts.python))
    if shutil.which("nvidia-smi") is None:
        assert facts.gpus == () and facts.cuda is None
    assert [(c.batch, c.status, c.backend) for c in record.cases] == [(1, "ok", "cpu"),
                                                                     (2, "ok", "cpu")]
    for case in record.cases:
        assert len(case.samples_ms) >= 3 and case.stats is not None
        assert case.runs[0].provider == "CPUExecutionProvider"
    assert remote_dirs_holding(model.name) == []  # the mktemp directory is gone


def test_keep_leaves_the_files_and_odd_model_names_arrive_verbatim(
        server: SshServer, models: dict[str, Path], tmp_path: Path, home: Path) -> None:
    model = model_copy(models, tmp_path, WEIRD_NAME)
    with kept_run(server, tmp_path, home, model) as (proc, kept):
        assert proc.returncode == 0, proc.stderr
        (case,) = only_run(tmp_path / "results").cases
        assert case.status == "ok" and case.model == str(model) and case.samples_ms
        assert len(kept) == 1, kept
        assert any(f.name.endswith("-agent.py") for f in kept[0].iterdir())


def test_cuda_over_ssh_fails_with_the_agents_reason(
        server: SshServer, models: dict[str, Path], tmp_path: Path, home: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this host's onnxruntime has CUDA: the case would rightly succeed")
    proc = run_on_server(server, tmp_path, home, "-m", str(models["tiny_conv.onnx"]),
                         "--backend", "cuda", *FAST)
    assert proc.returncode == 1, proc.stderr
    (case,) = only_run(tmp_path / "results").cases
    assert case.status == "failed" and case.backend == "cuda"
    assert "no CUDAExecutionProvider" in case.error
    assert case.samples_ms == () and case.stats is None  # never a CPU number labelled cuda
    assert "| Model | GPU box |" in proc.stdout and "| tiny_conv | - [1] |" in proc.stdout
    assert "no CUDAExecutionProvider" in proc.stdout  # the footnote says why


# --------------------------------------------------------------------------- refusals
@pytest.mark.parametrize("problem", ["changed host key", "unknown host key", "wrong client key"])
def test_refused_connection_is_one_line_and_exit_2(
        problem: str, server: SshServer, models: dict[str, Path], tmp_path: Path,
        home: Path) -> None:
    known = tmp_path / "known_hosts"
    ssh: dict[str, Path] = {}
    if problem == "changed host key":
        other = server.other_key_file.with_suffix(".pub").read_text().split()
        known.write_text(f"[{server.host}]:{server.port} {other[0]} {other[1]}\n")
        ssh["known_hosts"] = known
    elif problem == "unknown host key":
        known.write_text("")
        ssh["known_hosts"] = known
    else:
        ssh["key_file"] = server.other_key_file
    proc = run_on_server(server, tmp_path, home, "-m", str(models["tiny_conv.onnx"]), *FAST, **ssh)
    assert proc.returncode == 2, proc.stderr
    (line,) = stderr_lines(proc)
    assert line.startswith("error: ") and "Traceback" not in proc.stderr
    expected = {"changed host key": "has CHANGED",
                "unknown host key": f"ssh-keyscan -p {server.port} {server.host} >> {known}",
                "wrong client key": f"refused ssh login as {server.user}"}[problem]
    assert expected in line
    assert not list((tmp_path / "results").glob("*.json"))  # refused before measuring


# --------------------------------------------------------------------------- connection lost
def _start_sweep(server: SshServer, tmp_path: Path, home: Path, model: Path, *args: str
                 ) -> subprocess.Popen[str]:
    profiles = write_profile(tmp_path / "profiles", server)
    return subprocess.Popen(
        [sys.executable, "-m", "benchbot", "run", "--device", DEVICE, "--profiles", str(profiles),
         "-m", str(model), "-b", "1,2,3,4", "--warmup", "1", "--min-runs", "3", "--min-time",
         "0.5", "--max-time", "2", "--repeat", "1", "--order", "sequential",
         "--results", str(tmp_path / "results"), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **cli_env(home)})


def _first_saved_case(results: Path, proc: subprocess.Popen[str], timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        for f in results.glob("*.json"):
            try:
                cases = [case_doc(c) for c in load_run(f).cases]
            except (OSError, UserError):
                continue
            if cases:
                return cases[0]
        time.sleep(0.05)
    raise AssertionError(f"no case saved (exit {proc.poll()})")


def _agents_of(model: Path, batch: int | None = None) -> list[int]:
    """Pids of agents measuring model (at batch) on the "server", a process of this machine."""
    wanted = [f"-{model.name}".encode()]
    if batch is not None:
        wanted.append(b"\0--batch\0" + str(batch).encode() + b"\0")
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
        except OSError:
            continue
        if b"agent.py" in cmdline and all(w in cmdline for w in wanted):
            found.append(int(entry.name))
    return found


def _wait_for_agent(model: Path, batch: int, proc: subprocess.Popen[str], timeout: float = 30
                    ) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if _agents_of(model, batch):
            return
        time.sleep(0.02)
    raise AssertionError(f"the agent never ran batch {batch} (exit {proc.poll()})")


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    return proc.returncode, err


@pytest.mark.parametrize("comes_back, args", [
    (False, ["--retry-wait", "1"]),
    (True, []),
    (True, ["--retries", "0"]),
], ids=["server-stays-down", "server-restarts-case-retried", "server-restarts-no-retry"])
def test_connection_lost_mid_sweep_keeps_what_was_measured(
        comes_back: bool, args: list[str], server: SshServer, models: dict[str, Path],
        tmp_path: Path, home: Path) -> None:
    model = model_copy(models, tmp_path, f"tiny-{tmp_path.name}.onnx")
    proc = _start_sweep(server, tmp_path, home, model, *args)
    try:
        first = _first_saved_case(tmp_path / "results", proc)
        _wait_for_agent(model, 2, proc)  # drop the connection under the second case
        if comes_back:
            server.restart()  # drops the connection; the next command reconnects
        else:
            server.stop()
        code, err = _finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
        server.ensure_running()
    record = only_run(tmp_path / "results")
    cases = list(record.cases)
    assert [c.batch for c in cases] == [1, 2, 3, 4] and record.status == "complete", err
    assert first["status"] == "ok" and cases[0].samples_ms == tuple(first["samples_ms"])
    for case in cases:  # measured, or failed with the reason; never half of each
        assert (case.status == "ok" and case.samples_ms and case.stats) or (
            case.status == "failed" and case.error and not case.samples_ms), case
    statuses = [c.status for c in cases]
    if not comes_back:
        assert statuses == ["ok", "failed", "failed", "failed"] and code == 3, err
        assert "dropped while running" in cases[1].error
        assert all("cannot connect" in c.error for c in cases[2:])
        for d in remote_dirs_holding(model.name):  # cleanup could not reach the server
            shutil.rmtree(d, ignore_errors=True)
        return
    if args:  # --retries 0: the lost case stays failed, the next ones reconnect
        assert statuses == ["ok", "failed", "ok", "ok"] and code == 3, err
        assert "dropped while running" in cases[1].error
    else:  # measured again once the server answered
        assert statuses == ["ok"] * 4 and code == 0, err
        assert cases[1].attempts == 2
    assert remote_dirs_holding(model.name) == []  # cleaned up over the new connection


def test_ctrl_c_kills_the_agent_on_the_server(
        server: SshServer, models: dict[str, Path], tmp_path: Path, home: Path) -> None:
    model = model_copy(models, tmp_path, f"tiny-{tmp_path.name}.onnx")
    proc = _start_sweep(server, tmp_path, home, model, "--min-time", "20", "--max-time", "30",
                         "--max-runs", "100000000")
    try:
        _wait_for_agent(model, 1, proc)
        proc.send_signal(signal.SIGINT)
        code, err = _finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 130, err
    assert only_run(tmp_path / "results").status == "interrupted"
    deadline = time.monotonic() + 60  # a poll for the event (the agent gone), not a bound
    while _agents_of(model):  # SIGKILL is immediate; give the kernel a moment to reap
        assert time.monotonic() < deadline, f"the agent outlived Ctrl-C: {_agents_of(model)}"
        time.sleep(0.1)
    assert remote_dirs_holding(model.name) == []  # and the run cleaned up on its way out


def test_trtexec_on_the_server_is_parsed_into_a_precision_batch_grid(
        server: SshServer, models: dict[str, Path], tmp_path: Path, home: Path) -> None:
    """A trtexec stand-in on the server replays a real TensorRT 7 log (tests/data, source
    noted beside it): the flags, the pushed tool, the parse and the grid go end to end."""
    log = (Path(__file__).resolve().parents[2] / "data" / "tool_logs" / "trtexec"
           / "trt7x_jetson_caffe_resnet50_int8_hostlatency.txt")
    args_file = tmp_path / "trtexec-args.jsonl"
    tool = write_standin(tmp_path / "trtexec", "trtexec", "7-10", log, record=args_file)
    proc = run_on_server(server, tmp_path, home, "-m", str(models["tiny_conv.onnx"]),
                         "--runner", "trtexec", "--runner-bin", str(tool), "--backend",
                         "tensorrt", "--precision", "fp16,fp32", "--batch", "1,4")
    assert proc.returncode == 0, proc.stderr
    assert "| Model | Size | FP16 bs=1 | FP16 bs=4 | FP32 bs=1 | FP32 bs=4 |" in proc.stdout
    assert "55.27" in proc.stdout  # the log's Host Latency median, in every cell
    probe, *lines = recorded(args_file)  # its usage once, then the four cases
    assert probe == ["--help"]
    assert len(lines) == 4 and all(any(a.startswith("--onnx=") for a in ln) for ln in lines)
    assert sum("--fp16" in line for line in lines) == 2  # fp16 is trtexec's own flag
    assert any("--shapes=input:4x3x32x32" in line for line in lines)
    case = only_run(tmp_path / "results").cases[0]
    assert case.runner == "trtexec" and case.stats_source == "aggregates"
    assert case.runs[0].extras["tool"]["throughput_qps"] == pytest.approx(18.0758)
    assert case.variant is None  # no fp16 file was derived: trtexec made it
    assert case.runs[0].extras["dialect"] == "7-10"


def test_an_openvino_ir_arrives_as_two_files_and_runs(
        server: SshServer, tmp_path: Path, home: Path) -> None:
    """The server keeps pushed files under hashed names: the .bin is not beside the .xml,
    so the agent is told where it went (--weights)."""
    from tests.support.openvino_ir import zoo_ir

    _, xml = zoo_ir(tmp_path, resolution=32)
    xml = xml.rename(tmp_path / f"ir-{tmp_path.name}.xml")
    xml.with_name("squeezenet1_1.bin").rename(xml.with_suffix(".bin"))
    with kept_run(server, tmp_path, home, xml) as (proc, kept):
        assert proc.returncode == 0, proc.stderr
        (case,) = only_run(tmp_path / "results").cases
        assert case.status == "ok" and case.runtime == "openvino", case.failure
        assert case.runs[0].provider == "CPU" and case.runs[0].threads_applied == 1
        assert len(kept) == 1, kept
        names = {f.name.split("-", 1)[1] for f in kept[0].iterdir() if "-" in f.name}
        assert {xml.name, xml.with_suffix(".bin").name} <= names
