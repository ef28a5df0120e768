"""Reports: the published latency grids are the golden data.

The tables in ``../shared/reference/latency_grids.md`` (beside the repository) are parsed here;
cases whose median is the published number are built from them (five equal
samples, so the median is exact; an empty or '-' cell is a configuration that
was not measured), and the rendered markdown must give back the same rows,
columns and numbers (to 4 significant digits). The tests that need the file
skip when it is absent. Everything else is pure.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import dataclasses
from dataclasses import dataclass
from typing import Any

import pytest

from benchbot.report import (LAYOUTS, Cell, Entry, Filters, build_grids, format_ms, input_size,
                             latest_entries, render_csv, render_json, render_markdown)
from benchbot.report.tabular import COLUMNS, STAT_KEYS
from benchbot.stats import Summary, summarize
from benchbot.report.modelcols import quantization_table, quantization_tables
from benchbot.store import CaseResult, DeviceFacts, RunRecord, TensorInfo
from benchbot.store.findings import Validity, ValidityCode
from tests.support.cases import make_case
from tests.support.shared import reference

REFERENCE = reference("latency_grids.md")


# --- markdown tables, published and rendered ---------------------------------------------------


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[str]]
    footnotes: list[str]

    def labels(self) -> list[str]:
        return [row[0] for row in self.rows]

    def column(self, title: str) -> list[str]:
        i = self.header.index(title)
        return [row[i] for row in self.rows]


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def parse_tables(text: str) -> list[Table]:
    """Every pipe table of a markdown text, with the last non-empty line before it as caption
    and the ``[n] ...`` lines after it as footnotes."""
    tables: list[Table] = []
    lines = text.splitlines()
    i = 0
    caption = ""
    while i < len(lines):
        line = lines[i]
        if not line.startswith("|"):
            if line.strip():
                if re.match(r"\[\d+\] ", line) and tables:
                    tables[-1].footnotes.append(line)
                else:
                    caption = line.strip()
            i += 1
            continue
        header = _cells(line)
        assert re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1].strip()), lines[i + 1]
        rows = []
        i += 2
        while i < len(lines) and lines[i].startswith("|"):
            rows.append(_cells(lines[i]))
            assert len(rows[-1]) == len(header), lines[i]
            i += 1
        tables.append(Table(caption, header, rows, []))
    return tables


def published_value(text: str) -> float | None:
    return None if text in ("", "-") else float(text)


def significant_digits(text: str) -> int:
    return len(text.lstrip("-").replace(".", "").lstrip("0"))


def assert_same_number(rendered: str, published: str, where: str) -> None:
    """The rendered text is the published number to 4 significant digits."""
    value = float(rendered)
    expected = float(published)
    half_unit = 0.5 * 10 ** (math.floor(math.log10(abs(expected))) - 3)
    assert abs(value - expected) <= half_unit * (1 + 1e-9), (where, rendered, published)
    assert significant_digits(rendered) == 4, (where, rendered)


@pytest.fixture(scope="module")
def reference() -> list[Table]:
    if not REFERENCE.is_file():
        pytest.skip(f"reference grids not found at {REFERENCE}")
    tables = parse_tables(REFERENCE.read_text(encoding="utf-8"))
    assert len(tables) >= 3
    return tables


@pytest.fixture(scope="module")
def grid_a(reference: list[Table]) -> Table:
    table = reference[0]
    assert table.header == ["Model", "SD625", "SD835", "SD845", "SD855", "Kirin 970",
                            "Kirin 980"]
    return table


@pytest.fixture(scope="module")
def grid_a_4_threads(reference: list[Table]) -> Table:
    table = reference[1]
    assert table.header[1:] == ["SD625", "SD835", "SD845", "SD855", "Kirin 970", "Kirin 980"]
    return table


def _find(reference: list[Table], first_value_column: str) -> Table:
    return next(t for t in reference if len(t.header) > 2 and t.header[2] == first_value_column)


@pytest.fixture(scope="module")
def grid_b(reference: list[Table]) -> Table:
    table = _find(reference, "Latency(ms) bs=1")
    assert table.header[1] == "Size"
    return table


@pytest.fixture(scope="module")
def grid_c(reference: list[Table]) -> Table:
    table = _find(reference, "FP16 bs=1")
    assert table.header == ["Models", "Size", "FP16 bs=1", "FP16 bs=4", "FP16 bs=8",
                            "FP32 bs=1", "FP32 bs=4", "FP32 bs=8"]
    return table


# --- building cases ---------------------------------------------------------------------------------


def result(model: str, device: str, value: float | None = None, *, threads: int = 1,
           batch: int = 1, precision: str = "fp32", size: int | None = None,
           samples: tuple[float, ...] | None = None, error: str | None = None,
           stats: Summary | None = None, runner: str = "agent", backend: str = "cpu",
           runtime: str = "onnxruntime") -> CaseResult:
    """A measured case whose median is ``value`` (or a failed one, given ``error``)."""
    if samples is None and value is not None:
        samples = (value,) * 5
    if stats is None and samples:
        stats = summarize(samples)
    inputs = () if size is None else (TensorInfo("x", "float32", (batch, 3, size, size)),)
    suffix = ".onnx" if runtime == "onnxruntime" else ".tflite"
    key = f"{model}|{device}|{threads}|{batch}|{precision}|{backend}|{runtime}"
    return make_case(id=hashlib.sha256(key.encode()).hexdigest()[:12],
                     model=f"models/{model}{suffix}",
                     model_sha256=hashlib.sha256(model.encode()).hexdigest(),
                     model_size_mb=1.0, device=device, runtime=runtime, threads=threads,
                     batch=batch, precision=precision, backend=backend,
                     status="failed" if error else "ok", error=error,
                     samples_ms=tuple(samples or ()), stats=None if error else stats,
                     runner=runner, inputs=inputs)


def run(cases: list[CaseResult], started_at: str = "2026-01-01T10:00:00.000+00:00",
        run_id: str = "run-1", devices: dict[str, Any] | None = None) -> RunRecord:
    return RunRecord(run_id=run_id, started_at=started_at, command=("benchbot", "run"),
                     benchbot_version="0.1.0",
                     devices={k: DeviceFacts("host", **v) for k, v in (devices or {}).items()},
                     planned_cases=len(cases), status="complete", cases=tuple(cases))


def cases_of_device_grid(table: Table, threads: int = 1,
                         device_ids: dict[str, str] | None = None) -> list[CaseResult]:
    """One case per published number of a models x devices table; blanks are not measured."""
    device_ids = device_ids or {}
    cases = []
    for row in table.rows:
        for title, text in zip(table.header[1:], row[1:]):
            value = published_value(text)
            if value is not None:
                cases.append(result(row[0], device_ids.get(title, title), value,
                                    threads=threads))
    return cases


def _precision_batch(title: str) -> tuple[str, int]:
    m = re.search(r"(FP\d+)?.*bs=(\d+)", title)
    assert m, title
    return (m.group(1) or "FP32").lower(), int(m.group(2))


def cases_of_precision_batch_grid(table: Table, device: str) -> list[CaseResult]:
    cases = []
    for row in table.rows:
        for title, text in zip(table.header[2:], row[2:]):
            value = published_value(text)
            if value is not None:
                precision, batch = _precision_batch(title)
                cases.append(result(row[0], device, value, batch=batch, precision=precision,
                                    size=int(row[1])))
    return cases


def report(records: list[RunRecord], layout: str, metric: str = "median",
           filters: Filters = Filters(), digits: int = 4) -> list[Table]:
    grids = build_grids(latest_entries(records, filters), layout, metric)
    return parse_tables(render_markdown(grids, digits))


def assert_reproduces(rendered: Table, published: Table, first_value_column: int) -> None:
    """Same rows (less those published all-empty), same value columns, same numbers."""
    measured_rows = [row for row in published.rows
                     if any(published_value(t) is not None for t in row[first_value_column:])]
    assert rendered.labels() == [row[0] for row in measured_rows]
    assert rendered.header[first_value_column:] == published.header[first_value_column:]
    for got, want in zip(rendered.rows, measured_rows):
        for title, g, w in zip(rendered.header[first_value_column:], got[first_value_column:],
                               want[first_value_column:]):
            if published_value(w) is None:
                assert g == "-", (want[0], title, g)
            else:
                assert_same_number(g, w, f"{want[0]} / {title}")


# --- Grid A: models x phones ----------------------------------------------------------------------


def test_grid_a_is_reproduced(grid_a: Table) -> None:
    [table] = report([run(cases_of_device_grid(grid_a))], "devices")
    assert table.header[0] == "Model"
    assert_reproduces(table, grid_a, 1)
    # the two Quant rows were published empty: nothing measured, no row
    assert "SSDLite Large Quant" not in table.labels()
    assert len(table.rows) == 6
    assert table.footnotes == []


def test_grid_a_spot_values(grid_a: Table) -> None:
    [table] = report([run(cases_of_device_grid(grid_a))], "devices")
    rows = {row[0]: dict(zip(table.header, row)) for row in table.rows}
    assert rows["SSDLite Large"]["SD855"] == "48.22"
    assert rows["YOLOv3 baseline"]["SD625"] in ("1082", "1083")
    assert rows["Cascade RCNN 640"]["SD625"] == "1116"
    assert rows["SSDLite Small"]["Kirin 980"] == "25.21"


def test_grid_a_caption_names_threads_metric_and_unit(grid_a: Table) -> None:
    [table] = report([run(cases_of_device_grid(grid_a))], "devices")
    assert "1 thread" in table.caption
    assert "median" in table.caption
    assert re.search(r"\bms\b", table.caption)
    assert "batch 1" in table.caption and "FP32" in table.caption


def test_grid_a_one_grid_per_thread_count(grid_a: Table, grid_a_4_threads: Table) -> None:
    cases = cases_of_device_grid(grid_a) + cases_of_device_grid(grid_a_4_threads, threads=4)
    one, four = report([run(cases)], "devices")
    assert "1 thread," in one.caption and "4 threads" in four.caption
    assert_reproduces(one, grid_a, 1)
    assert_reproduces(four, grid_a_4_threads, 1)


def test_grid_a_auto_layout_is_devices(grid_a: Table) -> None:
    record = run(cases_of_device_grid(grid_a))
    assert report([record], "auto") == report([record], "devices")


def test_grid_a_columns_titled_by_device_labels(grid_a: Table) -> None:
    ids = {title: title.lower().replace(" ", "") for title in grid_a.header[1:]}
    devices = {device_id: {"label": title} for title, device_id in ids.items()}
    [table] = report([run(cases_of_device_grid(grid_a, device_ids=ids), devices=devices)],
                     "devices")
    assert_reproduces(table, grid_a, 1)


def test_grid_a_unmeasured_cell_renders_dash(grid_a: Table) -> None:
    cases = [c for c in cases_of_device_grid(grid_a)
             if not (c.model_name == "SSDLite Small" and c.device == "SD845")]
    [table] = report([run(cases)], "devices")
    row = dict(zip(table.header, table.rows[table.labels().index("SSDLite Small")]))
    assert row["SD845"] == "-"
    assert row["SD835"] == "57.19"


# --- Grids B and C: models x (precision, batch) on one GPU ------------------------------------------


def test_grid_c_is_reproduced(grid_c: Table) -> None:
    [table] = report([run(cases_of_precision_batch_grid(grid_c, "T4"))], "precision-batch")
    assert table.header[:2] == ["Model", "Size"]
    assert table.header[2:] == ["FP16 bs=1", "FP16 bs=4", "FP16 bs=8", "FP32 bs=1", "FP32 bs=4",
                                "FP32 bs=8"]
    assert_reproduces(table, grid_c, 2)
    assert table.column("Size") == grid_c.column("Size")
    assert table.column("FP16 bs=1")[table.labels().index("SqueezeNet1_1")] == "0.8138"
    assert table.footnotes == []


def test_grid_c_dashes_where_published(grid_c: Table) -> None:
    [table] = report([run(cases_of_precision_batch_grid(grid_c, "T4"))], "precision-batch")
    b7 = dict(zip(table.header, table.rows[table.labels().index("EfficientNetB7")]))
    assert [b7[t] for t in ("FP16 bs=4", "FP16 bs=8", "FP32 bs=4", "FP32 bs=8")] == ["-"] * 4
    assert b7["FP16 bs=1"] == "47.86" and b7["Size"] == "600"


def test_grid_c_caption_names_device_threads_metric_and_unit(grid_c: Table) -> None:
    [table] = report([run(cases_of_precision_batch_grid(grid_c, "T4"))], "precision-batch")
    assert "T4" in table.caption and "1 thread" in table.caption
    assert "median" in table.caption and re.search(r"\bms\b", table.caption)


def test_grid_c_auto_layout_is_precision_batch(grid_c: Table) -> None:
    record = run(cases_of_precision_batch_grid(grid_c, "T4"))
    assert report([record], "auto") == report([record], "precision-batch")


def test_grid_c_failed_cells_get_footnotes(grid_c: Table) -> None:
    cases = cases_of_precision_batch_grid(grid_c, "T4")
    cases += [result("EfficientNetB6", "T4", batch=4, precision="fp16", size=528,
                     error="CUDA out of memory"),
              result("EfficientNetB7", "T4", batch=8, precision="fp32", size=600,
                     error="timed out after 100 s")]
    [table] = report([run(cases)], "precision-batch")
    b6 = dict(zip(table.header, table.rows[table.labels().index("EfficientNetB6")]))
    b7 = dict(zip(table.header, table.rows[table.labels().index("EfficientNetB7")]))
    assert b6["FP16 bs=4"] == "- [1]" and b6["FP16 bs=8"] == "-"
    assert b7["FP32 bs=8"] == "- [2]"
    assert table.footnotes == [
        "[1] EfficientNetB6, T4, 1 thread, batch 4, fp16: failed: CUDA out of memory",
        "[2] EfficientNetB7, T4, 1 thread, batch 8, fp32: failed: timed out after 100 s"]


def test_grid_b_single_precision_auto_layout(grid_b: Table) -> None:
    [table] = report([run(cases_of_precision_batch_grid(grid_b, "V100"))], "auto")
    assert table.header == ["Model", "Size", "FP32 bs=1", "FP32 bs=4", "FP32 bs=8"]
    assert table.column("Size") == grid_b.column("Size")
    assert table.labels() == grid_b.labels()
    for got, want in zip(table.rows, grid_b.rows):
        for g, w in zip(got[2:], want[2:]):
            assert_same_number(g, w, want[0])
    assert table.column("FP32 bs=1")[0] == "0.8100"  # AlexNet: 4 significant digits


# --- layout details ---------------------------------------------------------------------------------


def test_batches_are_sorted_numerically_and_precisions_keep_first_seen_order() -> None:
    cases = [result("net", "gpu", 3.0, batch=16, precision="fp32"),
             result("net", "gpu", 1.0, batch=4, precision="fp32"),
             result("net", "gpu", 0.5, batch=4, precision="int8")]
    [table] = report([run(cases)], "auto")
    assert table.header == ["Model", "Size", "FP32 bs=4", "FP32 bs=16", "INT8 bs=4",
                            "INT8 bs=16"]
    assert table.rows == [["net", "-", "1.000", "3.000", "0.5000", "-"]]


def test_devices_layout_makes_one_grid_per_configuration() -> None:
    cases = [result("a", "d1", 1.0), result("a", "d1", 2.0, batch=8),
             result("a", "d1", 3.0, precision="fp16"),
             result("a", "d1", 4.0, backend="cuda")]
    captions = [t.caption for t in report([run(cases)], "devices")]
    assert captions == ["Latency (median, ms), 1 thread, batch 1, FP32",
                        "Latency (median, ms), 1 thread, batch 8, FP32",
                        "Latency (median, ms), 1 thread, batch 1, FP16",
                        "Latency (median, ms), 1 thread, batch 1, FP32, cuda"]


def test_precision_batch_layout_makes_one_grid_per_device_and_threads() -> None:
    cases = [result("a", "d1", 1.0), result("a", "d2", 2.0), result("a", "d1", 3.0, threads=4)]
    captions = [t.caption for t in report([run(cases)], "precision-batch")]
    assert captions == ["Latency (median, ms) on d1, 1 thread",
                        "Latency (median, ms) on d2, 1 thread",
                        "Latency (median, ms) on d1, 4 threads"]


def test_metric_chooses_the_statistic() -> None:
    record = run([result("a", "d", samples=(1.0, 2.0, 3.0, 4.0, 100.0))])
    values = {metric: report([record], "devices", metric)[0] for metric in
              ("median", "mean", "p90")}
    assert values["median"].rows == [["a", "3.000"]]
    assert values["mean"].rows == [["a", "22.00"]]
    assert values["p90"].rows == [["a", "61.60"]]
    assert "(p90, ms)" in values["p90"].caption


def test_digits_option() -> None:
    [table] = report([run([result("a", "d", 48.2206)])], "devices", digits=2)
    assert table.rows == [["a", "48"]]


def test_a_metric_the_runner_did_not_report_shows_the_mean_with_a_footnote() -> None:
    stats = Summary.from_aggregates(100, 3.2, std_ms=0.1)
    case = result("tool_model", "phone", stats=stats, samples=(), runner="benchmark_model")
    [table] = report([run([case])], "devices")
    assert table.rows == [["tool_model", "3.200 [1]"]]
    assert len(table.footnotes) == 1
    assert "benchmark_model runner reports no median" in table.footnotes[0]
    assert "mean is shown" in table.footnotes[0]


def test_nothing_to_report() -> None:
    assert render_markdown([]) == "No measured cases match.\n"
    assert build_grids([], "auto", "median") == []


def test_layout_names() -> None:
    assert set(LAYOUTS) == {"auto", "devices", "precision-batch"}


def test_grid_cells_are_values() -> None:
    [grid] = build_grids(latest_entries([run([result("a", "d", 2.5),
                                              result("b", "e", 1.0)])]), "devices", "median")
    assert grid.header == ("Model", "d", "e")
    assert grid.rows == (("a", Cell(value=2.5), Cell()), ("b", Cell(), Cell(value=1.0)))


@pytest.mark.parametrize(("shape", "size"), [
    ([1, 3, 224, 224], "224"),
    ([8, 3, 240, 320], "240x320"),
    ([1, 320, 240, 3], "320x240"),  # NHWC
    ([1, 128], "128"),
    ([1, 16, 64], "16x64"),
    ([], "-"),
])
def test_input_size(shape: list[int], size: str) -> None:
    case = result("a", "d", 1.0)
    run = dataclasses.replace(case.runs[0], inputs=(TensorInfo("x", "float32", tuple(shape)),))
    case = dataclasses.replace(case, runs=(run,))
    assert input_size(case) == size
    assert input_size(result("a", "d", 1.0)) == "-"


# --- which cases a report shows --------------------------------------------------------------------


def test_latest_entries_picks_the_latest_run_per_configuration() -> None:
    old = run([result("a", "d", 10.0), result("b", "d", 5.0)], run_id="old",
              started_at="2026-01-01T10:00:00.000+00:00")
    new = run([result("a", "d", 12.0)], run_id="new",
              started_at="2026-02-01T10:00:00.000+00:00")
    for records in ([old, new], [new, old]):
        entries = latest_entries(records)
        assert [(e.run_id, e.case.model_name, e.case.stats.median_ms)  # type: ignore[union-attr]
                for e in entries] == [("old", "b", 5.0), ("new", "a", 12.0)]


def test_latest_entries_a_later_failure_replaces_an_older_value() -> None:
    old = run([result("a", "d", 10.0)], run_id="old", started_at="2026-01-01T00:00:00Z")
    new = run([result("a", "d", error="crashed")], run_id="new",
              started_at="2026-01-02T00:00:00Z")
    [entry] = latest_entries([old, new])
    assert entry.run_id == "new" and entry.case.status == "failed"


def test_latest_entries_keeps_configurations_apart() -> None:
    cases = [result("a", "d", 1.0), result("a", "d", 2.0, threads=4),
             result("a", "d", 3.0, batch=4), result("a", "d", 4.0, precision="fp16"),
             result("a", "e", 5.0), result("a", "d", 6.0, backend="cuda"),
             result("a", "d", 7.0, runtime="litert")]
    assert len(latest_entries([run(cases)])) == 7


def test_latest_entries_device_title_from_the_run() -> None:
    record = run([result("a", "sd855", 1.0), result("a", "local", 2.0)],
                 devices={"sd855": {"label": "Snapdragon 855"}, "local": {}})
    titles = [e.device_title for e in latest_entries([record])]
    assert titles == ["Snapdragon 855", "local"]


@pytest.mark.parametrize(("filters", "expected"), [
    (Filters(), {"a1", "a4", "b1", "c1", "d1"}),
    (Filters(threads=4), {"a4"}),
    (Filters(batch=8), {"b1"}),
    (Filters(precision="int8"), {"c1"}),
    (Filters(device="phone"), {"d1"}),
    (Filters(threads=1, batch=1, precision="fp32", device="host"), {"a1"}),
    (Filters(threads=2), set()),
])
def test_filters(filters: Filters, expected: set[str]) -> None:
    cases = [result("a1", "host", 1.0), result("a4", "host", 1.0, threads=4),
             result("b1", "host", 1.0, batch=8), result("c1", "host", 1.0, precision="int8"),
             result("d1", "phone", 1.0)]
    assert {e.case.model_name for e in latest_entries([run(cases)], filters)} == expected


def test_filters_apply_before_picking_the_latest() -> None:
    old = run([result("a", "d", 1.0)], run_id="old", started_at="2026-01-01T00:00:00Z")
    new = run([result("a", "d", 2.0, threads=4)], run_id="new", started_at="2026-01-02T00:00:00Z")
    [entry] = latest_entries([old, new], Filters(threads=1))
    assert entry.run_id == "old"


# --- numbers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "texts"), [
    (48.2206, {"48.22"}),
    (0.81378, {"0.8138"}),
    (1082.5, {"1082", "1083"}),
    (1115.66, {"1116"}),
    (0.0123, {"0.01230"}),
    (2.0, {"2.000"}),
    (12345.6, {"12346"}),  # never scientific notation
    (-3.14159, {"-3.142"}),
    (0, {"0"}),
    (0.0, {"0"}),
    (math.inf, {"-"}),
    (-math.inf, {"-"}),
    (math.nan, {"-"}),
])
def test_format_ms(value: float, texts: set[str]) -> None:
    assert format_ms(value) in texts


def test_format_ms_digits() -> None:
    assert format_ms(48.2206, 2) == "48"
    assert format_ms(48.2206, 6) == "48.2206"
    assert format_ms(0.81378, 1) == "0.8"


@pytest.mark.parametrize(("value", "text"), [(9.99996, "10.00"), (0.99996, "1.000"),
                                             (99.996, "100.0")])
def test_format_ms_rounding_up_to_a_power_of_ten(value: float, text: str) -> None:
    assert format_ms(value) == text


# --- CSV and JSON rows ------------------------------------------------------------------------------


def _entries() -> list[Entry]:
    return latest_entries([run([result("a", "d", 10.0), result("b", "d", error="crashed"),
                                result("c", "e", samples=(1.0, 2.0, 3.0))])])


def test_csv_header_and_rows() -> None:
    text = render_csv(_entries())
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == list(COLUMNS)
    assert set(STAT_KEYS) == {"n", "mean_ms", "median_ms", "p90_ms", "p99_ms", "std_ms",
                              "min_ms", "max_ms", "mad_ms", "ci95_low_ms", "ci95_high_ms"}
    assert set(STAT_KEYS) <= set(reader.fieldnames)
    assert {"model", "device", "threads", "batch", "precision", "status"} <= set(
        reader.fieldnames)
    rows = list(reader)
    assert len(rows) == 3
    assert rows[0]["model"] == "a" and float(rows[0]["median_ms"]) == 10.0
    assert rows[0]["n"] == "5" and rows[0]["run_id"] == "run-1" and rows[0]["error"] == ""
    assert rows[1]["status"] == "failed" and rows[1]["error"] == "crashed"
    assert all(rows[1][k] == "" for k in STAT_KEYS)
    assert float(rows[2]["mean_ms"]) == 2.0 and float(rows[2]["p90_ms"]) == pytest.approx(2.8)
    assert len(text.splitlines()) == 4


def test_json_rows() -> None:
    rows = json.loads(render_json(_entries()))
    assert isinstance(rows, list) and len(rows) == 3
    assert all(list(row) == list(COLUMNS) for row in rows)
    assert rows[0]["median_ms"] == 10.0 and rows[0]["threads"] == 1
    assert rows[1]["median_ms"] is None and rows[1]["error"] == "crashed"


def test_empty_csv_and_json() -> None:
    assert render_csv([]).splitlines() == [",".join(COLUMNS)]
    assert json.loads(render_json([])) == []


# --- validity marks: one footnote per reason ----------------------------------------------------


def _invalid(case: CaseResult, *codes: tuple[str, str, str]) -> CaseResult:
    return dataclasses.replace(case, validity=Validity(tuple(ValidityCode(*c) for c in codes)))


WIDE = ("wide_ci", "this run's part of the 95% CI is +-7.0%, wider than +-5%, mostly "
                   "between processes", "raise --max-repeat (more processes), or quiet the device")


def test_invalid_cells_carry_a_dagger_and_one_footnote_per_code() -> None:
    cases = [_invalid(result("a", "d1", 1.0), WIDE),
             _invalid(result("b", "d1", 2.0), WIDE, ("few_processes", "1 measuring process", "")),
             _invalid(result("c", "d1", 3.0), WIDE),
             result("d", "d1", 4.0)]
    text = render_markdown(build_grids(latest_entries([run(cases)]), "devices", "median"))
    [table] = parse_tables(text)
    assert table.column("d1") == ["1.000†", "2.000†", "3.000†", "4.000"]
    assert table.footnotes == []  # nothing numbered: no cell failed
    marks = [line for line in text.splitlines() if line.startswith("† ")]
    assert marks == [
        "† wide_ci: this run's part of the 95% CI is wider than +-5% (3 cells); raise "
        "--max-repeat (more processes), or quiet the device",
        "† few_processes: fewer than 3 measuring processes: the spread between processes is "
        "unknown (1 cell); raise --repeat (or let the adaptive default run at least 3)"]


def test_the_quantization_layout_marks_the_cells_the_grid_marks() -> None:
    fp32 = _invalid(result("net", "d1", 10.0), WIDE)
    int8 = result("net", "d1", 5.0, precision="int8")
    entries = latest_entries([run([fp32, int8])])
    grid_text = render_markdown(build_grids(entries, "precision-batch", "median"))
    quant_text = quantization_table(entries, {}, "median")
    assert "10.00†" in grid_text and "| 10.00† |" in quant_text
    assert "| 5.000 |" in quant_text
    mark = "† wide_ci: this run's part of the 95% CI is wider than +-5% (1 cell)"
    assert mark in grid_text and mark in quant_text


def test_every_grid_of_a_report_lists_its_models_in_one_order() -> None:
    cases = [result("zeta", "d1", 1.0, threads=1), result("alpha", "d1", 2.0, threads=1),
             result("alpha", "d1", 3.0, threads=4), result("zeta", "d1", 4.0, threads=4)]
    tables = report([run(cases)], "devices")
    assert [t.labels() for t in tables] == [["zeta", "alpha"], ["zeta", "alpha"]]
    fp32 = [result("zeta", "d1", 1.0, threads=1), result("alpha", "d1", 2.0, threads=1),
            result("alpha", "d2", 3.0, threads=1), result("zeta", "d2", 4.0, threads=1)]
    quant = quantization_tables(latest_entries([run(fp32)]), {}, "median")
    assert [[row[0] for row in g.rows] for g in quant] == [["zeta", "alpha"]] * 2


def test_a_grid_of_sub_0_1_ms_values_reads_in_microseconds_and_says_so() -> None:
    fast = [result("a", "d1", 0.000536), result("b", "d1", 0.0421)]
    [table] = report([run(fast)], "devices")
    assert table.caption == "Latency (median, µs), 1 thread, batch 1, FP32"
    assert table.column("d1") == ["0.5360", "42.10"]  # 4 significant digits
    mixed = fast + [result("c", "d1", 0.25)]
    [table] = report([run(mixed)], "devices")
    assert "(median, ms)" in table.caption and table.column("d1")[2] == "0.2500"
    # in a ms grid, a value under 0.1 ms is in µs and says so: never 0.0005360
    assert table.column("d1")[:2] == ["0.5360 µs", "42.10 µs"]
    quant = quantization_table(latest_entries([run(fast)]), {}, "median")
    assert "Latency (median, µs)" in quant and "(median, µs) on d1" in quant
