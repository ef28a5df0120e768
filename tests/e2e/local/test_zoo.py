"""Tests of the architecture zoo: published parameter / MAC figures, validity, runnability
in onnxruntime, determinism, export and zoo: references, and the `benchbot zoo` CLI."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from typer.testing import CliRunner

import benchbot.zoo as zoo
from benchbot.cli.zoo import app
from benchbot.errors import ConfigError, UserError
from benchbot.zoo import (ZOO, build, count_macs, count_params, export, export_name,
                          resolve_zoo_ref)
from benchbot.zoo.graph import GraphBuilder

NAMES = list(ZOO)
# Run at the published resolution except these heavy ones (graph structure is what is
# tested; BENCHBOT_ZOO_FULL=1 also runs them at their published resolution).
RUN_RESOLUTION = {"alexnet": 64, "darknet53": 64, "resnext101_32x8d": 64,
                  "efficientnet_b5": 96, "efficientnet_b6": 96, "efficientnet_b7": 96}
BATCH_RUN = ["squeezenet1_1", "mobilenet_v3_small", "resnet18", "efficientnet_lite0",
             "ssdlite320_mobilenet_v3_small"]
FULL_CHECK_BELOW = 15_000_000  # onnx.checker full_check on models with fewer params
SSD_ANCHORS_320 = 6 * (20 * 20 + 10 * 10 + 5 * 5 + 3 * 3 + 2 * 2 + 1 * 1)


def _session(model: onnx.ModelProto) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    opts.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])


def _expected_shapes(name: str, batch: int, resolution: int) -> list[tuple[int, ...]]:
    if ZOO[name].task == "detection":
        anchors = SSD_ANCHORS_320 if resolution == 320 else None
        assert anchors is not None
        return [(batch, anchors, 4), (batch, anchors, 91)]
    return [(batch, 1000)]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _image(batch: int, resolution: int) -> np.ndarray:
    return np.random.default_rng(1).standard_normal((batch, 3, resolution, resolution),
                                                    dtype=np.float32)


# --------------------------------------------------------------------------- published figures
@pytest.mark.parametrize("name", NAMES)
def test_params_and_macs_match_the_published_figures(name: str) -> None:
    entry = ZOO[name]
    model = build(name, shapes_only=True)
    params, macs = count_params(model), count_macs(model)
    assert entry.params_agree(params), f"{name}: {params:,} params, published {entry.ref_params}"
    assert entry.macs_agree(macs), f"{name}: {macs / 1e9:.4f} GMACs, published {entry.ref_gmacs}"


def test_exact_references_are_the_torchvision_figures() -> None:
    exact = {n: int(e.ref_params.replace(",", "")) for n, e in ZOO.items()
             if e.ref_params is not None and e.ref_params_exact}
    assert exact == {
        "alexnet": 61_100_840, "squeezenet1_0": 1_248_424, "squeezenet1_1": 1_235_496,
        "resnet18": 11_689_512, "resnet50": 25_557_032, "mobilenet_v2": 3_504_872,
        "mobilenet_v3_small": 2_542_856, "mobilenet_v3_large": 5_483_032,
        "efficientnet_b0": 5_288_548, "efficientnet_b1": 7_794_184,
        "efficientnet_b2": 9_109_994, "efficientnet_b3": 12_233_232,
        "efficientnet_b4": 19_341_616, "efficientnet_b5": 30_389_784,
        "efficientnet_b6": 43_040_704, "efficientnet_b7": 66_347_960,
        "efficientnet_lite0": 4_652_008, "resnext101_32x8d": 88_791_336,
        "ssdlite320_mobilenet_v3_large": 3_440_060}


def test_derived_figures_of_models_without_a_published_one_are_locked() -> None:
    # SSDLite on MobileNetV3-Small has no torchvision model: the count is derived from
    # the same construction as the large variant, which matches torchvision exactly.
    model = build("ssdlite320_mobilenet_v3_small", shapes_only=True)
    assert count_params(model) == 1_868_108
    assert count_macs(model) == pytest.approx(0.195e9, rel=0.005)
    # Figures published rounded: our exact counts, as they round.
    exact = {"efficientnet_lite1": 5_416_680, "efficientnet_lite2": 6_092_072,
             "efficientnet_lite3": 8_197_096, "efficientnet_lite4": 13_006_568,
             "darknet53": 41_609_928}
    assert {n: count_params(build(n, shapes_only=True)) for n in exact} == exact


@pytest.mark.parametrize("name", NAMES)
def test_declared_shapes_agree_with_onnx_shape_inference(name: str) -> None:
    model = build(name, shapes_only=True)
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    for declared, got in zip(model.graph.output, inferred.graph.output):
        assert declared.type == got.type
    assert [i.name for i in model.graph.input] == ["input"]
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch"
    resolution = ZOO[name].resolution
    assert [d.dim_value for d in dims[1:]] == [3, resolution, resolution]
    assert model.opset_import[0].version == 17


# --------------------------------------------------------------------------- running
@pytest.mark.parametrize("name", NAMES)
def test_every_model_checks_and_runs_at_batch_1(name: str) -> None:
    resolution = RUN_RESOLUTION.get(name, ZOO[name].resolution)
    model = build(name, batch=1, resolution=resolution)
    onnx.checker.check_model(model, full_check=count_params(model) < FULL_CHECK_BELOW)
    outputs = _session(model).run(None, {"input": _image(1, resolution)})
    if ZOO[name].task == "classification":
        assert [o.shape for o in outputs] == [(1, 1000)]
    else:
        assert [o.shape[2] for o in outputs] == [4, 91]
    assert all(np.isfinite(o).all() for o in outputs)


@pytest.mark.skipif(not os.environ.get("BENCHBOT_ZOO_FULL"),
                    reason="heavy at the published resolution; set BENCHBOT_ZOO_FULL=1")
@pytest.mark.parametrize("name", sorted(RUN_RESOLUTION))
def test_heavy_models_run_at_their_published_resolution(name: str) -> None:
    resolution = ZOO[name].resolution
    outputs = _session(build(name)).run(None, {"input": _image(1, resolution)})
    assert [o.shape for o in outputs] == _expected_shapes(name, 1, resolution)


@pytest.mark.parametrize("name", BATCH_RUN)
def test_dynamic_batch_runs_at_1_and_4_with_the_same_per_sample_result(name: str) -> None:
    resolution = ZOO[name].resolution
    session = _session(build(name))
    images = _image(4, resolution)
    four = session.run(None, {"input": images})
    one = session.run(None, {"input": images[:1]})
    assert [o.shape for o in four] == _expected_shapes(name, 4, resolution)
    assert [o.shape for o in one] == _expected_shapes(name, 1, resolution)
    for a, b in zip(one, four):  # batching must not mix samples (reshapes, heads)
        np.testing.assert_allclose(a[0], b[0], rtol=1e-3, atol=1e-4)


def test_fixed_batch_model_declares_and_runs_that_batch() -> None:
    model = build("mobilenet_v3_small", batch=4, resolution=96)
    onnx.checker.check_model(model, full_check=True)
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 4
    (out,) = _session(model).run(None, {"input": _image(4, 96)})
    assert out.shape == (4, 1000)


def test_adaptive_avg_pool_matches_pytorch_bins() -> None:
    g = GraphBuilder((2, 13, 10))
    pooled = g.adaptive_avg_pool(g.input, 6)
    model = g.finish({"out": pooled}, batch=None, name="pool", seed=0)
    x = np.random.default_rng(0).standard_normal((1, 2, 13, 10), dtype=np.float32)
    (got,) = _session(model).run(None, {"input": x})
    want = np.zeros((1, 2, 6, 6), np.float32)
    for i in range(6):
        for j in range(6):  # PyTorch: bin i spans floor(i*n/6) .. ceil((i+1)*n/6)
            h0, h1 = (i * 13) // 6, -(-((i + 1) * 13) // 6)
            w0, w1 = (j * 10) // 6, -(-((j + 1) * 10) // 6)
            want[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- the rules
def test_count_params_skips_batchnorm_statistics_and_integer_constants() -> None:
    def init(name: str, shape: tuple[int, ...], dtype: type = np.float32) -> TensorProto:
        return numpy_helper.from_array(np.zeros(shape, dtype), name)

    nodes = [helper.make_node("Conv", ["x", "w"], ["c"]),
             helper.make_node("BatchNormalization", ["c", "s", "b", "m", "v"], ["n"]),
             helper.make_node("Reshape", ["n", "shape"], ["y"])]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[init("w", (8, 3, 3, 3)), init("s", (8,)), init("b", (8,)),
                     init("m", (8,)), init("v", (8,)), init("shape", (2,), np.int64)])
    assert count_params(helper.make_model(graph)) == 8 * 3 * 3 * 3 + 8 + 8


def test_count_macs_counts_grouped_convs_and_fully_connected_layers() -> None:
    g = GraphBuilder((8, 10, 10))
    x = g.conv(g.input, 16, 3)                  # 16*10*10 * 8*9
    x = g.conv(x, 16, 3, stride=2, groups=16)   # depthwise: 16*5*5 * 9
    x = g.flatten(g.global_avg_pool(x))
    x = g.gemm(x, 10)                           # 16 * 10
    model = g.finish({"logits": x}, batch=None, name="t", seed=0, shapes_only=True)
    assert count_macs(model) == 16 * 100 * 72 + 16 * 25 * 9 + 160
    fixed = g.finish({"logits": x}, batch=3, name="t", seed=0, shapes_only=True)
    assert count_macs(fixed) == 3 * count_macs(model)


def test_shapes_only_models_count_like_full_ones_and_carry_no_data() -> None:
    full, shapes = build("squeezenet1_1"), build("squeezenet1_1", shapes_only=True)
    assert count_params(full) == count_params(shapes)
    assert count_macs(full) == count_macs(shapes)
    assert all(not t.raw_data for t in shapes.graph.initializer)
    assert len(shapes.SerializeToString()) < 100_000


def test_batchnorm_stays_its_own_node_with_four_initializers() -> None:
    model = build("resnet18", shapes_only=True)
    inits = {t.name for t in model.graph.initializer}
    bns = [n for n in model.graph.node if n.op_type == "BatchNormalization"]
    assert len(bns) == 20
    assert all(len(n.input) == 5 and set(n.input[1:]) <= inits for n in bns)


# --------------------------------------------------------------------------- determinism
def test_builds_are_deterministic_by_seed() -> None:
    a = build("mobilenet_v3_small", seed=0).SerializeToString()
    assert build("mobilenet_v3_small", seed=0).SerializeToString() == a
    assert build("mobilenet_v3_small", seed=1).SerializeToString() != a


# --------------------------------------------------------------------------- files, refs
def test_export_names_and_writes(tmp_path: Path) -> None:
    assert export_name("resnet18") == "resnet18.onnx"
    assert export_name("resnet18", resolution=224) == "resnet18.onnx"
    assert export_name("resnet18", batch=4, resolution=160) == "resnet18_b4_r160.onnx"
    path = export("squeezenet1_1", tmp_path, batch=2, resolution=96)
    assert path == tmp_path / "squeezenet1_1_b2_r96.onnx"
    model = onnx.load(str(path))
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 2
    assert [p.key for p in model.metadata_props][:1] == ["benchbot.zoo.name"]
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    assert path.stat().st_mode & 0o777 == 0o644 & ~_umask()


def test_resolve_zoo_ref_exports_once_then_reuses(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = resolve_zoo_ref("zoo:squeezenet1_1", tmp_path / "cache")
    assert path == tmp_path / "cache" / "squeezenet1_1.onnx" and path.is_file()
    mtime = path.stat().st_mtime_ns

    def no_rebuild(*args: object, **kwargs: object) -> Path:
        raise AssertionError("rebuilt a cached zoo model")

    monkeypatch.setattr(zoo, "export", no_rebuild)
    assert resolve_zoo_ref("zoo:squeezenet1_1", tmp_path / "cache") == path
    assert path.stat().st_mtime_ns == mtime


def test_unknown_names_and_bad_options_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="known: alexnet, squeezenet1_0"):
        resolve_zoo_ref("zoo:resnet19", tmp_path)
    with pytest.raises(UserError, match="did you mean resnet18"):
        build("resnet19")
    with pytest.raises(UserError, match="zoo:NAME"):
        resolve_zoo_ref("resnet18", tmp_path)
    with pytest.raises(UserError, match="larger resolution"):
        build("alexnet", resolution=32)
    with pytest.raises(UserError, match="batch"):
        build("resnet18", batch=0)
    assert not list(tmp_path.iterdir())


def test_public_api() -> None:
    assert set(zoo.__all__) == {"ZOO", "ZooEntry", "REF_PREFIX", "build", "count_macs",
                                "count_params", "export", "export_name", "get_entry",
                                "resolve_zoo_ref"}
    assert NAMES == ["alexnet", "squeezenet1_0", "squeezenet1_1", "resnet18", "resnet50",
                     "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
                     *[f"efficientnet_b{i}" for i in range(8)],
                     *[f"efficientnet_lite{i}" for i in range(5)],
                     "darknet53", "resnext101_32x8d", "ssdlite320_mobilenet_v3_large",
                     "ssdlite320_mobilenet_v3_small"]


# --------------------------------------------------------------------------- CLI
def test_cli_list_json_and_markdown() -> None:
    result = CliRunner().invoke(app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == NAMES
    assert all(r["agrees"] for r in rows)
    assert rows[0]["params"] == 61_100_840 and rows[0]["ref_params"] == "61,100,840"
    table = CliRunner().invoke(app, ["list"]).stdout
    assert table.startswith("| Name | Resolution | Params (M) |")
    assert "| resnet50 | 224 | 25.557 | 25,557,032 | 4.089 | 4.09 |" in table


def test_cli_export_prints_paths_on_stdout(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["export", "squeezenet1_1", "mobilenet_v3_small",
                                      "--out", str(tmp_path), "--batch", "1",
                                      "--resolution", "96"])
    assert result.exit_code == 0, result.output
    expected = [tmp_path / "squeezenet1_1_b1_r96.onnx",
                tmp_path / "mobilenet_v3_small_b1_r96.onnx"]
    assert result.stdout.splitlines() == [str(p) for p in expected]
    assert all(p.is_file() for p in expected)


def test_cli_export_rejects_bad_options_before_building(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["export", "resnet18", "--out", str(tmp_path),
                                      "--batch", "many"])
    assert isinstance(result.exception, ConfigError)
    result = CliRunner().invoke(app, ["export", "squeezenet1_1", "nope", "--out",
                                      str(tmp_path)])
    assert isinstance(result.exception, UserError)
    assert not list(tmp_path.iterdir())
