"""The charts of the HTML report, as SVG documents drawn by matplotlib.

    thread_scaling_svg     speedup against threads, per model, one panel per device
    speedup_svg            FP16/INT8 over FP32, and per-sample speedup of larger batches
    distribution_svg       every sample of each case (box plots), in the unit that suits them
    history_svg            median and 95% CI per run, along commits, runs or time
    op_profile_svg         where an inference's time goes, op type by op type
    comparison_svg         candidate / baseline with its CI, coloured by verdict

Each takes cases (or series) and returns ``None`` when there is nothing to draw, so
the page shows a chart only where the data has that axis. Labels never overlap: a long
name is cut to :data:`LABEL_CHARS` with an ellipsis (the page's hover holds it whole,
:func:`cut_names`), and crowded tick labels are turned. Drawn on matplotlib's
Agg-free SVG backend through ``matplotlib.figure.Figure``, never pyplot; text
becomes paths, so the SVG needs no font.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Callable, Sequence

from benchbot.report.numbers import duration_unit
from benchbot.store import CaseResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from benchbot.verdicts.history import HistorySeries
    from benchbot.verdicts.verdict import CompareReport

VERDICT_COLORS = {"slower": "#c62828", "faster": "#2e7d32", "uncertain": "#ef6c00",
                  "unchanged": "#546e7a", "failed": "#8d6e63"}
MAX_BOXES = 40
MAX_OPS = 12
LABEL_CHARS = 36  # a label's characters at most on a chart: the rest is "…"
MAX_LABELLED_BARS = 24  # a bar chart with more bars shows no value on each


def fit(label: str, chars: int = LABEL_CHARS) -> str:
    """``label`` cut to ``chars`` characters with an ellipsis, line by line."""
    return "\n".join(line if len(line) <= chars else line[:chars - 1] + "…"
                     for line in label.split("\n"))


def cut_names(names: Sequence[str], chars: int = LABEL_CHARS) -> list[str]:
    """The names a chart shows cut: what its hover spells out."""
    return [n for n in dict.fromkeys(names) if len(n) > chars]


def _svg(fig: Figure) -> str:
    """The figure as SVG, byte for byte the same for the same data (fixed element ids)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "benchbot"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    # one size of type on every chart, whatever its data
    fig.patch.set_alpha(0.0)
    return fig


def _style(ax: Axes) -> None:
    ax.grid(True, alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _median(case: CaseResult) -> float | None:
    s = case.stats
    if case.status != "ok" or s is None:
        return None
    value = s.median_ms if s.median_ms is not None else s.mean_ms
    return float(value) if value is not None and value > 0 else None


def _group(cases: Sequence[CaseResult], key: Callable[[CaseResult], tuple]) -> dict[tuple, list]:
    groups: dict[tuple, list[CaseResult]] = {}
    for c in cases:
        groups.setdefault(key(c), []).append(c)
    return groups


def thread_scaling_svg(cases: Sequence[CaseResult]) -> str | None:
    """Speedup of each thread count over the fewest threads measured, one line per model
    (and batch/precision when several), one panel per device; the dashed line is linear."""
    groups = _group(cases, lambda c: (c.device, c.model_name, c.batch, c.precision, c.backend))
    lines = {k: sorted((c.threads, m) for c in v if (m := _median(c)) is not None)
             for k, v in groups.items()}
    lines = {k: v for k, v in lines.items() if len({t for t, _ in v}) > 1}
    if not lines:
        return None
    devices = list(dict.fromkeys(k[0] for k in lines))
    several = len({k[2:] for k in lines}) > 1
    fig = _figure(7.5, 3.6 if len(devices) == 1 else 3.2)
    axes = fig.subplots(1, len(devices), squeeze=False)[0]
    for ax, device in zip(axes, devices):
        top = 1
        for key, points in lines.items():
            if key[0] != device:
                continue
            base_t, base = points[0]
            xs = [t for t, _ in points]
            label = fit(key[1]) + (f" b={key[2]} {key[3]}" if several else "")
            ax.plot(xs, [base / m for _, m in points], marker="o", label=label)
            top = max(top, max(xs))
        ax.plot([1, top], [1, top], linestyle="--", color="#9e9e9e", linewidth=0.8,
                label="linear")
        ax.set_title(fit(device, max(8, LABEL_CHARS // len(devices))), fontsize="medium")
        ax.set_xlabel("threads")
        ax.set_ylabel("speedup over 1 thread")
        _style(ax)
    handles: list = []
    labels: list[str] = []
    for ax in axes:  # the linear line is drawn in every panel; the legend lists it once
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    _legend(fig, axes[0], handles, labels)
    return _svg(fig)


def speedup_svg(cases: Sequence[CaseResult]) -> str | None:
    """Bars: FP16/INT8 latency speedup over FP32 (same batch), and the per-sample speedup
    of each batch over batch 1 (same precision); one bar group per model and device."""
    bars: list[tuple[str, str, float]] = []  # (group, series, speedup)
    by_config = _group(cases, lambda c: (c.model_name, c.device, c.threads, c.backend))
    several = len({k[1:] for k in by_config}) > 1
    for (model, device, threads, _), mine in by_config.items():
        group = fit(model, 24) + (f" · {fit(device, 16)} t={threads}" if several else "")
        value = {(c.precision, c.batch): m for c in mine if (m := _median(c)) is not None}
        for (precision, batch), m in sorted(value.items()):
            fp32 = value.get(("fp32", batch))
            if precision != "fp32" and fp32:
                bars.append((group, f"{precision.upper()} / FP32 (bs={batch})", fp32 / m))
            single = value.get((precision, 1))
            if batch > 1 and single:
                bars.append((group, f"{precision.upper()} bs={batch} / bs=1, per sample",
                             single * batch / m))
    if not bars:
        return None
    groups = list(dict.fromkeys(b[0] for b in bars))
    series = list(dict.fromkeys(b[1] for b in bars))
    width = 0.8 / len(series)
    fig = _figure(7.5, 3.8)
    ax = fig.subplots()
    labelled = len(bars) <= MAX_LABELLED_BARS  # more value labels than that would touch
    for i, name in enumerate(series):
        xs = [groups.index(g) + (i - (len(series) - 1) / 2) * width
              for g, s, _ in bars if s == name]
        ys = [v for _, s, v in bars if s == name]
        drawn = ax.bar(xs, ys, width=width * 0.95, label=name)
        if labelled:
            ax.bar_label(drawn, labels=[f"{v:.2f}x" for v in ys], fontsize="x-small", padding=1)
    ax.axhline(1.0, color="#000000", linewidth=0.8)
    crowded = len(groups) > 4 or any(len(g) > 14 for g in groups)
    turn = 0 if not crowded else 90 if len(groups) > 6 else 30  # upright: no two can touch
    if turn:  # room under the axes for the turned labels, so the bars keep their height
        longest = max(map(len, groups))
        fig.set_size_inches(7.5, 3.8 + longest * (0.065 if turn == 90 else 0.035))
    ax.set_xticks(range(len(groups)), groups, fontsize="x-small" if crowded else "small",
                  rotation=turn, ha="right" if turn else "center", rotation_mode="anchor",
                  va="center" if turn == 90 else "top")
    ax.set_ylabel("speedup (x, higher is faster)")
    _style(ax)
    ax.grid(False, axis="x")
    _legend(fig, ax, *ax.get_legend_handles_labels())
    return _svg(fig)


def _legend(fig: Figure, ax: Axes, handles: list, labels: list[str]) -> None:
    """A few entries inside the axes; more below them, in columns, the figure made taller
    by their rows, so that they cover neither data nor each other."""
    if len(labels) <= 5:
        ax.legend(handles, labels, fontsize="x-small")
        return
    columns = 2 if max(map(len, labels)) > 30 else 3
    rows = -(-len(labels) // columns)
    width, height = fig.get_size_inches()
    fig.set_size_inches(width, height + 0.16 * rows + 0.2)
    fig.legend(handles, labels, loc="outside lower center", fontsize="xx-small", ncols=columns)


def distribution_svg(cases: Sequence[CaseResult]) -> str | None:
    """A box per case over its raw samples (whiskers 1.5 IQR, dots beyond), in µs/ms/s."""
    shown = [c for c in cases if c.status == "ok" and len(c.samples_ms) >= 2][:MAX_BOXES]
    if not shown:
        return None
    unit, factor = duration_unit([max(c.samples_ms) for c in shown])
    data = [[x * factor for x in c.samples_ms] for c in shown]
    labels = [f"{fit(c.model_name, 28)} · {fit(c.device, 16)} · t={c.threads} b={c.batch} "
              f"{c.precision}" + ("" if c.valid else " †") for c in shown]
    fig = _figure(7.5, 1.0 + 0.3 * len(shown))
    ax = fig.subplots()
    ax.boxplot(data, orientation="horizontal", widths=0.6, flierprops={"markersize": 2, "alpha": 0.4},
               medianprops={"color": "#c62828"})
    ax.set_yticks(range(1, len(shown) + 1), labels, fontsize="x-small")
    ax.invert_yaxis()
    low = min(min(d) for d in data)
    high = max(max(d) for d in data)
    if low > 0 and high / low > 30:
        from matplotlib.ticker import NullFormatter

        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())  # labels at 2, 3, 4 ... would touch
    ax.set_xlabel(f"latency per inference ({unit})\nbox: quartiles, red: median",
                  fontsize="small")
    _style(ax)
    return _svg(fig)


def history_svg(series: Sequence[HistorySeries], title: str, x: str = "commit",
                commits: dict[str, str] | None = None) -> str:
    """Median and 95% CI per run, one line per configuration (see history_figure)."""
    return _svg(history_figure(series, title, x, commits))


def history_figure(series: Sequence[HistorySeries], title: str, x: str = "commit",
                   commits: dict[str, str] | None = None) -> Figure:
    """Median and 95% CI per run, one line per configuration. ``x``: commit (the run's
    commit, else its id), run (run order) or time (the run's start)."""
    commits = commits or {}
    values = [p.value_ms for s in series for p in s.points]
    unit, factor = duration_unit(values)
    fig = _figure(7.5, 3.8)
    ax = fig.subplots()
    runs = sorted({(p.started_at, p.run_id) for s in series for p in s.points})
    order = {run_id: i for i, (_, run_id) in enumerate(runs)}
    for s in series:
        if x == "time":
            xs: list = [p.started_at for p in s.points]
        else:
            xs = [order[p.run_id] for p in s.points]
        ys = [p.value_ms * factor for p in s.points]
        (line,) = ax.plot(xs, ys, marker="o", markersize=4, linewidth=1.5,
                          label=fit(s.label, 60))
        lows = [math.nan if p.low_ms is None else p.low_ms * factor for p in s.points]
        highs = [math.nan if p.high_ms is None else p.high_ms * factor for p in s.points]
        if any(not math.isnan(v) for v in lows):
            ax.fill_between(xs, lows, highs, color=line.get_color(), alpha=0.2, linewidth=0)
    if x == "time":
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.set_xlabel("run start (UTC)")
    else:
        ticks = [commits.get(run_id) or run_id[-8:] for _, run_id in runs]
        ax.set_xticks(range(len(runs)), ticks, fontsize="x-small",
                      rotation=30 if len(runs) > 6 else 0)
        ax.set_xlabel("commit (run id where none)" if x == "commit" else "run, in order")
    ax.set_title(fit(title, 80), fontsize="medium")
    ax.set_ylabel(f"latency ({unit}): median, 95% CI")
    ax.set_ylim(bottom=0)
    _style(ax)
    if len(series) > 1:
        ax.legend(fontsize="x-small")
    return fig


def op_profile_svg(case: CaseResult) -> str | None:
    """The op types that take an inference's time, largest first, as shares and times."""
    profile = case.op_profile
    if profile is None or not profile.ops:
        return None
    by_type: dict[str, float] = {}
    for op in profile.ops:
        by_type[op.op_type] = by_type.get(op.op_type, 0.0) + op.ms
    top = sorted(by_type.items(), key=lambda kv: kv[1], reverse=True)[:MAX_OPS]
    total = sum(by_type.values()) or 1.0
    unit, factor = duration_unit([ms for _, ms in top])
    fig = _figure(7.5, 1.0 + 0.3 * len(top))
    ax = fig.subplots()
    drawn = ax.barh([fit(name) for name, _ in top], [ms * factor for _, ms in top],
                    color="#1565c0")
    ax.bar_label(drawn, labels=[f"{ms / total:.0%}" for _, ms in top], fontsize="x-small",
                 padding=2)
    ax.invert_yaxis()
    ax.set_xlabel(f"time per inference ({unit}), by op type ({profile.source or 'profiler'})")
    ax.tick_params(axis="y", labelsize="small")
    _style(ax)
    return _svg(fig)


def comparison_svg(report: CompareReport, limit: int = MAX_BOXES) -> str | None:
    """Each compared case's candidate / baseline ratio with its 95% CI, most severe first;
    the dashed lines are the default threshold."""
    rows = [c for c in report.comparisons if c.estimate is not None][:limit]
    if not rows:
        return None
    fig = _figure(7.5, 1.0 + 0.3 * len(rows))
    ax = fig.subplots()
    for y, c in enumerate(rows):
        est = c.estimate
        assert est is not None
        low = est.ci_low if est.ci_low > 0 else est.ratio
        high = est.ci_high if math.isfinite(est.ci_high) else est.ratio
        ax.errorbar([est.ratio], [y], xerr=[[est.ratio - low], [high - est.ratio]], fmt="o",
                    color=VERDICT_COLORS.get(str(c.verdict.kind), "#000000"), capsize=3,
                    markersize=4)
    ax.axvline(1.0, color="#000000", linewidth=0.8)
    threshold = report.settings.thresholds.default
    for edge in (1.0 - threshold, 1.0 + threshold):
        ax.axvline(edge, color="#9e9e9e", linewidth=0.8, linestyle="--")
    ax.set_yticks(range(len(rows)),
                  [f"{fit(c.key.model, 28)} ({fit(c.key.device, 16)}, {c.key.config})"
                   for c in rows],
                  fontsize="x-small")
    ax.invert_yaxis()
    level = f"{report.settings.estimation.confidence:.0%} CI"
    ax.set_xlabel(f"candidate / baseline, {level} (right of 1: slower); dashed: threshold")
    _style(ax)
    return _svg(fig)
