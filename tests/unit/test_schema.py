"""The JSON Schema of results files against what the codec writes (and v1 files migrated)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from benchbot.cli.main import main
from benchbot.store import RunWriter, load_run, record_doc, run_path
from benchbot.store.schema import results_schema
from tests.unit.test_store import V1_FILES, failed_case, ok_case, record


def validator() -> Draft202012Validator:
    return Draft202012Validator(results_schema())


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(results_schema())


def test_benchbot_schema_results_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "results"]) == 0
    assert json.loads(capsys.readouterr().out) == results_schema()


def test_written_runs_validate_and_a_v1_file_migrated_validates() -> None:
    r = record().with_case(ok_case(runs=[(1.0, 2.0), (3.0,)])).with_case(failed_case())
    assert not list(validator().iter_errors(record_doc(r)))
    migrated = record_doc(load_run(V1_FILES[0]))
    assert not list(validator().iter_errors(migrated))


def test_a_running_header_validates(tmp_path: Path) -> None:
    writer = RunWriter(record(), tmp_path)
    header = json.loads(run_path(tmp_path, record().run_id).read_text())
    writer.close()
    assert "cases" not in header and header["journal"]
    assert not list(validator().iter_errors(header))


@pytest.mark.parametrize(("damage", "field"), [
    (lambda d: d.pop("run_id"), "run_id"),
    (lambda d: d["cases"][0].update(status="done"), "status"),
    (lambda d: d["cases"][0].update(threads=0), "threads"),
    (lambda d: d["cases"][1]["failure"].update(kind="oops"), "kind"),
    (lambda d: d["cases"][0]["runs"][0].update(sample_count=-1), "sample_count"),
])
def test_the_schema_refuses_malformed_documents(damage, field: str) -> None:
    doc = record_doc(record().with_case(ok_case()).with_case(failed_case()))
    damage(doc)
    errors = list(validator().iter_errors(doc))
    assert errors and any(field in (e.message + "/".join(map(str, e.absolute_path)))
                          for e in errors)


def test_the_suites_schema_check_finds_a_bad_file() -> None:
    from tests.conftest import schema_problems

    doc = record_doc(record().with_case(ok_case()))
    # outside the suite's temporary folder, which the check itself scans at the end
    with tempfile.TemporaryDirectory() as folder:
        good = Path(folder) / "20260101T100000Z-a1b2c3.json"
        good.write_text(json.dumps(doc))
        assert schema_problems(Path(folder)) == []
        doc["cases"][0]["batch"] = "one"
        good.write_text(json.dumps(doc))
        (problem,) = schema_problems(Path(folder))
    assert "cases/0/batch" in problem
