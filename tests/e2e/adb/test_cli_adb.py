"""`benchbot devices` and `benchbot run --device sd855` end to end through the REAL adb server.

The phone is tests/adb_emulator.py: a OnePlus 7 Pro answering getprop from its real
property dump (tests/data/android), with the real SD855 cpufreq clusters, thermal zones
typed like a real Snapdragon phone, a real `dumpsys battery` and, when ../shared is
beside the repository, a real SD855+ /proc/cpuinfo (nothing here needs it).
Commands run on this host, so the Python agent really measures through adb.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchbot.store import load_run
from tests.support.adb_emulator import EmulatedPhone
from tests.support.adb_fixtures import (DUMPS, SD855_DUMP, agent_phone_profile,
                                        private_adb_server, start_phone)
from tests.conftest import FAST, benchbot
from tests.support.standin import recorded, write_standin

pytestmark = pytest.mark.adb

DATA = Path(__file__).resolve().parents[2] / "data"
BATTERY = DATA / "android" / "dumpsys_battery_samsung_charging.txt"
STANDIN_LOG = (DATA / "tool_logs" / "tflite_benchmark_model"
               / "tf1x_issue77_android_arm64_squeezenet_nnapi_error_line.txt")
SYS_DIRS = ("/sys/devices/system/cpu/cpufreq", "/sys/class/thermal")


def sd855_files(throttled: bool) -> dict[str, str]:
    """SD855 clusters (max clocks from the phone's real cpufreq tables) and CPU thermal zones."""
    files: dict[str, str] = {}
    for policy, cpus, max_khz in ((0, "0 1 2 3", 1785600), (4, "4 5 6", 2419200),
                                  (7, "7", 2841600)):
        base = f"/sys/devices/system/cpu/cpufreq/policy{policy}"
        cap = 2419200 if throttled and policy == 7 else max_khz
        files |= {f"{base}/related_cpus": cpus, f"{base}/cpuinfo_max_freq": str(max_khz),
                  f"{base}/scaling_max_freq": str(cap), f"{base}/scaling_cur_freq": "300000"}
    for line in (DATA / "android" / "thermal_zones_sony_msm8998.txt").read_text().splitlines():
        zone, kind, temp = line.split("|")
        files |= {f"/sys/class/thermal/{zone}/type": kind, f"/sys/class/thermal/{zone}/temp": temp}
    cpuinfo = DUMPS / "proc_cpuinfo_realme_x3_sd855plus.txt"
    if cpuinfo.is_file():
        files["/proc/cpuinfo"] = cpuinfo.read_text()
    return files


def sd855_phone(root: Path, adb_server: str, battery_text: str, throttled: bool = False
                ) -> EmulatedPhone:
    battery = root.parent / f"{root.name}-battery.txt"
    battery.write_text(battery_text)
    return start_phone(root, adb_server, getprop_dump=SD855_DUMP,
                       device_dirs=("/data/local/tmp", "/sdcard", *SYS_DIRS),
                       files=sd855_files(throttled),
                       tools={"dumpsys": f"#!/bin/sh\ncat {shlex.quote(str(battery))}\n"})


@pytest.fixture(scope="module")
def adb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's own adb server: profile matching must see only this module's phones."""
    yield from private_adb_server(tmp_path_factory.mktemp("adb-home-cli"))


@pytest.fixture(scope="module")
def phone(adb_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatedPhone]:
    phone = sd855_phone(tmp_path_factory.mktemp("sd855"), adb_server, BATTERY.read_text(),
                        throttled=True)
    yield phone
    phone.stop()


@pytest.fixture()
def profiles(tmp_path: Path) -> Path:
    """The built-in sd855 profile with the agent on this host's Python (as on a phone with
    Termux), no cool-down pause, and masks that fit this host's cores (1 thread only)."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "sd855.toml").write_text(agent_phone_profile("sd855"))
    return folder


def run_on_phone(adb_server: str, profiles: Path, results: Path, *args: str):
    return benchbot("run", "--device", "sd855", "--adb-server", adb_server, "--profiles",
                    str(profiles), "--results", str(results), *args, timeout=180)


def start_run_on(phone: EmulatedPhone, adb_server: str, profiles: Path, results: Path,
                 *args: str) -> subprocess.Popen[str]:
    """`benchbot run` on one phone in the background, so the test can meddle with the phone."""
    return subprocess.Popen(
        [sys.executable, "-m", "benchbot", "run", "--device", "sd855", "--serial", phone.address,
         "--adb-server", adb_server, "--profiles", str(profiles), "--results", str(results),
         "--warmup", "1", "--min-runs", "3", "--repeat", "1", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_devices_lists_the_phone_and_its_profile(phone: EmulatedPhone, adb_server: str) -> None:
    proc = benchbot("devices", "--adb-server", adb_server, "--json")
    assert proc.returncode == 0, proc.stderr
    found = {p["serial"]: p for p in json.loads(proc.stdout)}
    mine = found[phone.address]
    assert (mine["model"], mine["soc"], mine["android"], mine["abi"]) == (
        "GM1913", "msmnile", "10", "arm64-v8a")
    assert [c["max_freq_khz"] for c in mine["clusters"]] == [1785600, 2419200, 2841600]
    assert mine["max_temp_c"] == 42.0 and mine["battery"]["level"] == 84
    assert "sd855" in mine["profiles"] and "sd845" not in mine["profiles"]
    table = benchbot("devices", "--adb-server", adb_server).stdout
    assert f"| {phone.address} | GM1913 | msmnile | 10 |" in table and "4x1.79GHz" in table


def _server_env(adb_server: str) -> dict[str, str]:
    """The environment that points adb (and benchbot) at ``adb_server`` instead of :5037."""
    host, _, port = adb_server.rpartition(":")
    return {"ANDROID_ADB_SERVER_ADDRESS": host, "ANDROID_ADB_SERVER_PORT": port,
            "ANDROID_SERIAL": ""}


def test_devices_honours_android_adb_server_port(phone: EmulatedPhone, adb_server: str) -> None:
    """No --adb-server: the server on another port is found through ANDROID_ADB_SERVER_*."""
    assert not adb_server.endswith(":5037")
    proc = benchbot("devices", "--json", env=_server_env(adb_server))
    assert proc.returncode == 0, proc.stderr
    assert phone.address in {p["serial"] for p in json.loads(proc.stdout)}
    # an explicit --adb-server still wins over the environment
    wrong = {**_server_env(adb_server), "ANDROID_ADB_SERVER_PORT": "1"}
    assert json.loads(benchbot("devices", "--json", "--adb-server", adb_server, env=wrong).stdout)
    refused = benchbot("devices", env=wrong)
    assert refused.returncode == 3 and "cannot reach the adb server at 127.0.0.1:1" in refused.stderr
    # the hint works as printed here: adb is not on PATH, the one inside adbutils is named
    hint = refused.stderr.split("start it on that host with: ", 1)[1].strip()
    assert ("adb -P 1 start-server" if shutil.which("adb") else "adbutils.adb_path()") in hint
    bad = benchbot("devices", env={**wrong, "ANDROID_ADB_SERVER_PORT": "port"})
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "ANDROID_ADB_SERVER_PORT='port' is not a TCP port" in bad.stderr


def test_android_serial_picks_one_of_two_matching_phones(models: dict[str, Path],
                                                        profiles: Path, tmp_path: Path) -> None:
    """Two SD855 phones behind a server on a non-default port: `run` refuses to guess, and
    ANDROID_SERIAL picks one, as it does for adb; the server comes from the environment."""
    servers = private_adb_server(tmp_path / "adb-home")
    (tmp_path / "adb-home").mkdir()
    server = next(servers)
    phones = [sd855_phone(tmp_path / f"twin{i}", server, BATTERY.read_text()) for i in (0, 1)]
    try:
        env = _server_env(server)
        args = ["run", "--device", "sd855", "--profiles", str(profiles), "-m",
                str(models["tiny_conv.onnx"]), *FAST]
        guess = benchbot(*args, "--results", str(tmp_path / "r0"), env=env, timeout=180)
        assert guess.returncode == 2 and "2 attached phones match device 'sd855'" in guess.stderr
        assert "ANDROID_SERIAL" in guess.stderr and "Traceback" not in guess.stderr
        chosen = phones[1].address
        proc = benchbot(*args, "--results", str(tmp_path / "r1"), timeout=180,
                        env={**env, "ANDROID_SERIAL": chosen})
        assert proc.returncode == 0, proc.stderr
        facts = load_run(next((tmp_path / "r1").glob("*.json"))).devices["sd855"]
        assert facts.serial == chosen and facts.adb_server == server
        other = benchbot(*args, "--results", str(tmp_path / "r2"), timeout=180,
                         env={**env, "ANDROID_SERIAL": "10.9.9.9:5555"})
        assert other.returncode == 2 and "ANDROID_SERIAL=10.9.9.9:5555 is none of" in other.stderr
    finally:
        for phone in phones:
            phone.stop()
        servers.close()


def test_run_on_sd855_with_threads_1_and_4(phone: EmulatedPhone, adb_server: str,
                                           profiles: Path, models: dict[str, Path],
                                           tmp_path: Path) -> None:
    proc = run_on_phone(adb_server, profiles, tmp_path / "r", "--threads", "1,4", "-m",
                        str(models["tiny_conv.onnx"]), *FAST)
    assert proc.returncode == 0, proc.stderr
    assert "| Model | SD855 |" in proc.stdout
    assert "1 thread, batch 1" in proc.stdout and "4 threads, batch 1" in proc.stdout
    record = load_run(next((tmp_path / "r").glob("*.json")))
    facts = record.devices["sd855"]
    assert facts.serial == phone.address and facts.soc == "msmnile"
    assert facts.transport == "adb" and facts.label == "SD855" and facts.kind == "phone"
    one, four = record.cases
    assert one.status == four.status == "ok" and four.runs[0].threads_applied == 4
    assert one.runs[0].cpu_affinity == (0,)  # the profile's 1-thread mask, applied
    state = one.runs[-1].device_state
    assert state["cpus"] == [0] and state["before"]["max_temp_c"] == 42.0
    assert any("throttling" in w for w in four.warnings)  # cpu7 capped below its maximum
    assert not phone.to_host("/data/local/tmp/benchbot").exists()  # cleaned up


def test_ab_on_the_phone_pairs_its_processes_and_calls_the_heavier_model_slower(
        phone: EmulatedPhone, adb_server: str, profiles: Path, models: dict[str, Path],
        tmp_path: Path) -> None:
    proc = benchbot("ab", str(models["tiny_conv.onnx"]), str(models["mid_conv.onnx"]),
                    "--device", "sd855", "--serial", phone.address, "--adb-server", adb_server,
                    "--profiles", str(profiles), "--results", str(tmp_path / "r"),
                    "--repeat", "8", "--warmup", "1", "--min-runs", "3", "--min-time", "0.05",
                    "--json", timeout=240)  # 8 pairs: the fewest that can reach alpha 0.01
    assert proc.returncode == 1, proc.stderr  # the candidate is slower
    (row,) = json.loads(proc.stdout)["comparisons"]
    assert row["verdict"] == "slower" and row["method"] == "paired" and row["n_baseline"] == 8
    record = load_run(next((tmp_path / "r").glob("*.json")))
    assert record.is_ab and record.devices["sd855"].serial == phone.address
    assert [len(c.runs) for c in record.cases] == [8, 8]


def test_native_benchmark_model_on_the_phone(phone: EmulatedPhone, adb_server: str,
                                             profiles: Path, models: dict[str, Path],
                                             tmp_path: Path) -> None:
    """A benchmark_model stand-in pushed to the phone replays a real captured log."""
    tool = write_standin(tmp_path / "benchmark_model", "tflite_benchmark_model", "classic",
                         STANDIN_LOG)
    proc = run_on_phone(adb_server, profiles, tmp_path / "r", "--runner",
                        "tflite_benchmark_model", "--runner-bin", str(tool), "--json",
                        "-m", str(models["tiny_fc.tflite"]), "--keep", *FAST)
    assert proc.returncode == 0, proc.stderr
    case, = json.loads(proc.stdout)["cases"]
    assert case["stats"]["mean_ms"] == 420.334 and case["stats_source"] == "aggregates"
    argv = case["runs"][0]["extras"]["argv"]
    assert argv[:2] == ["taskset", "1"] and argv[2].startswith("/data/local/tmp/benchbot/")
    assert phone.to_host(argv[2]).stat().st_mode & 0o111  # pushed and made executable


def test_native_onnxruntime_perf_test_on_the_phone(phone: EmulatedPhone, adb_server: str,
                                                   profiles: Path, models: dict[str, Path],
                                                   tmp_path: Path) -> None:
    """onnxruntime_perf_test pushed to the phone; the stand-in replays a real captured log and
    records its flags: the pool's own affinity option carries the profile's CPU mask."""
    log = (DATA / "tool_logs" / "onnxruntime_perf_test"
           / "ort_2020-01_pr2798_trt7_windows_debug_nospace.txt")
    flags = tmp_path / "flags.jsonl"
    tool = write_standin(tmp_path / "onnxruntime_perf_test", "onnxruntime_perf_test",
                         "getopt", log, record=flags)
    profile = profiles / "sd855.toml"  # 2 threads on this host's two cores
    profile.write_text(profile.read_text().replace('masks = { 1 = "1" }',
                                                   'masks = { 1 = "1", 2 = "3" }'))
    proc = run_on_phone(adb_server, profiles, tmp_path / "r", "--runner",
                        "onnxruntime_perf_test", "--runner-bin", str(tool), "--json",
                        "-m", str(models["tiny_conv.onnx"]), "-t", "2", "-b", "2", *FAST)
    assert proc.returncode == 0, proc.stderr
    case, = json.loads(proc.stdout)["cases"]
    assert case["stats"]["mean_ms"] == 734.606 and case["stats"]["n"] == 1
    assert case["runs"][0]["extras"]["tool"]["init_ms"] == pytest.approx(1841.49)
    given = recorded(flags)[-1]
    assert given[given.index("-x") + 1] == "2"  # intra-op threads
    assert given[given.index("-T") + 1] == "2"  # ORT pins its own pool: the mask's other core
    assert case["runs"][0]["extras"]["argv"][:2] == ["taskset", "3"]


def test_paddle_lite_benchmark_bin_on_the_phone(phone: EmulatedPhone, adb_server: str,
                                                profiles: Path, tmp_path: Path) -> None:
    """The tool behind the published phone grid, on an opt-converted .nb model: a stand-in
    replays a real benchmark_bin log (tests/data, source noted beside it)."""
    log = (DATA / "tool_logs" / "paddle_lite"
           / "plite_e79b4b6_paddleseg_mi9_benchmark_sh_perf_info.txt")
    tool = write_standin(tmp_path / "benchmark_bin", "paddle_lite", "2.10", log)
    model = tmp_path / "humanseg.nb"
    model.write_bytes(b"an opt-converted Paddle Lite model stands here")
    proc = run_on_phone(adb_server, profiles, tmp_path / "r", "--runner", "paddle_lite",
                        "--runner-bin", str(tool), "--json", "-m", str(model),
                        "--input-shape", "1,3,512,512", *FAST)
    assert proc.returncode == 0, proc.stderr
    case, = json.loads(proc.stdout)["cases"]
    assert case["runtime"] == "paddle_lite" and case["stats"]["mean_ms"] == 267.246
    assert case["stats"]["min_ms"] == 265.45 and case["stats"]["n"] == 50
    argv = case["runs"][0]["extras"]["argv"]
    assert any(a.startswith("--optimized_model_file=/data/local/tmp/benchbot/") for a in argv)
    assert "--threads=1" in argv and "--input_shape=1,3,512,512" in argv
    assert case["runs"][0]["extras"]["dialect"] == "2.10"


def test_model_path_with_spaces_and_shell_metacharacters(phone: EmulatedPhone, adb_server: str,
                                                         profiles: Path, models: dict[str, Path],
                                                         tmp_path: Path) -> None:
    weird = tmp_path / "we ird $(id) 'q' ;x.onnx"
    shutil.copy(models["tiny_conv.onnx"], weird)
    proc = run_on_phone(adb_server, profiles, tmp_path / "r", "-m", str(weird), "--json", *FAST)
    assert proc.returncode == 0, proc.stderr
    case, = json.loads(proc.stdout)["cases"]
    assert case["status"] == "ok" and case["model"] == str(weird)


def test_a_hung_device_command_hits_its_timeout(phone: EmulatedPhone, adb_server: str,
                                                profiles: Path, models: dict[str, Path],
                                                tmp_path: Path) -> None:
    phone.hang_commands_matching(r"agent\.py")
    try:
        proc = run_on_phone(adb_server, profiles, tmp_path / "r", "-m",
                            str(models["tiny_matmul.onnx"]), "--case-timeout", "3", "--json",
                            *FAST)
    finally:
        phone.clear_hangs()
    assert proc.returncode == 1
    case, = json.loads(proc.stdout)["cases"]
    assert case["status"] == "failed" and "time limit" in case["error"]


def test_low_battery_is_refused_unless_told(adb_server: str, profiles: Path,
                                            models: dict[str, Path], tmp_path: Path) -> None:
    # the real Samsung output with the level edited down to 12% and unplugged
    low = BATTERY.read_text().replace("level: 84", "level: 12").replace(
        "USB powered: true", "USB powered: false").replace("status: 2", "status: 3")
    phone = sd855_phone(tmp_path / "low", adb_server, low)
    try:
        args = ("--serial", phone.address, "-m", str(models["tiny_matmul.onnx"]), *FAST)
        proc = run_on_phone(adb_server, profiles, tmp_path / "r", *args)
        assert proc.returncode == 2 and "battery at 12%" in proc.stderr
        assert "--battery-floor 0" in proc.stderr
        assert run_on_phone(adb_server, profiles, tmp_path / "r", "--battery-floor", "0",
                            *args).returncode == 0
    finally:
        phone.stop()


def test_no_or_several_matching_phones(adb_server: str, phone: EmulatedPhone,
                                       profiles: Path, models: dict[str, Path],
                                       tmp_path: Path) -> None:
    # a model sd845's tool runs (an .onnx one is refused at plan time, exit 2)
    proc = benchbot("run", "--device", "sd845", "--adb-server", adb_server,
                    "-m", str(models["tiny_fc.tflite"]))
    assert proc.returncode == 3, proc.stderr  # the phone is not there: infrastructure
    assert "no attached phone matches device 'sd845'" in proc.stderr
    assert f"{phone.address} (GM1913, msmnile)" in proc.stderr
    twin = sd855_phone(tmp_path / "twin", adb_server, BATTERY.read_text())
    try:
        proc = run_on_phone(adb_server, profiles, tmp_path / "r", "-m",
                            str(models["tiny_matmul.onnx"]))
        assert proc.returncode == 2 and "2 attached phones match" in proc.stderr
        assert "--serial" in proc.stderr
    finally:
        twin.stop()


def test_phone_vanishing_mid_sweep(adb_server: str, profiles: Path, models: dict[str, Path],
                                   tmp_path: Path) -> None:
    phone = sd855_phone(tmp_path / "fragile", adb_server, BATTERY.read_text())
    results = tmp_path / "r"
    proc = start_run_on(phone, adb_server, profiles, results, "-m", str(models["tiny_conv.onnx"]),
                        "-b", "1,2,3,4", "--min-time", "0.3", "--max-time", "2",
                        "--case-timeout", "20", "--retries", "1", "--retry-wait", "2")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            files = list(results.glob("*.json"))
            if files and load_run(files[0]).cases:
                break
            time.sleep(0.05)
        phone.disconnect(stay_away=True)  # unplugged for good
        out, err = proc.communicate(timeout=180)
    finally:
        proc.kill()
        phone.stop()
    assert proc.returncode == 3, err  # cases lost with their device: infrastructure
    record = load_run(next(results.glob("*.json")))
    assert record.status == "complete" and len(record.cases) == 4
    assert any(c.status == "ok" for c in record.cases)  # measured before the phone went
    lost = [c for c in record.cases if c.status == "failed"]
    assert lost and all(c.error and c.failure.kind == "device_lost" for c in lost)
    assert "Traceback" not in err


def test_two_phones_are_measured_at_the_same_time(adb_server: str, phone: EmulatedPhone,
                                                  profiles: Path, models: dict[str, Path],
                                                  tmp_path: Path) -> None:
    other = sd855_phone(tmp_path / "other", adb_server, BATTERY.read_text())
    try:
        text = (profiles / "sd855.toml").read_text()
        for name, serial in (("left", phone.address), ("right", other.address)):
            (profiles / f"{name}.toml").write_text(
                text.replace('name = "sd855"', f'name = "{name}"').replace(
                    '# serial = "..."', f'serial = "{serial}"'))
        proc = benchbot("run", "--device", "left,right", "--adb-server", adb_server,
                        "--profiles", str(profiles), "--results", str(tmp_path / "r"),
                        "-m", str(models["tiny_conv.onnx"]), "-b", "1,2", "--warmup", "1",
                        "--min-runs", "3", "--min-time", "1", "--max-time", "3", "--repeat", "2",
                        timeout=180)
    finally:
        other.stop()
    assert proc.returncode == 0, proc.stderr
    assert "on SD855 (left), 1 thread" in proc.stdout  # same label: told apart by name
    record = load_run(next((tmp_path / "r").glob("*.json")))
    assert {c.device for c in record.cases} == {"left", "right"} and len(record.cases) == 4

    def spans(device: str) -> list[tuple[str, str]]:  # every measuring process of a phone
        return sorted((r.started_at, r.ended_at) for c in record.cases if c.device == device
                      for r in c.runs)

    left, right = spans("left"), spans("right")
    assert len(left) == len(right) == 4  # 2 cases x 2 processes each
    # one worker per device: the phones' processes overlap in time, a phone's own never do
    assert any(a0 < b1 and b0 < a1 for a0, a1 in left for b0, b1 in right)
    for mine in (left, right):
        for (_, end), (start, _) in zip(mine, mine[1:]):
            assert end <= start


def test_a_case_lost_with_a_reconnecting_phone_is_measured_again(
        adb_server: str, profiles: Path, models: dict[str, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    events = tmp_path / "agent-events"  # the agent on the phone says when it times
    monkeypatch.setenv("BENCHBOT_AGENT_EVENTS", str(events))
    phone = sd855_phone(tmp_path / "flaky", adb_server, BATTERY.read_text())
    results = tmp_path / "r"
    # --min-time without --max-runs: the agent times for 3 s however fast the model
    proc = start_run_on(phone, adb_server, profiles, results, "-m", str(models["tiny_conv.onnx"]),
                        "--min-time", "3", "--max-time", "6", "--retries", "2",
                        "--retry-wait", "30", "--json")
    try:
        deadline = time.monotonic() + 120
        while (time.monotonic() < deadline and proc.poll() is None
               and "timing" not in (events.read_text() if events.exists() else "")):
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before its agent started timing"
        phone.disconnect()  # mid-measurement, a loose cable: the adb server reconnects
        out, err = proc.communicate(timeout=180)
    finally:
        proc.kill()
        phone.stop()
    assert proc.returncode == 0, err
    assert "went away during" in err and "retry 1 of 2" in err
    case, = json.loads(out)["cases"]
    assert case["status"] == "ok" and case["attempts"] == 2
