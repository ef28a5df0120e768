"""Results as values and as files: CaseResult / RunRecord, atomic writes, validated reads.

Pure tests; every file lives under ``tmp_path``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

import benchbot.store.files
from benchbot.store.codec import card_doc
from benchbot.store import DeviceFacts, HostFacts, MeasureSettings
from benchbot.errors import UserError
from benchbot.stats import Summary, summarize
from benchbot.store import (SCHEMA_VERSION, CaseResult, RunRecord, RunWriter, TensorInfo,
                            case_doc, case_of_doc, find_run_files, load_run, new_run_id,
                            record_doc, record_of_doc, run_path, save_run, write_atomic)
from benchbot.store.files import journal_path
from tests.support.cases import make_case

CASE_KEYS = {"model", "model_sha256", "model_size_mb", "device", "runtime", "threads", "batch",
             "precision", "status", "error", "samples_ms", "stats"}
RUN_KEYS = {"schema_version", "run_id", "started_at", "ended_at", "command", "host", "devices",
            "benchbot_version", "runtime_versions", "cases"}
STAT_KEYS = {"n", "mean_ms", "median_ms", "p90_ms", "p99_ms", "std_ms", "min_ms", "max_ms",
             "mad_ms", "ci95_low_ms", "ci95_high_ms", "processes", "between_cv", "within_cv",
             "within_ci95_low_ms", "within_ci95_high_ms", "between_runs_sd", "between_runs_from"}
# words that tell the reader what to do next
ACTION = re.compile(r"\b(give|pass|point|use|remove|delete|move|upgrade|run|re-run|rerun|check|"
                    r"fix|regenerate)\b", re.IGNORECASE)


def ok_case(**kw: object) -> CaseResult:
    samples = (10.5, 10.1, 10.3, 10.2, 10.9, 10.4, 10.0)
    values: dict[str, object] = dict(
        id="0123456789ab", model="models/resnet50.onnx", model_sha256="ab" * 32,
        model_size_mb=102.4, device="local", runtime="onnxruntime", threads=4, batch=1,
        precision="fp32", status="ok", samples_ms=samples, stats=summarize(samples),
        warnings=("only 7 timed runs: raise --max-time",), started_at="2026-01-01T10:00:00.000+00:00",
        ended_at="2026-01-01T10:00:05.000+00:00", runtime_version="1.18.0",
        inputs=(TensorInfo("x", "float32", (1, 3, 224, 224)),))
    values.update(kw)
    return make_case(**values)  # type: ignore[arg-type]


def failed_case(**kw: object) -> CaseResult:
    values: dict[str, object] = dict(id="ba9876543210", model="models/tiny.tflite",
                                     model_sha256="cd" * 32, model_size_mb=0.2, device="pixel7",
                                     runtime="litert", threads=1, batch=1, precision="int8",
                                     status="failed", error="agent exited with code 139")
    values.update(kw)
    return make_case(**values)  # type: ignore[arg-type]


def record(**kw: object) -> RunRecord:
    values: dict[str, object] = dict(
        run_id="20260101T100000Z-a1b2c3", started_at="2026-01-01T10:00:00.000+00:00",
        command=("benchbot", "run", "--model", "models/resnet50.onnx"),
        benchbot_version="0.1.0", host=HostFacts(hostname="box", python="3.12.1"),
        devices={"local": DeviceFacts("host", label="This machine", machine="x86_64")},
        settings=MeasureSettings(warmup=5, min_runs=20), planned_cases=2)
    values.update(kw)
    return RunRecord(**values)  # type: ignore[arg-type]


# --- CaseResult ---------------------------------------------------------------------------------


def roundtrip(case: CaseResult) -> CaseResult:
    return case_of_doc(json.loads(json.dumps(case_doc(case), allow_nan=False)))


def test_case_roundtrip_through_json() -> None:
    case = ok_case()
    back = roundtrip(case)
    assert back == case
    assert isinstance(back.samples_ms, tuple) and isinstance(back.stats, Summary)


def test_failed_case_roundtrip_through_json() -> None:
    case = failed_case()
    back = roundtrip(case)
    assert back == case
    assert back.stats is None and back.error == "agent exited with code 139"
    assert back.failure is not None and back.failure.kind == "runtime_error"


def test_aggregates_case_roundtrip() -> None:
    case = ok_case(samples_ms=(), stats=Summary.from_aggregates(100, 3.2, std_ms=0.1),
                   stats_source="aggregates", runner="benchmark_model")
    back = roundtrip(case)
    assert back == case
    assert back.stats is not None and back.stats.median_ms is None


def test_several_processes_keep_their_own_samples_and_write_each_once() -> None:
    case = ok_case(runs=[(10.0, 10.2), (11.0, 11.1, 11.3)])
    doc = case_doc(case)
    assert doc["samples_ms"] == [10.0, 10.2, 11.0, 11.1, 11.3]  # v1 meaning: every sample
    assert [r["sample_count"] for r in doc["runs"]] == [2, 3]
    assert "samples_ms" not in doc["runs"][0]  # no sample is written twice
    back = roundtrip(case)
    assert [r.samples_ms for r in back.runs] == [(10.0, 10.2), (11.0, 11.1, 11.3)]


def test_case_dict_has_the_spec_keys() -> None:
    doc = case_doc(ok_case())
    assert CASE_KEYS <= set(doc)
    assert set(doc["stats"]) == STAT_KEYS
    assert doc["samples_ms"] == [10.5, 10.1, 10.3, 10.2, 10.9, 10.4, 10.0]
    assert doc["stats"]["median_ms"] == 10.3 and doc["stats"]["n"] == 7
    assert doc["error"] is None and doc["failure"] is None
    assert doc["model_ref"]["sha256"] == "ab" * 32 and doc["model_ref"]["name"] == "resnet50"
    assert case_doc(failed_case())["stats"] is None
    assert case_doc(failed_case())["failure"]["kind"] == "runtime_error"


def test_case_from_dict_ignores_unknown_keys_and_defaults_missing_optional_ones() -> None:
    doc = case_doc(failed_case())
    doc["added_by_a_later_minor_version"] = 1
    for optional in ("samples_ms", "warnings", "runner", "backend", "failure", "card"):
        del doc[optional]
    back = case_of_doc(doc)
    assert back.samples_ms == () and back.warnings == () and back.card is None
    assert back.runner == "agent" and back.backend == "cpu"
    assert back.failure is not None and back.error == "agent exited with code 139"


@pytest.mark.parametrize(("field", "value", "where"), [
    ("threads", "4", "case.threads"),
    ("samples_ms", [1.0, "x"], "case.samples_ms[1]"),
    ("failure", {"kind": "oops", "message": "m"}, "case.failure.kind"),
    ("model_ref", {"path": "m.onnx", "sha256": 3, "size_bytes": 1}, "case.model_ref.sha256"),
])
def test_a_malformed_field_is_named(field: str, value: object, where: str) -> None:
    doc = {**case_doc(failed_case()), field: value}
    with pytest.raises(ValueError, match=re.escape(where)):
        case_of_doc(doc)


def test_non_finite_numbers_never_reach_json() -> None:
    case = ok_case(extras={"odd": float("nan"), "big": float("inf")})
    text = json.dumps(case_doc(case), allow_nan=False)  # would raise on NaN/Infinity
    assert '"odd": null' in text


def test_ok_case_needs_stats() -> None:
    with pytest.raises(ValueError, match="statistics"):
        dataclasses.replace(ok_case(), stats=None)


@pytest.mark.parametrize("status", ["done", "OK", "", "running"])
def test_case_status_is_ok_or_failed(status: str) -> None:
    with pytest.raises(ValueError, match="ok or failed"):
        dataclasses.replace(ok_case(), status=status)


def test_case_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ok_case().status = "failed"  # type: ignore[misc]


@pytest.mark.parametrize(("model", "name"), [
    ("models/resnet50.onnx", "resnet50"),
    ("resnet50.onnx", "resnet50"),
    ("C:\\models\\mobilenet_v2.tflite", "mobilenet_v2"),
    ("/abs/efficientnet-lite0.int8.tflite", "efficientnet-lite0.int8"),
    ("plain", "plain"),
])
def test_model_name(model: str, name: str) -> None:
    assert ok_case(model=model).model_name == name


def test_with_device_state_adds_without_changing_the_original() -> None:
    case = ok_case()
    hot = case.with_device_state({"temp_c": 71.5}, ["the device throttled: let it cool"])
    assert hot.runs[-1].device_state == {"temp_c": 71.5}
    assert hot.runtime_version == "1.18.0"
    assert hot.warnings == (*case.warnings, "the device throttled: let it cool")
    assert case.runs[-1].device_state is None


# --- RunRecord ----------------------------------------------------------------------------------


def test_with_case_and_finished_return_new_records() -> None:
    start = record()
    one = start.with_case(ok_case())
    two = one.with_case(failed_case())
    assert start.cases == () and len(one.cases) == 1
    assert [c.status for c in two.cases] == ["ok", "failed"]
    assert two.failed == (failed_case(),)
    done = two.finished("complete", "2026-01-01T10:01:00.000+00:00")
    assert (done.status, done.ended_at) == ("complete", "2026-01-01T10:01:00.000+00:00")
    assert (two.status, two.ended_at) == ("running", None)
    assert done.cases == two.cases


def test_runtime_versions_come_from_the_cases() -> None:
    r = record().with_case(ok_case()).with_case(failed_case())
    assert r.runtime_versions == {"onnxruntime": "1.18.0"}
    r = r.with_case(failed_case(runtime_version="2.14"))
    assert r.runtime_versions == {"onnxruntime": "1.18.0", "litert": "2.14"}
    assert record().runtime_versions == {}


def test_run_dict_has_the_spec_keys() -> None:
    r = record().with_case(ok_case()).with_case(failed_case()).finished(
        "complete", "2026-01-01T10:01:00.000+00:00")
    doc = record_doc(r)
    assert RUN_KEYS <= set(doc)
    assert doc["schema_version"] == SCHEMA_VERSION == 3
    assert doc["command"] == ["benchbot", "run", "--model", "models/resnet50.onnx"]
    assert doc["runtime_versions"] == {"onnxruntime": "1.18.0"}
    assert doc["ended_at"] == "2026-01-01T10:01:00.000+00:00"
    assert len(doc["cases"]) == 2
    for case in doc["cases"]:
        assert CASE_KEYS <= set(case)
    assert set(doc["cases"][0]["stats"]) == STAT_KEYS
    json.dumps(doc, allow_nan=False)  # plain JSON


def test_run_from_dict_roundtrip_and_defaults() -> None:
    r = record().with_case(ok_case())
    assert record_of_doc(json.loads(json.dumps(record_doc(r)))) == r
    minimal = record_of_doc({"schema_version": 2, "run_id": "x", "started_at": "2026-01-01"})
    assert minimal.status == "complete" and minimal.cases == () and minimal.command == ()
    assert minimal.planned_cases == 0


# --- files --------------------------------------------------------------------------------------


def test_new_run_id_is_sortable_by_start_time() -> None:
    early = new_run_id(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    late = new_run_id(datetime(2026, 1, 2, 3, 4, 6, tzinfo=timezone.utc))
    assert re.fullmatch(r"20260102T030405Z-[0-9a-f]{6}", early)
    assert early < late
    assert new_run_id() != new_run_id()


def test_save_and_load_roundtrip(tmp_path: Path) -> None:
    r = record().with_case(ok_case()).with_case(failed_case()).finished(
        "interrupted", "2026-01-01T10:00:30.000+00:00")
    path = save_run(r, tmp_path / "results")
    assert path == run_path(tmp_path / "results", r.run_id) == (
        tmp_path / "results" / "20260101T100000Z-a1b2c3.json")
    assert load_run(path) == r


def test_saving_after_every_case_replaces_the_file(tmp_path: Path) -> None:
    r = record()
    path = save_run(r, tmp_path)
    r = r.with_case(ok_case())
    save_run(r, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    assert len(load_run(path).cases) == 1


def test_write_atomic_creates_folders_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "run.json"
    write_atomic(path, "first\n")
    write_atomic(path, "second ü\n")
    assert path.read_text(encoding="utf-8") == "second ü\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["run.json"]


def test_write_atomic_writes_bytes(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    write_atomic(path, b"\x00\xff\n")
    assert path.read_bytes() == b"\x00\xff\n"


def test_write_atomic_file_is_readable_by_others(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "r.json", "{}")
    finally:
        os.umask(old)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644


def test_write_atomic_failure_keeps_the_old_file_and_no_temp(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    path = tmp_path / "run.json"
    write_atomic(path, "old")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(benchbot.store.files.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        write_atomic(path, "new")
    monkeypatch.undo()
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def _one_line_error(path: Path) -> str:
    with pytest.raises(UserError) as info:
        load_run(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    return message.replace(str(path), "")


def test_load_run_missing_file(tmp_path: Path) -> None:
    assert "not found" in _one_line_error(tmp_path / "nope.json")


def test_load_run_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"schema_version": 1, "run_id": 3 3}', encoding="utf-8")
    message = _one_line_error(path)
    assert "not a benchbot results file" in message and "invalid JSON" in message


def test_load_run_truncated_json(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text('{"schema_version": 1, "run_id": ', encoding="utf-8")
    message = _one_line_error(path)
    assert "truncated" in message and "not a benchbot results file" not in message


def test_load_run_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert "not a benchbot results file" in _one_line_error(path)


@pytest.mark.parametrize("doc", [{"run_id": "x", "started_at": "t", "cases": []},
                                 {"schema_version": 1}, [1, 2], "text", None])
def test_load_run_without_schema_version_or_run_id(tmp_path: Path, doc: object) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert "not a benchbot results file" in _one_line_error(path)


def test_load_run_newer_schema_says_to_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "future.json"
    path.write_text(json.dumps({**record_doc(record()), "schema_version": 999}), encoding="utf-8")
    message = _one_line_error(path)
    assert "999" in message and str(SCHEMA_VERSION) in message
    assert "upgrade benchbot" in message
    assert ACTION.search(message)


@pytest.mark.parametrize("bad_case", [
    {"status": "ok"},  # no stats, no identity
    {**case_doc(failed_case()), "status": "ok"},  # ok without statistics
    {**case_doc(ok_case()), "stats": {"n": 3}},  # stats without their fields
])
def test_load_run_malformed_cases(tmp_path: Path, bad_case: dict[str, object]) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**record_doc(record()), "cases": [bad_case]}), encoding="utf-8")
    assert "malformed results file" in _one_line_error(path)


def test_load_run_without_started_at_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    doc = record_doc(record())
    del doc["started_at"]
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert "malformed results file" in _one_line_error(path)


def test_load_run_invalid_json_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")
    assert ACTION.search(_one_line_error(path))


def test_load_run_without_schema_version_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "package.json"
    path.write_text('{"name": "x"}', encoding="utf-8")
    assert ACTION.search(_one_line_error(path))


def test_load_run_non_integer_schema_version_is_not_called_newer(tmp_path: Path) -> None:
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({**record_doc(record()), "schema_version": "1"}), encoding="utf-8")
    message = _one_line_error(path)
    assert "newer" not in message


def test_load_run_on_a_folder_is_a_user_error(tmp_path: Path) -> None:
    folder = tmp_path / "results.json"
    folder.mkdir()
    _one_line_error(folder)


def test_find_run_files_in_folders_and_files(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    for name in ("b.json", "a.json", ".hidden.json", ".a.json.1234abcd.tmp", "notes.txt"):
        (results / name).write_text("{}")
    (results / "sub").mkdir()
    (results / "sub" / "c.json").write_text("{}")
    direct = tmp_path / "elsewhere.json"
    direct.write_text("{}")
    assert find_run_files([results]) == [results / "a.json", results / "b.json"]
    assert find_run_files([direct, results]) == [direct, results / "a.json", results / "b.json"]
    assert find_run_files([results / "notes.txt"]) == [results / "notes.txt"]


def test_find_run_files_in_an_empty_folder(tmp_path: Path) -> None:
    assert find_run_files([tmp_path]) == []
    assert find_run_files([]) == []


def test_find_run_files_missing_path_says_what_to_give(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-results"
    with pytest.raises(UserError) as info:
        find_run_files([tmp_path, missing])
    message = str(info.value)
    assert str(missing) in message and "give a results folder" in message


# --- schema v1 files from the previous release ---------------------------------------------------


V1_FILES = sorted((Path(__file__).resolve().parents[1] / "data" / "results_v1").glob("*.json"))


def test_a_v1_file_of_the_previous_release_loads_migrated() -> None:
    (path,) = V1_FILES
    doc = json.loads(path.read_text())
    assert doc["schema_version"] == 1
    r = load_run(path)
    assert r.schema_version == 1 and len(r.cases) == len(doc["cases"]) == 12
    for raw, case in zip(doc["cases"], r.cases):
        assert (case.id, case.model, case.model_sha256, case.threads, case.batch,
                case.precision, case.status, case.error) == (
            raw["id"], raw["model"], raw["model_sha256"], raw["threads"], raw["batch"],
            raw["precision"], raw["status"], raw["error"])
        assert list(case.samples_ms) == raw["samples_ms"] and len(case.runs) == 1
        m = raw["measurement"]
        if raw["status"] == "ok":
            run = case.runs[0]
            assert run.provider == m["provider"] and run.load_ms == m["load_ms"]
            assert run.device_state == m["device_state"] and "python" in run.extras
            assert (card_doc(case.card) if case.card else None) == m.get("model_card")
        else:
            assert case.failure is not None and case.failure.kind == "runtime_error"
    int8 = [c for c in r.cases if c.precision == "int8" and c.status == "ok"]
    assert int8 and all(c.variant is not None and c.variant.size_bytes > 0 for c in int8)
    # migrated, it writes back in the current schema and reads back equal
    again = record_of_doc(json.loads(json.dumps(record_doc(r))))
    assert again.cases == r.cases


# --- the journal: a save whose cost does not grow -------------------------------------------------


def test_each_case_is_one_appended_line_and_the_end_compacts(tmp_path: Path) -> None:
    start = record()
    writer = RunWriter(start, tmp_path)
    journal = journal_path(tmp_path, start.run_id)
    sizes = []
    r = start
    for i in range(30):
        case = ok_case(id=f"case-{i:03d}")
        r = r.with_case(case)
        writer.add(case)
        sizes.append(journal.stat().st_size)
    steps = {b - a for a, b in zip([0, *sizes], sizes)}
    assert len(steps) == 1  # every case costs the same bytes, whatever came before
    mid = load_run(run_path(tmp_path, start.run_id))  # a reader (or a crash) mid-run
    assert mid.status == "running" and [c.id for c in mid.cases] == [c.id for c in r.cases]
    writer.finish(r.finished("complete", "2026-01-01T10:01:00.000+00:00"))
    assert not journal.exists()
    doc = json.loads(run_path(tmp_path, start.run_id).read_text())
    assert "journal" not in doc and len(doc["cases"]) == 30
    assert load_run(run_path(tmp_path, start.run_id)).cases == r.cases


def test_a_torn_last_line_is_skipped_and_a_later_attempt_wins(tmp_path: Path) -> None:
    writer = RunWriter(record(), tmp_path)
    writer.add(failed_case())
    writer.add(ok_case())
    writer.add(dataclasses.replace(ok_case(), id=failed_case().id))  # measured again: ok
    journal = journal_path(tmp_path, record().run_id)
    with journal.open("a") as f:
        f.write('{"id": "half a li')  # kill -9 in the middle of an append
    loaded = load_run(run_path(tmp_path, record().run_id))
    assert [c.id for c in loaded.cases] == [ok_case().id, failed_case().id]
    assert all(c.status == "ok" for c in loaded.cases)
    writer.close()


def test_a_broken_line_inside_the_journal_is_a_one_line_error(tmp_path: Path) -> None:
    writer = RunWriter(record(), tmp_path)
    writer.add(ok_case())
    writer.close()
    journal = journal_path(tmp_path, record().run_id)
    journal.write_text("garbage\n" + journal.read_text())
    with pytest.raises(UserError) as info:
        load_run(run_path(tmp_path, record().run_id))
    message = str(info.value)
    assert "\n" not in message and str(journal) in message and "line 1" in message


def test_a_second_writer_of_a_live_run_is_refused(tmp_path: Path) -> None:
    writer = RunWriter(record(), tmp_path)
    with pytest.raises(UserError, match="still being measured"):
        RunWriter(record(), tmp_path)
    writer.close()
    RunWriter(record(), tmp_path).close()  # free once its holder is done


def test_resuming_keeps_the_earlier_cases(tmp_path: Path) -> None:
    earlier = record().with_case(ok_case()).finished("interrupted", "2026-01-01T10:00:30Z")
    save_run(earlier, tmp_path)
    writer = RunWriter(earlier, tmp_path)
    writer.add(failed_case())
    loaded = load_run(run_path(tmp_path, earlier.run_id))
    assert [c.id for c in loaded.cases] == [ok_case().id, failed_case().id]
    writer.close()


@pytest.mark.parametrize("make", ["file", "under_file"])
def test_a_results_path_that_is_no_folder_is_a_one_line_error(tmp_path: Path,
                                                              make: str) -> None:
    target = tmp_path / "results"
    target.write_text("x")
    folder = target if make == "file" else target / "sub"
    with pytest.raises(UserError) as info:
        RunWriter(record(), folder)
    assert "\n" not in str(info.value) and "--results" in str(info.value)


def test_findings_and_provenance_roundtrip() -> None:
    from benchbot.store import GitInfo, Schedule
    from benchbot.store.findings import (Accuracy, OpProfile, OpTime, OutputError, Placement,
                                         Validity)

    case = dataclasses.replace(
        ok_case(), validity=Validity().with_code("wide_ci", "CI ±4.1%"),
        op_profile=OpProfile(ops=(OpTime("conv1", "Conv", "CPU", 1.5, 0.75),), total_ms=2.0,
                             profiled_runs=10, source="onnxruntime"),
        placement=Placement({"CUDA": 10, "CPU": 2}, "cuda", ("Shape_3", "Gather_4")),
        accuracy=Accuracy(outputs=(OutputError("y", 0.1, 0.01, 0.998, 1.0),)))
    assert roundtrip(case) == case and not roundtrip(case).valid
    doc = case_doc(case)
    assert doc["valid"] is False and doc["validity"][0]["advice"]
    r = dataclasses.replace(record().with_case(case), meta={"ci": "nightly"},
                            git=GitInfo("abc123", "main", True),
                            schedule=Schedule("interleaved", 7))
    assert record_of_doc(json.loads(json.dumps(record_doc(r)))) == r


@pytest.mark.parametrize(("errno_code", "words"), [
    (28, "disk is full"), (13, "not writable"), (30, "not writable")])
def test_a_failing_disk_is_a_one_line_error_and_keeps_what_was_saved(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, errno_code: int, words: str) -> None:
    """ENOSPC, EACCES, EROFS while appending a case: one line naming the folder and the
    fix; the cases saved before stay readable (root is not stopped by permissions, so the
    kernel's answer is stood in for at the one call that writes)."""
    writer = RunWriter(record(), tmp_path)
    writer.add(ok_case())
    real_write = os.write

    def refusing(fd: int, data: bytes) -> int:
        raise OSError(errno_code, os.strerror(errno_code))

    monkeypatch.setattr(benchbot.store.files.os, "write", refusing)
    with pytest.raises(UserError) as info:
        writer.add(failed_case())
    monkeypatch.setattr(benchbot.store.files.os, "write", real_write)
    message = str(info.value)
    assert "\n" not in message and words in message and str(tmp_path) in message
    assert "--results" in message
    assert [c.id for c in load_run(run_path(tmp_path, record().run_id)).cases] == [
        ok_case().id]
    writer.close()
