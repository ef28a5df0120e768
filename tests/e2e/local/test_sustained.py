"""Sustained mode (`run --sustained`): its figures as pure functions, the agent's series
loop on a scripted clock, the host's samples joined to the windows, the record's JSON, and
the real CLI on this host."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from benchbot import agent
from benchbot.devices.sampler import parse_state, state_command
from benchbot.errors import ConfigError
from benchbot.report.memory import memory_table
from benchbot.runners.sustained import attach_samples, stop_reason_for, sustained_of
from benchbot.stats.sustained import (WindowTime, burst_median, sustained_figures,
                                      sustained_median, time_to_throttle)
from benchbot.store import DeviceSample, case_doc, case_of_doc, load_run
from benchbot.store.entries import Entry
from benchbot.store.records import MEMORY_SCOPES
from benchbot.sweep import MeasureSettings
from benchbot.sweep.plan import parse_duration
from tests.conftest import benchbot

DATA = Path(__file__).resolve().parents[2] / "data" / "android"


def series(medians: list[float], window_s: float = 1.0) -> list[WindowTime]:
    return [WindowTime(i * window_s, (i + 1) * window_s, m) for i, m in enumerate(medians)]


# ------------------------------------------------------------------ figures (pure)

def test_a_device_that_throttles_at_20s_gives_burst_sustained_ratio_and_time_to_throttle() -> None:
    windows = series([10.0] * 20 + [12.0] * 20 + [15.0] * 20)
    figures = sustained_figures(windows)
    assert figures.burst_median_ms == 10.0  # windows ending by 10 s
    assert figures.sustained_median_ms == 15.0  # the last 20% (48 s on)
    assert figures.sustained_over_burst == pytest.approx(1.5)
    assert figures.time_to_throttle_s == 20.0  # 12 > 1.1 x 10 from window 20 on


def test_time_to_throttle_needs_the_median_to_stay_above() -> None:
    dip = series([10.0] * 12 + [12.0] * 5 + [10.5] + [13.0] * 10)
    assert time_to_throttle(dip, burst_median(dip)) == 18.0  # after the dip back below
    recovered = series([10.0] * 12 + [13.0] * 5 + [10.0])
    assert time_to_throttle(recovered, burst_median(recovered)) is None
    steady = series([10.0, 10.9, 10.5, 10.2])
    assert sustained_figures(steady).time_to_throttle_s is None


def test_short_series_fall_back_to_their_first_and_last_windows() -> None:
    windows = series([4.0, 6.0, 8.0], window_s=20.0)  # no window ends by 10 s
    assert burst_median(windows) == 4.0 and sustained_median(windows) == 8.0
    assert sustained_figures([]).burst_median_ms is None


# ------------------------------------------------------------------ the agent's loop

class ScriptedDevice:
    """A clock and a model whose inference takes 1 ms for the first 100 runs, then 2 ms
    (a device that throttles after a given load, not after a given time)."""

    def __init__(self, step_after: int = 100) -> None:
        self.now_ns = 0
        self.runs = 0
        self.step_after = step_after
        self.slept: list[float] = []

    def clock(self) -> int:
        return self.now_ns

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now_ns += int(round(seconds * 1e9))

    def run_once(self) -> None:
        self.runs += 1
        self.now_ns += 1_000_000 if self.runs <= self.step_after else 2_000_000


def test_the_series_has_a_window_per_boundary_and_ends_past_the_duration(tmp_path: Path) -> None:
    device = ScriptedDevice(step_after=1 + 12_000)  # warm-up run, then 12 s at 1 ms
    out = agent.measure_sustained(device.run_once, 1, duration_s=30.0, window_s=1.0,
                                  rate_hz=None, max_samples=100_000,
                                  series_path=str(tmp_path / "s.jsonl"),
                                  clock=device.clock, sleep=device.sleep)
    windows = out["windows"]
    assert out["stop_reason"] == "duration" and len(windows) == 30
    assert [w["runs"] for w in windows] == [1000] * 12 + [500] * 18  # 1 ms, then 2 ms each
    assert windows[0]["median_ms"] == 1.0 and windows[-1]["median_ms"] == 2.0
    assert out["sustained"]["total_runs"] == 21_000 == len(out["samples_ms"])
    lines = (tmp_path / "s.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == windows  # streamed as they closed
    figures = sustained_figures([WindowTime(w["start_s"], w["end_s"], w["median_ms"])
                                 for w in windows])
    assert figures.burst_median_ms == 1.0 and figures.sustained_median_ms == 2.0
    assert figures.sustained_over_burst == 2.0
    assert figures.time_to_throttle_s == 12.0  # the load-keyed step, at window 12


def test_a_stop_file_ends_the_series_with_its_reason_and_samples_are_thinned(
        tmp_path: Path) -> None:
    device = ScriptedDevice(step_after=10**9)
    stop = tmp_path / "stop"
    calls = {"n": 0}

    def run_once() -> None:
        device.run_once()
        calls["n"] += 1
        if calls["n"] == 150:  # the host saw the ceiling during window 2
            stop.write_text("temperature_ceiling\n")

    out = agent.measure_sustained(run_once, 1, duration_s=10.0, window_s=0.05, rate_hz=None,
                                  max_samples=40, stop_path=str(stop), clock=device.clock,
                                  sleep=device.sleep)
    assert out["stop_reason"] == "temperature_ceiling" and len(out["windows"]) == 3
    assert out["sustained"]["total_runs"] == 150
    assert out["sustained"]["samples_stride"] == 4 and len(out["samples_ms"]) == 38


def test_a_fixed_rate_sleeps_between_inferences_and_counts_late_ones() -> None:
    device = ScriptedDevice(step_after=1 + 50)  # 1 ms, then 2 ms: late at 400 Hz (2.5 ms)
    out = agent.measure_sustained(device.run_once, 1, duration_s=0.2, window_s=0.1,
                                  rate_hz=400.0, max_samples=10_000, clock=device.clock,
                                  sleep=device.sleep)
    assert out["sustained"]["late_runs"] == 0  # 2 ms still fits a 2.5 ms period
    # a start every 2.5 ms; a window closes at the first inference ending past its boundary
    # (the one started at 100 ms closes window 0)
    assert [w["runs"] for w in out["windows"]] == [41, 40]
    assert device.slept and all(s > 0 for s in device.slept)
    slow = ScriptedDevice(step_after=1 + 10)
    out = agent.measure_sustained(slow.run_once, 1, duration_s=0.1, window_s=0.05,
                                  rate_hz=800.0, max_samples=10_000, clock=slow.clock,
                                  sleep=slow.sleep)
    assert out["sustained"]["late_runs"] > 0  # 2 ms runs cannot start every 1.25 ms


# ------------------------------------------------------------------ the host's side

SD855_STATE = """@windows
       3
@cpufreq
/sys/devices/system/cpu/cpufreq/policy0|0 1 2 3|1785600|1785600|1209600
/sys/devices/system/cpu/cpufreq/policy7|7|2841600|2419200|2419200
@thermal
{thermal}
@battery
{battery}
"""


def test_one_state_command_reads_windows_clocks_temperatures_and_battery() -> None:
    text = SD855_STATE.format(
        thermal=(DATA / "thermal_zones_sony_msm8998.txt").read_text(),
        battery=(DATA / "dumpsys_battery_samsung_charging.txt").read_text())
    sample = parse_state(text, at_s=4.2)
    assert sample.windows_done == 3 and sample.at_s == 4.2
    assert (sample.big_cur_khz, sample.big_max_khz, sample.throttled) == (2419200, 2419200, True)
    assert sample.cpu_temp_c == 42.0  # the hottest CPU zone of the real listing
    assert (sample.battery_temp_c, sample.battery_level) == (32.6, 84)
    empty = parse_state("", at_s=1.0)
    assert empty.windows_done == 0 and empty.cpu_temp_c is None and empty.throttled is None
    command = state_command("/data/local/tmp/benchbot/s x.jsonl", with_battery=False)
    assert "'/data/local/tmp/benchbot/s x.jsonl'" in command and "dumpsys" not in command


def test_limits_stop_the_series_and_samples_join_the_window_they_follow() -> None:
    hot = DeviceSample(windows_done=2, at_s=2.0, cpu_temp_c=46.0, battery_level=50)
    assert stop_reason_for(hot, 45.0, 20) == "temperature_ceiling"
    assert stop_reason_for(hot, None, 60) == "battery_floor"
    assert stop_reason_for(hot, 47.0, 20) is None
    windows = [{"index": i, "start_s": i * 5.0, "end_s": i * 5.0 + 5.0, "runs": 10,
                "median_ms": 10.0 if i < 2 else 12.0, "p90_ms": 13.0} for i in range(4)]
    samples = [DeviceSample(windows_done=0, at_s=0.5),
               DeviceSample(windows_done=1, at_s=1.1, throttled=False, cpu_temp_c=40.0),
               DeviceSample(windows_done=1, at_s=1.9, throttled=False, cpu_temp_c=41.0),
               DeviceSample(windows_done=3, at_s=3.1, throttled=True, cpu_temp_c=44.0),
               DeviceSample(windows_done=4, at_s=4.1, throttled=True, cpu_temp_c=45.0)]
    points = attach_samples(windows, samples)
    assert [p.device.cpu_temp_c if p.device else None for p in points] == [40.0, None, 44.0, 45.0]
    doc = {"windows": windows, "timed_wall_ms": 20000.0, "stop_reason": "duration",
           "sustained": {"total_runs": 40, "late_runs": 0}}
    record = sustained_of(doc, samples, MeasureSettings(sustained_s=20.0, window_s=5.0))
    assert record.time_to_throttle_s == 10.0 and record.clock_throttle_s == 10.0
    assert record.sustained_over_burst == pytest.approx(1.2) and record.elapsed_s == 20.0


def test_sustained_settings_are_checked_with_the_fix() -> None:
    assert parse_duration("2m", "--sustained") == 120.0
    assert parse_duration("1.5h", "x") == 5400.0 and parse_duration("30", "x") == 30.0
    with pytest.raises(ConfigError, match="not a duration; give e.g. 30s"):
        parse_duration("two minutes", "--sustained")
    with pytest.raises(ConfigError, match="add --sustained DURATION"):
        MeasureSettings(rate_hz=30.0)
    with pytest.raises(ConfigError, match="one long process; drop --repeat 3"):
        MeasureSettings(sustained_s=60.0, repeat=3)
    with pytest.raises(ConfigError, match="fewer than 2 windows"):
        MeasureSettings(sustained_s=1.0, window_s=1.0)
    settings = MeasureSettings(sustained_s=60.0)
    assert settings.min_processes == 1 and not settings.adaptive
    assert settings.case_timeout_s == 60.0 * 1.5 + 120


# ------------------------------------------------------------------ the real CLI, here

@pytest.fixture(scope="module")
def sustained_results(models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
                      ) -> Path:
    """A 3 s sustained run of tiny_conv on this host, in 0.25 s windows, with --energy
    (no source is not a failure); its stderr beside it."""
    results = tmp_path_factory.mktemp("sustained") / "r"
    proc = benchbot("run", "-m", str(models["tiny_conv.onnx"]), "--sustained", "3s",
                    "--window", "0.25", "--warmup", "1", "--energy", "--results", str(results))
    assert proc.returncode == 0, proc.stderr
    (results.parent / "stderr.txt").write_text(proc.stderr)
    return results


def test_run_sustained_on_this_host_records_a_series_and_reports_it(
        sustained_results: Path) -> None:
    results = sustained_results
    case = load_run(next(results.glob("*.json"))).cases[0]
    s = case.sustained
    assert s is not None and s.stop_reason == "duration" and case.valid
    assert s.windows[-1].end_s >= 3.0 and s.elapsed_s >= 3.0
    assert [p.index for p in s.windows] == list(range(len(s.windows)))
    assert sum(p.runs for p in s.windows) == s.total_runs
    assert all(p.runs >= 1 and p.median_ms <= p.p90_ms for p in s.windows)
    assert s.burst_median_ms and s.sustained_median_ms and s.sustained_over_burst
    assert case_of_doc(case_doc(case)) == case  # the section survives its JSON
    table = benchbot("report", "-r", str(results), "--layout", "sustained")
    assert table.returncode == 0 and "| tiny_conv | " in table.stdout and "→" in table.stdout
    csv = benchbot("report", "-r", str(results), "--format", "csv").stdout
    assert "sustained_over_burst" in csv.splitlines()[0] and ",duration," in csv


def test_the_sustained_chart_loads_clean_in_a_real_browser(sustained_results: Path) -> None:
    from tests.e2e.browser.test_html_browser import CHECKER, browse, chromium

    page = sustained_results.parent / "sustained.html"
    proc = benchbot("report", "-r", str(sustained_results), "--layout", "sustained",
                    "--format", "html", "--out", str(page))
    assert proc.returncode == 0, proc.stderr
    text = page.read_text(encoding="utf-8")
    assert "Sustained on local: latency per window and temperatures" in text
    binary = chromium()
    checked = page.with_name("checked.html")
    checked.write_text(text.replace("<head>", "<head>\n" + CHECKER, 1), encoding="utf-8")
    shown = browse(binary, "--dump-dom", checked.as_uri())
    found = re.search(r'<pre id="bb-check">(.*?)</pre>', shown.stdout, re.S)
    assert shown.returncode == 0 and found, shown.stderr[-2000:]
    result = json.loads(html.unescape(found.group(1)))
    assert result["errors"] == []
    chart = next(c for c in result["charts"] if c["name"] == "sustained")
    assert chart["complete"] and chart["natural"] > 100 and chart["width"] > 200


def test_energy_here_says_there_is_no_source_unless_rapl_is_readable(
        sustained_results: Path) -> None:
    energy = load_run(next(sustained_results.glob("*.json"))).cases[0].energy
    stderr = (sustained_results.parent / "stderr.txt").read_text()
    readable = any(p.is_file() and p.stat().st_mode & 0o004 for p in
                   Path("/sys/class/powercap").glob("intel-rapl:*/energy_uj"))
    if readable:
        assert energy.source and "RAPL" in energy.source
    else:
        assert energy.source is None and energy.note.startswith("no energy source")
        assert stderr.count("energy on local: no energy source") == 1


def test_a_run_records_memory_figures_and_the_layout_shows_their_scopes(
        sustained_results: Path) -> None:
    case = load_run(next(sustained_results.glob("*.json"))).cases[0]
    names = {m.name for m in case.runs[0].memory}
    assert {"peak_rss", "pss", "private_dirty", "load_delta"} <= names
    text = memory_table([Entry("r", case)])
    assert "| tiny_conv |" in text and MEMORY_SCOPES["pss"] in text
    report = benchbot("report", "-r", str(sustained_results), "--layout", "memory")
    assert report.returncode == 0 and "Private dirty" in report.stdout
    csv = benchbot("report", "-r", str(sustained_results), "--format", "csv").stdout
    assert "pss_mb" in csv.splitlines()[0].split(",")
    page = benchbot("report", "-r", str(sustained_results), "--layout", "memory", "--format",
                    "html")
    assert page.returncode == 2 and "markdown table" in page.stderr


def test_sustained_is_refused_for_a_native_tool_and_its_options_need_it(
        models: dict[str, Path], tmp_path: Path) -> None:
    native = benchbot("run", "-m", str(models["tiny_fc.tflite"]), "--sustained", "1m",
                      "--runner", "tflite_benchmark_model", "--dry-run")
    assert native.returncode == 2 and "Traceback" not in native.stderr
    assert "--sustained needs benchbot's agent" in native.stderr
    for option in (["--rate", "30"], ["--energy"]):
        alone = benchbot("run", "-m", str(models["tiny_conv.onnx"]), *option, "--dry-run")
        assert alone.returncode == 2 and "add --sustained DURATION" in alone.stderr
    plan = benchbot("run", "-m", str(models["tiny_conv.onnx"]), "--sustained", "2m",
                    "--rate", "30", "--dry-run")
    assert plan.returncode == 0 and "120s in 1s windows at 30 Hz" in plan.stdout


def test_a_sweep_file_gives_sustained_as_a_duration(tmp_path: Path) -> None:
    from benchbot.runs.session import settings_of
    from benchbot.sweep.config import spec_from_mapping

    spec = spec_from_mapping({"measure": {"sustained": "90s", "window": 0.5, "rate": 30.0,
                                          "max_temp": 45.0}}, tmp_path / "sweep.toml")
    settings = settings_of(spec.measure)
    assert (settings.sustained_s, settings.window_s, settings.rate_hz, settings.max_temp_c) == (
        90.0, 0.5, 30.0, 45.0)
    with pytest.raises(ConfigError, match="measure.sustained'.*not a duration"):
        spec_from_mapping({"measure": {"sustained": "soon"}}, tmp_path / "sweep.toml")


@pytest.mark.ssh
def test_run_sustained_over_ssh_reads_the_server_beside_the_series(
        server, models: dict[str, Path], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Over SSH the agent and the host's reads of the server share one connection."""
    from tests.e2e.ssh.test_cli_ssh import remote_dirs_holding
    from tests.support.sshd import DEVICE, cli_env, write_profile

    home = tmp_path / "home"
    home.mkdir()
    model = tmp_path / f"tiny-{tmp_path.name}.onnx"
    model.write_bytes(models["tiny_conv.onnx"].read_bytes())
    proc = benchbot("run", "--device", DEVICE, "--profiles",
                    str(write_profile(tmp_path / "profiles", server)), "--results",
                    str(tmp_path / "r"), "-m", str(model), "--sustained", "2s", "--window",
                    "0.25", "--warmup", "1", "--energy", env=cli_env(home))
    assert proc.returncode == 0, proc.stderr
    case = load_run(next((tmp_path / "r").glob("*.json"))).cases[0]
    s = case.sustained
    assert s is not None and s.stop_reason == "duration" and s.windows[-1].end_s >= 2.0
    assert any(p.device is not None for p in s.windows)
    assert case.energy is not None and (case.energy.source or case.energy.note)
    assert remote_dirs_holding(model.name) == []  # series and stop files went with it
