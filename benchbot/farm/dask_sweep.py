"""One run's cases as Dask tasks, and the record they fill, on the submitting host.

* Model bytes travel once per worker: each model (and a native runner's binary) is
  scattered to the workers that offer its devices; every task of that model depends
  on it, and a worker stores it once per content (:mod:`benchbot.farm.dask_worker`).
* Results come back as they end (a done-callback feeds a queue the run waits on
  with a timeout) and are saved at once, atomically, with the record's other cases.
* A worker lost mid-case: the scheduler gives its tasks to another worker with the
  same resource; a task whose workers died ``distributed.scheduler.allowed-failures``
  times errs with KilledWorker and is recorded failed. A result lost with its worker
  before it was read is computed again. When every worker that held a model died,
  the scheduler cancels its tasks: they are submitted again (with the model sent
  again) once a worker offers their device. Cases whose device no worker offers for
  ``lost_grace_s`` are recorded failed with the reason.
"""

from __future__ import annotations

import dataclasses
import hashlib
import queue
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from benchbot.devices import DeviceOptions
from benchbot.errors import BenchbotError, UserError
from benchbot.runs.executor import Progress, Retry, Recorder
from benchbot.farm.dask_client import farm_offers
from benchbot.farm.dask_protocol import (case_job, case_key, measured_files, profile_doc,
                                         resource_of, topic_of)
from benchbot.profiles import Profile
from benchbot.runners.base import case_result, model_ref
from benchbot.runs.session import new_record
from benchbot.store import CaseResult, Failure, RunRecord, case_of_doc, utc_now
from benchbot.store.codec import device_of_doc, facts_of_device, settings_doc, with_phone
from benchbot.store.formats import CURRENT
from benchbot.sweep import Case, Plan

POLL_S = 2.0  # how often the farm's workers are looked at while cases run
RESULT_TIMEOUT_S = 10.0  # to read a finished case's result from its worker
MAX_SUBMISSIONS = 3  # of one case whose model the farm lost


class FarmSweep:
    """Submits the plan's cases and records each as it ends."""

    def __init__(self, client: Any, address: str, plan: Plan, profiles: Mapping[str, Profile],
                 options: DeviceOptions, *, task: Callable[..., Any], wait: bool, retry: Retry,
                 say: Callable[[str], None], progress: Progress, lost_grace_s: float,
                 run_id: str | None = None) -> None:
        self.client, self.address, self.task, self.retry = client, address, task, retry
        self.plan, self.profiles = plan, profiles
        self.options, self.wait, self.say, self.progress = options, wait, say, progress
        self.lost_grace_s = lost_grace_s
        self.tools = {name: _tool_of(p, options) for name, p in profiles.items()}
        self.done: queue.Queue[Any] = queue.Queue()
        self.pending: dict[str, tuple[Any, int]] = {}  # task key -> its future, case index
        self.lost: dict[str, Any] = {}  # task key -> future whose result died with its worker
        self.parked: set[int] = set()  # cases the farm cancelled, to submit again
        self.submitted: Counter[int] = Counter()
        self.shipped: dict[str, Any] = {}  # sha256 -> the scattered bytes (a future)
        self.unoffered_since: dict[str, float] = {}  # device -> when its last worker left
        self.run_id, self.topic = run_id or "", ""

    def run(self, offers: Mapping[str, Mapping[str, float]], record: RunRecord | None,
            results: Path) -> RunRecord:
        record = self._start_record(record)
        self.run_id, self.topic = record.run_id, topic_of(record.run_id)
        recorder = Recorder(record, results)
        self.client.subscribe_topic(self.topic, self._on_event)
        try:
            every = []
            for index, case in enumerate(self.plan.cases):
                if case.variant_error is None:
                    every.append(index)
                else:  # no file to measure: failed here, as a local run fails it
                    self._keep(recorder, index, self._failed(case, case.variant_error, "bad_input"))
            self._ship(offers, every)
            for index in every:
                self._submit(index)
            next_look = time.monotonic() + POLL_S
            while self.pending or self.parked:
                if time.monotonic() >= next_look:
                    self._tend(recorder)
                    next_look = time.monotonic() + POLL_S
                self._recheck_lost()
                try:
                    self._settle(recorder, self.done.get(timeout=POLL_S))
                except queue.Empty:
                    pass
        except KeyboardInterrupt:
            recorder.finish("interrupted")
            if self.client.status == "running":  # the workers finish the cases they are on
                self.client.cancel([f for f, _ in self.pending.values()])
            raise
        except BaseException:
            recorder.finish("interrupted")
            raise
        finally:
            if self.client.status == "running":
                self.client.unsubscribe_topic(self.topic)
        return recorder.finish("complete")

    def _start_record(self, record: RunRecord | None) -> RunRecord:
        base = {name: facts_of_device({"profile": p.name, "label": p.display_name,
                                       "transport": p.transport, "runner": p.runner.kind}, name)
                for name, p in self.profiles.items()}
        if record is None:
            return dataclasses.replace(new_record(self.plan, {}, self.run_id or None),
                                       devices=base)
        return dataclasses.replace(record, status="running", ended_at=None,
                                   devices={**base, **record.devices})

    def _ship(self, offers: Mapping[str, Mapping[str, float]], indices: Iterable[int]) -> None:
        """Scatter each model and runner binary once to the workers that offer its devices
        (again where the farm lost it)."""
        files: dict[str, tuple[tuple[Path, ...], set[str]]] = {}
        for case in (self.plan.cases[i] for i in indices):
            tool = self.tools[case.device]
            for paths, digest in (measured_files(case), *([((tool[0],), tool[1])] if tool
                                                          else [])):
                held = self.shipped.get(digest)
                if held is None or held.status != "finished":
                    files.setdefault(digest, (paths, set()))[1].update(offers[case.device])
        for digest, (paths, workers) in files.items():
            try:  # a model of several files travels as their contents, in order
                data = tuple(path.read_bytes() for path in paths)
            except OSError as exc:
                raise UserError(f"cannot read {exc.filename} to send it to the farm: "
                                f"{exc.strerror or exc}") from None
            key = f"benchbot-file-{digest}-{self.run_id}-{sum(self.submitted.values())}"
            self.shipped[digest] = self.client.scatter({key: data}, workers=sorted(workers),
                                                       broadcast=True, hash=False)[key]

    def _submit(self, index: int) -> None:
        case = self.plan.cases[index]
        profile = self.profiles[case.device]
        tool = self.tools[case.device]
        job = {"schema_version": CURRENT, "topic": self.topic, "index": index,
               "case": case_job(case), "settings": settings_doc(self.plan.settings),
               "profile": profile_doc(profile),
               "source": str(profile.source), "keep": self.options.keep,
               "battery_floor": self.options.battery_floor, "wait": self.wait,
               "retry": {"attempts": self.retry.attempts, "wait_s": self.retry.wait_s},
               "tool_name": tool[0].name if tool else None,
               "tool_sha256": tool[1] if tool else None}
        future = self.client.submit(self.task, job, self.shipped[measured_files(case)[1]],
                                    self.shipped[tool[1]] if tool else None,
                                    key=case_key(self.run_id, case.id, self.submitted[index]),
                                    resources={resource_of(case.device): 1}, retries=1)
        self.submitted[index] += 1
        self.pending[future.key] = (future, index)
        future.add_done_callback(self.done.put)

    def _on_event(self, event: tuple[float, Mapping[str, Any]]) -> None:
        """Progress from the workers: a case started, or a note (cool-down, waiting)."""
        message = event[1]  # the scheduler sets "worker" to the worker's address
        where = f"{message.get('worker_name')}/{message.get('serial')}"
        if message.get("kind") == "started":
            index = int(message["index"])
            self.progress.case_started(index, self.plan.cases[index])
            self.progress.note(f"{self.plan.cases[index].label}: measuring on {where}")
        elif message.get("kind") == "note":
            self.progress.note(f"{where}: {message.get('text')}")

    def _settle(self, recorder: Recorder, future: Any) -> None:
        """Record the case of a task that ended, or wait on, or park it."""
        entry = self.pending.get(future.key)
        if entry is None:
            return  # failed already, and cancelled late
        index = entry[1]
        case = self.plan.cases[index]
        status = future.status
        if status == "finished":
            try:
                doc = future.result(timeout=RESULT_TIMEOUT_S)
            except Exception as exc:
                if future.status != "finished":
                    self.lost[future.key] = future
                    return
                del self.pending[future.key]
                self._keep(recorder, index, self._failed(case, "its result could not be read: "
                                                               f"{_why(exc)}"))
                return
            del self.pending[future.key]
            self._keep(recorder, index, _as_planned(case_of_doc(doc["result"]), case), doc)
        elif status == "error":
            del self.pending[future.key]
            exc = future.exception(timeout=RESULT_TIMEOUT_S)
            reason = (f"worker lost: every worker that took the case died ({_why(exc)})"
                      if type(exc).__name__ == "KilledWorker" else f"worker error: {_why(exc)}")
            self._keep(recorder, index, self._failed(case, reason))
        elif status == "cancelled":  # the workers that held its model died
            del self.pending[future.key]
            if self.submitted[index] >= MAX_SUBMISSIONS:
                self._keep(recorder, index, self._failed(
                    case, f"worker lost: the farm lost its model {self.submitted[index]} times"))
            else:
                self.parked.add(index)
        else:  # lost with its worker after it ended: Dask computes it again
            self.lost[future.key] = future

    def _recheck_lost(self) -> None:
        """Wait again on the tasks Dask computes again (a lost future calls back at once)."""
        for key, future in list(self.lost.items()):
            if future.status != "lost":
                del self.lost[key]
                future.add_done_callback(self.done.put)

    def _tend(self, recorder: Recorder) -> None:
        """Submit parked cases where their device is offered again; fail the cases whose
        device no worker has offered for ``lost_grace_s``."""
        if self.client.status != "running":  # reconnecting to the scheduler, or gave up
            if self.client.status in ("closing", "closed", "failed"):
                raise BenchbotError(f"lost the Dask scheduler at {self.address}; the cases "
                                    "measured so far are saved")
            return
        try:
            offers = farm_offers(self.client)
        except Exception as exc:  # its connection broke under the question: ask again later
            self.say(f"the Dask scheduler did not answer: {_why(exc)}")
            return
        now = time.monotonic()
        waiting = {self.plan.cases[i].device
                   for i in (*self.parked, *(i for _, i in self.pending.values()))}
        for device in waiting:
            if device in offers:
                self.unoffered_since.pop(device, None)
            elif device not in self.unoffered_since:
                self.unoffered_since[device] = now
                self.say(f"no worker offers {resource_of(device)} now (its worker left); its "
                         f"cases wait {self.lost_grace_s:g}s for one to join")
        gone = {d for d, since in self.unoffered_since.items() if now - since >= self.lost_grace_s}
        ready = sorted(i for i in self.parked if self.plan.cases[i].device in offers)
        if ready:
            self._ship(offers, ready)
            for index in ready:
                self.parked.discard(index)
                self._submit(index)
        dropped = [(i, f) for k, (f, i) in self.pending.items()
                   if self.plan.cases[i].device in gone]
        dropped += [(i, None) for i in self.parked if self.plan.cases[i].device in gone]
        for index, future in dropped:
            case = self.plan.cases[index]
            if future is not None:
                del self.pending[future.key]
                self.lost.pop(future.key, None)
                future.cancel()
            self.parked.discard(index)
            self._keep(recorder, index, self._failed(
                case, f"worker lost: no worker of the farm offers {resource_of(case.device)} "
                      f"any more (waited {self.lost_grace_s:g}s for one)"))

    def _keep(self, recorder: Recorder, index: int, result: CaseResult,
              doc: Mapping[str, Any] | None = None) -> None:
        """Save the case (and the facts of the phone that measured it) to the results file."""
        if doc is not None and doc.get("facts"):
            devices = dict(recorder.record.devices)
            facts = device_of_doc(doc["facts"], f"facts of {result.device}")
            known = devices.get(result.device) or facts
            devices[result.device] = with_phone(known, facts, str(doc["serial"]),
                                                str(doc["worker"]))
            recorder.update_devices(devices)
        recorder.add(result)
        self.progress.case_finished(index, result)

    def _failed(self, case: Case, reason: str, kind: str = "device_unavailable") -> CaseResult:
        now = utc_now()
        return case_result(case, started_at=now, ended_at=now, failure=Failure(kind, reason))


def _as_planned(result: CaseResult, case: Case) -> CaseResult:
    """The worker measured its cached copy: record the files by their paths on this host."""
    variant = result.variant
    if variant is not None and case.variant is not None:
        variant = dataclasses.replace(variant, path=str(case.variant.path))
    config = dataclasses.replace(result.config, model=model_ref(case))
    return dataclasses.replace(result, config=config, variant=variant)


def _tool_of(profile: Profile, options: DeviceOptions) -> tuple[Path, str] | None:
    """A native runner's binary on this host and its sha256, sent along with its cases."""
    if profile.runner.kind == "agent":
        return None
    binary = options.runner_bin or profile.runner.binary
    if binary is None:
        return None  # the worker's runner says what is missing, per case
    path = Path(binary)
    if not path.is_file():
        raise UserError(f"{profile.runner.kind} binary not found: {path}")
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return path, digest.hexdigest()


def _why(exc: BaseException | None) -> str:
    text = " ".join(str(exc).split()) if exc is not None else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
