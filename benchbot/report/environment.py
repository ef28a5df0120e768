"""Where and with what a set of runs was measured, as (label, value) rows (pure).

Every report shows it (HTML header, the nightly summary's environment block): a
figure is worth little to a colleague without the date, the host, the devices,
the runtime and benchbot versions, the run ids and the commits measured.
"""

from __future__ import annotations

from typing import Sequence

from benchbot.store import DeviceFacts, HostFacts, RunRecord
from benchbot.store.records import GitInfo


def commit_text(git: GitInfo | None, length: int = 10) -> str:
    """'1a2b3c4d5e (main, dirty)', or '-' for a run outside a git checkout."""
    if git is None:
        return "-"
    extra = [x for x in (git.branch, "dirty" if git.dirty else None) if x]
    return git.commit[:length] + (f" ({', '.join(extra)})" if extra else "")


def device_text(name: str, facts: DeviceFacts) -> str:
    """'SD855 (sd855): Snapdragon 855, Android 10' from a device's recorded facts."""
    label = facts.label or name
    title = label if label == name else f"{label} ({name})"
    soc = facts.soc or facts.cpu_model
    model = " ".join(str(x) for x in (facts.manufacturer, facts.model) if x)
    system = f"Android {facts.android}" if facts.android else facts.os
    gpu = ", ".join(g.name for g in facts.gpus or () if g.name)
    parts = [str(p) for p in (model, soc, gpu, system) if p]
    return title + (": " + ", ".join(parts) if parts else "")


def _host(host: HostFacts) -> str:
    cpu = host.cpu_model or host.machine
    return (host.hostname or "?") + (f" ({cpu})" if cpu else "")


def _joined(values: Sequence[str]) -> str:
    return ", ".join(dict.fromkeys(v for v in values if v)) or "-"


def environment_rows(records: Sequence[RunRecord]) -> list[tuple[str, str]]:
    """Date, host, devices, runtimes, benchbot, runs, commits and labels of ``records``."""
    runs = sorted(records, key=lambda r: r.started_at)
    if not runs:
        return []
    first, last = runs[0].started_at[:16].replace("T", " "), runs[-1].started_at[:16].replace(
        "T", " ")
    devices: dict[str, str] = {}
    for r in runs:
        for name, facts in r.devices.items():
            devices[name] = device_text(name, facts)
    runtimes = [f"{rt} {v}" for r in runs for rt, v in sorted(r.runtime_versions.items())]
    rows = [("Date (UTC)", first if first == last else f"{first} to {last}"),
            ("Host", _joined([_host(r.host) for r in runs])),
            ("Devices", "; ".join(devices.values()) or "-"),
            ("Runtimes", _joined(runtimes)),
            ("benchbot", _joined([r.benchbot_version for r in runs])),
            ("Runs", _joined([r.run_id for r in runs])),
            ("Commits", _joined([commit_text(r.git) for r in runs if r.git is not None]))]
    meta: dict[str, list[str]] = {}
    for r in runs:
        for key, value in r.meta.items():
            meta.setdefault(key, []).append(value)
    rows += [(key, _joined(values)) for key, values in meta.items()]
    from benchbot.verdicts.processes import drifting_devices  # numpy: only for a report

    drifted = [f"{device} in run {r.run_id} ({d.text()})" for r in runs
               for device, d in drifting_devices(r.cases).items()]
    if drifted:  # why its cells spread: the device, not the processes
        rows.append(("Changed speed by itself", "; ".join(drifted)))
    return rows


def provenance_note(records: Sequence[RunRecord]) -> str:
    """One markdown line under the grids: the runs, their commits and --meta labels."""
    rows = dict(environment_rows(records))
    if not rows:
        return ""
    extra = [f"{k}: {v}" for k, v in rows.items()
             if k not in ("Date (UTC)", "Host", "Devices", "Runtimes", "benchbot")]
    return "\n" + "; ".join(extra) + "\n"
