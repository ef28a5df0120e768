"""Android facts from real phones' output: getprop dumps, /proc/cpuinfo, thermal zones, battery."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchbot.devices.android import (cpuinfo_hardware, matches, parse_battery, parse_cpufreq,
                                      parse_getprop, parse_thermal, soc_of)
from tests.support.shared import reference

SHARED = reference("tool_outputs", "adb_shell")
DATA = Path(__file__).resolve().parents[1] / "data" / "android"


def shared(name: str) -> str:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"reference output not available: {path}")
    return path.read_text(errors="replace")


@pytest.mark.parametrize("name,model,platform,soc,release", [
    ("getprop_full_oneplus7_sd855_android9.txt", "GM1903", "msmnile", "msmnile", "9"),
    ("getprop_full_oneplus7pro_sd855_android12_socmodel.txt", "GM1913", "msmnile", "SM8150",
     "12"),
    ("getprop_full_honor_view10_kirin970_android8.txt", "BKL-L09", "kirin970", "kirin970",
     "8.0.0"),
])
def test_real_getprop_dumps(name: str, model: str, platform: str, soc: str, release: str) -> None:
    props = parse_getprop(shared(name))
    assert props["ro.product.model"] == model
    assert props["ro.board.platform"] == platform
    assert props["ro.build.version.release"] == release
    assert props["ro.product.cpu.abi"] == "arm64-v8a"
    assert soc_of(props) == soc  # ro.soc.model only from Android 12
    assert len(props) > 300


def test_the_repositorys_own_getprop_dump() -> None:
    """The emulated phones' dump (tests/data, source beside it): it never skips."""
    props = parse_getprop((DATA / "getprop_oneplus7pro_sd855_android10.txt").read_text())
    assert (props["ro.product.model"], props["ro.board.platform"], soc_of(props),
            props["ro.build.version.release"], props["ro.product.cpu.abi"]) == (
        "GM1913", "msmnile", "msmnile", "10", "arm64-v8a")
    assert props["persist.sys.boot.reason.history"] == (
        "recovery,1592343716\nreboot,userrequested,1592343641\nreboot,userrequested,1591589390")
    assert props["persist.logd.size"] == "" and len(props) == 885


def test_getprop_multiline_values_and_junk() -> None:
    text = ("garbage line\n[a]: [one]\n[b]: [two\nlines]\n[empty]: []\n"
            "[c]: [x]y]\n")
    assert parse_getprop(text) == {"a": "one", "b": "two\nlines", "empty": "", "c": "x]y"}


def test_getprop_crlf_and_unclosed_values() -> None:
    text = "[a]: [one]\r\n[b]: [never closed\r\n[c]: [three]\r\n"
    assert parse_getprop(text) == {"a": "one", "b": "never closed", "c": "three"}


def test_honor_spoofed_cpu_frequency_is_just_a_string() -> None:
    props = parse_getprop(shared("getprop_full_honor_view10_kirin970_android8.txt"))
    assert "1.8 GHz" in props["ro.build.hide.settings"]  # never used as a frequency


@pytest.mark.parametrize("name,hardware", [
    ("proc_cpuinfo_huawei_p30_kirin980.txt", "vendor Kirin980"),
    ("proc_cpuinfo_realme_x3_sd855plus.txt", "Qualcomm Technologies, Inc SM8150_Plus"),
])
def test_soc_falls_back_to_cpuinfo_hardware(name: str, hardware: str) -> None:
    cpuinfo = shared(name)
    assert cpuinfo_hardware(cpuinfo) == hardware
    assert soc_of({}, cpuinfo) == hardware


def test_cpufreq_policies_little_to_big() -> None:
    text = ("/sys/devices/system/cpu/cpufreq/policy7|7|2841600|2419200|300000\n"
            "/sys/devices/system/cpu/cpufreq/policy0|0 1 2 3|1785600|1785600|576000\n"
            "/sys/devices/system/cpu/cpufreq/policy4|4 5 6|2419200|2419200|710400\n"
            "cat: /sys/x: No such file or directory\n")
    little, mid, prime = parse_cpufreq(text)
    assert (little.cpus, little.max_khz, little.throttled) == ((0, 1, 2, 3), 1785600, False)
    assert (mid.cpus, mid.max_khz) == ((4, 5, 6), 2419200)
    assert prime.cpus == (7,) and prime.throttled  # capped at 2419200 of 2841600


def test_thermal_zones_keep_cpu_sensors_and_drop_sentinels() -> None:
    temps = parse_thermal((DATA / "thermal_zones_sony_msm8998.txt").read_text())
    assert temps == {"tsens_tz_sensor0": 38.0, "tsens_tz_sensor1": 41.0,
                     "tsens_tz_sensor2": 40.0, "tsens_tz_sensor4": 42.0}


def test_thermal_without_cpu_zone_types_keeps_plausible_temperatures() -> None:
    assert parse_thermal("thermal_zone0|acpitz|27800\nthermal_zone1|x86_pkg_temp|45000\n"
                         "thermal_zone2|battery|30000\n") == {"acpitz": 27.8,
                                                             "x86_pkg_temp": 45.0}


def test_real_dumpsys_battery() -> None:
    battery = parse_battery((DATA / "dumpsys_battery_samsung_charging.txt").read_text())
    assert battery is not None
    assert (battery.level, battery.charging, battery.powered_by) == (84, True, ("USB",))
    assert parse_battery("") is None
    assert parse_battery("/system/bin/sh: dumpsys: not found") is None


def test_profile_matching() -> None:
    props = {"ro.board.platform": "msmnile", "ro.soc.model": "SM8150"}
    assert matches({"ro.board.platform": ("msmnile",)}, props)
    assert matches({"ro.board.platform": ("msm8998", "MSMNILE")}, props)
    assert not matches({"ro.board.platform": ("sdm845",)}, props)
    assert not matches({"ro.board.platform": ("msmnile",), "ro.soc.model": ("SM8250",)}, props)
    assert not matches({}, props)
