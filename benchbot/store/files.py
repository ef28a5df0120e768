"""Results files: a save whose cost does not grow with the run, and validated reads.

While a run is measured it lives in two files in the results folder:

- ``RUN_ID.json``, the header (everything but the cases, plus ``"journal"``), replaced
  atomically when it changes (start, device facts, end);
- ``RUN_ID.cases.jsonl``, the journal: one line per finished case, appended and
  fsync'ed; a later line for the same case id replaces an earlier one.

Recording a case costs one append, whatever came before it. When the run ends the
whole document (header and cases) replaces ``RUN_ID.json`` atomically and the journal
is removed, so a finished run is one self-contained JSON file, as in schema v1. A run
killed at any moment (even ``kill -9``) leaves a header and a journal that
:func:`load_run` reads with every finished case (a torn last line is skipped).

A run being measured also holds an exclusive ``flock`` on ``.RUN_ID.lock`` (the
kernel drops it when the process dies), which ``--resume`` uses to refuse racing it.
"""

from __future__ import annotations

import errno
import fcntl
import gzip
import json
import os
import secrets
import sqlite3
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from benchbot.errors import UserError
from benchbot.store.codec import (SchemaError, case_doc, case_of_doc, header_doc,
                                  header_of_doc, record_doc, record_of_doc)
from benchbot.store.formats import FutureVersion, version_of
from benchbot.store.records import CaseResult, RunRecord
from benchbot.store import index as results_index

LOG_GZIP_BYTES = 64 * 1024
FIX = "point --results at a folder of benchbot runs or at one run's .json file"


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_run_id(now: datetime | None = None) -> str:
    """Sortable and unique: UTC start time plus a random suffix."""
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _fsync_dir(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make a rename or a new file itself durable
    finally:
        os.close(dir_fd)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` so that a reader, or a crash, never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    # os.open honours the umask (mkstemp would make the file private to its owner)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def dumps(doc: Any) -> str:
    """Strict JSON (no NaN or Infinity, which strict readers reject)."""
    return json.dumps(doc, indent=1, allow_nan=False) + "\n"


def run_path(results_dir: Path, run_id: str) -> Path:
    return results_dir / f"{run_id}.json"


def journal_path(results_dir: Path, run_id: str) -> Path:
    return results_dir / f"{run_id}.cases.jsonl"


def lock_path(results_dir: Path, run_id: str) -> Path:
    return results_dir / f".{run_id}.lock"


def results_problem(exc: OSError, folder: Path, saved: str = "nothing was measured") -> UserError:
    """A one-line error for a results folder that cannot be written, with the fix and
    what stays saved (``saved``)."""
    code = exc.errno
    if code == errno.ENOSPC:
        what = "the disk is full (ENOSPC)"
        fix = "free some space or pass --results DIR on another disk"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = "it is not writable"
        fix = "pass --results DIR with a folder you can write"
    elif code in (errno.EEXIST, errno.ENOTDIR):
        what = "it (or a folder above it) is a file, not a folder"
        fix = "pass --results DIR naming a folder"
    else:
        what = exc.strerror or str(exc)
        fix = "pass --results DIR naming a writable folder"
    return UserError(f"results folder {folder}: {what}; {fix} ({saved})")


class RunWriter:
    """Records one run as it goes: header atomically, each finished case appended."""

    def __init__(self, record: RunRecord, results_dir: Path) -> None:
        self.results_dir = results_dir
        self.run_id = record.run_id
        self.path = run_path(results_dir, record.run_id)
        self.journal = journal_path(results_dir, record.run_id)
        self._lock_fd: int | None = None
        self._fd: int | None = None
        self._record = record  # the header's run-level facts, for the index rows
        self._saved = len(record.cases)  # cases in the journal (an earlier session's first)
        try:
            results_dir.mkdir(parents=True, exist_ok=True)
            self._lock_fd = hold_run_lock(results_dir, record.run_id)
            # cases of an earlier session of this run (resume) go first into a new journal
            lines = "".join(json.dumps(case_doc(c), allow_nan=False) + "\n"
                            for c in record.cases)
            write_atomic(self.journal, lines)
            self._fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW)
            self.write_header(record)
        except OSError as exc:
            self.close()
            raise results_problem(exc, results_dir, self._kept()) from None

    def _kept(self) -> str:
        """What stays saved when a write fails now."""
        if not self._saved:
            return "nothing was measured"
        return (f"the {self._saved} case(s) finished so far stay saved in {self.journal.name}; "
                f"finish the run with: benchbot run --resume {self.run_id}")

    def write_header(self, record: RunRecord) -> None:
        """Replace the header (start, device facts learnt, status)."""
        self._record = record
        write_atomic(self.path, dumps(header_doc(record, journal=self.journal.name)))

    def add(self, case: CaseResult) -> CaseResult:
        """Append one finished case (its tools' logs written beside it first); costs the
        same at case 500 as at case 1. Returns the case as recorded."""
        assert self._fd is not None
        try:
            case = self._keep_logs(case)
            line = (json.dumps(case_doc(case), allow_nan=False) + "\n").encode("utf-8")
            os.write(self._fd, line)
            os.fsync(self._fd)
        except OSError as exc:
            raise results_problem(exc, self.results_dir, self._kept()) from None
        self._saved += 1
        _note_index(self.results_dir, lambda ix: ix.note_case(self.path, self._record, case))
        return case

    def _keep_logs(self, case: CaseResult) -> CaseResult:
        """Each native run's whole output into RUN_ID.logs/CASE-N.log (.gz past 64 KiB)."""
        if not any(r.log is not None and r.log_file is None for r in case.runs):
            return case
        folder = self.results_dir / f"{self.run_id}.logs"
        folder.mkdir(exist_ok=True)
        runs = []
        for n, run in enumerate(case.runs, 1):
            if run.log is not None and run.log_file is None:
                data = run.log.encode("utf-8", errors="replace")
                name = f"{case.id}-{n}.log"
                if len(data) > LOG_GZIP_BYTES:
                    data, name = gzip.compress(data), name + ".gz"
                write_atomic(folder / name, data)
                run = replace(run, log_file=f"{folder.name}/{name}")
            runs.append(run)
        return replace(case, runs=tuple(runs))

    def finish(self, record: RunRecord) -> None:
        """The whole run into one file; the journal is then removed."""
        try:
            write_atomic(self.path, dumps(record_doc(record)))
        except OSError as exc:
            raise results_problem(exc, self.results_dir, self._kept()) from None
        finally:
            self.close()
        self.journal.unlink(missing_ok=True)
        _note_index(self.results_dir, lambda ix: ix.note_run(self.path, record))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
        if self._lock_fd is not None:
            release_run_lock(self.results_dir, self.run_id, self._lock_fd)
        self._fd = self._lock_fd = None


def _note_index(folder: Path, change: Any) -> None:
    """Keep the results index current, where a query made one (a save never creates it);
    never fails a save (the next catch-up repairs it)."""
    if not (folder / results_index.INDEX_NAME).is_file():
        return
    try:
        index = results_index.open_index(folder, catch_up=False)
        if index is not None:
            try:
                change(index)
            finally:
                index.close()
    except sqlite3.Error as exc:
        if results_index.is_busy(exc):
            results_index.note_busy(folder)
    except OSError:
        pass


def hold_run_lock(results_dir: Path, run_id: str) -> int:
    """Take the run's lock (held while it is measured); UserError if a live process has it.

    The lock file is removed when its holder is done (:func:`release_run_lock`), so a
    lock taken on a file that was removed meanwhile is worth nothing: taken again on
    the file now at the path."""
    path = lock_path(results_dir, run_id)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UserError(f"run {run_id} is still being measured by another benchbot process; "
                            "wait for it to end (or stop it) before resuming it") from None
        if _same_file(fd, path):
            return fd
        os.close(fd)  # its holder removed it as we opened it: the path holds another now


def _same_file(fd: int, path: Path) -> bool:
    try:
        here, there = os.fstat(fd), os.lstat(path)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def release_run_lock(results_dir: Path, run_id: str, fd: int) -> None:
    """Remove the run's lock file, if it is still the one ``fd`` holds, then let it go; a
    process that opened it meanwhile sees it removed and takes a fresh one."""
    try:
        if _same_file(fd, lock_path(results_dir, run_id)):
            lock_path(results_dir, run_id).unlink(missing_ok=True)
    except OSError:
        pass  # a lock file left behind is litter, not harm
    finally:
        os.close(fd)


def save_run(record: RunRecord, results_dir: Path) -> Path:
    """Write a whole run as one file (a finished run; tests and tools)."""
    path = run_path(results_dir, record.run_id)
    try:
        write_atomic(path, dumps(record_doc(record)))
    except OSError as exc:
        raise results_problem(exc, results_dir, "the run was not saved") from None
    _note_index(results_dir, lambda ix: ix.note_run(path, record))
    return path


def _journal_cases(path: Path, journal: Path, version: int) -> Iterator[CaseResult]:
    try:
        text = journal.read_text(encoding="utf-8")
    except FileNotFoundError:
        return  # finished meanwhile, or removed: the header's cases are all there are
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):  # a torn last line: the process died while appending
                return
            raise UserError(f"{journal}: line {number} is not JSON; remove that line or the "
                            f"file, then benchbot run --resume {path.stem}") from None
        yield case_of_doc(doc, f"{journal.name} line {number}", version)


def load_run(path: Path) -> RunRecord:
    """Read a results file (any schema benchbot wrote, decoded by its version; a running run
    with its journal), validated deeply;
    malformed input is a one-line UserError naming the file and the field."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"results file not found: {path}; {FIX}") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder; {FIX}") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read it ({exc.strerror or exc}); {FIX}") from None
    except json.JSONDecodeError as exc:
        if _cut_off(exc):
            raise UserError(f"{path}: truncated: its JSON ends after {len(exc.doc.encode())} "
                            "bytes, in the middle of the document (cut off while copied or "
                            "written); copy it again from where it came from, or move it out "
                            "of the results folder") from None
        raise UserError(f"{path}: not a benchbot results file (invalid JSON: {exc}); "
                        f"{FIX}") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not a benchbot results file (invalid JSON: {exc}); "
                        f"{FIX}") from None
    if not isinstance(doc, dict) or "schema_version" not in doc or "run_id" not in doc:
        raise UserError(f"{path}: not a benchbot results file (no schema_version/run_id); {FIX}")
    try:
        version_of(doc)
    except FutureVersion as exc:
        raise UserError(f"{path}: {exc}") from None
    except SchemaError as exc:
        raise UserError(f"{path}: malformed results file ({exc}); {FIX}") from None
    try:
        if isinstance(doc.get("journal"), str):
            record = header_of_doc(doc)
            by_id: dict[str, CaseResult] = {}
            for case in _journal_cases(path, path.parent / doc["journal"],
                                       record.schema_version):
                by_id.pop(case.id, None)  # a later attempt replaces and moves to the end
                by_id[case.id] = case
            return replace(record, cases=tuple(by_id.values()))
        return record_of_doc(doc)
    except SchemaError as exc:
        raise UserError(f"{path}: malformed results file ({exc}); fix that field or remove "
                        "the file") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"{path}: malformed results file ({type(exc).__name__}: {exc}); "
                        "fix or remove the file") from None


def _cut_off(exc: json.JSONDecodeError) -> bool:
    """Whether the JSON was well formed up to where it stops: a document begun (``{``)
    that the parser ran out of, rather than one that goes wrong in the middle."""
    started = exc.doc.lstrip().startswith("{")
    return started and (exc.pos >= len(exc.doc.rstrip())
                        or exc.msg.startswith("Unterminated string"))


def find_run_files(paths: list[Path]) -> list[Path]:
    """Results files named directly, or every run file inside the folders named."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found.extend(sorted(f for f in p.glob("*.json") if not f.name.startswith(".")))
        elif p.is_file():
            found.append(p)
        else:
            raise UserError(f"no results at {p}: give a results folder or a run's .json file")
    return found


def load_runs(paths: list[Path], warn: Callable[[str], None]) -> list[RunRecord]:
    """The runs of ``paths``: a run file named directly must load; in a folder, a foreign or
    broken run (a bad journal line included) is skipped with one ``warn("skipped ...")``
    naming it, and the good runs are kept. Every command that reads a folder reads it so;
    when nothing loads, the first reason is the error."""
    return [record for _, record in load_run_files(paths, warn)]


def load_run_files(paths: list[Path], warn: Callable[[str], None]) -> list[tuple[Path, RunRecord]]:
    """:func:`load_runs`, each run with its file."""
    loaded: list[tuple[Path, RunRecord]] = []
    skipped: list[str] = []
    for path in paths:
        for f in find_run_files([path]):
            try:
                loaded.append((f, load_run(f)))
            except UserError as exc:  # its message names the file and what is wrong with it
                if not path.is_dir():
                    raise
                skipped.append(str(exc))
    if skipped and not loaded:
        more = f" (and {len(skipped) - 1} more file(s) like it)" if len(skipped) > 1 else ""
        raise UserError(skipped[0] + more)
    for reason in skipped:
        warn(f"skipped {reason}")
    return loaded
