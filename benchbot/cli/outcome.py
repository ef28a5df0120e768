"""What a command found, as a value: `cli/main.py` alone turns it into the exit code.

A command returns an :class:`Outcome` (or nothing, for plain success); errors it raises
are mapped in `cli/main.py` too. The table, also in ``benchbot --help`` and the README:

    0    success: every case ok, nothing slower (also when stdout was closed early,
         e.g. ``| head``: the output counts as read)
    1    a regression found (compare, nightly, ab), or a case failed at run time
    2    bad input: an option, a file, a profile, a model (one line on stderr)
    3    a device unavailable, busy or lost: the infrastructure, not the model
    130  interrupted by Ctrl-C (SIGINT); results measured so far are saved
    143  terminated by SIGTERM; results measured so far are saved

When several apply: a signal first (130, 143), then a regression (1: the finding a CI
job gates on), then a device unavailable or lost (3), then a failed case (1).
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import Iterable

from benchbot.store.records import DEVICE_FAILURES  # the infrastructure's kinds: exit 3

OK, FOUND, BAD_INPUT, UNAVAILABLE = 0, 1, 2, 3
SIGNAL_EXITS = {signal.SIGINT: 130, signal.SIGTERM: 143}


@dataclass(frozen=True)
class Outcome:
    """What a command found: regressions, the kinds of the cases that failed, a signal."""

    regressions: int = 0
    failures: frozenset[str] = frozenset()
    interrupted_by: int | None = None  # the signal number that ended the command

    @classmethod
    def of(cls, *, regressions: int = 0, failures: Iterable[str | None] = ()) -> Outcome:
        """An outcome from counts; a failed case with no kind counts as a runtime error."""
        return cls(regressions=regressions,
                   failures=frozenset(k or "runtime_error" for k in failures))


def exit_code(outcome: Outcome | None) -> int:
    """The documented exit code of an outcome (see the module's table)."""
    if outcome is None:
        return OK
    if outcome.interrupted_by is not None:
        return SIGNAL_EXITS.get(outcome.interrupted_by, 128 + outcome.interrupted_by)
    if outcome.regressions:
        return FOUND
    if outcome.failures & DEVICE_FAILURES:
        return UNAVAILABLE
    return FOUND if outcome.failures else OK
