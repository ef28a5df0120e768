"""A farm host: a Dask worker that offers its phones as worker resources and measures
the cases the scheduler sends it.

Every attached phone that matches a known adb profile is one unit of the resource
``device:<profile>`` (two SD855 phones: ``device:sd855: 2``), and ``--local`` adds
``device:local: 1`` for the host itself. The scheduler never runs more cases of a
profile at once on a worker than the worker has units, so a free phone is always
there for a case; :class:`PhoneRack` picks it, and the case still runs under the
exclusive device lease (:mod:`benchbot.runs.lease`), so a phone reached by two
workers, or by a plain ``benchbot run`` on the same host, is never measured twice
at once.

A task gets the model's bytes as a Dask dependency (scattered once per worker by
the client), stores them once per content under the cache folder and measures
that file; the path on the client host means nothing here. Opened devices are
kept per run (facts read, agent pushed once per run and phone) and closed when a
new run takes the phone or the worker stops, which removes what was pushed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import os
import secrets
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from distributed import Worker, WorkerPlugin, get_worker

from benchbot.devices import Device, DeviceOptions, open_device
from benchbot.devices.android import matches, soc_of
from benchbot.errors import (BenchbotError, CaseError, DeviceUnavailable, TransportError,
                             UserError)
from benchbot.runs.executor import Retry, measure_repeats
from benchbot.farm.dask_protocol import PLUGIN_NAME, case_of_job, profile_of_doc, resource_of
from benchbot.profiles import Profile
from benchbot.profiles.transport_kinds import transport_kind
from benchbot.runners.base import case_result, failure_of
from benchbot.store import CaseResult, FarmPlacement, case_doc, utc_now
from benchbot.store.codec import device_doc, facts_of_device, settings_of_doc, version_of
from benchbot.sweep import Case, Plan

LOCAL = "local"  # the serial-like name of the host itself, offered with --local


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "benchbot" / "farm"


@dataclass(frozen=True)
class Offer:
    """What a farm host offers: profile name -> its phones' serials ('local' for the host)."""

    phones: Mapping[str, tuple[str, ...]]
    adb_server: str
    ignored: tuple[str, ...] = ()  # attached phones that match no profile, described

    @property
    def resources(self) -> dict[str, float]:
        return {resource_of(name): float(len(serials)) for name, serials in self.phones.items()}

    def describe(self) -> list[str]:
        lines = [f"{resource_of(name)}: {len(serials)} ({', '.join(serials)})"
                 for name, serials in sorted(self.phones.items())]
        return lines + [f"not offered: {what} matches no adb profile" for what in self.ignored]


def discover(adb_server: str, profiles: Sequence[Profile], local: bool,
             say: Callable[[str], None]) -> Offer:
    """The phones attached to the adb server, each under every adb profile it matches."""
    from benchbot.devices.phones import attached  # adbutils only when a worker starts

    try:
        phones = attached(adb_server)
    except TransportError as exc:
        if not local:
            raise UserError(f"cannot list the phones: {exc}; or point --adb-server at this "
                            "host's adb server, or pass --local to offer the host alone") from None
        say(f"warning: no phones offered, the adb server at {adb_server} is unreachable ({exc})")
        phones = []
    known = [p for p in profiles if transport_kind(p.transport).phones]
    offered: dict[str, list[str]] = {}
    ignored = []
    for serial, props in phones:
        names = [p.name for p in known if matches(p.match, props)]
        for name in names:
            offered.setdefault(name, []).append(serial)
        if not names:
            ignored.append(f"{serial} ({props.get('ro.product.model', '?')}, "
                           f"{soc_of(props) or '?'})")
    if local:
        offered[LOCAL] = [LOCAL]
    if not offered:
        raise UserError(f"nothing to offer: no phone attached to the adb server at {adb_server} "
                        "matches a known adb profile; attach one, add its profile with "
                        "--profiles DIR, or pass --local to offer this host")
    return Offer(phones={n: tuple(s) for n, s in offered.items()}, adb_server=adb_server,
                 ignored=tuple(ignored))


class PhoneRack(WorkerPlugin):
    """The worker's phones: which are busy, their opened devices, the staged model files."""

    name = PLUGIN_NAME

    def __init__(self, offer: Offer, cache_dir: Path, say: Callable[[str], None]) -> None:
        self.offer = offer
        self.cache_dir = cache_dir
        self.say = say
        self._free = threading.Condition()
        self._busy: dict[str, str] = {}  # serial -> label of the case measuring on it
        self._opened: dict[str, tuple[object, Device]] = {}  # serial -> (open key, device)
        self._speakers: dict[str, Callable[[str], None]] = {}  # serial -> current case's note

    def teardown(self, worker: Worker) -> None:
        for serial in list(self._opened):
            self.drop(serial)

    @contextmanager
    def holding(self, device: str, label: str, timeout: float) -> Iterator[str]:
        """A phone of profile ``device`` that no other task of this worker measures on."""
        serials = self.offer.phones.get(device, ())
        if not serials:
            raise CaseError(f"this worker offers no '{device}' device")
        deadline = time.monotonic() + timeout
        with self._free:
            while True:
                free = [s for s in serials if s not in self._busy]
                if free:
                    break
                if not self._free.wait(timeout=max(0.0, deadline - time.monotonic())):
                    raise CaseError(f"no '{device}' phone of this worker got free in {timeout:g}s")
            serial = free[0]
            self._busy[serial] = label
        try:
            yield serial
        finally:
            with self._free:
                del self._busy[serial]
                self._free.notify_all()

    def device(self, serial: str, key: object, opener: Callable[[Callable[[str], None]], Device]
               ) -> Device:
        """The phone opened for ``key`` (a run and its profile), reusing the last one."""
        kept = self._opened.get(serial)
        if kept is not None and kept[0] == key:
            return kept[1]
        self.drop(serial)
        device = opener(lambda message: self._speakers.get(serial, self.say)(message))
        self._opened[serial] = (key, device)
        return device

    def drop(self, serial: str) -> None:
        """Close the phone's device (removing what was pushed); the next case opens it again."""
        kept = self._opened.pop(serial, None)
        if kept is not None:
            try:
                kept[1].close()
            except BenchbotError as exc:
                self.say(f"{serial}: clean-up failed: {exc}")

    def stage(self, data: tuple[bytes, ...], sha256: str, names: Sequence[str],
              executable: bool = False) -> tuple[Path, ...]:
        """The files with these contents (one model's: its sha256 is over all of them, in
        order) side by side in the cache, written (and checked) once."""
        # file names, never paths out of the cache, nor two files of one name
        names = [Path(n).name or f"file{i}" for i, n in enumerate(names)]
        if len(names) != len(data) or len(set(names)) != len(names):
            raise CaseError(f"{', '.join(names)}: the job names {len(names)} file(s) for "
                            f"{len(data)} sent; run the case again")
        paths = tuple(self.cache_dir / sha256 / n for n in names)
        if all(p.is_file() and p.stat().st_size == len(d) for p, d in zip(paths, data)):
            return paths
        digest = hashlib.sha256()
        for part in data:
            digest.update(part)
        if digest.hexdigest() != sha256:
            raise CaseError(f"{names[0]} arrived damaged (sha256 differs); run the case again")
        paths[0].parent.mkdir(parents=True, exist_ok=True)
        for path, part in zip(paths, data):
            tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
            tmp.write_bytes(part)
            tmp.chmod(0o755 if executable else 0o644)
            os.replace(tmp, path)
        return paths

    def report(self) -> dict[str, Any]:
        """For `farm status`: the phones per profile and what each busy one measures."""
        with self._free:
            return {"adb_server": self.offer.adb_server,
                    "phones": {n: list(s) for n, s in self.offer.phones.items()},
                    "busy": dict(self._busy)}

    @contextmanager
    def speaking(self, serial: str, note: Callable[[str], None]) -> Iterator[None]:
        self._speakers[serial] = note
        try:
            yield
        finally:
            self._speakers.pop(serial, None)


class _EventProgress:
    """Reports a case's start and notes to the submitting client (scheduler events)."""

    def __init__(self, worker: Worker, topic: str, serial: str, say: Callable[[str], None]
                 ) -> None:
        self.worker, self.topic, self.serial, self.say = worker, topic, serial, say

    def case_started(self, index: int, case: Case) -> None:
        self.say(f"measuring {case.label} ({self.serial})")
        self.worker.log_event(self.topic, {"kind": "started", "index": index,
                                           "worker_name": str(self.worker.name),
                                           "serial": self.serial})

    def case_finished(self, index: int, result: CaseResult) -> None:
        pass  # the client learns it from the task's result

    def note(self, message: str) -> None:
        self.say(f"{self.serial}: {message}")
        self.worker.log_event(self.topic, {"kind": "note", "text": message,
                                           "worker_name": str(self.worker.name),
                                           "serial": self.serial})


def measure_task(job: Mapping[str, Any], model: tuple[bytes, ...],
                 tool: tuple[bytes, ...] | None) -> dict[str, Any]:
    """One case on a free phone of this worker; its CaseResult and the phone's facts (JSON).

    A problem with the device (unreachable, low battery, busy under --no-wait) is a
    failed case with the reason, as a runner's own failures are; only a bug raises.
    """
    worker = get_worker()
    rack: PhoneRack = worker.plugins[PLUGIN_NAME]  # type: ignore[assignment]
    doc = job["case"]
    version = version_of(job)  # a job of a newer benchbot: one line saying to upgrade
    profile = profile_of_doc(job["profile"], job["source"])
    settings = settings_of_doc(job["settings"], "job.settings", version)
    file, *parts = rack.stage(model, doc["file"]["sha256"],
                              [doc["file"]["name"], *doc["file"].get("parts", ())])
    case = case_of_job(doc, file, version, tuple(parts))
    options = DeviceOptions(keep=bool(job["keep"]), battery_floor=int(job["battery_floor"]),
                            adb_server=rack.offer.adb_server)
    if tool is not None:
        options = dataclasses.replace(options, runner_bin=rack.stage(
            tool, job["tool_sha256"], [job["tool_name"]], executable=True)[0])
    started = utc_now()
    facts: dict[str, Any] = {}
    with rack.holding(case.device, case.label, settings.case_timeout_s + 60) as serial:
        progress = _EventProgress(worker, job["topic"], serial, rack.say)
        if serial != LOCAL:
            options = dataclasses.replace(options, serial=serial)
        key = (job["topic"], repr(job["profile"]), repr(options))
        try:
            with rack.speaking(serial, progress.note):
                device = rack.device(serial, key, lambda say: open_device(profile, options, say))
                facts = device_doc(facts_of_device(device.facts, case.device))
                # a case's processes back to back on this worker (the farm spreads cases)
                result = measure_repeats(device, case, Plan((case,), settings),
                                         int(job["index"]), progress, bool(job["wait"]),
                                         Retry(**job["retry"]), threading.Event())
        except BenchbotError as exc:
            result = case_result(case, started_at=started, ended_at=utc_now(),
                                 failure=failure_of(exc))
        if result.status == "failed":
            rack.drop(serial)  # the phone may have gone: the next case opens it afresh
    rack.say(f"{result.status}: {case.label} ({serial})")
    farm = FarmPlacement(worker=str(worker.name), address=worker.address, serial=serial)
    result = dataclasses.replace(result, farm=farm)
    return {"result": case_doc(result), "facts": facts, **dataclasses.asdict(farm)}


def serve(scheduler: str, offer: Offer, *, name: str | None, cache_dir: Path,
          host: str | None, connect_timeout: float, say: Callable[[str], None]) -> None:
    """Run the worker until the scheduler goes away or the process is told to stop."""
    asyncio.run(_serve(scheduler, offer, name=name, cache_dir=cache_dir, host=host,
                       connect_timeout=connect_timeout, say=say))


async def _serve(scheduler: str, offer: Offer, *, name: str | None, cache_dir: Path,
                 host: str | None, connect_timeout: float, say: Callable[[str], None]) -> None:
    rack = PhoneRack(offer, cache_dir, say)
    worker = Worker(scheduler, name=name, host=host, resources=offer.resources,
                    nthreads=max(1, sum(len(s) for s in offer.phones.values())),
                    plugins=(rack,), death_timeout=connect_timeout)
    loop = asyncio.get_running_loop()
    told: list[int] = []

    def stop(signum: int) -> None:
        told.append(signum)
        asyncio.ensure_future(worker.close())

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)
    try:
        await worker
    except (OSError, asyncio.TimeoutError) as exc:
        reason = " ".join(str(exc).split())
        raise DeviceUnavailable(f"cannot reach the Dask scheduler at {scheduler} within "
                        f"{connect_timeout:g}s ({reason}); start it (dask scheduler) or check "
                        "--scheduler") from None
    say(f"worker {worker.name} at {worker.address} joined {scheduler}")
    await worker.finished()
    if not told:  # a supervisor (systemd Restart=on-failure) should start it again
        raise BenchbotError(f"worker {worker.name} stopped: it lost the scheduler at "
                            f"{scheduler}; start it again when the scheduler is back")
    say(f"worker {worker.name} stopped")
