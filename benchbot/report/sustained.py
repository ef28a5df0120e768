"""`report --layout sustained`: burst against sustained latency, and the series over time.

    sustained_table   markdown: model rows x device columns, one grid per configuration;
                      each cell "burst → sustained (ratio)", the time to throttle below it
    sustained_svg     one chart per device: window medians over time (top, dashed: the
                      time to throttle) and the CPU and battery temperatures read beside
                      them (bottom), a line per model

Pure apart from matplotlib drawing SVG text; entries in, text out.
"""

from __future__ import annotations

from typing import Sequence

from benchbot.report.numbers import format_duration
from benchbot.store import CaseResult
from benchbot.store.entries import Entry

MAX_LINES = 8  # models per chart; more make it unreadable


def _config(case: CaseResult) -> tuple[int, int, str, str]:
    return case.threads, case.batch, case.precision, case.backend


def _caption(config: tuple[int, int, str, str]) -> str:
    threads, batch, precision, backend = config
    extra = "" if backend == "cpu" else f", {backend}"
    return (f"{threads} thread{'s' if threads > 1 else ''}, batch {batch}, "
            f"{precision}{extra}")


def cell_text(case: CaseResult) -> str:
    """'11.9 ms → 15.2 ms (×1.28), throttles at 42 s' (or why there is no figure)."""
    s = case.sustained
    if case.status != "ok":
        return f"failed: {case.error}".replace("|", "/")
    if s is None or s.burst_median_ms is None or s.sustained_median_ms is None:
        return "-"
    text = (f"{format_duration(s.burst_median_ms)} → {format_duration(s.sustained_median_ms)}"
            f" (×{s.sustained_over_burst:.2f})")
    if s.time_to_throttle_s is not None:
        text += f", throttles at {s.time_to_throttle_s:.0f} s"
    e = case.energy
    if e is not None and e.mj_per_inference is not None:
        text += f"; {e.mj_per_inference:.3g} mJ/inference"
    if s.stop_reason != "duration":
        text += f"; stopped at {s.elapsed_s:.0f} s: {s.stop_reason.replace('_', ' ')}"
    if s.rate_hz:
        text += f"; at {s.rate_hz:g} Hz" + (f", {s.late_runs} late starts" if s.late_runs else "")
    return text


def sustained_table(entries: Sequence[Entry]) -> str:
    """Every sustained case as a grid cell; a note when there is none."""
    sustained = [e for e in entries if e.case.sustained is not None]
    if not sustained:
        return ("No sustained cases in these results: measure with `benchbot run --sustained "
                "2m` (sweep file: measure.sustained = \"2m\").\n")
    parts = []
    for config in dict.fromkeys(_config(e.case) for e in sustained):
        group = [e for e in sustained if _config(e.case) == config]
        devices = list(dict.fromkeys(e.device_title for e in group))
        models = list(dict.fromkeys(e.case.model_name for e in group))
        cells = {(e.case.model_name, e.device_title): cell_text(e.case) for e in group}
        lines = [f"**Sustained: {_caption(config)}** (burst: first 10 s → sustained: last "
                 "20%, ×ratio)", "", "| Model | " + " | ".join(devices) + " |",
                 "|---|" + "---|" * len(devices)]
        lines += [f"| {m} | " + " | ".join(cells.get((m, d), "-") for d in devices) + " |"
                  for m in models]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def sustained_svg(cases: Sequence[CaseResult]) -> str | None:
    """One device's series: latency per window (top), temperatures (bottom); None: no
    series among ``cases``."""
    from benchbot.report.charts import _figure, _style, _svg

    shown = [c for c in cases if c.sustained is not None and c.sustained.windows][:MAX_LINES]
    if not shown:
        return None
    several = len({_config(c) for c in shown}) > 1
    fig = _figure(7.0, 5.0)
    top, bottom = fig.subplots(2, 1, sharex=True)
    any_temp = False
    for case in shown:
        assert case.sustained is not None
        label = case.model_name + (f" ({_caption(_config(case))})" if several else "")
        points = case.sustained.windows
        line, = top.plot([p.end_s for p in points], [p.median_ms for p in points], label=label)
        if case.sustained.time_to_throttle_s is not None:  # where it settled above 1.1 x burst
            top.axvline(case.sustained.time_to_throttle_s, linestyle="--", linewidth=0.8,
                        color=line.get_color())
        temps = [(p.end_s, p.device.cpu_temp_c) for p in points
                 if p.device is not None and p.device.cpu_temp_c is not None]
        battery = [(p.end_s, p.device.battery_temp_c) for p in points
                   if p.device is not None and p.device.battery_temp_c is not None]
        for series, style in ((temps, "-"), (battery, ":")):
            if series:
                any_temp = True
                bottom.plot(*zip(*series), style, color=line.get_color())
    top.set_ylabel("window median (ms)")
    top.legend(fontsize="small")
    bottom.set_ylabel("°C (CPU —, battery ···)")
    bottom.set_xlabel("seconds since the timed loop began")
    if not any_temp:
        bottom.text(0.5, 0.5, "the device reported no temperature", ha="center",
                    va="center", transform=bottom.transAxes)
    for ax in (top, bottom):
        _style(ax)
    return _svg(fig)


def sustained_charts(cases: Sequence[CaseResult]) -> list[tuple[str, str, str]]:
    """(name, svg, caption) per device with a sustained series."""
    charts = []
    for device in dict.fromkeys(c.device for c in cases if c.sustained is not None):
        svg = sustained_svg([c for c in cases if c.device == device])
        if svg is not None:
            charts.append(("sustained", svg, f"Sustained on {device}: latency per window and "
                                             "temperatures over time, one line per model"))
    return charts
