"""Results files: one JSON document per run, rewritten atomically after every case."""

from __future__ import annotations

import json
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path

from benchbot.errors import UserError
from benchbot.store.records import SCHEMA_VERSION, RunRecord


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_run_id(now: datetime | None = None) -> str:
    """Sortable and unique: UTC start time plus a random suffix."""
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` so that a reader, or a crash, never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    # os.open honours the umask (mkstemp would make the file private to its owner)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)


def run_path(results_dir: Path, run_id: str) -> Path:
    return results_dir / f"{run_id}.json"


def save_run(record: RunRecord, results_dir: Path) -> Path:
    path = run_path(results_dir, record.run_id)
    write_atomic(path, json.dumps(record.to_dict(), indent=1) + "\n")
    return path


def load_run(path: Path) -> RunRecord:
    """Read a results file; refuses other formats and newer schema versions with the fix."""
    fix = "point --results at a folder of benchbot runs or at one run's .json file"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"results file not found: {path}; {fix}") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read it ({exc.strerror or exc}); {fix}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not a benchbot results file (invalid JSON: {exc}); "
                        f"{fix}") from None
    if not isinstance(doc, dict) or "schema_version" not in doc or "run_id" not in doc:
        raise UserError(f"{path}: not a benchbot results file (no schema_version/run_id); {fix}")
    version = doc["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise UserError(f"{path}: malformed results file (schema_version {version!r} is not a "
                        f"whole number); {fix}")
    if version > SCHEMA_VERSION:
        raise UserError(f"{path}: written by a newer benchbot (results schema {version}, this "
                        f"one reads up to {SCHEMA_VERSION}); upgrade benchbot to read it")
    try:
        return RunRecord.from_dict(doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"{path}: malformed results file ({type(exc).__name__}: {exc})") from None


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
