"""Versioned results: typed records (schema v2), one JSON codec, a journal per run that
costs the same at case 500 as at case 1, validated reads of v1 and v2 files."""

from __future__ import annotations

from benchbot.store.codec import SchemaError, case_doc, case_of_doc, record_doc, record_of_doc
from benchbot.store.files import (RunWriter, find_run_files, load_run, load_runs, new_run_id,
                                  run_path, save_run, utc_now, write_atomic)
from benchbot.store.findings import (Accuracy, OpProfile, OpTime, OutputError, Placement,
                                     Validity, ValidityCode)
from benchbot.store.records import (DEVICE_FAILURES, FAILURE_KINDS, SCHEMA_VERSION, CaseConfig,
                                    CaseResult, Failure, FarmPlacement, GitInfo, ModelRef,
                                    DeviceSample, Energy, MemoryFigure, ProcessRun, RunOwner, RunRecord, Schedule,
                                    SeriesPoint, Sustained, TensorInfo, VariantRef)

__all__ = ["DEVICE_FAILURES", "FAILURE_KINDS", "SCHEMA_VERSION", "Accuracy", "CaseConfig",
           "CaseResult", "Failure", "FarmPlacement", "GitInfo", "ModelRef", "OpProfile",
           "OpTime", "OutputError", "Placement", "ProcessRun", "RunOwner", "RunRecord",
           "Schedule", "Validity", "ValidityCode", "DeviceSample", "Energy", "MemoryFigure", "SeriesPoint", "Sustained",
           "RunWriter", "SchemaError", "TensorInfo", "VariantRef", "case_doc", "case_of_doc",
           "find_run_files", "load_run", "load_runs", "new_run_id", "record_doc", "record_of_doc",
           "run_path", "save_run", "utc_now", "write_atomic"]
