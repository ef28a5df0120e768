"""Device profiles: the schema, its one-line errors, and where profiles are found.

Pure tests: every profile is a TOML file written under ``tmp_path``; the only
file read from the repository is the built-in ``device_profiles/local.toml``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import textwrap
from pathlib import Path

import pytest

import benchbot
import benchbot.profiles
import benchbot.profiles.catalog
from benchbot.errors import ProfileError, UserError
from benchbot.profiles import (
    DEFAULT_ADB_SERVER,
    PROFILE_SCHEMA,
    AdbSettings,
    CpuSettings,
    Profile,
    RunnerSettings,
    SshSettings,
    ThermalSettings,
    builtin_profiles_dir,
    get_profile,
    list_profiles,
    load_profile_file,
    profile_dirs,
)
from benchbot.profiles.keytypes import Section


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(tmp_path: Path, text: str, name: str = "dev") -> Profile:
    return load_profile_file(write(tmp_path, name, text))


def load_error(tmp_path: Path, text: str, name: str = "dev") -> str:
    """The error for a bad profile, checked to be one line naming the file; file prefix removed."""
    path = write(tmp_path, name, text)
    with pytest.raises(ProfileError) as info:
        load_profile_file(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: "), message
    return message[len(f"{path}: "):]


# --- the built-in profile -------------------------------------------------------


def test_builtin_dir_holds_local() -> None:
    assert (builtin_profiles_dir() / "local.toml").is_file()


def test_builtin_dir_prefers_the_copy_inside_a_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "site" / "benchbot"
    package.mkdir(parents=True)
    monkeypatch.setattr(benchbot.profiles.catalog, "PACKAGE_DIR", package)
    # A source checkout: the folder next to the package.
    assert builtin_profiles_dir() == tmp_path / "site" / "device_profiles"
    # A wheel: hatch force-includes device_profiles/ as benchbot/_device_profiles.
    (package / "_device_profiles").mkdir()
    assert builtin_profiles_dir() == package / "_device_profiles"


def test_local_profile_loads() -> None:
    profile = load_profile_file(builtin_profiles_dir() / "local.toml")
    assert profile.name == "local"
    assert profile.transport == "local"
    assert profile.description == "This host: models run in a benchbot agent process on this machine"
    assert profile.runner == RunnerSettings(kind="agent")
    assert profile.adb is None and profile.ssh is None and profile.thermal is None
    assert dict(profile.cpu.masks) == {}
    assert profile.cpu.mask_for(1) is None


def test_local_is_found_by_name() -> None:
    profile = get_profile("local", profile_dirs(env={}))
    assert profile.source == builtin_profiles_dir() / "local.toml"


# --- complete profiles ------------------------------------------------------------

ADB_FULL = """\
    name = "pixel7"
    description = "Pixel 7, Tensor G2"
    transport = "adb"

    [adb]
    serial = "28151FDH2000AB"
    server = "[::1]:5038"

    [match]
    "ro.board.platform" = "gs201"
    "ro.product.model" = ["Pixel 7", "Pixel 7 Pro"]

    [cpu]
    cores = 8
    clusters = [[0, 1, 2, 3], [4, 5], [6, 7]]
    max_freq_khz = [1803000, 2348000, 2850000]
    masks = { 1 = "0x80", 2 = "C0", 4 = "f0" }

    [runner]
    kind = "tflite_benchmark_model"
    binary = "~/tools/benchmark_model"
    workdir = "/data/local/tmp/benchbot"

    [thermal]
    zones = ["big-thermal", "mid-thermal"]
    max_temp_c = 45
    cooldown_s = 2.5
"""


def test_full_adb_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    profile = load(tmp_path, ADB_FULL, name="pixel7")
    assert profile.adb == AdbSettings(serial="28151FDH2000AB", server="[::1]:5038")
    assert (profile.adb.server_host, profile.adb.server_port) == ("::1", 5038)
    assert profile.ssh is None
    assert dict(profile.match) == {
        "ro.board.platform": ("gs201",),
        "ro.product.model": ("Pixel 7", "Pixel 7 Pro"),
    }
    assert profile.cpu.cores == 8
    assert profile.cpu.clusters == ((0, 1, 2, 3), (4, 5), (6, 7))
    assert profile.cpu.max_freq_khz == (1803000, 2348000, 2850000)
    assert dict(profile.cpu.masks) == {1: "80", 2: "c0", 4: "f0"}
    assert profile.runner == RunnerSettings(
        kind="tflite_benchmark_model",
        binary=tmp_path / "home" / "tools" / "benchmark_model",
        workdir="/data/local/tmp/benchbot",
    )
    assert profile.thermal == ThermalSettings(zones=("big-thermal", "mid-thermal"), max_temp_c=45.0, cooldown_s=2.5)
    assert isinstance(profile.thermal.max_temp_c, float)


def test_adb_defaults_without_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANDROID_ADB_SERVER_ADDRESS", "ANDROID_ADB_SERVER_PORT"):
        monkeypatch.delenv(name, raising=False)
    profile = load(tmp_path, 'name = "dev"\ntransport = "adb"\n')
    assert profile.adb == AdbSettings(serial=None, server=None)  # the environment's, when chosen
    assert profile.adb.chosen_server() == DEFAULT_ADB_SERVER
    assert (profile.adb.server_host, profile.adb.server_port) == ("127.0.0.1", 5037)
    assert profile.description == ""
    assert profile.runner.kind == "agent"
    assert profile.cpu == CpuSettings()


def test_ssh_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    profile = load(tmp_path, """\
        name = "jetson"
        transport = "ssh"
        [ssh]
        host = "jetson.lab"
        user = "bench"
        key_file = "~/.ssh/id_ed25519"
        known_hosts = "~/.ssh/known_hosts"
        [runner]
        kind = "trtexec"
        python = "/usr/bin/python3"
    """, name="jetson")
    assert profile.ssh == SshSettings(
        host="jetson.lab",
        port=22,
        user="bench",
        key_file=tmp_path / "home" / ".ssh" / "id_ed25519",
        known_hosts=tmp_path / "home" / ".ssh" / "known_hosts",
    )
    assert profile.adb is None
    assert profile.runner.python == "/usr/bin/python3"


def test_profiles_are_frozen(tmp_path: Path) -> None:
    profile = load(tmp_path, ADB_FULL, name="pixel7")
    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        profile.cpu.masks[8] = "ff"  # type: ignore[index]
    with pytest.raises(TypeError):
        profile.match["x"] = ("y",)  # type: ignore[index]


# --- wrong types: every key of the schema -------------------------------------------

# (dotted key assigned, TOML value, key the message names, what it must be, what it got)
WRONG_TYPES = [
    ("name", "1", "name", "a non-empty string", "an integer"),
    ("description", "true", "description", "a string", "a boolean"),
    ("label", "7", "label", "a non-empty string", "an integer"),
    ("transport", '["adb"]', "transport", 'one of "adb", "local", "ssh"', "an array"),
    ("adb", '"usb"', "adb", "a table", "a string"),
    ("adb.serial", "5", "adb.serial", "a non-empty string", "an integer"),
    ("adb.server", "5037", "adb.server", '"host:port" string', "an integer"),
    ("adb.stop_charging", '"yes"', "adb.stop_charging", "true or false", "a string"),
    ("ssh", "[]", "ssh", "a table", "an empty array"),
    ("ssh.host", '["a"]', "ssh.host", "a non-empty string", "an array"),
    ("ssh.port", '"22"', "ssh.port", "an integer", "a string"),
    ("ssh.port", "true", "ssh.port", "an integer", "a boolean"),
    ("ssh.port", "22.0", "ssh.port", "an integer", "a float"),
    ("ssh.user", "1", "ssh.user", "a non-empty string", "an integer"),
    ("ssh.key_file", "{ a = 1 }", "ssh.key_file", "a non-empty string", "a table"),
    ("ssh.known_hosts", "false", "ssh.known_hosts", "a non-empty string", "a boolean"),
    ("match", '"gs201"', "match", "a table", "a string"),
    ('match."ro.board.platform"', "1", 'match."ro.board.platform"', "a non-empty string or", "an integer"),
    ("cpu", "8", "cpu", "a table", "an integer"),
    ("cpu.cores", '"8"', "cpu.cores", "an integer", "a string"),
    ("cpu.cores", "true", "cpu.cores", "an integer", "a boolean"),
    ("cpu.clusters", "[0, 1]", "cpu.clusters[0]", "a non-empty array of integers", "an integer"),
    ("cpu.clusters", '[[0, 1], [2, "3"]]', "cpu.clusters[1][1]", "an integer", "a string"),
    ("cpu.max_freq_khz", "1800000", "cpu.max_freq_khz", "a non-empty array of integers", "an integer"),
    ("cpu.max_freq_khz", "[1.5]", "cpu.max_freq_khz[0]", "an integer", "a float"),
    ("cpu.masks", '"f0"', "cpu.masks", "a table", "a string"),
    ("cpu.masks", "{ 4 = 0xf0 }", "cpu.masks.4", 'a hex CPU mask string such as "f0"', "an integer"),
    ("runner", "true", "runner", "a table", "a boolean"),
    ("runner.kind", "1", "runner.kind", "a non-empty string", "an integer"),
    ("runner.python", "3.11", "runner.python", "a non-empty string", "a float"),
    ("runner.binary", '""', "runner.binary", "a non-empty string", "an empty string"),
    ("runner.workdir", "[]", "runner.workdir", "a non-empty string", "an empty array"),
    ("thermal", '"on"', "thermal", "a table", "a string"),
    ("thermal.zones", '"cpu0"', "thermal.zones", "an array of strings", "a string"),
    ("thermal.zones", "[1]", "thermal.zones[0]", "a non-empty string", "an integer"),
    ("thermal.max_temp_c", '"80"', "thermal.max_temp_c", "a number", "a string"),
    ("thermal.max_temp_c", "true", "thermal.max_temp_c", "a number", "a boolean"),
    ("thermal.cooldown_s", "1979-05-27", "thermal.cooldown_s", "a number", "a date"),
]


def document(assign: str, value: str) -> str:
    """A valid profile for the section of ``assign``, with ``assign = value`` replacing its key."""
    section = assign.split(".")[0]
    lines = {"name": '"dev"', "transport": '"ssh"' if section == "ssh" else '"adb"'}
    if section == "ssh" and assign != "ssh":
        lines["ssh.host"] = '"h"'
    lines[assign] = value
    return "".join(f"{key} = {val}\n" for key, val in lines.items())


@pytest.mark.parametrize(("assign", "value", "key", "expected", "got"), WRONG_TYPES)
def test_wrong_type_names_file_and_key(
    tmp_path: Path, assign: str, value: str, key: str, expected: str, got: str
) -> None:
    message = load_error(tmp_path, document(assign, value))
    assert message.startswith(f"'{key}' must be "), message
    assert expected in message
    assert message.endswith(f", got {got}"), message


def test_every_schema_key_has_a_wrong_type_case() -> None:
    keys = set()
    for name, field in PROFILE_SCHEMA.fields.items():
        keys.add(name)
        if isinstance(field.type, Section):
            keys.update(f"{name}.{sub}" for sub in field.type.fields)
    assert keys == {assign for assign, *_ in WRONG_TYPES if not assign.startswith("match.")}


def test_schema_keys_are_the_dataclass_fields() -> None:
    # The schema builds each settings class from its keys, so they must agree.
    for section, cls in [("adb", AdbSettings), ("ssh", SshSettings), ("cpu", CpuSettings),
                         ("runner", RunnerSettings), ("thermal", ThermalSettings)]:
        section_type = PROFILE_SCHEMA.fields[section].type
        assert isinstance(section_type, Section)
        assert set(section_type.fields) == {f.name for f in dataclasses.fields(cls)}, section


# --- unknown keys at every level -----------------------------------------------------

KNOWN = {
    "": "adb, cpu, description, label, match, name, runner, ssh, thermal, transport",
    "adb": "serial, server, stop_charging",
    "ssh": "host, key_file, known_hosts, port, user",
    "cpu": "clusters, cores, masks, max_freq_khz",
    "runner": "binary, kind, python, workdir",
    "thermal": "cooldown_s, max_temp_c, zones",
}


@pytest.mark.parametrize("section", sorted(KNOWN))
def test_unknown_key_names_file_and_dotted_key(tmp_path: Path, section: str) -> None:
    transport = "ssh" if section == "ssh" else "adb"
    body = f'name = "dev"\ntransport = "{transport}"\n'
    if section == "ssh":
        body += '[ssh]\nhost = "h"\n'
    elif section:
        body += f"[{section}]\n"
    body += "bogus = 1\n"
    key = f"{section}.bogus" if section else "bogus"
    assert load_error(tmp_path, body) == f"unknown key '{key}' (known: {KNOWN[section]})"


def test_unknown_section(tmp_path: Path) -> None:
    message = load_error(tmp_path, 'name = "dev"\ntransport = "local"\n[network]\nwifi = false\n')
    assert message == f"unknown key 'network' (known: {KNOWN['']})"


def test_unknown_key_suggests_a_close_one(tmp_path: Path) -> None:
    message = load_error(tmp_path, 'name = "dev"\ntransport = "local"\n[cpu]\ncore = 4\n')
    assert message == f"unknown key 'cpu.core' (known: {KNOWN['cpu']}); did you mean 'cores'?"


def test_relative_path_is_named_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = tmp_path / "device_profiles"
    directory.mkdir()
    write(directory, "x", 'name = "x"\ntransport = "local"\n[cpu]\nfoo = 1\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProfileError) as info:
        load_profile_file(Path("device_profiles/x.toml"))
    assert str(info.value) == (
        "device_profiles/x.toml: unknown key 'cpu.foo' (known: clusters, cores, masks, max_freq_khz)"
    )


# --- required keys and cross-checks --------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('transport = "local"\n', "missing required key 'name' (expected a non-empty string)"),
        ('name = "dev"\n', "missing required key 'transport' (expected one of \"adb\", \"local\", \"ssh\")"),
        ('name = "dev"\ntransport = "usb"\n', "'transport' must be one of \"adb\", \"local\", \"ssh\", got \"usb\""),
        ('name = "dev"\ntransport = "ssh"\n', "missing required key 'ssh.host' (needed when transport = \"ssh\")"),
        ('name = "dev"\ntransport = "ssh"\n[ssh]\nport = 2222\n',
         "missing required key 'ssh.host' (expected a non-empty string)"),
        ('name = "dev"\ntransport = "ssh"\n[ssh]\nhost = "h"\nport = 0\n',
         "'ssh.port' must be between 1 and 65535, got 0"),
        ('name = "dev"\ntransport = "ssh"\n[ssh]\nhost = "h"\nport = 65536\n',
         "'ssh.port' must be between 1 and 65535, got 65536"),
        ('name = "dev"\ntransport = "ssh"\n[ssh]\nhost = "h"\n[adb]\nserial = "x"\n',
         "'adb' is set but 'transport' is \"ssh\"; remove [adb] or set transport = \"adb\""),
        ('name = "dev"\ntransport = "local"\n[ssh]\nhost = "h"\n',
         "'ssh' is set but 'transport' is \"local\"; remove [ssh] or set transport = \"ssh\""),
        ('name = "other"\ntransport = "local"\n',
         "'name' is \"other\" but the file is dev.toml; rename the file or set name = \"dev\""),
        ('name = "dev"\ntransport = "local"\n[thermal]\nmax_temp_c = 0\n',
         "'thermal.max_temp_c' must be greater than 0, got 0"),
        ('name = "dev"\ntransport = "local"\n[thermal]\nmax_temp_c = nan\n',
         "'thermal.max_temp_c' must be a finite number, got nan"),
        ('name = "dev"\ntransport = "local"\n[thermal]\ncooldown_s = -0.5\n',
         "'thermal.cooldown_s' must be at least 0, got -0.5"),
        ('name = "dev"\ntransport = "local"\n[cpu]\ncores = 0\n', "'cpu.cores' must be at least 1, got 0"),
        ('name = "dev"\ntransport = "local"\n[cpu]\nclusters = [[0, 1], []]\n',
         "'cpu.clusters[1]' must be a non-empty array of integers, got an empty array"),
        ('name = "dev"\ntransport = "local"\n[cpu]\nclusters = [[0, 1], [1, 2]]\n',
         "'cpu.clusters' lists core 1 more than once"),
        ('name = "dev"\ntransport = "local"\n[cpu]\ncores = 4\nclusters = [[0, 1], [2, 3, 4]]\n',
         "'cpu.clusters' names core 4, but 'cpu.cores' is 4 (ids 0 to 3)"),
        ('name = "dev"\ntransport = "local"\n[cpu]\nclusters = [[0, 1], [2, 3]]\nmax_freq_khz = [1800000]\n',
         "'cpu.max_freq_khz' has 1 entries but 'cpu.clusters' has 2; give one frequency per cluster"),
        ('name = "dev"\ntransport = "local"\n[match]\n"ro.board.platform" = []\n',
         "'match.\"ro.board.platform\"' must be a non-empty string or a non-empty array of strings, "
         "got an empty array"),
        ('name = "dev"\ntransport = "local"\n[match]\n"ro.product.model" = ["Pixel 7", 7]\n',
         "'match.\"ro.product.model\"[1]' must be a non-empty string, got an integer"),
    ],
)
def test_invalid_values(tmp_path: Path, body: str, expected: str) -> None:
    assert load_error(tmp_path, body) == expected


@pytest.mark.parametrize(
    ("server", "host", "port"),
    [("127.0.0.1:5037", "127.0.0.1", 5037), ("adb-host.lab:1", "adb-host.lab", 1), ("[::1]:65535", "::1", 65535)],
)
def test_adb_server_accepted(tmp_path: Path, server: str, host: str, port: int) -> None:
    adb = load(tmp_path, f'name = "dev"\ntransport = "adb"\n[adb]\nserver = "{server}"\n').adb
    assert adb is not None
    assert (adb.server, adb.server_host, adb.server_port) == (server, host, port)


@pytest.mark.parametrize("server", ["localhost", "localhost:", ":5037", "host:port", "::1:5037", "h:-1"])
def test_adb_server_malformed(tmp_path: Path, server: str) -> None:
    message = load_error(tmp_path, f'name = "dev"\ntransport = "adb"\n[adb]\nserver = "{server}"\n')
    assert message == f"'adb.server' must be a \"host:port\" string such as \"127.0.0.1:5037\", got \"{server}\""


@pytest.mark.parametrize("port", ["0", "65536"])
def test_adb_server_port_out_of_range(tmp_path: Path, port: str) -> None:
    message = load_error(tmp_path, f'name = "dev"\ntransport = "adb"\n[adb]\nserver = "h:{port}"\n')
    assert message == f"'adb.server' has port {port}; a port must be between 1 and 65535"


# --- CPU masks ------------------------------------------------------------------------


def cpu_profile(tmp_path: Path, cpu: str) -> Profile:
    return load(tmp_path, f'name = "dev"\ntransport = "local"\n[cpu]\n{cpu}\n')


def test_masks_are_normalised_and_looked_up_exactly(tmp_path: Path) -> None:
    cpu = cpu_profile(tmp_path, 'cores = 8\nmasks = { 1 = "0x80", 4 = "F0", 8 = "0ff" }').cpu
    assert dict(cpu.masks) == {1: "80", 4: "f0", 8: "ff"}
    assert cpu.mask_for(1) == "80"
    assert cpu.mask_for(4) == "f0"
    assert cpu.mask_for(2) is None  # no nearest-match guessing
    assert cpu.mask_for(16) is None


def test_a_mask_may_set_more_bits_than_threads(tmp_path: Path) -> None:
    assert cpu_profile(tmp_path, 'masks = { 2 = "f0" }').cpu.mask_for(2) == "f0"


@pytest.mark.parametrize(
    ("cpu", "expected"),
    [
        ('masks = { 4 = "30" }', "'cpu.masks.4' is \"30\", which selects 2 CPU(s), fewer than its 4 threads"),
        ('masks = { 1 = "0" }', "'cpu.masks.1' selects no CPU; set at least one bit"),
        ('masks = { 1 = "g0" }', "'cpu.masks.1' must be a hex CPU mask string such as \"f0\", got \"g0\""),
        ('masks = { 1 = "0x" }', "'cpu.masks.1' must be a hex CPU mask string such as \"f0\", got \"0x\""),
        ('masks = { 1 = "" }', "'cpu.masks.1' must be a hex CPU mask string such as \"f0\", got an empty string"),
        ('masks = { 0 = "1" }', "'cpu.masks' keys must be thread counts (positive integers such as 4), got \"0\""),
        ('masks = { 01 = "1" }', "'cpu.masks' keys must be thread counts (positive integers such as 4), got \"01\""),
        ('masks = { big = "f0" }',
         "'cpu.masks' keys must be thread counts (positive integers such as 4), got \"big\""),
        ('cores = 4\nmasks = { 1 = "10" }',
         "'cpu.masks.1' is \"10\", which selects CPU 4, but 'cpu.cores' is 4 (ids 0 to 3)"),
    ],
)
def test_mask_validation(tmp_path: Path, cpu: str, expected: str) -> None:
    assert load_error(tmp_path, f'name = "dev"\ntransport = "local"\n[cpu]\n{cpu}\n') == expected


# --- TOML and file errors ------------------------------------------------------------


def test_toml_syntax_error_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, 'name = "dev"\ntransport = "local"\n[cpu\ncores = 4\n')
    assert message.startswith("invalid TOML: ")
    assert "line 3" in message


def test_duplicate_key_is_a_toml_error(tmp_path: Path) -> None:
    message = load_error(tmp_path, 'name = "dev"\nname = "dev"\ntransport = "local"\n')
    assert message.startswith("invalid TOML: ") and "line 2" in message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(ProfileError, match=r"absent\.toml: cannot read profile: No such file"):
        load_profile_file(path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "dev.toml"
    path.write_bytes(b'name = "d\xffv"\n')
    with pytest.raises(ProfileError, match=r"dev\.toml: not UTF-8 text"):
        load_profile_file(path)


def test_profile_error_is_a_user_error() -> None:
    # The CLI turns UserError into "one line, exit 2"; profiles rely on that.
    assert issubclass(ProfileError, UserError)


# --- with_runner and to_dict -------------------------------------------------------------


def test_with_runner_returns_a_changed_copy(tmp_path: Path) -> None:
    profile = load(tmp_path, ADB_FULL, name="pixel7")
    switched = profile.with_runner("agent")
    assert switched.runner.kind == "agent"
    assert switched.runner.workdir == profile.runner.workdir
    assert profile.runner.kind == "tflite_benchmark_model"
    assert dataclasses.replace(switched, runner=profile.runner) == profile


def test_unknown_runner_kinds_are_refused_where_profiles_are_used(tmp_path: Path) -> None:
    """The kinds are the runners' registry's (a layer above profiles), read by profiles_of."""
    from benchbot.runs.session import profiles_of
    from benchbot.runners.native import runner_kinds

    folder = make_dir(tmp_path, "d", {"ok": "fine"})
    (folder / "dev.toml").write_text('name = "dev"\ntransport = "local"\n[runner]\n'
                                     'kind = "tflite"\n')
    known = ", ".join(runner_kinds())
    with pytest.raises(ProfileError) as info:
        profiles_of(["dev"], [folder], None)
    assert str(info.value) == (f"{folder / 'dev.toml'}: 'runner.kind' must be one of "
                               f"{known}, got 'tflite'")
    with pytest.raises(UserError, match=f"--runner: 'benchmark_model' is not one of {known}"):
        profiles_of(["ok"], [folder], "benchmark_model")
    assert [p.runner.kind for p in profiles_of(["dev"], [folder], "agent")] == ["agent"]
    profile, = profiles_of(["ok"], [folder], None)
    assert [profile.with_runner(k).runner.kind for k in runner_kinds()] == list(runner_kinds())


def test_to_dict_is_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/u")
    profile = load(tmp_path, ADB_FULL, name="pixel7")
    data = json.loads(json.dumps(profile.to_dict()))
    assert data["name"] == "pixel7"
    assert data["source"] == str(tmp_path / "pixel7.toml")
    assert data["adb"] == {"serial": "28151FDH2000AB", "server": "[::1]:5038", "stop_charging": False}
    assert data["ssh"] is None
    assert data["match"]["ro.product.model"] == ["Pixel 7", "Pixel 7 Pro"]
    assert data["cpu"]["clusters"] == [[0, 1, 2, 3], [4, 5], [6, 7]]
    assert data["cpu"]["masks"] == {"1": "80", "2": "c0", "4": "f0"}
    assert data["runner"]["binary"] == "/home/u/tools/benchmark_model"
    assert data["thermal"] == {"zones": ["big-thermal", "mid-thermal"], "max_temp_c": 45.0, "cooldown_s": 2.5}


# --- finding profiles --------------------------------------------------------------------


def make_dir(tmp_path: Path, name: str, profiles: dict[str, str]) -> Path:
    directory = tmp_path / name
    directory.mkdir()
    for stem, description in profiles.items():
        write(directory, stem, f'name = "{stem}"\ndescription = "{description}"\ntransport = "local"\n')
    return directory


def test_profile_dirs_order(tmp_path: Path) -> None:
    env_a = make_dir(tmp_path, "a", {})
    env_b = make_dir(tmp_path, "b", {})
    extra = make_dir(tmp_path, "c", {})
    env = {"BENCHBOT_PROFILES": os.pathsep.join([str(env_a), "", str(env_b)])}
    assert profile_dirs([extra], env=env) == [builtin_profiles_dir(), env_a, env_b, extra]
    assert profile_dirs(env={}) == [builtin_profiles_dir()]


def test_profile_dirs_reads_os_environ_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_dir = make_dir(tmp_path, "env", {})
    monkeypatch.setenv("BENCHBOT_PROFILES", str(env_dir))
    assert profile_dirs() == [builtin_profiles_dir(), env_dir]


def test_a_repeated_dir_keeps_its_last_position(tmp_path: Path) -> None:
    a = make_dir(tmp_path, "a", {})
    b = make_dir(tmp_path, "b", {})
    env = {"BENCHBOT_PROFILES": os.pathsep.join([str(a), str(b)])}
    assert profile_dirs([a], env=env) == [builtin_profiles_dir(), b, a]


def test_missing_env_dir_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ProfileError) as info:
        profile_dirs(env={"BENCHBOT_PROFILES": str(missing)})
    assert str(info.value) == f"BENCHBOT_PROFILES entry '{missing}' does not exist; create it or fix the path"


def test_missing_extra_dir_is_named(tmp_path: Path) -> None:
    not_a_dir = write(tmp_path, "file", "")
    with pytest.raises(ProfileError) as info:
        profile_dirs([not_a_dir], env={})
    assert str(info.value) == f"--profiles folder '{not_a_dir}' is not a directory; create it or fix the path"


def test_env_and_explicit_dirs_override_builtin(tmp_path: Path) -> None:
    env_dir = make_dir(tmp_path, "env", {"local": "from env", "lab": "lab box"})
    extra = make_dir(tmp_path, "extra", {"lab": "from --profiles"})
    env = {"BENCHBOT_PROFILES": str(env_dir)}

    only_env = profile_dirs(env=env)
    assert get_profile("local", only_env).description == "from env"
    assert get_profile("local", only_env).source == env_dir / "local.toml"

    both = profile_dirs([extra], env=env)
    by_name = {p.name: p for p in list_profiles(both)}
    assert by_name["local"].description == "from env"
    assert by_name["lab"].description == "from --profiles"
    assert get_profile("lab", both).source == extra / "lab.toml"


def test_list_profiles_is_sorted_and_unique(tmp_path: Path) -> None:
    first = make_dir(tmp_path, "first", {"zeta": "z", "alpha": "a1"})
    second = make_dir(tmp_path, "second", {"alpha": "a2", "mid": "m"})
    profiles = list_profiles([first, second])
    assert [(p.name, p.description) for p in profiles] == [("alpha", "a2"), ("mid", "m"), ("zeta", "z")]


def test_list_profiles_names_a_malformed_file(tmp_path: Path) -> None:
    directory = make_dir(tmp_path, "d", {"good": "fine"})
    bad = write(directory, "bad", 'name = "bad"\ntransport = "local"\ncolour = "red"\n')
    with pytest.raises(ProfileError) as info:
        list_profiles([directory])
    assert str(info.value).startswith(f"{bad}: unknown key 'colour'")
    # Asking for one device reads only its file.
    assert get_profile("good", [directory]).description == "fine"


def test_unknown_device_lists_known_ones(tmp_path: Path) -> None:
    directory = make_dir(tmp_path, "d", {"pixel7": "p", "jetson": "j"})
    with pytest.raises(ProfileError) as info:
        get_profile("pixel8", [directory])
    assert str(info.value) == (
        "unknown device 'pixel8' (known: jetson, pixel7); add a profile with --profiles DIR or BENCHBOT_PROFILES"
    )


def test_unknown_device_with_builtin_lists_local(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"unknown device 'nope' \(known: [^)]*\blocal\b"):
        get_profile("nope", profile_dirs(env={}))


def test_get_profile_does_not_follow_paths(tmp_path: Path) -> None:
    directory = make_dir(tmp_path, "d", {"dev": "x"})
    make_dir(tmp_path, "d/sub", {"inner": "y"})
    with pytest.raises(ProfileError, match="unknown device 'sub/inner'"):
        get_profile("sub/inner", [directory])


def test_public_api() -> None:
    assert set(benchbot.profiles.__all__) == {
        "DEFAULT_ADB_SERVER", "ENV_VAR", "PROFILE_SCHEMA", "TRANSPORTS", "TRANSPORT_KINDS",
        "TransportKind", "TransportName",
        "AdbSettings", "CpuSettings", "Profile", "RunnerSettings", "SshSettings", "ThermalSettings",
        "builtin_profiles_dir", "default_adb_server", "get_profile", "list_profiles", "load_profile_file", "profile_dirs",
        "profile_from_toml",
    }
    assert all(hasattr(benchbot.profiles, name) for name in benchbot.profiles.__all__)
