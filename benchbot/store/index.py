"""The results index: an SQLite cache of every case in a results folder, one row per case.

``RESULTS/index.sqlite`` (WAL mode, the standard library's ``sqlite3``) lets reports
pick which cases they show without reading every run file: the configuration columns,
the model's identity, the statistics, validity, status, run id, start time, device, host
and commit of each case. The JSON run files stay the source of truth:

- the index is *caught up* before every query: a run file whose size or mtime (or its
  journal's) differs from what the index recorded is read again, a file gone is dropped,
  so runs copied in by hand or from other hosts are seen;
- :class:`RunWriter` (and ``save_run``) keep it current as cases are recorded
  (``note_case``) and when a run ends (``note_run``), where a query has made one (a save
  never creates it); a failure there never fails a run: the next catch-up repairs it;
- deleting it loses nothing (the next query rebuilds it); a corrupt or foreign file is
  rebuilt with a warning; ``benchbot index rebuild`` rebuilds it on demand;
- several writers (two runs, a farm host) each write in one ``BEGIN IMMEDIATE``
  transaction per change, so readers see whole runs or none.
- an index another process holds locked past ``BUSY_TIMEOUT_S`` is done without (the
  JSON files are read) for ``BUSY_BACKOFF_S`` in this process, said once.

Queries return rows with the file and the position of each case in it; callers read
the raw samples from the JSON only for the cases they show.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from benchbot.store.casekey import CONFIGURATION
from benchbot.store.records import CaseResult, RunRecord

INDEX_NAME = "index.sqlite"
INDEX_APP = "benchbot-results-index"
INDEX_VERSION = 3
CATCH_UP_BATCH = 200  # run files read, then written in one transaction
DISABLE_ENV = "BENCHBOT_NO_INDEX"  # set to 1: every command reads the JSON files only
# Another process's write lock on the index: wait this long, then go on without the index
# (it is only a cache) for BUSY_BACKOFF_S in this process, and say so once.
BUSY_TIMEOUT_S = 2.0
BUSY_BACKOFF_S = 300.0
_busy_since: dict[Path, float] = {}  # folder -> when its index was last found locked
_busy_said: set[Path] = set()

Warn = Callable[[str], None]

CASE_COLUMNS = (
    "file", "position", "run_id", "started_at", "case_id", "model_path", "model_name",
    "model_sha256", "device", "device_label", "runtime", "backend", "runner", "threads",
    "batch", "precision", "int8_mode", "status", "failure_kind", "n", "median_ms", "mean_ms",
    "p90_ms", "ci95_low_ms", "ci95_high_ms", "valid", "host", "git_commit", "processes",
    "run_ci95_low_ms", "run_ci95_high_ms", "is_ab")
CONFIG_COLUMNS = CONFIGURATION  # what a report tells apart (CaseKey.configuration)
KEY_COLUMNS = ("model_path", "model_name", *CONFIG_COLUMNS[1:])  # what compare pairs (CaseKey)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    name TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, jsize INTEGER, jmtime_ns INTEGER,
    run_id TEXT, started_at TEXT);
CREATE TABLE IF NOT EXISTS cases (
    file TEXT NOT NULL, position INTEGER NOT NULL, run_id TEXT, started_at TEXT,
    case_id TEXT, model_path TEXT, model_name TEXT, model_sha256 TEXT, device TEXT,
    device_label TEXT, runtime TEXT, backend TEXT, runner TEXT, threads INTEGER,
    batch INTEGER, precision TEXT, int8_mode TEXT, status TEXT, failure_kind TEXT,
    n INTEGER, median_ms REAL, mean_ms REAL, p90_ms REAL, ci95_low_ms REAL,
    ci95_high_ms REAL, valid INTEGER, host TEXT, git_commit TEXT, processes INTEGER,
    run_ci95_low_ms REAL, run_ci95_high_ms REAL, is_ab INTEGER,
    PRIMARY KEY (file, position));
CREATE INDEX IF NOT EXISTS cases_config ON cases ({', '.join(CONFIG_COLUMNS)}, started_at, file,
    position);
CREATE INDEX IF NOT EXISTS cases_key ON cases ({', '.join(KEY_COLUMNS)}, started_at, file,
    position);
CREATE INDEX IF NOT EXISTS cases_started ON cases (started_at, file, position);
"""


@dataclass(frozen=True)
class Row:
    """One case as the index knows it (no samples)."""

    file: str
    position: int
    run_id: str
    started_at: str
    case_id: str
    model_path: str
    model_name: str
    model_sha256: str
    device: str
    device_label: str
    runtime: str
    backend: str
    runner: str
    threads: int
    batch: int
    precision: str
    int8_mode: str | None
    status: str
    failure_kind: str | None
    n: int | None
    median_ms: float | None
    mean_ms: float | None
    p90_ms: float | None
    ci95_low_ms: float | None
    ci95_high_ms: float | None
    valid: int
    host: str
    git_commit: str | None
    processes: int | None  # measuring processes
    run_ci95_low_ms: float | None  # the run's own CI (Summary.run_ci95)
    run_ci95_high_ms: float | None
    is_ab: int  # 1: an A/B session (benchbot ab), which rolling baselines skip


def ignore(message: str) -> None:
    """A warning nobody reads (the default where no console is at hand)."""
    pass


def host_of(record: RunRecord) -> str:
    """The name of the host that drove the run ("" when it was not recorded)."""
    return record.host.hostname


def case_row(record: RunRecord, position: int, case: CaseResult, file: str) -> tuple[Any, ...]:
    """The index row of one case of a run (its values in CASE_COLUMNS order)."""
    c, s = case.config, case.stats
    label = record.label_of(case.device)
    host = host_of(record)
    return (file, position, record.run_id, record.started_at, case.id, c.model.path,
            c.model.name, c.model.sha256, c.device, label, c.runtime, c.backend, c.runner,
            c.threads, c.batch, c.precision, c.int8_mode, case.status,
            case.failure.kind if case.failure else None,
            s.n if s else None, s.median_ms if s else None, s.mean_ms if s else None,
            s.p90_ms if s else None, s.ci95_low_ms if s else None,
            s.ci95_high_ms if s else None, int(case.valid), host,
            record.git.commit if record.git else None, s.processes if s else None,
            *(s.run_ci95 if s else (None, None)), int(record.is_ab))


def _signature(folder: Path, name: str) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(folder / name)
    except OSError:
        return None
    try:
        jt = os.stat(folder / f"{name[:-5]}.cases.jsonl")
        jsize, jmtime = jt.st_size, jt.st_mtime_ns
    except OSError:
        jsize = jmtime = -1
    return st.st_size, st.st_mtime_ns, jsize, jmtime


def enabled() -> bool:
    return os.environ.get(DISABLE_ENV, "") in ("", "0")


class ResultsIndex:
    """The index of one results folder; open with :func:`open_index`."""

    def __init__(self, folder: Path, conn: sqlite3.Connection) -> None:
        self.folder = folder
        self.conn = conn

    def close(self) -> None:
        self.conn.close()

    # writing -------------------------------------------------------------------------
    def _replace_run(self, name: str, record: RunRecord | None,
                     sig: tuple[int, int, int, int] | None) -> None:
        self.conn.execute("DELETE FROM cases WHERE file = ?", (name,))
        self.conn.execute("DELETE FROM files WHERE name = ?", (name,))
        if record is None or sig is None:
            return
        self.conn.executemany(
            f"INSERT INTO cases VALUES ({', '.join('?' * len(CASE_COLUMNS))})",
            [case_row(record, i, c, name) for i, c in enumerate(record.cases)])
        self.conn.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
                          (name, *sig, record.run_id, record.started_at))

    def catch_up(self, warn: Warn = ignore) -> int:
        """Read again every run file changed since it was indexed; returns how many. A file
        that is not a readable run is left out of the index, with a warning each time."""
        from benchbot.errors import UserError
        from benchbot.store.files import load_run  # files imports this module

        def readable(name: str) -> RunRecord | None:
            try:
                return load_run(self.folder / name)
            except UserError as exc:
                warn(f"skipped {exc}")
                return None

        names = sorted(f.name for f in self.folder.glob("*.json") if not f.name.startswith("."))
        known = {r[0]: tuple(r[1:]) for r in self.conn.execute(
            "SELECT name, size, mtime_ns, jsize, jmtime_ns FROM files")}
        stale = []
        for name in names:
            sig = _signature(self.folder, name)
            if sig is not None and known.get(name) != sig:
                stale.append((name, sig))
        gone = set(known) - set(names)
        if not stale and not gone:
            return 0
        with self._write():
            for name in gone:
                self._replace_run(name, None, None)
        for start in range(0, len(stale), CATCH_UP_BATCH):
            # read outside the write lock, written in batches: writers wait little, and an
            # interrupted catch-up keeps what it did. The stat came first: a change after it
            # is caught next time.
            batch = [(name, readable(name), sig)
                     for name, sig in stale[start:start + CATCH_UP_BATCH]]
            with self._write():
                for name, record, sig in batch:
                    if record is not None:
                        self._replace_run(name, record, sig)
        return len(stale) + len(gone)

    def note_run(self, path: Path, record: RunRecord) -> None:
        """A run file just written: its rows replaced, its signature recorded."""
        with self._write():
            self._replace_run(path.name, record, _signature(self.folder, path.name))

    def note_case(self, path: Path, record: RunRecord, case: CaseResult) -> None:
        """One case just appended to a run's journal (the save stays one row's cost)."""
        name = path.name
        with self._write():
            self.conn.execute("DELETE FROM cases WHERE file = ? AND case_id = ?",
                              (name, case.id))
            position = self.conn.execute("SELECT coalesce(max(position) + 1, 0) FROM cases "
                                         "WHERE file = ?", (name,)).fetchone()[0]
            self.conn.execute(f"INSERT INTO cases VALUES ({', '.join('?' * len(CASE_COLUMNS))})",
                              case_row(record, position, case, name))
            known = self.conn.execute("SELECT 1 FROM files WHERE name = ?", (name,)).fetchone()
            if known:  # only a run indexed whole so far stays trusted
                sig = _signature(self.folder, name)
                self.conn.execute("UPDATE files SET size = ?, mtime_ns = ?, jsize = ?, "
                                  "jmtime_ns = ? WHERE name = ?", (*(sig or (-1,) * 4), name))

    def _write(self) -> "_Transaction":
        return _Transaction(self.conn)

    # reading -------------------------------------------------------------------------
    def rows(self, where: str = "", params: Iterable[Any] = (),
             order: str = "started_at, file, position") -> Iterator[Row]:
        sql = f"SELECT {', '.join(CASE_COLUMNS)} FROM cases"
        if where:
            sql += f" WHERE {where}"
        for values in self.conn.execute(f"{sql} ORDER BY {order}", tuple(params)):
            yield Row(*values)

    def select(self, columns: Iterable[str], where: str = "", params: Iterable[Any] = (),
               order: str = "started_at, file, position") -> Iterator[tuple[Any, ...]]:
        """Some columns of the cases, as plain tuples (a scan over many cases stays light)."""
        wanted = list(columns)
        unknown = set(wanted) - set(CASE_COLUMNS)
        if unknown:
            raise ValueError(f"not index columns: {', '.join(sorted(unknown))}")
        sql = f"SELECT {', '.join(wanted)} FROM cases"
        if where:
            sql += f" WHERE {where}"
        yield from self.conn.execute(f"{sql} ORDER BY {order}", tuple(params))

    def _last(self, key_columns: tuple[str, ...], key: tuple[Any, ...], where: list[str],
              params: list[Any], limit: int, newest: bool = True) -> list[Row]:
        """The newest (or oldest) ``limit`` rows of one key, through its index."""
        cond = " AND ".join([*(f"{c} IS ?" for c in key_columns), *where])
        way = " DESC" if newest else ""
        sql = (f"SELECT {', '.join(CASE_COLUMNS)} FROM cases WHERE {cond} ORDER BY "
               f"started_at{way}, file{way}, position{way} LIMIT ?")
        return [Row(*v) for v in self.conn.execute(sql, (*key, *params, limit))]

    def latest_rows(self, filters: dict[str, Any]) -> list[Row]:
        """The latest case of each configuration (by run start, file name, position),
        oldest first; one indexed look-up per configuration."""
        kept = {k: v for k, v in filters.items() if v is not None}
        where, params = [f"{k} = ?" for k in kept], list(kept.values())
        cond = f" WHERE {' AND '.join(where)}" if where else ""
        keys = self.conn.execute(f"SELECT DISTINCT {', '.join(CONFIG_COLUMNS)} FROM cases{cond}",
                                 params).fetchall()
        rows = [r for key in keys for r in self._last(CONFIG_COLUMNS, key, where, params, 1)]
        return sorted(rows, key=lambda r: (r.started_at, r.file, r.position))

    def recent_ok_rows(self, runs: int, before: str | None,
                       exclude: Iterable[str]) -> list[Row]:
        """The last ``runs`` successful cases of each comparison key (model name and path,
        every axis; no int8 mode and an empty one are one key) among runs started before
        ``before`` and not excluded; keys in the order they first appear, each key's cases
        oldest first (as a rolling baseline walks the runs)."""
        where, params = ["status = 'ok'", "is_ab = 0"], []
        if before is not None:
            where.append("started_at < ?")
            params.append(before)
        excluded = list(exclude)
        if excluded:
            where.append(f"run_id NOT IN ({', '.join('?' * len(excluded))})")
            params += excluded
        grouped: dict[tuple[Any, ...], tuple[tuple[Any, ...], list[Row]]] = {}
        for key in self.conn.execute(f"SELECT DISTINCT {', '.join(KEY_COLUMNS)} FROM cases"):
            first = self._last(KEY_COLUMNS, key, where, params, 1, newest=False)
            if not first:
                continue
            merged = (*key[:-1], key[-1] or "")
            at = (first[0].started_at, first[0].file, first[0].position)
            got = grouped.setdefault(merged, (at, []))
            grouped[merged] = (min(got[0], at),
                               got[1] + self._last(KEY_COLUMNS, key, where, params, runs))
        out = []
        for _, rows in sorted(grouped.values(), key=lambda g: g[0]):
            rows.sort(key=lambda r: (r.started_at, r.file, r.position))
            out += rows[-runs:]
        return out

    def latest_file(self) -> str | None:
        """The most recently started run's file name (ties: the larger name)."""
        got = self.conn.execute("SELECT name FROM files ORDER BY started_at DESC, name DESC "
                                "LIMIT 1").fetchone()
        return got[0] if got else None


class _Transaction:
    """BEGIN IMMEDIATE .. COMMIT: one writer at a time, readers see whole changes."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        self.conn.execute("COMMIT" if kind is None else "ROLLBACK")


def _meta(conn: sqlite3.Connection) -> dict[str, str] | None:
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
        return None
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())


class OlderIndex(sqlite3.DatabaseError):
    """benchbot's index, laid out by another version: rebuilt without a word."""


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        have = _meta(conn)
        if have is None:
            with _Transaction(conn):  # another process may be creating it too
                have = _meta(conn)
                if have is None:
                    if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                        raise sqlite3.DatabaseError("not a benchbot index (foreign tables)")
                    for statement in filter(str.strip, _SCHEMA.split(";")):
                        conn.execute(statement)
                    conn.execute("INSERT INTO meta VALUES ('app', ?), ('version', ?)",
                                 (INDEX_APP, str(INDEX_VERSION)))
                    have = _meta(conn)
        if have.get("app") == INDEX_APP and have.get("version") != str(INDEX_VERSION):
            raise OlderIndex(f"an index of another benchbot version ({have.get('version')})")
        if have != {"app": INDEX_APP, "version": str(INDEX_VERSION)}:
            raise sqlite3.DatabaseError(f"not this benchbot's index ({have})")
    except BaseException:
        conn.close()
        raise
    return conn


def is_busy(exc: sqlite3.Error) -> bool:
    """Whether ``exc`` is another connection's lock held past the busy timeout."""
    return isinstance(exc, sqlite3.OperationalError) and any(
        word in str(exc) for word in ("database is locked", "database table is locked", "busy"))


def _to_stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def note_busy(folder: Path, warn: Warn = ignore) -> None:
    """The folder's index was locked by another process: do without it for a while here,
    and say so once (through ``warn``, or on stderr where nobody passed one)."""
    key = folder.resolve()
    _busy_since[key] = time.monotonic()
    if key not in _busy_said:
        _busy_said.add(key)
        (_to_stderr if warn is ignore else warn)(
            f"{folder / INDEX_NAME} is locked by another process; going on without the "
            "results index (it is only a cache: a later command catches it up)")


def busy(folder: Path) -> bool:
    """Whether the folder's index was found locked in this process within BUSY_BACKOFF_S."""
    since = _busy_since.get(folder.resolve())
    return since is not None and time.monotonic() - since < BUSY_BACKOFF_S


def remove_index(folder: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        (folder / f"{INDEX_NAME}{suffix}").unlink(missing_ok=True)


def open_index(folder: Path, warn: Warn = ignore, *, catch_up: bool = True
               ) -> ResultsIndex | None:
    """The folder's index, caught up; None when disabled or the folder cannot hold one
    (read-only: the callers then read the JSON files as before)."""
    if not enabled() or not folder.is_dir() or busy(folder):
        return None
    path = folder / INDEX_NAME
    try:
        try:
            conn = _connect(path)
        except sqlite3.OperationalError:
            raise
        except OlderIndex:
            remove_index(folder)
            conn = _connect(path)
        except sqlite3.DatabaseError as exc:  # corrupt, or another program's database
            warn(f"{path}: {exc}; rebuilding it from the run files (it is only a cache)")
            remove_index(folder)
            conn = _connect(path)
        index = ResultsIndex(folder, conn)
        if catch_up:
            index.catch_up(warn)
        return index
    except sqlite3.OperationalError as exc:  # read-only folder, locked past the timeout
        if is_busy(exc):
            note_busy(folder, warn)
        else:
            warn(f"{path}: cannot use the results index ({exc}); reading the run files instead")
        return None


def rebuild_index(folder: Path, warn: Warn = ignore) -> int:
    """Delete the folder's index and index every run file again; returns the case count."""
    remove_index(folder)
    index = open_index(folder, warn)
    if index is None:
        raise OSError(f"cannot write {folder / INDEX_NAME}")
    try:
        return index.conn.execute("SELECT count(*) FROM cases").fetchone()[0]
    finally:
        index.close()
