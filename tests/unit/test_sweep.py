"""Sweeps: axis values, the plan of cases and their stable ids, measure settings, sweep files.

Pure tests: models are ``ModelFile`` values built by hand (nothing is read or
hashed), sweep files are TOML written under ``tmp_path``.
"""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest

from benchbot.errors import ConfigError, UserError
from benchbot.store.codec import settings_doc
from benchbot.store.modelfile import ModelFile
from benchbot.sweep import (Case, MeasureSettings, Plan, SweepSpec, load_sweep_file, make_plan)
from benchbot.sweep import axes


def model(name: str = "m", sha: str = "ab", runtime: str = "onnxruntime",
          folder: str = "") -> ModelFile:
    suffix = ".onnx" if runtime == "onnxruntime" else ".tflite"
    return ModelFile(path=Path(folder) / f"{name}{suffix}", runtime=runtime, sha256=sha * 32,
                     size_bytes=1000)


def case(**kw: object) -> Case:
    values: dict[str, object] = dict(model=model(), device="local", threads=1, batch=1,
                                     precision="fp32")
    values.update(kw)
    return Case(**values)  # type: ignore[arg-type]


def write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- axes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("1,4", (1, 4)),
    ("4", (4,)),
    (" 1 , 4 ", (1, 4)),
    ("4,1,4", (4, 1)),  # duplicates dropped, first order kept
    ([1, 4], (1, 4)),
    ((8, 2), (8, 2)),
    (["2", 3], (2, 3)),
])
def test_positive_ints_accepts(raw: object, expected: tuple[int, ...]) -> None:
    assert axes.positive_ints(raw, "--threads") == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["1,x", "0", "-2", "", "1,,4", "1.5", "1,", [1.5], [True],
                                 [False], [0], [None], ["x"], [1, -1]])
def test_positive_ints_rejects(raw: object) -> None:
    with pytest.raises(ConfigError) as info:
        axes.positive_ints(raw, "--threads")  # type: ignore[arg-type]
    message = str(info.value)
    assert message.startswith("--threads: ")
    assert "1,4" in message  # shows what a good value looks like


def test_positive_ints_names_the_bad_item() -> None:
    with pytest.raises(ConfigError, match=r"'x' is not a positive integer"):
        axes.positive_ints("1,x", "--batch")


def test_positive_ints_rejects_an_empty_list() -> None:
    with pytest.raises(ConfigError, match="at least one value"):
        axes.positive_ints([], "--batch")


def test_config_error_is_a_user_error() -> None:
    with pytest.raises(UserError):
        axes.positive_ints("0", "--batch")


@pytest.mark.parametrize(("raw", "expected"), [
    ("fp32", ("fp32",)),
    ("fp32,FP16", ("fp32", "fp16")),
    (" int8 , fp32 ", ("int8", "fp32")),
    (["fp16", "fp16", "fp32"], ("fp16", "fp32")),
])
def test_choices_accepts_case_insensitively(raw: object, expected: tuple[str, ...]) -> None:
    assert axes.choices(raw, "--precision", axes.PRECISIONS) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["fp64", "", "fp32,", "fp32,bf16", [1], [None], []])
def test_choices_rejects(raw: object) -> None:
    with pytest.raises(ConfigError) as info:
        axes.choices(raw, "--precision", axes.PRECISIONS)  # type: ignore[arg-type]
    assert str(info.value).startswith("--precision: ")


def test_choices_lists_the_allowed_values() -> None:
    with pytest.raises(ConfigError, match="fp32, fp16, int8"):
        axes.choices("fp64", "--precision", axes.PRECISIONS)


@pytest.mark.parametrize(("raw", "expected"), [
    ("local", ("local",)),
    ("a, b", ("a", "b")),
    ("a,b,a", ("a", "b")),
    (["pixel7", "local"], ("pixel7", "local")),
])
def test_names_accepts(raw: object, expected: tuple[str, ...]) -> None:
    assert axes.names(raw, "--device") == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["", "a,,b", ",", [], [""], [1], ["a", None]])
def test_names_rejects(raw: object) -> None:
    with pytest.raises(ConfigError, match=r"^--device: "):
        axes.names(raw, "--device")  # type: ignore[arg-type]


# --- cases and their ids --------------------------------------------------------------------


def test_case_id_golden() -> None:
    """Ids are written into results files: changing them breaks comparing with old runs."""
    assert case().id == "0bb2f6362f9f"


def test_case_id_is_stable_and_short_hex() -> None:
    a, b = case(), case()
    assert a is not b and a.id == b.id
    assert len(a.id) == 12 and int(a.id, 16) >= 0


def test_case_id_ignores_the_model_path() -> None:
    here = case(model=model(name="m", folder="a"))
    there = case(model=model(name="renamed", folder="elsewhere/b"))
    assert here.id == there.id


@pytest.mark.parametrize("change", [
    {"model": model(sha="cd")},
    {"model": model(runtime="litert")},
    {"device": "pixel7"},
    {"threads": 4},
    {"batch": 8},
    {"precision": "fp16"},
    {"backend": "cuda"},
])
def test_case_id_changes_with_every_axis(change: dict[str, object]) -> None:
    assert case(**change).id != case().id


def test_case_key_runtime_and_label() -> None:
    c = case(model=model(name="resnet", runtime="litert"), threads=4, batch=2, precision="int8")
    assert c.runtime == "litert"
    assert c.id_fields() == {"model_sha256": "ab" * 32, "device": "local", "runtime": "litert",
                       "threads": 4, "batch": 2, "precision": "int8", "backend": "cpu"}
    assert c.label == "resnet on local: 4 threads, batch 2, int8"
    assert case().label == "m on local: 1 thread, batch 1, fp32"
    assert case(backend="tensorrt").label == "m on local: 1 thread, batch 1, fp32, tensorrt"


# --- plans ----------------------------------------------------------------------------------


def test_make_plan_is_the_product_in_documented_order() -> None:
    """devices x models x threads x batch x precision, the last axis varying fastest."""
    m1, m2 = model("a", "aa"), model("b", "bb")
    plan = make_plan((m1, m2), ("d1", "d2"), (1, 4), (1, 8), ("fp32", "fp16"),
                     MeasureSettings())
    assert isinstance(plan, Plan)
    assert len(plan) == 32
    points = [(c.device, c.model.name, c.threads, c.batch, c.precision) for c in plan.cases]
    assert points[:5] == [("d1", "a", 1, 1, "fp32"), ("d1", "a", 1, 1, "fp16"),
                          ("d1", "a", 1, 8, "fp32"), ("d1", "a", 1, 8, "fp16"),
                          ("d1", "a", 4, 1, "fp32")]
    assert points[8] == ("d1", "b", 1, 1, "fp32")
    assert points[16] == ("d2", "a", 1, 1, "fp32")
    assert points[-1] == ("d2", "b", 4, 8, "fp16")
    assert len(set(points)) == 32
    assert len({c.id for c in plan.cases}) == 32


def test_make_plan_backends_vary_after_models_and_skip_what_does_not_apply() -> None:
    onnx, tfl = model("a", "aa"), model("b", "bb", runtime="litert")
    plan = make_plan((onnx, tfl), ("local",), (1,), (1,), ("fp32",), MeasureSettings(),
                     backends=("cpu", "cuda", "xnnpack"))
    assert [(c.model.name, c.backend) for c in plan.cases] == [
        ("a", "cpu"), ("a", "cuda"), ("b", "cpu"), ("b", "xnnpack")]


def test_make_plan_default_backend_is_cpu() -> None:
    plan = make_plan((model(),), ("local",), (1,), (1,), ("fp32",), MeasureSettings())
    assert [c.backend for c in plan.cases] == ["cpu"]


def test_make_plan_rejects_a_model_no_backend_runs() -> None:
    with pytest.raises(ConfigError) as info:
        make_plan((model("a", "aa"), model("net", "bb", runtime="litert")), ("local",), (1,),
                  (1,), ("fp32",), MeasureSettings(), backends=("cuda",))
    message = str(info.value)
    assert message.startswith("--backend: ")
    assert "net.tflite" in message and "xnnpack" in message


def test_make_plan_ids_are_reproducible() -> None:
    args = ((model("a", "aa"), model("b", "bb")), ("local",), (1, 2), (1,), ("fp32",))
    first = make_plan(*args, MeasureSettings())
    again = make_plan(*args, MeasureSettings(warmup=0))  # settings do not enter the ids
    assert [c.id for c in first.cases] == [c.id for c in again.cases]


def test_make_plan_keeps_its_settings() -> None:
    settings = MeasureSettings(warmup=2, min_runs=3)
    assert make_plan((model(),), ("local",), (1,), (1,), ("fp32",), settings).settings == settings


def test_make_plan_collapses_duplicates() -> None:
    m = model()
    plan = make_plan((m, m), ("local", "local"), (1, 1, 4), (1,), ("fp32",), MeasureSettings())
    assert [(c.device, c.threads) for c in plan.cases] == [("local", 1), ("local", 4)]


def test_make_plan_collapses_the_same_model_under_two_paths() -> None:
    plan = make_plan((model("a", folder="x"), model("b", folder="y")), ("local",), (1,), (1,),
                     ("fp32",), MeasureSettings())
    assert len(plan) == 1


def test_make_plan_keeps_the_first_listed_of_duplicate_models() -> None:
    plan = make_plan((model("first", folder="x"), model("second", folder="y")), ("local",),
                     (1,), (1,), ("fp32",), MeasureSettings())
    assert plan.cases[0].model.name == "first"


def test_case_and_plan_are_frozen() -> None:
    c = case()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.threads = 2  # type: ignore[misc]


# --- measure settings -----------------------------------------------------------------------


def test_measure_settings_defaults_and_derived_timeout() -> None:
    s = MeasureSettings()
    assert (s.warmup, s.min_runs, s.max_runs, s.min_time_s, s.max_time_s) == (5, 20, 10000,
                                                                              1.0, 20.0)
    assert s.case_timeout_s == 20.0 * 2 + 60
    assert MeasureSettings(max_time_s=5.0).case_timeout_s == 70.0
    assert MeasureSettings(timeout_s=30.0).case_timeout_s == 30.0
    assert set(settings_doc(s)) == {"warmup", "min_runs", "max_runs", "min_time_s", "max_time_s",
                                "timeout_s", "profile_ops", "min_cosine", "repeat", "max_repeat",
                                "target_ci", "valid_ci", "alpha", "budget_s", "order", "seed",
                                "input_shape", "sustained_s", "window_s", "rate_hz",
                                "max_temp_c", "energy"}
    assert s.adaptive and s.min_processes == 3 and s.order == "interleaved"


def test_measure_settings_edges_that_are_fine() -> None:
    MeasureSettings(warmup=0, min_runs=1, max_runs=1, min_time_s=0.0, max_time_s=0.001)
    MeasureSettings(min_time_s=5.0, max_time_s=5.0)


@pytest.mark.parametrize(("kw", "option"), [
    ({"warmup": -1}, "--warmup"),
    ({"min_runs": 0}, "--min-runs"),
    ({"max_runs": 0}, "--max-runs"),
    ({"min_time_s": -0.5}, "--min-time"),
    ({"max_time_s": 0.0}, "--max-time"),
    ({"max_time_s": -1.0}, "--max-time"),
    ({"timeout_s": 0.0}, "--case-timeout"),
    ({"timeout_s": -5.0}, "--case-timeout"),
])
def test_measure_settings_rejects(kw: dict[str, float], option: str) -> None:
    with pytest.raises(ConfigError) as info:
        MeasureSettings(**kw)  # type: ignore[arg-type]
    assert option in str(info.value)


def test_min_time_longer_than_max_time_says_to_raise_max_time() -> None:
    with pytest.raises(ConfigError) as info:
        MeasureSettings(min_time_s=30.0, max_time_s=20.0)
    message = str(info.value)
    assert "--min-time (30.0s)" in message and "--max-time (20.0s)" in message
    assert "raise --max-time" in message


# --- sweep files ----------------------------------------------------------------------------

FULL = """
    devices   = ["local", "pixel7"]
    models    = ["models/tiny_conv.onnx", "tiny_fc.tflite"]
    threads   = [1, 4]
    batch     = [1, 8]
    precision = ["fp32", "FP16"]
    backend   = ["cpu", "CUDA"]

    [measure]
    warmup = 5
    min_runs = 20
    max_runs = 10000
    min_time = 1.0
    max_time = 20
    case_timeout = 120
"""


def test_sweep_file_parsed(tmp_path: Path) -> None:
    spec = load_sweep_file(write(tmp_path, FULL))
    assert spec.devices == ("local", "pixel7")
    assert spec.threads == (1, 4)
    assert spec.batch == (1, 8)
    assert spec.precision == ("fp32", "fp16")
    assert spec.backend == ("cpu", "cuda")
    assert spec.measure == {"warmup": 5, "min_runs": 20, "max_runs": 10000, "min_time": 1.0,
                            "max_time": 20, "case_timeout": 120}


def test_sweep_file_model_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "sweeps").mkdir()
    absolute = tmp_path / "abs" / "x.onnx"
    path = write(tmp_path / "sweeps", f"""
        models = ["models/tiny_conv.onnx", "../up.tflite", "{absolute.as_posix()}"]
    """)
    spec = load_sweep_file(path)
    assert spec.models is not None
    assert [Path(m) for m in spec.models] == [tmp_path / "sweeps" / "models" / "tiny_conv.onnx",
                                              tmp_path / "sweeps" / ".." / "up.tflite",
                                              absolute]


def test_sweep_file_with_only_some_keys_leaves_the_rest_unset(tmp_path: Path) -> None:
    spec = load_sweep_file(write(tmp_path, 'threads = [2]\n'))
    assert spec == SweepSpec(threads=(2,))
    assert spec.devices is None and spec.models is None and spec.measure == {}


def test_empty_sweep_file(tmp_path: Path) -> None:
    assert load_sweep_file(write(tmp_path, "")) == SweepSpec()


def test_sweep_file_scalars_are_one_element_lists(tmp_path: Path) -> None:
    spec = load_sweep_file(write(tmp_path, """
        devices = "local"
        models = "m.onnx"
        threads = 4
        precision = "INT8"
    """))
    assert spec.devices == ("local",)
    assert spec.models == (str(tmp_path / "m.onnx"),)
    assert spec.threads == (4,)
    assert spec.precision == ("int8",)


def test_unknown_top_level_key_names_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, 'thread = [1]\n')
    with pytest.raises(ConfigError) as info:
        load_sweep_file(path)
    message = str(info.value)
    assert str(path) in message
    assert "unknown key 'thread'" in message
    assert "threads" in message  # the known keys are listed


def test_unknown_measure_key_names_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[measure]\nmin_time_s = 1.0\n')
    with pytest.raises(ConfigError) as info:
        load_sweep_file(path)
    message = str(info.value)
    assert str(path) in message
    assert "measure.min_time_s" in message
    assert "min_time" in message.split("known:")[1]


@pytest.mark.parametrize(("text", "key"), [
    ('threads = "x"', "threads"),
    ("threads = [0]", "threads"),
    ("threads = 1.5", "threads"),
    ("threads = [1.5]", "threads"),
    ("threads = true", "threads"),
    ("threads = []", "threads"),
    ("batch = [true]", "batch"),
    ('precision = ["fp64"]', "precision"),
    ('backend = ["opencl"]', "backend"),
    ("devices = [1]", "devices"),
    ('devices = [""]', "devices"),
    ("models = [1]", "models"),
    ("models = {a = 1}", "models"),
    ("measure = 5", "measure"),
    ("[measure]\nwarmup = 1.5", "measure.warmup"),
    ("[measure]\nmin_runs = true", "measure.min_runs"),
    ('[measure]\nmin_time = "1"', "measure.min_time"),
    ("[measure]\nmax_time = true", "measure.max_time"),
    ("[measure]\ncase_timeout = [1]", "measure.case_timeout"),
])
def test_wrong_types_are_rejected_naming_file_and_key(tmp_path: Path, text: str,
                                                      key: str) -> None:
    path = write(tmp_path, text + "\n")
    with pytest.raises(ConfigError) as info:
        load_sweep_file(path)
    message = str(info.value)
    assert str(path) in message
    assert key in message


def test_invalid_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "threads = [1,\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_sweep_file(path)


def test_missing_sweep_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="sweep file not found"):
        load_sweep_file(tmp_path / "nope.toml")


def test_measure_ints_are_accepted_where_numbers_are_wanted(tmp_path: Path) -> None:
    spec = load_sweep_file(write(tmp_path, "[measure]\nmin_time = 2\nmax_time = 3.5\n"))
    assert spec.measure == {"min_time": 2, "max_time": 3.5}


# --- overriding a sweep file with command-line values -----------------------------------------


def test_overridden_by_cli_values_win_and_measure_is_merged() -> None:
    from_file = SweepSpec(devices=("pixel7",), models=("a.onnx",), threads=(1, 4), batch=(1, 8),
                          precision=("fp32",), measure={"warmup": 5, "min_runs": 20})
    from_cli = SweepSpec(threads=(2,), precision=("fp16", "int8"),
                         backend=("cuda",), measure={"warmup": 1, "max_time": 3.0})
    merged = from_file.overridden_by(from_cli)
    assert merged == SweepSpec(devices=("pixel7",), models=("a.onnx",), threads=(2,),
                               batch=(1, 8), precision=("fp16", "int8"), backend=("cuda",),
                               measure={"warmup": 1, "min_runs": 20, "max_time": 3.0})
    # neither input changed
    assert from_file.threads == (1, 4) and from_file.measure == {"warmup": 5, "min_runs": 20}
    assert from_cli.measure == {"warmup": 1, "max_time": 3.0}


def test_overridden_by_an_empty_spec_changes_nothing() -> None:
    spec = SweepSpec(devices=("local",), threads=(4,), measure={"warmup": 2})
    assert spec.overridden_by(SweepSpec()) == spec
    assert SweepSpec().overridden_by(spec) == spec


def test_sweep_file_then_cli(tmp_path: Path) -> None:
    spec = load_sweep_file(write(tmp_path, FULL)).overridden_by(
        SweepSpec(devices=("local",), measure={"min_time": 0.1}))
    assert spec.devices == ("local",)
    assert spec.threads == (1, 4)
    assert spec.measure["min_time"] == 0.1 and spec.measure["warmup"] == 5
