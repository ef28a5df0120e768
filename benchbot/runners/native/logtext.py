"""Reading native tools' console text: line prefixes, log levels and numbers (pure).

The same tool output reaches benchbot wrapped in different prefixes: TFLite's
own ``INFO:``/``ERROR:`` tags, Android logcat (``11-20 10:12:13.456  1234  1234
I tflite  : ...`` or ``I/tflite  ( 1234): ...``), and TensorRT's
``[01/02/2024-10:11:12] [I] ``, sometimes with several timestamps stacked.
:func:`log_lines` strips them once so that the parsers match the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: A decimal number as C++ streams print it: 12, 0.5, 1.24027e+06, -3.
NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"

_LOGCAT_THREADTIME = re.compile(
    r"^\d\d-\d\d\s+\d\d:\d\d:\d\d\.\d+\s+\d+\s+\d+\s+([VDIWEF])\s+[^:]*?\s*:\s?")
_LOGCAT_BRIEF = re.compile(r"^([VDIWEF])/[^(:]*\(\s*\d+\):\s?")
_TRT_STAMPS = re.compile(r"^(?:\[\d\d/\d\d/\d{4}-\d\d:\d\d:\d\d\]\s*)+(?:\[([VIWEF])\]\s?)?")
_LEVEL_WORD = re.compile(r"^(INFO|VERBOSE|WARNING|WARN|ERROR|DEBUG|FATAL): ?")
_WORD_TO_LEVEL = {"INFO": "I", "VERBOSE": "V", "WARNING": "W", "WARN": "W", "ERROR": "E",
                  "DEBUG": "D", "FATAL": "F"}


@dataclass(frozen=True)
class LogLine:
    """One console line: as printed by the tool, and its message without the level tag."""

    number: int  # 0-based position in the text
    raw: str  # exactly as in the text (without the line break)
    line: str  # without transport prefixes (logcat, TensorRT timestamps); keeps "ERROR: "
    message: str  # additionally without the tool's level tag ("INFO: ", "[I] ")
    level: str  # "E", "W", "I", "V", "D", "F", or "" when the line has no level


def log_lines(text: str) -> list[LogLine]:
    """The lines of ``text`` with their prefixes taken apart; trailing blanks removed."""
    out = []
    for number, raw in enumerate(text.splitlines()):
        line, level = raw.rstrip(), ""
        for pattern in (_LOGCAT_THREADTIME, _LOGCAT_BRIEF):
            match = pattern.match(line)
            if match:
                line, level = line[match.end():], match.group(1)
                break
        match = _TRT_STAMPS.match(line)
        if match:
            line, level = line[match.end():], match.group(1) or level
        message = line
        match = _LEVEL_WORD.match(line)
        if match:
            message, level = line[match.end():], _WORD_TO_LEVEL[match.group(1)]
        elif line.startswith("[") and len(line) > 3 and line[2] == "]" and line[1] in "VIWEF":
            message, level = line[3:].lstrip(), line[1]  # "[E] ..." without a timestamp
        out.append(LogLine(number=number, raw=raw, line=line, message=message.strip(),
                           level=level))
    return out


def number(text: str) -> float:
    """A number token as a float ('1.24027e+06' -> 1240270.0)."""
    return float(text)


def same_number(a: str, b: str) -> bool:
    """True when two printed numbers are the same value at the printed precision."""
    if a == b:
        return True
    x, y = float(a), float(b)
    return abs(x - y) <= 1e-6 * max(abs(x), abs(y), 1e-12)


def unique(items: list[str]) -> list[str]:
    """Items in first-seen order without repeats (tools often print an error twice)."""
    return list(dict.fromkeys(items))
