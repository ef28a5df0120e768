"""Native tools keep their own words, and the tool comes to the phone (issue 13).

* a failed tool run is reported with its exit code and its own last error line;
* ``benchbot parse`` exits 1 on a log without timings, 2 on bad input, never a traceback;
* ``--backend cpu`` is the runtime's default CPU path, ``reference`` the plain kernels, and
  the delegate applied is recorded;
* trtexec's breakdown and TensorRT 5's lines;
* ``--runner-bin auto`` downloads benchmark_model for the phone's ABI from a loopback server.

Failure outputs are real (tests/data/tool_failures and tool_logs, sources beside them);
no test reaches the internet.
"""

from __future__ import annotations

import http.server
import json
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import pytest

from benchbot import agent
from benchbot.devices import DeviceOptions, make_runner
from benchbot.profiles.catalog import load_profile_file
from benchbot.runners.native import TOOLS, tflite_benchmark_model
from benchbot.runners.native.failure import failure_message
from benchbot.runners.native.fetch import (FetchError, cache_path, check_elf, elf_machine,
                                           fetch_tool, tool_url)
from benchbot.sweep import MeasureSettings
from benchbot.runtimes import runtime
from tests.conftest import FAST, benchbot
from tests.support.shared import reference
from tests.support.standin import write_standin

DATA = Path(__file__).resolve().parents[2] / "data"
FAILURES = DATA / "tool_failures"
LOGS = DATA / "tool_logs"
REFERENCE = reference("tool_outputs")
SETTINGS = MeasureSettings(warmup=1, min_runs=5, min_time_s=0.0, max_time_s=5.0)


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# --- 1. failures in the tool's own words ------------------------------------------------------

def test_an_argument_error_is_not_no_timings() -> None:
    log = text(FAILURES / "tflite_benchmark_model" / "tf2021-02_issue47175_unconsumed_flags.txt")
    parsed = TOOLS["tflite_benchmark_model"].parse(log)
    message = failure_message(1, log, "", parsed.error)
    assert message == "exited with code 1: Unconsumed cmdline flags: --graph test"


def test_trtexec_e_line_is_quoted_not_the_failed_banner() -> None:
    log = text(FAILURES / "trtexec" / "trt86_hackathon_issue99_model_missing.txt")
    message = failure_message(1, log, "", TOOLS["trtexec"].parse(log).error)
    assert message == "exited with code 1: Model missing or format not recognized"


def test_trtexec_build_failure_quotes_its_last_error() -> None:
    log = text(LOGS / "trtexec" / "trt85_lidar_ai_issue34_build_fail_tail.txt")
    message = failure_message(1, "", log, TOOLS["trtexec"].parse(log).error)
    assert message == "exited with code 1: Engine set up failed"  # its last [E] line


def test_onnxruntime_failure_keeps_the_parsers_words() -> None:
    log = text(LOGS / "onnxruntime_perf_test" / "ort_2019-12_issue2762_no_test_input_fail.txt")
    message = failure_message(255, log, "", TOOLS["onnxruntime_perf_test"].parse(log).error)
    assert message.startswith("exited with code 255: ") and "no test input data" in message


@pytest.mark.parametrize("stderr,quoted", [
    ("2024-01-02 10:11:12.123 onnxruntime_perf_test[E:onnxruntime:, inference_session.cc:1] "
     "Load model failed", "[E:onnxruntime:"),
    ("2019-05-01 10:00:00.000000: E tensorflow/lite/tools/benchmark/benchmark_tflite_model.cc:1]"
     " Could not build model", "E tensorflow/lite"),
    ("E0102 10:11:12.345678  4242 interpreter.cc:99] Failed to apply delegate", "E0102"),
    ("CANNOT LINK EXECUTABLE \"./benchmark_model\": library \"libc++_shared.so\" not found",
     "CANNOT LINK EXECUTABLE"),
    ("/system/bin/sh: ./benchmark_model: not found", "not found"),
])
def test_error_line_forms(stderr: str, quoted: str) -> None:
    message = failure_message(2, "INFO: starting\nsome output\n", stderr + "\n")
    assert message.startswith("exited with code 2: ") and quoted in message


def test_unrecognised_output_gives_the_last_lines_and_signals_are_named() -> None:
    message = failure_message(2, "", "usage: tool [options]\n  --graph FILE\n  --num_threads N\n")
    assert message == ("exited with code 2; its last lines: usage: tool [options] | --graph FILE"
                       " | --num_threads N")
    assert failure_message(-11, "", "") == "was killed by SIGSEGV and printed nothing"
    assert failure_message(139, "", "x\n").startswith("exited with code 139 (SIGSEGV?)")
    assert failure_message(0, "hello\n", "", "no inference timings in the log") == \
        "no inference timings in the log; the tool's last words: hello"


def test_runner_records_the_exit_code_and_the_tools_words(models: dict[str, Path],
                                                          tmp_path: Path) -> None:
    log = FAILURES / "tflite_benchmark_model" / "tf2021-02_issue47175_unconsumed_flags.txt"
    tool = write_standin(tmp_path / "tool", "tflite_benchmark_model", "classic", log,
                         exit_code=2)
    proc = benchbot("run", "-m", str(models["tiny_fc.tflite"]), "--runner",
                    "tflite_benchmark_model", "--runner-bin", str(tool), "--json",
                    "--results", str(tmp_path / "r"), *FAST)
    assert proc.returncode == 1
    case, = json.loads(proc.stdout)["cases"]
    assert case["error"].startswith("tflite_benchmark_model: exited with code 2: ")
    assert case["error"].endswith("Unconsumed cmdline flags: --graph test")
    assert case["failure"]["exit_code"] == 2 and case["failure"]["kind"] == "tool_error"
    assert case["runs"][0]["extras"]["exit_code"] == 2


# --- 2. benchbot parse: exit codes, never a traceback ----------------------------------------

def test_parse_exit_codes(tmp_path: Path) -> None:
    ok = benchbot("parse", "trtexec", str(LOGS / "trtexec" /
                                          "trt7x_jetson_caffe_resnet50_int8_hostlatency.txt"))
    assert ok.returncode == 0, ok.stderr
    failed = benchbot("parse", "trtexec", str(FAILURES / "trtexec" /
                                              "trt86_hackathon_issue99_model_missing.txt"))
    assert failed.returncode == 1 and "| status | failed |" in failed.stdout
    assert failed.stderr.strip().splitlines() == [
        "error: no timings in " + str(FAILURES / "trtexec" /
                                      "trt86_hackathon_issue99_model_missing.txt")
        + ": Model missing or format not recognized"]
    missing = benchbot("parse", "trtexec", str(tmp_path / "nope.log"))
    assert missing.returncode == 2 and "not found" in missing.stderr
    unknown = benchbot("parse", "benchncnn", str(tmp_path))
    assert unknown.returncode == 2 and "unknown tool" in unknown.stderr


def test_parse_of_a_text_that_is_not_a_log_is_one_line(tmp_path: Path) -> None:
    """A .src.txt beside a log quotes figures in prose (e.g. 'count=50'); once a traceback."""
    sources = sorted(LOGS.glob("*/*.src.txt")) + sorted(REFERENCE.glob(
        "tflite_benchmark_model/*.src.txt"))
    prose = tmp_path / "prose.src.txt"
    prose.write_text("Run with --num_runs=50: the log shows count=50 first=1 curr=2 and "
                     "Inference timings in us: Init: 12\n")
    for path in [prose, *sources]:
        tool = path.parent.name if path != prose else "tflite_benchmark_model"
        proc = benchbot("parse", tool, str(path))
        assert "Traceback" not in proc.stderr, path
        if proc.returncode != 0:
            assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1, path
    proc = benchbot("parse", "tflite_benchmark_model", str(prose), "--json")
    assert proc.returncode == 1 and json.loads(proc.stdout)["status"] == "failed"
    assert "is it the console output of tflite_benchmark_model?" in proc.stderr


# --- 3. cpu / reference / xnnpack --------------------------------------------------------------

def test_backends_per_runtime() -> None:
    assert "reference" in runtime("litert").backends
    assert "reference" not in runtime("onnxruntime").backends
    assert "reference" not in runtime("paddle_lite").backends


def test_benchmark_model_flags_per_backend() -> None:
    def flags(delegate: str) -> list[str]:
        argv = tflite_benchmark_model.build_argv("bm", "m.tflite", 1, 1, "fp32", SETTINGS,
                                                 delegate=delegate)
        return [a for a in argv if a.startswith(("--use_", "--gpu_", "--nnapi_"))]
    assert flags("cpu") == []  # the runtime's default CPU path: XNNPACK where it applies it
    assert flags("reference") == ["--use_xnnpack=false"]
    assert flags("xnnpack") == ["--use_xnnpack=true"]
    assert flags("gpu") == ["--use_gpu=true", "--gpu_precision_loss_allowed=false"]


def test_benchmark_model_delegate_lines_are_parsed() -> None:
    path = REFERENCE / "tflite_benchmark_model" / "tf_cros_tast_cpu_xnnpack_peak_mem_selected.txt"
    if not path.is_file():
        pytest.skip(f"shared reference log not available: {path}")
    result = TOOLS["tflite_benchmark_model"].parse(text(path))
    assert (result.delegate, result.delegated_nodes, result.graph_nodes) == (
        "TfLiteXNNPackDelegate", 58, 58)
    default = REFERENCE / "tflite_benchmark_model" / "tf2025-07_qrb2210_cpu_xnnpack_default.txt"
    assert TOOLS["tflite_benchmark_model"].parse(text(default)).delegate == "XNNPACK"
    plain = text(LOGS / "tflite_benchmark_model" /
                 "tf1x_issue77_android_arm64_squeezenet_nnapi_error_line.txt")
    assert TOOLS["tflite_benchmark_model"].parse(plain).delegate is None  # the log does not say


def run_agent(*args: str) -> tuple[int, dict]:
    proc = subprocess.run([sys.executable, agent.__file__, *args, "--warmup", "1", "--min-runs",
                           "3", "--min-time", "0", "--max-time", "5"], capture_output=True,
                          text=True, timeout=120)
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}


@pytest.mark.parametrize("backend,provider", [
    ("cpu", "xnnpack (the runtime's default delegate)"),
    ("xnnpack", "xnnpack (the runtime's default delegate)"),
    ("reference", "reference (builtin kernels, no delegates)"),
])
def test_agent_runs_tflite_per_backend(models: dict[str, Path], backend: str,
                                       provider: str) -> None:
    code, doc = run_agent("--model", str(models["tiny_conv.tflite"]), "--backend", backend)
    assert code == 0, doc
    assert doc["provider"] == provider and len(doc["samples_ms"]) >= 3


# --- 4. trtexec breakdown -----------------------------------------------------------------------

def test_trtexec_breakdown_in_parse_json() -> None:
    proc = benchbot("parse", "trtexec", str(LOGS / "trtexec" /
                                            "trt10_ptlflow_issue65_summary_breakdown.txt"), "--json")
    assert proc.returncode == 0, proc.stderr
    breakdown = json.loads(proc.stdout)["breakdown"]
    assert list(breakdown) == ["enqueue_time", "h2d_latency", "gpu_compute", "d2h_latency"]
    assert breakdown["gpu_compute"] == {"mean_ms": 30.3322, "median_ms": 30.333,
                                        "p90_ms": 30.4037, "p95_ms": 30.4156, "p99_ms": 30.4204,
                                        "min_ms": 29.8193, "max_ms": 30.4572}
    assert breakdown["h2d_latency"]["mean_ms"] == 0.247712
    assert breakdown["d2h_latency"]["p99_ms"] == 0.1875
    assert breakdown["enqueue_time"]["median_ms"] == 30.2815


def test_trtexec_trt7_blocks_give_gpu_compute_and_enqueue() -> None:
    result = TOOLS["trtexec"].parse(text(LOGS / "trtexec" /
                                     "trt7x_jetson_caffe_resnet50_int8_hostlatency.txt"))
    assert result.mean_ms == 55.3094 and result.breakdown is not None
    assert set(result.breakdown) == {"enqueue_time", "gpu_compute"}
    assert result.breakdown["gpu_compute"]["mean_ms"] == 55.2468


def test_trtexec_5_average_over_lines() -> None:
    one = TOOLS["trtexec"].parse(text(LOGS / "trtexec" / "trt5_retinanet_issue118_xavier_average_over.txt"))
    assert (one.count, one.mean_ms, one.p99_ms) == (10, 55.3944, None)
    assert one.breakdown == {"gpu_compute": {"mean_ms": 55.2518, "p99_ms": 59.9569}}
    three = TOOLS["trtexec"].parse(text(LOGS / "trtexec" / "trt5_openpose_issue7_average_over_three.txt"))
    assert three.count == 30 and three.mean_ms == pytest.approx((26.0956 + 26.0002 + 25.9705) / 3)
    assert three.breakdown is not None and set(three.breakdown["gpu_compute"]) == {"mean_ms"}


# --- 5. --runner-bin auto ---------------------------------------------------------------------

def fake_elf(machine: int, size: int = 4096) -> bytes:
    """A stand-in binary: a little-endian 64-bit ELF header with the given e_machine."""
    head = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack("<HH", 2, machine)
    return head + bytes(size - len(head))


class ToolServer:
    """Serves files from a dict on 127.0.0.1 and counts the requests per path."""

    def __init__(self, files: dict[str, bytes], etags: dict[str, str] | None = None) -> None:
        self.files = files
        self.etags = etags if etags is not None else {}  # path -> ETag, as GCS sends one
        self.hits: dict[str, int] = {}
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                outer.hits[self.path] = outer.hits.get(self.path, 0) + 1
                body = outer.files.get(self.path)
                etag = outer.etags.get(self.path)
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                if etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/mirror"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ToolServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server() -> Iterator[ToolServer]:
    with ToolServer({"/mirror/2.3.0/android_arm64/benchmark_model": fake_elf(183),
                     "/mirror/2.3.0/android_x86_64/benchmark_model": fake_elf(183)}) as s:
        yield s


def test_urls_and_elf_checks() -> None:
    assert tool_url("arm64-v8a", "2.1.4") == \
        "https://storage.googleapis.com/litert/binaries/2.1.4/android_arm64/benchmark_model"
    with pytest.raises(FetchError, match="only for arm64-v8a.*--runner-bin PATH"):
        tool_url("x86_64", "2.1.4")
    assert tool_url("x86_64", "2.1.4", "http://m/x") == "http://m/x/2.1.4/android_x86_64/benchmark_model"
    assert [elf_machine(fake_elf(m)) for m in (183, 40, 62, 3)] == [183, 40, 62, 3]
    assert elf_machine(b"#!/bin/sh\necho hi\n" + bytes(20)) is None
    check_elf(fake_elf(40), "armeabi-v7a", "x")
    with pytest.raises(FetchError, match="built for arm64-v8a, not the phone's x86"):
        check_elf(fake_elf(183), "x86", "x")


def test_download_once_into_the_cache(server: ToolServer, tmp_path: Path) -> None:
    said: list[str] = []
    env = {"BENCHBOT_TOOLS_URL": server.url}
    path = fetch_tool("arm64-v8a", version="2.3.0", root=tmp_path, env=env, say=said.append)
    assert path == tmp_path / "2.3.0" / "arm64-v8a" / "benchmark_model"
    assert path == cache_path("arm64-v8a", "2.3.0", tmp_path)
    assert path.read_bytes() == fake_elf(183) and path.stat().st_mode & 0o111
    assert sorted(p.name for p in path.parent.iterdir()) == ["benchmark_model"]  # no leftovers
    assert len(said) == 1 and said[0].startswith("downloaded benchmark_model 2.3.0 for arm64-v8a")
    again = fetch_tool("arm64-v8a", version="2.3.0", root=tmp_path, env=env, say=said.append)
    assert again == path and len(said) == 1
    assert server.hits == {"/mirror/2.3.0/android_arm64/benchmark_model": 1}


def test_wrong_abi_is_refused_and_not_cached(server: ToolServer, tmp_path: Path) -> None:
    env = {"BENCHBOT_TOOLS_URL": server.url}
    with pytest.raises(FetchError, match="built for arm64-v8a, not the phone's x86_64"):
        fetch_tool("x86_64", version="2.3.0", root=tmp_path, env=env)
    assert not any((tmp_path / "2.3.0" / "x86_64").iterdir())


def test_missing_release_and_unreachable_server(server: ToolServer, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"HTTP 404\); pass --runner-bin PATH"):
        fetch_tool("arm64-v8a", version="9.9.9", root=tmp_path,
                   env={"BENCHBOT_TOOLS_URL": server.url})
    with ToolServer({}) as gone:
        url = gone.url
    with pytest.raises(FetchError) as info:
        fetch_tool("arm64-v8a", version="2.3.0", root=tmp_path, env={"BENCHBOT_TOOLS_URL": url},
                   timeout=5)
    message = str(info.value)
    assert "\n" not in message and message.endswith("pass --runner-bin PATH")
    assert message.startswith(f"cannot download benchmark_model for arm64-v8a from {url}/")


def test_latest_is_refreshed_when_a_newer_one_is_published(tmp_path: Path) -> None:
    """Without ai-edge-litert installed the version is 'latest': never cached forever, but
    asked again with the ETag it was published with; a new publication replaces it."""
    where = "/mirror/latest/android_arm64/benchmark_model"
    files, etags = {where: fake_elf(183, 4096)}, {where: '"v1"'}
    said: list[str] = []
    with ToolServer(files, etags) as server:
        env = {"BENCHBOT_TOOLS_URL": server.url}
        first = fetch_tool("arm64-v8a", version="latest", root=tmp_path, env=env,
                           say=said.append)
        same = fetch_tool("arm64-v8a", version="latest", root=tmp_path, env=env,
                          say=said.append)
        assert same == first and len(said) == 1 and server.hits[where] == 2  # 304: unchanged
        files[where], etags[where] = fake_elf(183, 8192), '"v2"'
        newer = fetch_tool("arm64-v8a", version="latest", root=tmp_path, env=env,
                           say=said.append)
        assert newer == first and newer.stat().st_size == 8192
        assert said[-1].startswith("updated benchmark_model latest for arm64-v8a")
        url = server.url
    kept = fetch_tool("arm64-v8a", version="latest", root=tmp_path,
                      env={"BENCHBOT_TOOLS_URL": url}, say=said.append, timeout=5)
    assert kept == first and "using" in said[-1]  # offline: the cached one, said so


def test_make_runner_fetches_for_the_phones_abi(server: ToolServer, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCHBOT_TOOLS_URL", server.url)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr("benchbot.runners.native.fetch.litert_version", lambda: "2.3.0")
    (tmp_path / "phone.toml").write_text(
        'name = "phone"\nlabel = "Phone"\ntransport = "local"\n'
        '[cpu]\nmasks = { 1 = "1" }\n[runner]\nkind = "tflite_benchmark_model"\n')
    profile = load_profile_file(tmp_path / "phone.toml")
    said: list[str] = []
    for options in (DeviceOptions(), DeviceOptions(runner_bin=Path("auto"))):
        runner = make_runner(profile, None, options, "python3",  # type: ignore[arg-type]
                             abi="arm64-v8a", say=said.append)
        assert runner.binary == tmp_path / ".cache" / "benchbot" / "tools" / "2.3.0" / \
            "arm64-v8a" / "benchmark_model"
    assert len(said) == 1 and server.hits == {"/mirror/2.3.0/android_arm64/benchmark_model": 1}
    with pytest.raises(FetchError, match="reports no ABI.*--runner-bin PATH"):
        make_runner(profile, None, DeviceOptions(runner_bin=Path("auto")),  # type: ignore[arg-type]
                    "python3")
