"""Energy per inference: the readers of each source on captured outputs (with their source
beside them), the units and signs vendors use, the statistics, and what a case records
where the device cannot tell."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchbot.devices.power import (parse_battery_power, parse_power_draw, parse_rapl,
                                    rapl_packages)
from benchbot.devices.sampler import parse_state, power_of, state_command
from benchbot.runners.energy import CHARGING_NOTE, energy_of, source_of
from benchbot.stats.energy import (amperes, battery_watts, charge_counter_watts,
                                   counter_powers, energy_per_inference, volts)
from benchbot.store import DeviceSample

DATA = Path(__file__).resolve().parents[1] / "data"
# the field list of the captured RTX 2080 query (see its .src.txt)
RTX2080_FIELDS = tuple((
    "power.limit,power.min_limit,power.max_limit,memory.total,vbios_version,driver_version,"
    "name,gpu_uuid,power.draw,temperature.gpu,temperature.memory,clocks.current.graphics,"
    "clocks.sm,clocks.mem,utilization.gpu,utilization.memory,fan.speed,"
    "pcie.link.width.current,pstate").split(","))


def test_rapl_on_a_real_desktop_whose_counter_is_root_only() -> None:
    zones = parse_rapl((DATA / "rapl" / "grep_intel_rapl0_permission_denied_ubuntuforums.txt")
                       .read_text())
    (package,) = zones
    assert (package.zone, package.name, package.max_range_uj) == (
        "intel-rapl:0", "package-0", 262143328850)
    assert package.energy_uj is None and package.error == "Permission denied"
    energy, _, why = rapl_packages(zones)
    assert energy is None and "intel-rapl:0/energy_uj is not readable (Permission denied" in why
    assert rapl_packages(parse_rapl("grep: /sys/class/powercap/intel-rapl:*/name: No such "
                                    "file or directory\n"))[2].startswith("no RAPL package")


def test_a_rapl_counter_becomes_watts_and_its_wrap_is_undone() -> None:
    reads = [(0.0, 262_143_000_000), (1.0, 1_328_850), (2.0, 6_328_850)]  # wrapped once
    assert counter_powers(reads, 262143328850) == pytest.approx([1.6577, 5.0])  # 328 850 + 1 328 850 µJ
    assert counter_powers(reads, None) == pytest.approx([5.0])  # a wrap without its range


def test_nvidia_smi_power_draw_on_a_real_query_line() -> None:
    line = (DATA / "nvidia_smi" / "query_rtx2080_nounits_gpu_utils83.csv").read_text()
    assert parse_power_draw(line, RTX2080_FIELDS) == 176.98
    assert parse_power_draw("[N/A]\n") is None and parse_power_draw("35.12\n41.50\n") == 76.62


def test_battery_units_and_signs_are_normalised_and_kept_raw() -> None:
    # the kernel's ABI: µA and µV; discharge negative on some vendors, positive on others
    assert battery_watts(-650_000, 3_850_000) == pytest.approx(2.5025)
    assert battery_watts(650_000, 3_850_000) == pytest.approx(2.5025)
    # Samsung's dumpsys prints mA and mV (tests/data/android: "current now: 321", "voltage: 4063")
    assert amperes(321) == 0.321 and volts(4063) == 4.063
    assert battery_watts(None, 3_850_000) is None
    reading = parse_battery_power("current_now|-650000\nvoltage_now|3850000\n"
                                  "charge_counter|2999600\nstatus|Discharging\n")
    assert (reading.current_raw, reading.charging, reading.watts) == (-650000, False,
                                                                      pytest.approx(2.5025))
    assert parse_battery_power("current_now|\nstatus|Charging\n").charging is True


def test_the_difference_of_means_and_its_welch_interval() -> None:
    figures = energy_per_inference([1.0, 1.2, 0.8], [3.0, 3.2, 2.8], loop_s=10.0, runs=1000)
    assert figures.mj_per_inference == pytest.approx(20.0)  # 2 W x 10 s / 1000 x 1000
    # equal variances: Welch's df = 4, t(0.975, 4) = 2.7764; se = sqrt(0.04/3 + 0.04/3)
    half = 2.7764 * (0.08 / 3) ** 0.5 * 10.0  # W -> mJ per inference: x 10 s / 1000 x 1000
    assert figures.ci95_low_mj == pytest.approx(20.0 - half, rel=1e-4)
    assert figures.ci95_high_mj == pytest.approx(20.0 + half, rel=1e-4)
    wider = energy_per_inference([1.0, 1.2, 0.8], [3.0, 3.4, 2.6], loop_s=10.0, runs=1000)
    assert wider.ci95_high_mj - 20.0 > half  # more spread and fewer degrees of freedom
    single = energy_per_inference([1.0], [3.0], 10.0, 1000)
    assert single.mj_per_inference == pytest.approx(20.0) and single.ci95_low_mj is None
    assert energy_per_inference([], [3.0], 10.0, 1000) is None
    assert charge_counter_watts([(0.0, 3000, 3.85), (10.0, 2900, 3.85)]) == pytest.approx(0.1386)
    assert charge_counter_watts([(0.0, 3000, 3.85), (10.0, 3000, 3.85)]) is None


def _sample(at: float, **values: object) -> DeviceSample:
    return DeviceSample(windows_done=1, at_s=at, **values)  # type: ignore[arg-type]


def test_the_source_matches_the_hardware_the_case_ran_on() -> None:
    gpu_and_cpu = [_sample(0.0, power_w=60.0, energy_uj=1_000_000),
                   _sample(1.0, power_w=61.0, energy_uj=9_000_000)]
    assert source_of(gpu_and_cpu, "cuda") == "gpu" and source_of(gpu_and_cpu, "cpu") == "rapl"
    assert source_of([_sample(0.0, power_w=60.0)], "cpu") is None  # the GPU is not the CPU
    charging = [_sample(0.0, power_w=2.0, current_raw=-500_000, charging=True)]
    energy = energy_of(charging, charging, 3.0, 100, "cpu", None)
    assert energy.mj_per_inference is None and energy.note == CHARGING_NOTE
    none = energy_of([], [], 3.0, 100, "cpu", "no RAPL package zone under /sys/class/powercap")
    assert none.source is None and none.note.startswith("no energy source: no RAPL package")


def test_the_state_command_reads_power_where_asked() -> None:
    assert "@bpower" in state_command(None, with_battery=True, with_power=True)
    host = state_command(None, with_battery=False, with_power=True)
    assert "@rapl" in host and "@gpupower" in host and "@bpower" not in host
    text = ("@rapl\n" + (DATA / "rapl" / "grep_intel_rapl0_permission_denied_ubuntuforums.txt")
            .read_text() + "@gpupower\n")
    sample, why = power_of(parse_state(text, 1.0), text)
    assert sample.energy_uj is None and sample.power_w is None
    assert "not readable (Permission denied" in why and "no nvidia-smi power.draw" in why
