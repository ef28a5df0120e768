"""Progress of a sweep on stderr: a bar (case k of N, current case, ETA), a line per case."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)

from benchbot.report import format_ms
from benchbot.store import CaseResult
from benchbot.sweep import Case


class SweepProgress:
    """Shows the sweep on a Rich console; implements benchbot.execute.Progress."""

    def __init__(self, console: Console, total: int) -> None:
        self.console = console
        self.bar = Progress(TextColumn("case"), MofNCompleteColumn(), BarColumn(),
                            TimeRemainingColumn(), TimeElapsedColumn(),
                            TextColumn("{task.description}"), console=console, transient=True)
        self.task = self.bar.add_task("", total=total)

    def __enter__(self) -> SweepProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)

    def case_started(self, index: int, case: Case) -> None:
        self.bar.update(self.task, description=escape(case.label))

    def case_finished(self, index: int, result: CaseResult) -> None:
        self.bar.advance(self.task)
        label = escape(f"{result.model_name} on {result.device}, t={result.threads} "
                 f"b={result.batch} {result.precision}")
        s = result.stats
        if s is not None and s.median_ms is not None and s.ci95_low_ms is not None:
            self.console.print(f"[green]ok[/]     {label}: median {format_ms(s.median_ms)} ms "
                               f"(95% CI {format_ms(s.ci95_low_ms)}-{format_ms(s.ci95_high_ms)}, "
                               f"n={s.n})")
        elif s is not None:  # a native tool's own aggregates
            figure = ("median", s.median_ms) if s.median_ms is not None else ("mean", s.mean_ms)
            self.console.print(f"[green]ok[/]     {label}: {figure[0]} {format_ms(figure[1])} ms "
                               f"(as {escape(result.runner)} reports it, n={s.n})")
        else:
            self.console.print(f"[red]failed[/] {label}: {escape(result.error or '')}")
        for warning in result.warnings:
            self.console.print(f"       [yellow]warning:[/] {escape(warning)}")

    def note(self, message: str) -> None:
        self.console.print(escape(message))
