"""Measure a plan on a farm of hosts through a Dask scheduler; the record stays here.

The submitting host keeps the run's record and rewrites it atomically after every
case, exactly as a local run does: each case is one Dask task restricted to the
resource ``device:<profile>``, so only a worker with such a phone runs it, and its
CaseResult comes back as JSON and is saved the moment it ends
(:mod:`benchbot.farm.dask_sweep`).

``distributed`` is imported when a function here runs, never at import time.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Mapping

from benchbot.devices import DeviceOptions
from benchbot.errors import DeviceUnavailable, UserError
from benchbot.runs.executor import Progress, Retry
from benchbot.farm.dask_protocol import device_of, require_distributed, resource_of
from benchbot.profiles import Profile
from benchbot.store import RunRecord
from benchbot.sweep import Plan


def connect(address: str, timeout: float) -> Any:
    """A Dask client of the scheduler at ``address``; a UserError when it cannot be reached."""
    distributed = require_distributed()
    try:
        return distributed.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        reason = " ".join(str(exc).split())
        raise DeviceUnavailable(f"cannot reach the Dask scheduler at {address} within {timeout:g}s "
                        f"({reason}); check the address, or start one with: dask scheduler"
                        ) from None


def workers_of(client: Any) -> dict[str, dict[str, Any]]:
    """Worker address -> what the scheduler knows of it (name, resources, ...), all of them."""
    try:
        info = client.scheduler_info(n_workers=-1)
    except TypeError:  # a distributed from before n_workers, which always gave them all
        info = client.scheduler_info()
    return dict(info["workers"])


def farm_offers(client: Any) -> dict[str, dict[str, float]]:
    """Device name -> {worker address: units} of every worker now connected."""
    offers: dict[str, dict[str, float]] = defaultdict(dict)
    for address, info in workers_of(client).items():
        for resource, units in (info.get("resources") or {}).items():
            device = device_of(resource)
            if device is not None and units > 0:
                offers[device][address] = units
    return dict(offers)


def describe_offers(offers: Mapping[str, Mapping[str, float]]) -> str:
    if not offers:
        return "nothing (no worker with devices is connected)"
    return ", ".join(f"{resource_of(d)} ({sum(w.values()):g} on {len(w)} worker"
                     f"{'s' if len(w) > 1 else ''})" for d, w in sorted(offers.items()))


def measure_on_farm(address: str, plan: Plan, profiles: list[Profile], options: DeviceOptions,
                    results: Path, progress: Progress, say: Callable[[str], None], *,
                    wait: bool = True, record: RunRecord | None = None,
                    retry: Retry = Retry(), connect_timeout: float = 30.0,
                    lost_grace_s: float = 30.0, run_id: str | None = None) -> RunRecord:
    """Measure every case of the plan on the farm's workers into a (new or given) record.

    Fails at once, with what the farm offers, when no worker offers a device of the
    plan. Cases whose device no worker offers any more (its workers died) wait
    ``lost_grace_s`` for one to join, then are recorded failed with the reason. Workers
    reach their phones through their own adb servers and pick them themselves, so
    ``options.adb_server`` and ``options.serial`` are refused.
    """
    if options.serial is not None:
        raise UserError("--serial picks a phone of this host; farm workers pick their own "
                        "phones: drop --serial, or give that phone a profile of its own")
    if options.adb_server is not None:
        raise UserError("--adb-server names this host's adb server; farm workers reach their "
                        "phones through their own (benchbot farm worker --adb-server): drop it")
    require_distributed()
    from benchbot.farm.dask_sweep import FarmSweep
    from benchbot.farm.dask_worker import measure_task  # the task, sent by reference

    client = connect(address, connect_timeout)
    try:
        offers = farm_offers(client)
        wanted = list(dict.fromkeys(c.device for c in plan.cases))
        missing = [d for d in wanted if d not in offers]
        if missing:
            raise DeviceUnavailable(f"no worker of the farm at {address} offers "
                            f"{', '.join(resource_of(d) for d in missing)}; it offers "
                            f"{describe_offers(offers)}; start `benchbot farm worker` on a "
                            "host with that device")
        sweep = FarmSweep(client, address, plan, {p.name: p for p in profiles}, options,
                          task=measure_task, wait=wait, retry=retry, say=say, progress=progress,
                          lost_grace_s=lost_grace_s, run_id=run_id)
        return sweep.run(offers, record, results)
    finally:
        client.close()
