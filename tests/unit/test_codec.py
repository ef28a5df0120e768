"""The one codec: every typed value of a run round-trips through JSON, documents are
decoded by their schema_version (the committed v1 and v2 files of earlier releases, a
future version refused with the fix), and a case's key is defined once."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from benchbot.errors import UserError
from benchbot.store import (CaseKey, Cluster, DeviceFacts, Gpu, HostFacts, MeasureSettings,
                            ModelCard, PlannedCase, TensorSpec, load_run, record_doc,
                            record_of_doc)
from benchbot.store.codec import (SchemaError, card_doc, card_of_doc, device_doc, device_of_doc,
                                  facts_of_device, header_of_doc, host_doc, host_of_doc,
                                  planned_doc, planned_of_doc, settings_doc, settings_of_doc,
                                  version_of, with_phone)
from benchbot.store.formats import CURRENT, FutureVersion
from benchbot.store.records import SCHEMA_VERSION, CaseConfig, ModelRef
from tests.support.cases import make_case

DATA = Path(__file__).resolve().parents[1] / "data"
(V1_FILE,) = sorted((DATA / "results_v1").glob("*.json"))
(V2_FILE,) = sorted((DATA / "results_v2").glob("*.json"))


def through_json(doc: Any) -> Any:
    return json.loads(json.dumps(doc, allow_nan=False))


# --- every typed value round-trips ----------------------------------------------------------


def test_host_facts_round_trip() -> None:
    host = HostFacts(hostname="box", os="Linux-6.1", machine="x86_64", cpu_model="EPYC",
                     cores=16, max_freq_khz={"cpu0": 3_500_000}, memory_gb=62.5,
                     python="3.11.7")
    assert host_of_doc(through_json(host_doc(host))) == host
    assert host_of_doc(through_json(host_doc(HostFacts()))) == HostFacts()


PHONE = DeviceFacts("phone", profile="sd855", label="SD855", transport="adb", runner="agent",
                    serial="127.0.0.1:5555", adb_server="127.0.0.1:5037", model="Pixel",
                    manufacturer="Google", soc="msmnile", platform="msmnile", android="10",
                    sdk="29", abi="arm64-v8a",
                    clusters=(Cluster((0, 1, 2, 3), 1_785_600), Cluster((4, 5, 6, 7), None)),
                    max_temp_c=42.0, battery={"level": 80, "temp_c": 30.1},
                    farm_phones={"127.0.0.1:5555": "host-a"})
SERVER = DeviceFacts("server", profile="gpu", label="GPU box", transport="ssh",
                     runner="agent", host="bench-gpu", os="Linux 6.1 x86_64", cores=32,
                     cpu_model="Xeon", python="3.12.1",
                     gpus=(Gpu("H100", "550.54", 81559.0, 1980.0, 1980.0, 2619.0, 31.0),),
                     cuda="12.4")
HOST = DeviceFacts("host", profile="local", label="local", transport="local", runner="agent",
                   hostname="vm", os="Linux", machine="x86_64", cpu_model="EPYC", cores=2,
                   max_freq_khz={}, memory_gb=23.5, python="3.11.7",
                   extras={"newer_fact": [1, 2]})


@pytest.mark.parametrize("facts", [PHONE, SERVER, HOST], ids=lambda f: f.kind)
def test_device_facts_of_each_kind_round_trip(facts: DeviceFacts) -> None:
    doc = through_json(device_doc(facts))
    assert doc["kind"] == facts.kind
    assert device_of_doc(doc) == facts


def test_device_facts_read_from_a_device_take_their_kind_from_the_transport() -> None:
    raw = {"profile": "gpu", "label": "GPU box", "transport": "ssh", "runner": "agent",
           "host": "bench-gpu", "os": "Linux", "cores": 4, "cpu_model": None, "python": None,
           "gpus": [], "cuda": None}
    facts = facts_of_device(raw, "gpu")
    assert facts.kind == "server" and facts.gpus == () and facts.core_count == 4
    assert not facts_of_device({"transport": "adb", "label": "x"}).read


def test_a_farm_device_takes_its_first_phones_facts_and_lists_every_phone() -> None:
    base = facts_of_device({"profile": "sd855", "label": "SD855", "transport": "adb",
                            "runner": "agent"})
    first = with_phone(base, replace(PHONE, farm_phones={}, label="other"), "s1", "host-a")
    assert first.soc == "msmnile" and first.label == "SD855"
    second = with_phone(first, replace(PHONE, soc="kirin970", farm_phones={}), "s2", "host-b")
    assert second.soc == "msmnile"  # the first phone's facts describe the device
    assert second.farm_phones == {"s1": "host-a", "s2": "host-b"}


def test_measure_settings_round_trip() -> None:
    settings = MeasureSettings(warmup=2, min_runs=3, max_runs=40, min_time_s=0.5,
                               max_time_s=9.0, timeout_s=30.0, repeat=None, max_repeat=7,
                               target_ci=0.03, valid_ci=0.08, alpha=0.05, budget_s=60.0,
                               order="sequential", seed=42, profile_ops=True, min_cosine=0.95,
                               input_shape=(1, 3, 224, 224))
    assert settings_of_doc(through_json(settings_doc(settings))) == settings
    sustained = MeasureSettings(repeat=1, sustained_s=60.0, window_s=2.0, rate_hz=10.0,
                                max_temp_c=45.0, energy=True)
    assert settings_of_doc(through_json(settings_doc(sustained))) == sustained


def test_settings_a_file_does_not_have_take_their_defaults_and_bad_ones_name_the_field() -> None:
    assert settings_of_doc({"warmup": 1}) == MeasureSettings(warmup=1)
    with pytest.raises(SchemaError, match=r"^settings.min_runs: expected a whole number"):
        settings_of_doc({"min_runs": "many"})
    with pytest.raises(SchemaError, match=r"^settings: --min-runs \(50\) is above --max-runs"):
        settings_of_doc({"min_runs": 50, "max_runs": 10})


def test_planned_case_round_trip() -> None:
    config = CaseConfig(model=ModelRef("models/m.onnx", "ab" * 32, 1234, "/abs/models/m.onnx"),
                        device="sd855", runtime="onnxruntime", threads=4, batch=2,
                        precision="int8", backend="xnnpack", runner="benchmark_model",
                        int8_mode="dynamic")
    planned = PlannedCase("0123456789ab", config)
    assert planned_of_doc(through_json(planned_doc(planned))) == planned


def test_model_card_round_trip() -> None:
    card = ModelCard(name="net", path="models/net.onnx", format="onnx", runtime="onnxruntime",
                     sha256="cd" * 32, size_bytes=5_000_000,
                     inputs=(TensorSpec("input", "float32", ("batch", 3, 224, 224)),),
                     outputs=(TensorSpec("logits", "float32", ("batch", 1000)),),
                     params=11_689_512, macs=1_814_073_344, flops=3_600_000_000, opset=17,
                     producer="pytorch", ir_version=8, weight_types=("float32",),
                     notes=("ops not counted in FLOPs: Resize",))
    doc = through_json(card_doc(card))
    assert doc["size_mb"] == 5.0 and card_of_doc(doc) == card
    case = make_case(card=card, samples_ms=(1.0, 1.1, 0.9))
    again = record_of_doc(through_json(record_doc(_record(case))))
    assert again.cases[0].card == card


def _record(*cases: Any) -> Any:
    from benchbot.store import RunRecord

    return RunRecord(run_id="20260101T000000Z-abcdef", started_at="2026-01-01T00:00:00+00:00",
                     command=("benchbot", "run"), benchbot_version="test",
                     host=HostFacts(hostname="h"), devices={"local": HOST},
                     settings=MeasureSettings(repeat=2), planned_cases=len(cases),
                     status="complete", cases=tuple(cases),
                     plan=tuple(PlannedCase(c.id, c.config) for c in cases))


def test_a_whole_record_round_trips_with_its_kind() -> None:
    record = replace(_record(make_case(samples_ms=(1.0, 1.1, 0.9))), kind="ab")
    doc = through_json(record_doc(record))
    assert doc["schema_version"] == SCHEMA_VERSION == CURRENT and doc["kind"] == "ab"
    assert record_of_doc(doc) == record and record_of_doc(doc).is_ab


# --- decoding by schema_version ---------------------------------------------------------------


def test_the_v1_file_of_release_0_1_0_loads_by_its_version() -> None:
    record = load_run(V1_FILE)
    assert record.schema_version == 1 and record.kind == "sweep" and not record.is_ab
    assert record.host.hostname == "vm" and record.devices["local"].kind == "host"
    # schema 1 measured one process per case, in plan order
    assert (record.settings.repeat, record.settings.order) == (1, "sequential")
    assert record.settings.min_time_s == 0.02 and record.settings.max_runs == 30
    int8 = [p for p in record.plan if p.config.precision == "int8"]
    assert int8 and all(p.config.int8_mode == "static" for p in int8)
    assert {p.id for p in record.plan} == {c.id for c in record.cases}


def test_the_v2_file_of_commit_9ab5d17_still_loads() -> None:
    doc = json.loads(V2_FILE.read_text())
    assert doc["schema_version"] == 2 and "kind" not in doc
    record = load_run(V2_FILE)
    assert record.schema_version == 2 and record.kind == "sweep"
    assert record.settings == settings_of_doc(doc["settings"], version=2)
    assert (record.settings.repeat, record.settings.order) == (2, "interleaved")
    assert record.devices["local"] == facts_of_device(doc["devices"]["local"])
    assert record.devices["local"].kind == "host" and record.host.hostname == "vm"
    assert len(record.plan) == len(record.cases) == 12
    cards = [c.card for c in record.cases if c.card is not None]
    assert cards and all(isinstance(c, ModelCard) for c in cards)
    assert all(card_doc(c.card) == raw["card"] for c, raw in zip(record.cases, doc["cases"])
               if c.card is not None)
    assert [len(c.runs) for c in record.cases if c.status == "ok"] == [2] * 8
    # written again it is schema 3, and reads back the same
    again = record_of_doc(through_json(record_doc(record)))
    assert replace(again, schema_version=2) == record


def test_before_schema_3_an_ab_session_is_told_by_its_meta_from_3_by_its_kind() -> None:
    doc = json.loads(V2_FILE.read_text())
    doc["meta"] = {"ab_baseline": "a.onnx", "ab_candidate": "b.onnx"}
    assert header_of_doc(doc).is_ab
    v3 = {**record_doc(header_of_doc(doc)), "kind": "sweep"}  # meta alone says nothing now
    assert not header_of_doc(v3).is_ab
    assert header_of_doc({**v3, "kind": "ab"}).is_ab


def test_schema_3_needs_the_kinds_it_introduced() -> None:
    doc = through_json(record_doc(_record()))
    del doc["devices"]["local"]["kind"]
    with pytest.raises(SchemaError, match=r"devices.local.kind: missing"):
        header_of_doc(doc)
    doc = through_json(record_doc(_record()))
    del doc["kind"]
    with pytest.raises(SchemaError, match=r"^kind: missing"):
        header_of_doc(doc)


def test_a_future_version_is_one_line_naming_it_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "20300101T000000Z-ffffff.json"
    path.write_text(json.dumps({**record_doc(_record()), "schema_version": CURRENT + 1}))
    with pytest.raises(UserError) as info:
        load_run(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    assert f"results schema {CURRENT + 1}" in message and "upgrade benchbot" in message
    # a farm job of a newer benchbot is refused the same way on the worker
    with pytest.raises(FutureVersion, match="upgrade benchbot"):
        version_of({"schema_version": CURRENT + 1, "case": {}})
    with pytest.raises(SchemaError, match="not one benchbot ever wrote"):
        version_of({"schema_version": 0})


# --- one case key ---------------------------------------------------------------------------


def test_the_case_key_is_the_model_and_every_axis() -> None:
    case = make_case(model="models/v1/net.onnx", device="sd855", threads=4, batch=2,
                     precision="int8", int8_mode="dynamic", backend="xnnpack",
                     samples_ms=(1.0,))
    key = CaseKey.of(case)
    assert key == CaseKey("net", "sd855", "onnxruntime", 4, 2, "int8", "xnnpack", "agent",
                          "dynamic", "models/v1/net.onnx")
    assert key.configuration == ("models/v1/net.onnx", "sd855", "onnxruntime", "xnnpack",
                                 "agent", 4, 2, "int8", "dynamic")
    assert key.axes == key.configuration[1:] and key.stem == "net"
    assert key.config == "onnxruntime, xnnpack, 4 threads, batch 2, int8 (dynamic)"
    # the same configuration in another run (other samples, other id) has the same key
    assert CaseKey.of(make_case(id="ffffffffffff", model="models/v1/net.onnx", device="sd855",
                                threads=4, batch=2, precision="int8", int8_mode="dynamic",
                                backend="xnnpack", samples_ms=(5.0,))) == key
    # any axis, or the file, tells two keys apart; a plain fp32 case has no int8 mode
    assert CaseKey.of(replace(case, config=replace(case.config, threads=1))) != key
    other = make_case(model="models/v2/net.onnx", samples_ms=(1.0,))
    assert CaseKey.of(other).configuration[0] == "models/v2/net.onnx"
    assert CaseKey.of(other).axes[-1] is None


def test_the_case_key_of_an_index_row_equals_the_key_of_its_case() -> None:
    from benchbot.store.casekey import CONFIGURATION
    from benchbot.store.index import Row, case_row

    case = make_case(model="models/net.onnx", threads=2, precision="int8", int8_mode="static",
                     samples_ms=(1.0, 1.2, 1.1))
    row = Row(*case_row(_record(case), 0, case, "x.json"))
    assert CaseKey.of_row(row) == CaseKey.of(case)
    assert tuple(getattr(row, c) for c in CONFIGURATION) == CaseKey.of(case).configuration


# --- the farm's jobs go through the same codec ------------------------------------------------


def test_a_farm_job_carries_its_case_settings_and_card_through_the_codec(tmp_path: Path) -> None:
    from benchbot.farm.dask_protocol import case_job, case_of_job
    from benchbot.store.modelfile import ModelFile
    from benchbot.sweep import Case
    from benchbot.variants.variant import Variant

    card = ModelCard(name="m", path="models/m.onnx", format="onnx", runtime="onnxruntime",
                     sha256="ab" * 32, size_bytes=1234)
    model = ModelFile(path=Path("models/m.onnx"), runtime="onnxruntime", sha256="ab" * 32,
                      size_bytes=1234)
    case = Case(model=model, device="sd855", threads=4, batch=2, precision="int8",
                backend="cpu", runner="agent", int8_mode="dynamic", card=card,
                variant=Variant(Path("models/.variants/m_int8.onnx"), "cd" * 32, 999,
                                {"int8": {"mode": "dynamic"}}))
    job = through_json(case_job(case))
    staged = tmp_path / "m_int8.onnx"
    back = case_of_job(job, staged)
    assert back.id == case.id and back.card == card
    assert (back.model.sha256, back.model.size_bytes, back.model.path) == ("ab" * 32, 1234,
                                                                          staged)
    assert back.variant is not None and back.variant.sha256 == "cd" * 32
    assert job["file"] == {"name": "m_int8.onnx", "sha256": "cd" * 32, "size_bytes": 999,
                           "parts": []}  # a variant is one file
    settings = MeasureSettings(repeat=3, order="sequential", seed=7)
    assert settings_of_doc(through_json(settings_doc(settings)), "job.settings") == settings


def test_a_v2_case_without_runs_is_malformed_not_taken_for_v1() -> None:
    doc = json.loads(V2_FILE.read_text())
    del doc["cases"][0]["runs"]
    with pytest.raises(SchemaError, match=r"cases\[0\].runs: missing"):
        record_of_doc(doc)


def test_the_v2_run_resumes_from_its_typed_plan(models: dict[str, Path], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from benchbot.runs.session import resume_plan

    record = load_run(V2_FILE)
    (tmp_path / "models").mkdir()
    for name in ("tiny_fc.tflite", "tiny_conv.onnx", "tiny_reshape_fixed.onnx"):
        (tmp_path / "models" / name).write_bytes(models[name].read_bytes())
    monkeypatch.chdir(tmp_path)  # the plan's paths as given; its absolute ones are elsewhere
    plan = resume_plan(record)
    failed = [c.id for c in record.cases if c.status == "failed"]
    assert [c.id for c in plan.cases] == failed and len(failed) == 4
    assert plan.settings == record.settings and plan.settings.repeat == 2
