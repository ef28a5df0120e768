"""Why a native tool run failed, in the tool's own words (pure).

A tool that exits non-zero has usually said why: TFLite's ``ERROR: ...``,
glog/absl lines (``E0123 10:11:12.345 123 file.cc:45] ...``, ``... E
tensorflow/lite/...``), ONNX Runtime's ``[E:onnxruntime:...]``, TensorRT's
``[E] ...`` and ``&&&& FAILED``, a shell's ``not found``, a linker's ``CANNOT
LINK EXECUTABLE``. :func:`failure_message` quotes the last such line with the
exit code, or the tool's last lines when none is recognised, so that a tool
that exits 2 on a bad flag is not reported as "no inference timings".
"""

from __future__ import annotations

import re
import signal

from benchbot.runners.native.logtext import LogLine, log_lines
from benchbot.runners.native.result import NO_TIMINGS

#: Lines that state an error (the best quote).
_STRONG = [re.compile(p) for p in (
    r"(?i)\berror\b\s*(?:\[\d+\])?\s*[:\]]",  # "error:", "ERROR:", "Error[10]:", "[error]"
    r"(?i)^(?:fatal|error)\b",  # "Error while ...", "FATAL ..."
    r"(?i)\berror code\b",
    r"^[EF]\d{4} [\d:.]+\s+\d+\s+\S+:\d+\]",  # glog / absl: E0123 10:11:12.345 123 f.cc:4]
    r"(?:^|\s)[EF] (?:tensorflow|tflite|third_party|external|litert)/",  # TF's "E tensorflow/.."
    r"\[[EF]:onnxruntime",  # [E:onnxruntime:Default, ...]
    r"(?i)\bunknown (?:option|flag|argument|command)\b",
    r"(?i)\bunrecognized (?:option|flag|argument)s?\b",
    r"(?i)\bunconsumed cmdline flags\b",
    r"(?i)\binvalid (?:option|argument|value)\b",
    r"CANNOT LINK EXECUTABLE",
    r"(?i)(?:^|: )(?:[\w./-]+: )?(?:not found|permission denied|no such file or directory)\s*$",
    r"(?i)\bsegmentation fault\b|\baborted\b|\bterminate called\b|\bcore dumped\b",
)]
#: Lines that say only that something failed (quoted when nothing better is there).
_WEAK = [re.compile(p) for p in (
    r"^&&&& FAILED\b",
    r"(?i)\bbenchmarking failed\b",
    r"(?i)^(?:failed to|could not|cannot|unable to)\b",
    r"(?i)\bfailed\b",
)]
_MAX_QUOTE = 300
_LAST_LINES = 3


def _strong(line: LogLine) -> bool:
    return line.level in ("E", "F") or any(p.search(line.line) for p in _STRONG)


def _weak(line: LogLine) -> bool:
    return any(p.search(line.line) or p.search(line.message) for p in _WEAK)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_QUOTE else text[:_MAX_QUOTE - 1] + "…"


def error_line(stdout: str, stderr: str, strong: bool = True) -> str | None:
    """The tool's last line stating an error (``strong``) or only a failure (stderr first)."""
    for lines in (log_lines(stderr), log_lines(stdout)):
        found = [ln for ln in lines if ln.line.strip() and (_strong if strong else _weak)(ln)]
        if found:
            return _clip(found[-1].line)
    return None


def last_lines(stdout: str, stderr: str, count: int = _LAST_LINES) -> str:
    """The last non-blank lines the tool printed (stderr if it printed any), joined by ' | '."""
    for text in (stderr, stdout):
        lines = [ln.line.strip() for ln in log_lines(text) if ln.line.strip()]
        if lines:
            return " | ".join(_clip(line) for line in lines[-count:])
    return ""


def exit_status(exit_code: int) -> str:
    """'exited with code 2'; a signal named where the code says one killed the tool."""
    number = -exit_code if exit_code < 0 else exit_code - 128 if 128 < exit_code < 160 else 0
    try:
        name = signal.Signals(number).name if number else ""
    except ValueError:
        name = ""
    if exit_code < 0:
        return f"was killed by {name or f'signal {number}'}"
    return f"exited with code {exit_code}" + (f" ({name}?)" if name else "")


def failure_message(exit_code: int | None, stdout: str, stderr: str,
                    parsed_error: str | None = None) -> str:
    """One line saying why a tool run gave no result: its exit code and its own words.

    ``parsed_error`` is what the parser made of the log; it is kept when the
    tool exited 0 (e.g. "the log holds 2 measurements"), except that a bare
    "no inference timings" gets the tool's last lines beside it.
    """
    # the parser knows its tool's own error forms (e.g. an ONNX Runtime line without a level)
    known = _clip(parsed_error.replace("\n", "; ")) if parsed_error and \
        parsed_error != NO_TIMINGS else None
    quote = error_line(stdout, stderr) or (known if exit_code not in (0, None) else None) \
        or error_line(stdout, stderr, strong=False)
    if exit_code not in (0, None):
        if quote is not None:
            return f"{exit_status(exit_code)}: {quote}"
        tail = last_lines(stdout, stderr)
        return f"{exit_status(exit_code)}" + (f"; its last lines: {tail}" if tail
                                              else " and printed nothing")
    if known:
        return known
    tail = quote or last_lines(stdout, stderr)
    return NO_TIMINGS + (f"; the tool's last words: {tail}" if tail else " (it printed nothing)")
