"""adb conventions as units: ANDROID_ADB_SERVER_ADDRESS / _PORT choose the default server when
neither --adb-server nor a profile's [adb] server names one, read when it is chosen.
(End to end, with the real adb server on another port: tests/test_cli_adb.py.)"""

from __future__ import annotations

import pytest

from benchbot.errors import ConfigError
from benchbot.profiles import AdbSettings, default_adb_server


@pytest.mark.parametrize("env,server", [
    ({}, "127.0.0.1:5037"),
    ({"ANDROID_ADB_SERVER_PORT": "5038"}, "127.0.0.1:5038"),
    ({"ANDROID_ADB_SERVER_ADDRESS": "farm-7", "ANDROID_ADB_SERVER_PORT": " 6000 "}, "farm-7:6000"),
    ({"ANDROID_ADB_SERVER_ADDRESS": "::1"}, "[::1]:5037"),
    ({"ANDROID_ADB_SERVER_ADDRESS": "", "ANDROID_ADB_SERVER_PORT": ""}, "127.0.0.1:5037"),
])
def test_the_environment_chooses_the_default_server(env: dict[str, str], server: str) -> None:
    assert default_adb_server(env) == server


@pytest.mark.parametrize("env,named", [
    ({"ANDROID_ADB_SERVER_PORT": "port"}, "ANDROID_ADB_SERVER_PORT='port'"),
    ({"ANDROID_ADB_SERVER_PORT": "70000"}, "ANDROID_ADB_SERVER_PORT='70000'"),
    ({"ANDROID_ADB_SERVER_PORT": "0"}, "ANDROID_ADB_SERVER_PORT='0'"),
    ({"ANDROID_ADB_SERVER_ADDRESS": "a b"}, "ANDROID_ADB_SERVER_ADDRESS='a b'"),
])
def test_a_malformed_environment_is_one_line_naming_the_variable(env: dict[str, str],
                                                                 named: str) -> None:
    with pytest.raises(ConfigError, match="fix it or unset it") as refused:
        default_adb_server(env)
    assert named in str(refused.value) and "\n" not in str(refused.value)


def test_a_profile_without_a_server_reads_the_environment_when_chosen(
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = AdbSettings()
    assert settings.server is None
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", "5099")  # after the profile was made
    assert (settings.chosen_server(), settings.server_port) == ("127.0.0.1:5099", 5099)
    own = AdbSettings(server="10.0.0.2:5037")  # a profile's own server wins
    assert (own.chosen_server(), own.server_host) == ("10.0.0.2:5037", "10.0.0.2")
