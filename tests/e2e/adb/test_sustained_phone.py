"""`run --sustained` and `--energy` on the scripted emulated phone, through the REAL adb
server: the phone's clocks, temperatures and battery follow the load (the windows the
agent closed, tests/scripted_phone.py), so the tests know which figures the run must
give; they assert events and values, never how long anything took."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchbot.store import load_run
from tests.support.adb_fixtures import SD855_DUMP, agent_phone_profile, private_adb_server
from tests.conftest import benchbot
from tests.support.scripted_phone import (BASE_S, CAPPED_KHZ, IDLE_W, LOAD_W, SLOW_S, ScriptedLoad,
                                  scripted_phone)

pytestmark = pytest.mark.adb

# long enough for a burst (the first 10 s) before the scripted step at window 22 (11 s)
SLOW_AFTER = 22
LONG = ["--sustained", "13s", "--window", "0.5", "--warmup", "1"]


@pytest.fixture(scope="module")
def adb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from private_adb_server(tmp_path_factory.mktemp("adb-home-sustained"))


@pytest.fixture()
def profiles(tmp_path: Path) -> Path:
    """sd855 with the agent on this host's Python, no cool-down pause, one pinned core,
    and (sd855-plugged: the same without) the phone told to stop charging for --energy."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    text = agent_phone_profile("sd855")
    (folder / "sd855.toml").write_text(text.replace("# stop_charging = true",
                                                    "stop_charging = true"))
    return folder


@pytest.fixture()
def phone(adb_server: str, tmp_path: Path) -> Iterator[tuple[object, ScriptedLoad]]:
    found = scripted_phone(tmp_path / "sd855", adb_server, SD855_DUMP, slow_after=SLOW_AFTER)
    yield found
    found[0].stop()


def run_on(phone_address: str, adb_server: str, profiles: Path, results: Path, *args: str):
    return benchbot("run", "--device", "sd855", "--serial", phone_address, "--adb-server",
                    adb_server, "--profiles", str(profiles), "--results", str(results), *args,
                    timeout=240)


def test_a_sustained_run_follows_the_scripted_heat_clock_and_energy(
        phone: tuple, adb_server: str, profiles: Path, models: dict[str, Path],
        tmp_path: Path) -> None:
    emulated, script = phone
    proc = run_on(emulated.address, adb_server, profiles, tmp_path / "r",
                  "-m", str(models["tiny_conv.onnx"]), *LONG, "--energy")
    assert proc.returncode == 0, proc.stderr
    case = load_run(next((tmp_path / "r").glob("*.json"))).cases[0]
    s = case.sustained
    assert s is not None and s.stop_reason == "duration" and s.windows[-1].end_s >= 13.0
    # latency: the scripted step at window SLOW_AFTER, three times the burst
    assert all(p.median_ms >= SLOW_S * 1000 for p in s.windows[SLOW_AFTER:])
    assert all(BASE_S * 1000 <= p.median_ms < SLOW_S * 1000 for p in s.windows[:SLOW_AFTER])
    assert s.burst_median_ms < SLOW_S * 1000 <= s.sustained_median_ms
    assert s.sustained_over_burst > 2.0
    assert s.time_to_throttle_s is not None
    assert s.time_to_throttle_s <= s.windows[SLOW_AFTER].start_s  # the step, never later
    earlier = [p for p in s.windows[:SLOW_AFTER] if p.start_s >= s.time_to_throttle_s]
    assert all(p.median_ms > 1.1 * s.burst_median_ms for p in earlier)  # the host was slow
    sampled = [p for p in s.windows if p.device is not None]
    assert sampled, "the host read the phone beside the series"
    for p in sampled:  # read once window `index` closed: it saw at most index + 1 windows
        assert p.device.windows_done == p.index + 1
        assert p.device.cpu_temp_c <= script.temp_start + script.temp_step * (p.index + 1)
        assert p.device.battery_level == 80 and p.device.battery_temp_c is not None
        if p.index + 1 < script.throttle_at:
            assert p.device.throttled is False and p.device.big_max_khz == 2841600
    temps = [p.device.cpu_temp_c for p in sampled]
    assert temps == sorted(temps) and temps[-1] > script.temp_start  # the phone warmed up
    last = sampled[-1].device
    assert last.throttled is True and last.big_max_khz == CAPPED_KHZ
    assert s.clock_throttle_s is not None
    assert s.clock_throttle_s >= s.windows[script.throttle_at - 1].start_s
    # energy: idle and load draw as scripted, the figure from them and the loop
    e = case.energy
    assert e is not None and e.source and "current_now x voltage_now" in e.source
    assert e.charging is False  # stop_charging unplugged it for the case
    assert e.idle_w == pytest.approx(IDLE_W) and e.load_w == pytest.approx(LOAD_W)
    expected = (LOAD_W - IDLE_W) * s.elapsed_s / s.total_runs * 1000.0
    assert e.mj_per_inference == pytest.approx(expected, rel=1e-9)
    assert e.ci95_low_mj == pytest.approx(expected) == e.ci95_high_mj  # constant draw
    assert e.idle_samples == 5 and e.load_samples >= 2 and e.sample_hz
    assert e.charge_counter_w is not None and e.charge_counter_w > 0
    # charging was stopped for the case and restored after it, with one warning
    commands = " ; ".join(emulated.commands)
    assert "dumpsys battery unplug" in commands and "dumpsys battery reset" in commands
    assert not script.flag.exists()
    assert proc.stderr.count("told the phone to stop charging") == 1
    table = benchbot("report", "-r", str(tmp_path / "r"), "--layout", "sustained")
    assert "mJ/inference" in table.stdout and "| tiny_conv |" in table.stdout


def test_the_temperature_ceiling_stops_the_series_and_a_charging_phone_gives_no_energy(
        phone: tuple, adb_server: str, profiles: Path, models: dict[str, Path],
        tmp_path: Path) -> None:
    emulated, script = phone
    text = (profiles / "sd855.toml").read_text().replace("stop_charging = true", "")
    (profiles / "sd855.toml").write_text(text)
    ceiling = script.temp_start + script.temp_step * 4 - 0.1  # crossed at window 4
    proc = run_on(emulated.address, adb_server, profiles, tmp_path / "r",
                  "-m", str(models["tiny_conv.onnx"]), "--sustained", "60s", "--window",
                  "0.25", "--warmup", "1", "--max-temp", f"{ceiling:g}", "--energy")
    assert proc.returncode == 0, proc.stderr
    case = load_run(next((tmp_path / "r").glob("*.json"))).cases[0]
    s = case.sustained
    assert s.stop_reason == "temperature_ceiling" and s.elapsed_s < 60.0
    assert any(w.startswith("the series stopped at") and "raise --max-temp" in w
               for w in case.warnings)
    assert len(s.windows) >= 4  # the ceiling is crossed only once 4 windows closed
    assert case.energy is not None and case.energy.mj_per_inference is None
    assert case.energy.charging is True and "is charging" in case.energy.note
    assert "energy on sd855: the phone is charging" in proc.stderr
    assert "dumpsys battery unplug" not in " ; ".join(emulated.commands)


def test_the_battery_floor_stops_the_series(adb_server: str, profiles: Path,
                                            models: dict[str, Path], tmp_path: Path) -> None:
    emulated, script = scripted_phone(tmp_path / "draining", adb_server, SD855_DUMP,
                                      level_step=1)
    try:
        proc = run_on(emulated.address, adb_server, profiles, tmp_path / "r",
                      "-m", str(models["tiny_conv.onnx"]), "--sustained", "60s", "--window",
                      "0.25", "--warmup", "1", "--battery-floor", "77")
    finally:
        emulated.stop()
    assert proc.returncode == 0, proc.stderr
    s = load_run(next((tmp_path / "r").glob("*.json"))).cases[0].sustained
    assert s.stop_reason == "battery_floor" and s.elapsed_s < 60.0
    assert len(s.windows) >= 4  # 80 - 4 = 76 % is the first level under the floor
