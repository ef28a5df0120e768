"""`report --layout ops`: where the time goes, per model and device, from stored op profiles.

Pure: entries in, markdown out. Per case with a profile: the top N op types (or nodes)
by share of the profiled time, ms per inference and %, an "other" row for the rest,
the profiled total beside the timed median, and the placement of the nodes.
"""

from __future__ import annotations

from typing import Sequence

from benchbot.store import CaseResult, OpProfile
from benchbot.store.entries import Entry

GROUPINGS = ("op-type", "node")


def grouped(profile: OpProfile, by: str) -> list[tuple[str, float, float]]:
    """(name, ms, share) per op type or node, largest first."""
    totals: dict[str, float] = {}
    for o in profile.ops:
        key = o.op_type if by == "op-type" else o.node
        totals[key] = totals.get(key, 0.0) + o.ms
    total = sum(totals.values()) or 1.0
    return sorted(((k, ms, ms / total) for k, ms in totals.items()), key=lambda r: -r[1])


def _case_title(e: Entry) -> str:
    c = e.case
    extra = "" if c.backend == "cpu" else f", {c.backend}"
    return (f"{c.model_name} on {e.device_title}: {c.threads} thread"
            f"{'s' if c.threads > 1 else ''}, batch {c.batch}, {c.precision}{extra}")


def _median(case: CaseResult) -> float | None:
    s = case.stats
    if s is None:
        return None
    return s.median_ms if s.median_ms is not None else s.mean_ms


def case_table(e: Entry, top: int, by: str) -> str:
    """The markdown of one case's profile."""
    case, profile = e.case, e.case.op_profile
    lines = [f"**{_case_title(e)}**", ""]
    if profile is None:
        return ""
    if profile.reason or not profile.ops:
        return "\n".join(lines + [f"No op profile: {profile.reason}", ""])
    rows = grouped(profile, by)
    shown, rest = rows[:top], rows[top:]
    head = "Op type" if by == "op-type" else "Node"
    lines += [f"| {head} | ms | % |", "|---|---:|---:|"]
    lines += [f"| {name.replace('|', '/')} | {ms:.4g} | {share:.1%} |" for name, ms, share in shown]
    if rest:
        lines.append(f"| other ({len(rest)}) | {sum(r[1] for r in rest):.4g} | "
                     f"{sum(r[2] for r in rest):.1%} |")
    median = _median(case)
    note = f"Profiled total {profile.total_ms:.4g} ms per inference over " \
           f"{profile.profiled_runs} runs ({profile.source})"
    if median:
        note += f"; timed median {median:.4g} ms ({profile.total_ms / median - 1:+.0%})"
    lines += ["", note + "."]
    if case.placement is not None:
        counts = ", ".join(f"{p}: {n}" for p, n in case.placement.nodes_by_provider.items())
        lines.append(f"Placement: {counts}.")
    for code in case.validity.codes:
        if code.code == "partially_delegated":
            lines.append(f"Partially delegated: {code.detail}.")
    return "\n".join(lines) + "\n"


def ops_report(entries: Sequence[Entry], top: int = 10, by: str = "op-type") -> str:
    """Every profiled case's table, model by model."""
    tables = [case_table(e, top, by) for e in sorted(
        entries, key=lambda e: (e.case.model_name, e.device_title, e.case.threads,
                                e.case.batch, e.case.precision, e.case.backend))]
    tables = [t for t in tables if t]
    if not tables:
        return ("No op profiles in these results: measure with `benchbot run --profile-ops` "
                "(sweep file: measure.profile_ops = true).\n")
    return "\n".join(tables)
