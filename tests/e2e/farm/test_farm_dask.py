"""The farm on Dask distributed, end to end: a real scheduler on 127.0.0.1, and real
`benchbot farm worker` processes that offer emulated phones behind real adb servers.

Farm hosts, each with its own private adb server:

* host A: a OnePlus 7 Pro (SD855)                      -> device:sd855: 1
* host B: another OnePlus 7 Pro, an Honor View 10 (Kirin 970) -> device:sd855: 1, device:kirin970: 1
* host C: no phone, the host itself (--local)          -> device:local: 1

The SD855 phones answer getprop from a real property dump (tests/data/android), the
Kirin 970 from one built on the kirin970 profile's [match]; the agent runs on this host's
Python, so every case is really measured through adb. Killing a worker is a real
SIGKILL of its process.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import adbutils
import pytest

try:
    import distributed
except ImportError:  # the farm fixture skips, which BENCHBOT_REQUIRE_TIERS=1 turns into a failure
    distributed = None

from benchbot.runs import session  # noqa: E402
from benchbot.devices import DeviceOptions  # noqa: E402
from benchbot.errors import DeviceUnavailable  # noqa: E402
from benchbot.farm.dask_client import measure_on_farm  # noqa: E402
from benchbot.farm.dask_status import farm_status  # noqa: E402
from benchbot.profiles import profile_dirs  # noqa: E402
from benchbot.store import CaseResult, load_run, record_doc  # noqa: E402
from benchbot.sweep import Case, Plan, SweepSpec  # noqa: E402
from benchbot.transports.adb_server import kill_server, start_server  # noqa: E402
from tests.support.adb_emulator import EmulatedPhone, profile_getprop_dump  # noqa: E402
from tests.support.adb_fixtures import (SD855_DUMP, agent_phone_profile,  # noqa: E402
                                        private_adb_env, start_phone)
from tests.conftest import REPO  # noqa: E402

pytestmark = [pytest.mark.farm, pytest.mark.adb]
# the Honor View 10's identity, on the properties that the kirin970 profile's [match] picks
KIRIN970_PROPS = {"ro.product.model": "BKL-L09", "ro.product.manufacturer": "HUAWEI",
                  "ro.product.brand": "HONOR", "ro.product.device": "HWBKL",
                  "ro.hardware": "kirin970", "ro.build.version.release": "8.0.0",
                  "ro.build.version.sdk": "26"}
BATTERY = Path(__file__).resolve().parents[2] / "data" / "android" / "dumpsys_battery_samsung_charging.txt"
# `benchbot farm ...` whether or not benchbot.cli.main registers the farm commands yet
RUNNER = ("import sys\nfrom benchbot.cli import farm, main\n"
          "if not any(g.name == 'farm' for g in main.app.registered_groups):\n"
          "    main.app.add_typer(farm.app, name='farm')\n"
          "sys.exit(main.main())\n")
FAST = {"warmup": 1, "min_runs": 3, "min_time": 0.3, "max_time": 2, "case_timeout": 30}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def farm_cli(*args: str, env: dict[str, str] | None = None, prelude: str = "",
             timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", prelude + RUNNER, "farm", *args],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})})


@pytest.fixture(scope="module")
def adb_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Each farm host's own private adb server (real adb, free port, own HOME): 'host:port'."""
    try:
        adbutils.adb_path()
    except adbutils.AdbError as exc:
        pytest.skip(f"adbutils ships no adb for this platform: {exc}")
    started: list[tuple[int, dict[str, str]]] = []
    try:
        for host in ("host-a", "host-b"):
            env = private_adb_env(tmp_path_factory.mktemp(f"adb-home-{host}"))
            port = _free_port()
            start_server(port, env=env, timeout=30)
            started.append((port, env))
        yield {host: f"127.0.0.1:{port}" for host, (port, _) in zip(("host-a", "host-b"), started)}
    finally:
        for port, env in started:
            kill_server(port, env=env, timeout=10)


@pytest.fixture(scope="module")
def farm_profiles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sd855, sd845 (no worker offers it) and kirin970 as built in, with the agent on this
    host's Python, no cool-down and a 1-thread mask that fits this host."""
    folder = tmp_path_factory.mktemp("farm-profiles")
    for name in ("sd855", "sd845", "kirin970"):
        (folder / f"{name}.toml").write_text(agent_phone_profile(name))
    return folder


def _phone(root: Path, server: str, dump: Path) -> EmulatedPhone:
    battery = root.parent / f"{root.name}-battery.txt"
    battery.write_text(BATTERY.read_text())
    return start_phone(root, server, getprop_dump=dump,
                       tools={"dumpsys": f"#!/bin/sh\ncat {shlex.quote(str(battery))}\n"})


class Farm:
    """A scheduler in this process and `benchbot farm worker` processes, one per host."""

    def __init__(self, root: Path, profiles: Path, hosts: dict[str, list[str]]) -> None:
        self.root, self.profiles, self.hosts = root, profiles, hosts
        self.cluster = distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp://",
                                                host="127.0.0.1",
                                                scheduler_port=0, dashboard_address=None)
        self.address = self.cluster.scheduler_address
        self.env = {**os.environ, "BENCHBOT_LEASE_DIR": str(root / "leases"), "NO_COLOR": "1"}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> None:
        log = (self.root / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-c", RUNNER, "farm", "worker", "--scheduler", self.address,
             "--profiles", str(self.profiles), "--name", name,
             "--cache", str(self.root / f"cache-{name}"), *self.hosts[name]],
            stdout=log, stderr=log, cwd=REPO, env=self.env)
        log.close()

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text()

    def wait_for(self, names: set[str], timeout: float = 60) -> None:
        with distributed.Client(self.address, timeout=10, set_as_default=False) as client:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                joined = {str(w["name"]) for w in
                          client.scheduler_info(n_workers=-1)["workers"].values()}
                if names <= joined:
                    return
                dead = [n for n in names if self.procs[n].poll() is not None]
                assert not dead, f"worker {dead[0]} exited:\n{self.log(dead[0])}"
                time.sleep(0.2)
        raise AssertionError(f"workers {names} did not join in {timeout}s")

    def ensure(self, *names: str) -> None:
        """These workers running (started again if a test killed them)."""
        gone = {n for n in names if n not in self.procs or self.procs[n].poll() is not None}
        for name in gone:
            self.start(name)
        self.wait_for(set(names))

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(timeout=10)

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self.cluster.close(timeout=10)


@pytest.fixture(scope="module")
def farm(adb_servers: dict[str, str], farm_profiles: Path,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Farm, dict[str, str]]]:
    """The farm, and the phones' serials: a (host A's SD855), b (host B's), kirin (host B's)."""
    if distributed is None:
        pytest.skip("the farm tier needs distributed: pip install -e '.[test]'")
    root = tmp_path_factory.mktemp("farm")
    kirin970_dump = profile_getprop_dump(REPO / "device_profiles" / "kirin970.toml",
                                         root / "kirin970-getprop.txt", KIRIN970_PROPS)
    a, b = adb_servers["host-a"], adb_servers["host-b"]
    phones = {"a": _phone(root / "phone-a", a, SD855_DUMP),
              "b": _phone(root / "phone-b", b, SD855_DUMP),
              "kirin": _phone(root / "phone-kirin", b, kirin970_dump)}
    farm = Farm(root, farm_profiles, {
        "host-a": ["--adb-server", a],
        "host-b": ["--adb-server", b],
        # the host only: its adb port is closed, so it offers device:local alone
        "host-c": ["--adb-server", f"127.0.0.1:{_free_port()}", "--local"]})
    try:
        farm.ensure("host-a", "host-b")
        yield farm, {k: p.address for k, p in phones.items()}
    finally:
        farm.close()
        for phone in phones.values():
            phone.stop()


class Recorded:
    """A Progress that remembers what it was told."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.finished: list[CaseResult] = []
        self.notes: list[str] = []

    def case_started(self, index: int, case: Case) -> None:
        self.started.append(index)

    def case_finished(self, index: int, result: CaseResult) -> None:
        self.finished.append(result)

    def note(self, message: str) -> None:
        self.notes.append(message)


class KillMidCase(Recorded):
    """Kills a worker once the first result is in and that worker is measuring a case."""

    def __init__(self, farm: Farm, name: str, restart: bool = False) -> None:
        super().__init__()
        self.farm, self.name, self.restart = farm, name, restart
        self.lock = threading.Lock()
        self.running: dict[int, str] = {}  # case index -> the worker measuring it
        self.killed: dict[int, str] = {}  # what the worker was measuring when killed

    def case_started(self, index: int, case: Case) -> None:
        super().case_started(index, case)
        self.last = index

    def note(self, message: str) -> None:  # "<case>: measuring on <worker>/<serial>"
        super().note(message)
        if ": measuring on " in message:
            with self.lock:
                self.running[self.last] = message.rpartition(" on ")[2].partition("/")[0]
                self._maybe_kill()

    def case_finished(self, index: int, result: CaseResult) -> None:
        super().case_finished(index, result)
        with self.lock:
            self.running.pop(index, None)
            self._maybe_kill()

    def _maybe_kill(self) -> None:
        victims = {i: w for i, w in self.running.items() if w == self.name}
        if self.finished and victims and not self.killed:
            self.farm.kill(self.name)
            self.killed = victims
            if self.restart:
                self.farm.start(self.name)  # joins again in a few seconds


def plan_for(devices: tuple[str, ...], profiles: Path, model: Path, batches: tuple[int, ...],
             precisions: tuple[str, ...] = ("fp32",)) -> tuple[Plan, list[Any]]:
    """The plan as `benchbot run` makes it: cases, then the files each measures."""
    spec = SweepSpec(devices=devices, models=(str(model),), threads=(1,), batch=batches,
                     precision=precisions, backend=None, measure=FAST)
    found = session.profiles_of(devices, profile_dirs(extra=[profiles]), None)
    plan = session.plan_of(spec, found, model.parent)
    return session.prepare(plan, found, "static", profiles.parent / "variants",
                           lambda _: None), found


def test_a_worker_offers_its_phones_and_status_shows_them(farm: tuple[Farm, dict[str, str]]
                                                          ) -> None:
    f, serials = farm
    f.ensure("host-a", "host-b")
    assert f"device:sd855: 1 ({serials['a']})" in f.log("host-a")
    assert f"device:kirin970: 1 ({serials['kirin']})" in f.log("host-b")
    proc = farm_cli("status", "--scheduler", f.address, "--json")
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    workers = {w["name"]: w for w in status["workers"]}
    assert {"host-a", "host-b"} <= set(workers)
    assert workers["host-a"]["devices"] == {"sd855": 1}
    assert workers["host-b"]["devices"] == {"sd855": 1, "kirin970": 1}
    assert workers["host-b"]["phones"] == {"sd855": [serials["b"]],
                                           "kirin970": [serials["kirin"]]}
    assert status["devices"]["sd855"] == {"units": 2, "busy": 0, "free": 2}
    assert status["queued"] == 0
    table = farm_cli("status", "--scheduler", f.address).stdout
    assert "sd855 2 free of 2" in table and "kirin970 1 free of 1" in table
    assert f"| host-b | {workers['host-b']['address']} | kirin970 | {serials['kirin']} | free |" \
        in table


def test_a_device_no_worker_offers_is_one_line_error(farm: tuple[Farm, dict[str, str]],
                                                    farm_profiles: Path,
                                                    models: dict[str, Path],
                                                    tmp_path: Path) -> None:
    f, _ = farm
    f.ensure("host-a", "host-b")
    plan, found = plan_for(("sd855", "sd845"), farm_profiles, models["tiny_conv.onnx"], (1,))
    with pytest.raises(DeviceUnavailable) as info:
        measure_on_farm(f.address, plan, found, DeviceOptions(), tmp_path / "r", Recorded(),
                        lambda _: None)
    message = str(info.value)
    assert "\n" not in message and "offers device:sd845" in message
    assert "device:sd855 (2 on 2 workers)" in message and "device:kirin970 (1 on 1 worker)" \
        in message
    assert not (tmp_path / "r").exists()  # refused before anything ran
    proc = farm_cli("status", "--scheduler", f"tcp://127.0.0.1:{_free_port()}",
                    "--timeout", "2")
    assert proc.returncode == 3 and "cannot reach the Dask scheduler" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_sweep_survives_a_worker_killed_mid_sweep(farm: tuple[Farm, dict[str, str]],
                                                    farm_profiles: Path,
                                                    models: dict[str, Path],
                                                    tmp_path: Path) -> None:
    f, serials = farm
    f.ensure("host-a", "host-b")
    model = models["tiny_conv.onnx"]
    plan, found = plan_for(("sd855", "kirin970"), farm_profiles, model, (1, 2, 3, 4))
    results = tmp_path / "r"
    progress = KillMidCase(f, "host-a")
    snapshots: list[dict[str, Any]] = []
    ended = threading.Event()

    def watch() -> None:  # what `farm status` says while the sweep runs
        while not ended.wait(0.3):
            try:
                snapshots.append(farm_status(f.address, timeout=5))
            except Exception:  # a worker dying under the question
                continue

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        record = measure_on_farm(f.address, plan, found, DeviceOptions(), results, progress,
                                 lambda _: None)
    finally:
        ended.set()
        watcher.join(timeout=30)
        f.ensure("host-a", "host-b")  # for the tests that follow
    assert progress.killed, "host-a measured nothing after the first result: nothing to kill"
    busy = [s for s in snapshots if s["running"] and s["queued"]]
    assert busy, snapshots
    assert any(s["devices"]["sd855"]["busy"] >= 1 and record.run_id in s["runs"]
               for s in snapshots)
    files = list(results.glob("*.json"))
    assert len(files) == 1  # one results file, on the submitting host
    saved = load_run(files[0])
    assert record_doc(saved) == json.loads(json.dumps(record_doc(record)))
    assert saved.status == "complete" and len(saved.cases) == len(plan) == 8
    assert all(c.status == "ok" for c in saved.cases), [c.error for c in saved.cases]
    first = progress.finished[0]
    kept = {c.id: c for c in saved.cases}  # the record keeps the plan's order
    assert kept[first.id].status == "ok"  # the first result, kept
    assert all(c.model == str(model) for c in saved.cases)  # not the worker's cached copy
    by_phone: dict[str, list[tuple[str, str]]] = {}
    for case in saved.cases:
        by_phone.setdefault(case.farm.serial, []).append(
            (case.started_at, case.ended_at))
    for spans in by_phone.values():  # a phone measures one case at a time
        spans.sort()
        assert all(a1 <= b0 for (_, a1), (b0, _) in zip(spans, spans[1:]))
    # the case host A was measuring when it died was measured again on host B's SD855
    for index in progress.killed:
        case = next(c for c in saved.cases if c.id == plan.cases[index].id)
        assert case.farm.worker == "host-b"
        assert case.farm.serial == serials["b"]
    assert {c.farm.serial for c in saved.cases if c.device == "kirin970"} == {
        serials["kirin"]}
    devices = saved.devices
    assert devices["kirin970"].soc == "kirin970" and devices["kirin970"].label == "Kirin 970"
    assert serials["b"] in devices["sd855"].farm_phones
    assert sorted(set(progress.started)) == list(range(len(plan)))  # the workers told us


def test_cases_left_without_any_worker_fail_with_the_reason(farm: tuple[Farm, dict[str, str]],
                                                            models: dict[str, Path],
                                                            tmp_path: Path) -> None:
    f, _ = farm
    f.ensure("host-c")
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    plan, found = plan_for(("local",), profiles, models["tiny_matmul.onnx"], (1, 2, 3, 4))
    progress = KillMidCase(f, "host-c")
    record = measure_on_farm(f.address, plan, found, DeviceOptions(), tmp_path / "r", progress,
                             lambda _: None, lost_grace_s=1.0)
    saved = load_run(next((tmp_path / "r").glob("*.json")))
    assert saved.status == record.status == "complete" and len(saved.cases) == 4
    assert progress.killed
    ok = [c for c in saved.cases if c.status == "ok"]
    lost = [c for c in saved.cases if c.status == "failed"]
    assert ok and ok[0].id == progress.finished[0].id  # measured before the kill: kept
    assert {plan.cases[i].id for i in progress.killed} <= {c.id for c in lost}
    assert lost and all("worker lost: no worker of the farm offers device:local" in (c.error or "")
                        for c in lost)


def test_the_farm_is_an_optional_extra() -> None:
    proc = subprocess.run([sys.executable, "-c",
                           "import sys, benchbot.cli.farm, benchbot.farm.dask_client, "
                           "benchbot.farm.dask_protocol, benchbot.farm.dask_sweep, "
                           "benchbot.farm.dask_status\n"
                           "assert 'distributed' not in sys.modules and 'dask' not in "
                           "sys.modules, 'imported at import time'"],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    hidden = "import sys\nsys.modules['distributed'] = None\n"
    for args in (("status", "--scheduler", "tcp://127.0.0.1:1"),
                 ("worker", "--scheduler", "tcp://127.0.0.1:1", "--local")):
        proc = farm_cli(*args, prelude=hidden)
        assert proc.returncode == 2, proc.stderr
        assert "pip install benchbot[farm]" in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_cases_wait_for_a_worker_that_comes_back(farm: tuple[Farm, dict[str, str]],
                                                 models: dict[str, Path],
                                                 tmp_path: Path) -> None:
    """The only worker with the device dies, with the only copies of the model; it comes
    back within the grace period: the cases are submitted again, the model sent again."""
    f, _ = farm
    f.ensure("host-c")
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    model = models["tiny_conv_fixed.onnx"]  # a fixed batch: batch 2 and 3 are derived files
    plan, found = plan_for(("local",), profiles, model, (1, 2, 3))
    progress = KillMidCase(f, "host-c", restart=True)
    record = measure_on_farm(f.address, plan, found, DeviceOptions(), tmp_path / "r", progress,
                             lambda _: None, lost_grace_s=60.0)
    assert progress.killed
    assert record.status == "complete" and len(record.cases) == 3
    assert all(c.status == "ok" for c in record.cases), [c.error for c in record.cases]
    for case in record.cases:  # each measured its own file, recorded by its path here
        planned = next(c for c in plan.cases if c.id == case.id)
        assert case.model == str(model)
        if case.batch > 1:
            assert case.variant.path == str(planned.variant.path)
            assert case.variant.derivation["steps"] == [{"batch": case.batch}]
    before = progress.finished[0].farm.address
    for index in progress.killed:  # measured by the worker that came back
        case = next(c for c in record.cases if c.id == plan.cases[index].id)
        assert case.farm.address != before


def test_a_variant_that_cannot_be_made_fails_here(farm: tuple[Farm, dict[str, str]],
                                                  farm_profiles: Path, models: dict[str, Path],
                                                  tmp_path: Path) -> None:
    """A TFLite model travels too; its missing fp16 file fails that case, on this host."""
    f, serials = farm
    f.ensure("host-a", "host-b")
    plan, found = plan_for(("kirin970",), farm_profiles, models["tiny_fc.tflite"], (1,),
                           ("fp32", "fp16"))
    record = measure_on_farm(f.address, plan, found, DeviceOptions(), tmp_path / "r",
                             Recorded(), lambda _: None)
    by_precision = {c.precision: c for c in record.cases}
    assert by_precision["fp32"].status == "ok"
    assert by_precision["fp32"].farm.serial == serials["kirin"]
    assert by_precision["fp16"].status == "failed" and by_precision["fp16"].error == \
        next(c for c in plan.cases if c.precision == "fp16").variant_error
    assert by_precision["fp16"].farm is None  # never sent to a worker


def test_a_model_of_two_files_travels_whole(farm: tuple[Farm, dict[str, str]],
                                            tmp_path: Path) -> None:
    """An OpenVINO IR (.xml and its .bin) reaches the worker as both files, side by side,
    checked against the one sha256 over both, and is measured there."""
    from tests.support.openvino_ir import zoo_ir

    f, _ = farm
    f.ensure("host-c")
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    _, xml = zoo_ir(tmp_path, resolution=32)
    plan, found = plan_for(("local",), profiles, xml, (1,))
    record = measure_on_farm(f.address, plan, found, DeviceOptions(), tmp_path / "r",
                             Recorded(), lambda _: None)
    [case] = record.cases
    assert case.status == "ok", case.error
    assert case.runtime == "openvino" and case.farm is not None
    staged = f.root / f"cache-{case.farm.worker}" / plan.cases[0].model.sha256
    assert sorted(p.name for p in staged.iterdir()) == sorted([xml.name, xml.with_suffix(".bin").name])
