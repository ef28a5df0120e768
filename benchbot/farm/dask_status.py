"""What the farm is doing now: its workers, the devices each offers, which phones are
measuring, and the cases waiting for one (for ``benchbot farm status``)."""

from __future__ import annotations

from typing import Any, Mapping

from benchbot.farm.dask_client import connect, workers_of
from benchbot.farm.dask_protocol import CASE_KEY_PREFIX, PLUGIN_NAME, device_of, run_of_key

_SETTLED = ("memory", "erred", "released", "forgotten")


def _rack_report(dask_worker: Any) -> dict[str, Any] | None:
    """Runs on each worker: its phone rack's report, None for a worker that is not ours."""
    rack = dask_worker.plugins.get(PLUGIN_NAME)
    return rack.report() if rack is not None else None


def farm_status(address: str, timeout: float = 10.0) -> dict[str, Any]:
    """The scheduler's workers and their devices, busy or free, and the queued cases."""
    client = connect(address, timeout)
    try:
        workers_info = workers_of(client)
        racks = client.run(_rack_report, on_error="return")
        prefix = CASE_KEY_PREFIX

        def case_tasks(dask_scheduler: Any) -> list[tuple[str, str, str | None]]:
            # pickled by value (a local function): the scheduler's host needs no benchbot
            return [(str(ts.key), ts.state,
                     ts.processing_on.address if ts.processing_on is not None else None)
                    for ts in dask_scheduler.tasks.values()
                    if isinstance(ts.key, str) and ts.key.startswith(prefix)]

        tasks = client.run_on_scheduler(case_tasks)
    finally:
        client.close()
    workers = []
    for worker_address, w in sorted(workers_info.items(), key=lambda kv: str(kv[1]["name"])):
        rack = racks.get(worker_address)
        rack = rack if isinstance(rack, dict) else {}
        resources = {device_of(r): int(u) for r, u in (w.get("resources") or {}).items()
                     if device_of(r) is not None}
        busy = dict(rack.get("busy") or {})
        assigned = sum(1 for _, state, on in tasks
                       if on == worker_address and state == "processing")
        workers.append({"name": str(w["name"]), "address": worker_address,
                        "adb_server": rack.get("adb_server"), "devices": resources,
                        "phones": rack.get("phones") or {}, "busy": busy,
                        "waiting": max(0, assigned - len(busy))})
    open_tasks = [(key, state) for key, state, _ in tasks if state not in _SETTLED]
    running = sum(len(w["busy"]) for w in workers)
    runs: dict[str, int] = {}
    for key, _ in open_tasks:
        run = run_of_key(key) or "?"
        runs[run] = runs.get(run, 0) + 1
    return {"scheduler": address, "workers": workers, "devices": _devices(workers),
            "running": running, "queued": max(0, len(open_tasks) - running), "runs": runs}


def _devices(workers: list[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Per device: units offered, busy and free over all workers."""
    devices: dict[str, dict[str, int]] = {}
    for w in workers:
        busy_serials = set(w["busy"])
        for device, units in w["devices"].items():
            entry = devices.setdefault(device, {"units": 0, "busy": 0, "free": 0})
            busy = len(busy_serials & set(w["phones"].get(device, ())))
            entry["units"] += int(units)
            entry["busy"] += busy
            entry["free"] += max(0, int(units) - busy)
    return dict(sorted(devices.items()))


def render_status(status: Mapping[str, Any]) -> str:
    """The status as a Markdown table of workers and a summary line."""
    workers = status["workers"]
    devices = status["devices"]
    lines = [f"Farm at {status['scheduler']}: {len(workers)} worker"
             f"{'s' if len(workers) != 1 else ''}; "
             + (", ".join(f"{d} {e['free']} free of {e['units']}" for d, e in devices.items())
                or "no devices")
             + f"; {status['running']} case{'s' if status['running'] != 1 else ''} running, "
               f"{status['queued']} queued", "",
             "| Worker | Address | Device | Phones | Busy | Waiting |", "|---|---|---|---|---|---|"]
    for w in workers:
        for device in sorted(w["devices"]) or ["-"]:
            phones = w["phones"].get(device, [])
            busy = [f"{s}: {w['busy'][s]}" for s in phones if s in w["busy"]]
            lines.append(f"| {w['name']} | {w['address']} | {device} | "
                         f"{', '.join(phones) or '-'} | {'; '.join(busy) or 'free'} | "
                         f"{w['waiting']} |")
    return "\n".join(lines) + "\n"
