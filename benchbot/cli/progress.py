"""Progress of a sweep on stderr: a bar for the whole run (case k of N, ETA) and one per
device when there are several, with its current case; a line per finished case."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)

from benchbot.report import format_ms
from benchbot.store import CaseResult
from benchbot.sweep import Case, Plan


class SweepProgress:
    """Shows the sweep on a Rich console; implements benchbot.run.executor.Progress."""

    def __init__(self, console: Console, plan: Plan) -> None:
        self.console = console
        self.bar = Progress(TextColumn("{task.fields[who]}"), MofNCompleteColumn(), BarColumn(),
                            TimeRemainingColumn(), TimeElapsedColumn(),
                            TextColumn("{task.description}"), console=console, transient=True)
        self.task = self.bar.add_task("", total=len(plan), who="case")
        devices = list(dict.fromkeys(c.device for c in plan.cases))
        self.device_tasks = {d: self.bar.add_task("", who=f"  {escape(d)}",
                                                  total=sum(c.device == d for c in plan.cases))
                             for d in devices} if len(devices) > 1 else {}

    def __enter__(self) -> SweepProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)

    def case_started(self, index: int, case: Case) -> None:
        task = self.device_tasks.get(case.device, self.task)
        self.bar.update(task, description=escape(case.label))

    def case_finished(self, index: int, result: CaseResult) -> None:
        self.bar.advance(self.task)
        if result.device in self.device_tasks:
            self.bar.advance(self.device_tasks[result.device])
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
