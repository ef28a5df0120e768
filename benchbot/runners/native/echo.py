"""What a native tool says back about its command line (pure).

Two kinds of lines matter after a run. A tool that did not take a flag says so,
and every dialect words it differently: BenchmarkModel's ``Unconsumed cmdline
flags: ...`` (a warning: the run goes on with its defaults), trtexec's ``Unknown
option`` / ``Unknown argument``, gflags' and Abseil's ``unknown command line
flag``, getopt's ``invalid option``. :func:`refused_flag_line` finds that line, and
the case is failed quoting it. And a tool echoes the parameters it runs with
(``Num threads: [4]``, ``threads: 4``, trtexec's ``=== Build Options ===``);
:func:`mismatch` words one echo that disagrees with what was asked.
"""

from __future__ import annotations

import re

from benchbot.runners.native.logtext import log_lines

_REFUSED = re.compile(r"(?i)(unconsumed cmdline flags|unknown option|unknown argument|"
                      r"unknown command line flag|unrecognized option|invalid option)")


def refused_flag_line(log: str) -> str | None:
    """The tool's line saying it did not take a flag it was given, or None."""
    for line in log_lines(log):
        if _REFUSED.search(line.line):
            return line.line.strip()
    return None


def echoed(log: str, pattern: re.Pattern[str]) -> list[str]:
    """Every value ``pattern``'s first group finds in the log's messages, in order."""
    found = []
    for line in log_lines(log):
        if m := pattern.search(line.message):
            found.append(m.group(1).strip())
    return found


def mismatch(what: str, asked: str, said: list[str]) -> str | None:
    """A one-line problem when the tool's last echo of ``what`` is not ``asked``
    (or it never echoed it); None when it confirms it."""
    if not said:
        return f"the tool did not echo {what} (asked: {asked}); it cannot be confirmed"
    if said[-1] != asked:
        return f"the tool ran with {what} {said[-1]}, not the {asked} it was given"
    return None


def flag_value(argv: list[str], flag: str) -> str | None:
    """The value of ``--flag=value`` in ``argv`` (the last one), or None."""
    value = None
    for arg in argv:
        if arg.startswith(flag + "="):
            value = arg.split("=", 1)[1]
    return value
