"""Versioned results: typed records (schema 3, its history in :mod:`benchbot.store.formats`),
one JSON codec, a journal per run that costs the same at case 500 as at case 1, validated
reads of every earlier schema."""

from __future__ import annotations

from benchbot.store.card import ModelCard, TensorSpec
from benchbot.store.casekey import CaseKey
from benchbot.store.codec import SchemaError, case_doc, case_of_doc, record_doc, record_of_doc
from benchbot.store.facts import Cluster, DeviceFacts, Gpu, HostFacts
from benchbot.store.files import (RunWriter, find_run_files, load_run, load_runs, new_run_id,
                                  run_path, save_run, utc_now, write_atomic)
from benchbot.store.findings import (Accuracy, OpProfile, OpTime, OutputError, Placement,
                                     Validity, ValidityCode)
from benchbot.store.records import (DEVICE_FAILURES, FAILURE_KINDS, SCHEMA_VERSION, CaseConfig,
                                    CaseResult, DeviceSample, Energy, Failure, FarmPlacement,
                                    GitInfo, MemoryFigure, ModelRef, PlannedCase, ProcessRun,
                                    RunOwner, RunRecord, Schedule, SeriesPoint, Sustained,
                                    TensorInfo, VariantRef)
from benchbot.store.settings import MeasureSettings

__all__ = ["DEVICE_FAILURES", "FAILURE_KINDS", "SCHEMA_VERSION", "Accuracy", "CaseConfig",
           "CaseKey", "CaseResult", "Cluster", "DeviceFacts", "DeviceSample", "Energy",
           "Failure", "FarmPlacement", "GitInfo", "Gpu", "HostFacts", "MeasureSettings",
           "MemoryFigure", "ModelCard", "ModelRef", "OpProfile", "OpTime", "OutputError",
           "Placement", "PlannedCase", "ProcessRun", "RunOwner", "RunRecord", "RunWriter",
           "Schedule", "SchemaError", "SeriesPoint", "Sustained", "TensorInfo", "TensorSpec",
           "Validity", "ValidityCode", "VariantRef", "case_doc", "case_of_doc",
           "find_run_files", "load_run", "load_runs", "new_run_id", "record_doc",
           "record_of_doc", "run_path", "save_run", "utc_now", "write_atomic"]
