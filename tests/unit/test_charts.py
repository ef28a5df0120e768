"""The HTML report's charts with the names users give: long, many, alike. Labels are cut
with an ellipsis and never overlap, and matplotlib says nothing on stderr (pure: figures
are drawn, never shown)."""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from benchbot.report import charts
from tests.support.cases import make_case

LONG = "resnet50_" + "x" * 231  # a 240-character model name


def _cases() -> list[Any]:
    cases = []
    for i, (model, device, threads, precision, batch) in enumerate(itertools.product(
            (LONG, "tiny_conv", "mobilenet_v3_small_quantized_dynamic"),
            ("local", "pixel_7_pro_on_the_farm_in_rack_3"), (1, 2, 4), ("fp32", "fp16", "int8"),
            (1, 2, 8))):
        samples = [0.2 * batch / threads * (1 + 0.01 * k) for k in range(20)]
        cases.append(make_case(id=f"{i:012d}", model=f"models/{model}.onnx", device=device,
                               threads=threads, precision=precision, batch=batch,
                               samples_ms=samples))
    return cases


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> None:
    """The chart functions return their matplotlib figure instead of its SVG."""
    monkeypatch.setattr(charts, "_svg", lambda fig: fig)


def _overlaps(labels: list[Any], renderer: Any) -> list[tuple[str, str]]:
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in labels if t.get_text()]
    return [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
            if box_a.overlaps(box_b)]


@pytest.mark.parametrize("draw, axis", [(charts.speedup_svg, "x"),
                                        (charts.distribution_svg, "y")])
def test_long_and_many_names_leave_tick_labels_apart(figures: None, draw: Any,
                                                     axis: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a layout warning would reach the user's stderr
        fig = draw(_cases())
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    assert _overlaps(labels, renderer) == []
    texts = [t.get_text() for t in labels]
    assert any("…" in t for t in texts) and not any(LONG in t for t in texts)
    assert all(len(line) <= 80 for t in texts for line in t.splitlines())


def test_every_chart_draws_the_same_cases_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for draw in (charts.thread_scaling_svg, charts.speedup_svg, charts.distribution_svg):
            assert draw(_cases())


def test_fit_cuts_with_an_ellipsis_line_by_line() -> None:
    assert charts.fit("short") == "short"
    assert charts.fit("a" * 50, 10) == "a" * 9 + "…"
    assert charts.fit("a" * 20 + "\nbb", 10) == "a" * 9 + "…\nbb"
    assert charts.cut_names(["a" * 50, "b", "a" * 50], 10) == ["a" * 50]


def test_the_html_grid_cuts_a_long_model_name_and_keeps_it_whole_in_the_hover() -> None:
    from benchbot.report.grid import build_grids
    from benchbot.report.html import NAME_CHARS, grid_html
    from benchbot.store.entries import Entry

    case = make_case(model=f"models/{LONG}.onnx", samples_ms=[1.0] * 20)
    [grid] = build_grids([Entry("r", case)], "devices", "median")
    page = grid_html(grid, [case], "median", 4)
    assert f'title="{LONG}"' in page and f">{LONG[:NAME_CHARS - 1]}…</td>" in page
