"""Progress of a sweep on stderr: a bar for the whole run (case k of N, ETA) and one per
device when there are several, with its current case; a line per finished case.

The ETA weighs each case by how long it is expected to take: its time limits at first
(its first processes' --min-time plus their starts, or its --sustained duration), then
what the cases of the same model on the same device took. Without a terminal (a CI log, ``| tee``) the bar is not drawn and one
line is printed per finished case, with its processes (and in ``ab`` one as each pair
begins). Each finished case states its one
95% CI and its parts (:mod:`benchbot.stats.parts`), and a case that is not valid says why
and what would fix it. In ``benchbot ab`` every line names the side (A or B) and the pair.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from datetime import datetime

from rich.progress import (BarColumn, Progress, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)

from benchbot.report.numbers import format_duration
from benchbot.stats.parts import ci_parts
from benchbot.store import CaseResult
from benchbot.sweep import Case, Plan
from benchbot.store.settings import MIN_PROCESSES, MeasureSettings


class SweepProgress:
    """Shows the sweep on a Rich console; implements benchbot.runs.executor.Progress."""

    START_S = 1.0  # a measuring process's start: the interpreter, the runtime, the model

    def __init__(self, console: Console, plan: Plan) -> None:
        self.console = console
        self.lines = not console.is_terminal
        self.cases = len(plan)
        self.finished = 0
        settings = plan.settings
        first = self.first_guess(settings)
        self.expected = {c.id: first for c in plan.cases}
        self.similar = {c.id: (c.model.sha256, c.device) for c in plan.cases}
        self.sides = {i: c.side for i, c in enumerate(plan.cases) if c.side}
        self.started: dict[int, int] = {}  # processes started, per case index
        self.took: dict[tuple[str, str], float] = {}
        self.done_s = 0.0
        self.bar = Progress(TextColumn("{task.fields[who]}"),
                            TextColumn("{task.fields[k]}"), BarColumn(),
                            TimeRemainingColumn(), TimeElapsedColumn(),
                            TextColumn("{task.description}"), console=console, transient=True,
                            disable=self.lines)
        self.task = self.bar.add_task("", total=sum(self.expected.values()), who="case",
                                      k=f"0/{self.cases}")
        devices = list(dict.fromkeys(c.device for c in plan.cases))
        self.device_tasks = {d: self.bar.add_task("", who=f"  {escape(d)}", k="",
                                                  total=sum(c.device == d for c in plan.cases))
                             for d in devices} if len(devices) > 1 else {}

    @classmethod
    def first_guess(cls, settings: MeasureSettings) -> float:
        """Seconds a case is expected to take before any has finished."""
        if settings.sustained_s is not None:  # one process, that long
            return settings.sustained_s + cls.START_S
        return (settings.repeat or MIN_PROCESSES) * (settings.min_time_s + cls.START_S)

    def __enter__(self) -> SweepProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)

    def case_started(self, index: int, case: Case) -> None:
        self.started[index] = self.started.get(index, 0) + 1
        task = self.device_tasks.get(case.device, self.task)
        where = (f"{case.side}, pair {self.started[index]}: " if case.side
                 else f"process {self.started[index]}: " if self.started[index] > 1 else "")
        self.bar.update(task, description=escape(where + case.label))
        # without a terminal, ab says each pair as it begins (its first side is the one
        # ahead of its partner, index ^ 1): a long session shows it is moving
        if self.lines and case.side and self.started[index] > self.started.get(index ^ 1, 0):
            self.console.print(f"pair {self.started[index]}: {escape(case.label)}")

    def _took_s(self, result: CaseResult) -> float | None:
        try:
            return (datetime.fromisoformat(result.ended_at)
                    - datetime.fromisoformat(result.started_at)).total_seconds()
        except ValueError:
            return None

    def _reweigh(self, result: CaseResult) -> None:
        """Count the case as done, and expect similar cases to take what it took."""
        self.finished += 1
        planned = self.expected.pop(result.id, self.START_S)
        took = self._took_s(result)
        self.done_s += took if took is not None and took > 0 else planned
        if took is not None and took > 0 and result.id in self.similar:
            similar = self.similar[result.id]
            self.took[similar] = took
            for case_id in self.expected:
                if self.similar.get(case_id) == similar:
                    self.expected[case_id] = took
        self.bar.update(self.task, completed=self.done_s,
                        total=self.done_s + sum(self.expected.values()),
                        k=f"{self.finished}/{self.cases}")

    def case_finished(self, index: int, result: CaseResult) -> None:
        self._reweigh(result)
        if result.device in self.device_tasks:
            self.bar.advance(self.device_tasks[result.device])
        side = self.sides.get(index)
        label = escape(f"{side + ' ' if side else ''}{result.model_name} on {result.device}, "
                       f"t={result.threads} b={result.batch} {result.precision}")
        runs = len(result.runs)
        word = ("pair", "pairs") if side else ("process", "processes")
        count = f"{runs} {word[runs != 1]}"
        s = result.stats
        parts = ci_parts(s)
        if s is not None and s.median_ms is not None and s.ci95_low_ms is not None:
            spread = f", {parts.text()}" if parts is not None else ""
            self.console.print(f"[green]ok[/]     {label}: median {format_duration(s.median_ms)} "
                               f"(95% CI {format_duration(s.ci95_low_ms)} to "
                               f"{format_duration(s.ci95_high_ms or s.median_ms)}{spread}; "
                               f"{count}, n={s.n})")
        elif s is not None:  # a native tool's own aggregates
            figure = ("median", s.median_ms) if s.median_ms is not None else ("mean", s.mean_ms)
            self.console.print(f"[green]ok[/]     {label}: {figure[0]} {format_duration(figure[1])} "
                               f"(as {escape(result.runner)} reports it; {count}, n={s.n})")
        else:
            self.console.print(f"[red]failed[/] {label}: {escape(result.error or '')}")
        for code in result.validity.codes if result.status == "ok" else ():
            self.console.print(f"       [yellow]not valid:[/] {escape(code.code)}: "
                               f"{escape(code.detail)}" + (f"; {escape(code.advice)}"
                                                           if code.advice else ""))
        for warning in result.warnings:
            self.console.print(f"       [yellow]warning:[/] {escape(warning)}")

    def note(self, message: str) -> None:
        self.console.print(escape(message))
