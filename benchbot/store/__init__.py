"""Versioned results files: atomic writes after every case, validated reads."""

from __future__ import annotations

from benchbot.store.files import (find_run_files, load_run, new_run_id, run_path, save_run,
                                  utc_now, write_atomic)
from benchbot.store.records import SCHEMA_VERSION, CaseResult, RunRecord

__all__ = ["SCHEMA_VERSION", "CaseResult", "RunRecord", "find_run_files", "load_run",
           "new_run_id", "run_path", "save_run", "utc_now", "write_atomic"]
