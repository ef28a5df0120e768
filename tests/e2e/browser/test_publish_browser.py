"""`benchbot publish` in a real headless Chromium, from file://: six nights over six
commits with a regression from the fourth on one series (and an A/B session confirming
it), published by the real command; the overview, series, compare and run pages load with
no console error and no request to any network address; the regression is marked on the
right commit, hover shows the run, filters change what is shown, permalinks restore it.

Chromium is driven over the DevTools protocol (tests/cdp.py); without it the test skips,
unless BENCHBOT_REQUIRE_BROWSER=1 (as .ci/run sets).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest

from benchbot.report.site import series_id
from tests.support.cdp import Browser, screenshot
from tests.conftest import benchbot
from tests.support.site_runs import ab_run, commit_of, failed_run, night_run, run_id_of
from tests.e2e.browser.test_html_browser import ARTIFACTS, chromium

CONV = "models/tiny_conv.onnx"
MATMUL = "models/tiny_matmul.onnx"
SLOW_FROM = 4
LAST = 6


def key(model: str, device: str) -> tuple[object, ...]:
    return (model, device, "onnxruntime", "cpu", "agent", 1, 1, "fp32", None)


def slower(night: int, model: str, device: str) -> float:
    """tiny_conv on pixel7 from night 4 on; tiny_matmul on sd855 the last night only."""
    if model == CONV and device == "pixel7" and night >= SLOW_FROM:
        return 1.5
    return 1.5 if model == MATMUL and device == "sd855" and night == LAST else 1.0


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("publish")
    results = tmp / "results"
    for night in range(1, LAST + 1):
        night_run(results, night, slower)
    ab_run(results, SLOW_FROM, CONV, "pixel7", 1.5)
    failed_run(results, LAST + 1, CONV, "sd855")  # then a night where one case failed
    # the newest 5 runs get report pages (SLOW_FROM's among them); older ones their run page
    proc = benchbot("publish", "--results", str(results), "--out", str(tmp / "site"),
                    "--run-reports", "5")
    assert proc.returncode == 0, proc.stderr
    assert "published" in proc.stderr and "4 series, 8 run(s)" in proc.stderr, proc.stderr
    return tmp / "site"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    b = Browser(chromium(), tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield b
    finally:
        b.close()


def url(site: Path, page: str, fragment: str = "") -> str:
    return (site / page).as_uri() + (f"#{fragment}" if fragment else "")


def clean(b: Browser) -> None:
    """No console error, no uncaught exception, no request off this machine's files."""
    assert b.errors() == []
    requests = b.requests()
    assert any(r.endswith("/data/catalog.js") for r in requests)  # the check sees requests
    network = [r[:120] for r in requests if urlsplit(r).scheme not in ("file", "data")]
    assert network == []


def keep_screenshot(b: Browser, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot(b, ARTIFACTS / name)
    assert (ARTIFACTS / name).stat().st_size > 20_000


def cells(b: Browser) -> list[str]:
    return b.eval("[...document.querySelectorAll('td.cell')].map(td => td.dataset.series)")


def test_the_overview_shows_every_series_and_its_filters_work(site: Path,
                                                              browser: Browser) -> None:
    browser.open(url(site, "index.html"))
    assert sorted(cells(browser)) == sorted(series_id(key(m, d)) for m in
                                            (CONV, MATMUL)
                                            for d in ("pixel7", "sd855"))
    # the latest verdicts: the series slower tonight, linked to its page
    flagged = browser.eval("[...document.querySelectorAll('#latest-verdicts li')].map(li => "
                           "[li.dataset.series, li.dataset.kind, li.querySelector('a').href])")
    tonight = series_id(key(MATMUL, "sd855"))
    assert [f[:2] for f in flagged] == [[tonight, "slower"]]
    assert flagged[0][2].endswith(f"series.html#s={tonight}")
    # the case that failed after its last measurement says so
    failed = browser.eval("[...document.querySelectorAll('td.cell.failed')].map(td => "
                          "[td.dataset.series, td.title])")
    assert [f[0] for f in failed] == [series_id(key(CONV, "sd855"))]
    assert f"failed in the later run {run_id_of(LAST + 1)} (runtime_error)" in failed[0][1]
    text = browser.eval("document.getElementById('overview').innerText")
    assert "Pixel 7" in text and "Snapdragon 855 board" in text and "tiny_conv" in text
    assert browser.eval("document.querySelectorAll('svg.spark').length") == 4
    # choose a device in the menu: only its column is left, and the URL says so
    browser.eval("const s = document.getElementById('filter-device'); s.value = 'sd855'; "
                 "s.dispatchEvent(new Event('change')); true")
    assert sorted(cells(browser)) == sorted(series_id(key(m, "sd855")) for m in
                                            (CONV, MATMUL))
    assert "device=sd855" in browser.eval("location.hash")
    browser.eval("const m = document.getElementById('filter-model'); m.value = 'tiny_conv'; "
                 "m.dispatchEvent(new Event('change')); true")
    assert cells(browser) == [series_id(key(CONV, "sd855"))]
    assert browser.eval("document.querySelectorAll('#latest-verdicts li').length") == 0
    # the permalink restores a view: a model
    browser.open(url(site, "index.html", "model=tiny_matmul"))
    assert sorted(cells(browser)) == sorted(series_id(key(MATMUL, d))
                                            for d in ("pixel7", "sd855"))
    assert browser.eval("document.getElementById('filter-model').value") == "tiny_matmul"
    keep_screenshot(browser, "publish-overview.png")
    clean(browser)


def test_the_regression_is_marked_on_its_commit_and_hover_names_the_run(
        site: Path, browser: Browser) -> None:
    regressed = series_id(key(CONV, "pixel7"))
    browser.open(url(site, "series.html", f"s={regressed}"))
    marks = browser.eval("[...document.querySelectorAll('#verdict-marks tbody tr')].map(tr => "
                         "({...tr.dataset}))")
    assert {(m["kind"], m["commit"], m["how"]) for m in marks} == {
        ("slower", commit_of(SLOW_FROM), "previous"), ("slower", commit_of(SLOW_FROM), "ab")}
    assert {m["run"] for m in marks} == {run_id_of(SLOW_FROM), run_id_of(SLOW_FROM, ab=True)}
    # on the chart: one 'slower' marker, on the night the commit came in
    marker = browser.eval(
        "(() => { const gd = document.getElementById('chart');"
        " const i = gd.data.findIndex(t => t.name === 'slower'); const t = gd.data[i];"
        " const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;"
        " const box = gd.getBoundingClientRect();"
        " return {count: t.x.length, run: t.customdata[0][0], commit: t.customdata[0][1],"
        "  x: box.left + xa._offset + xa.l2p(xa.d2l(t.x[0])),"
        "  y: box.top + ya._offset + ya.l2p(ya.d2l(t.y[0]))}; })()")
    assert marker["count"] == 1 and marker["run"] == run_id_of(SLOW_FROM)
    assert commit_of(SLOW_FROM).startswith(marker["commit"])
    # a real mouse over the point: the hover label names its run, commit, n and processes
    browser.eval("window.__hovered = new Promise(done => document.getElementById('chart')"
                 ".on('plotly_hover', () => requestAnimationFrame(() => done(true)))); true")
    browser.move_mouse(marker["x"] - 40, marker["y"] + 40)
    browser.move_mouse(marker["x"], marker["y"])
    label = browser.eval("window.__hovered.then(() => [...document.querySelectorAll("
                         "'#chart .hovertext')].map(h => h.textContent).join(' | '))")
    assert run_id_of(SLOW_FROM) in label and marker["commit"] in label, label
    assert "processes" in label and "n 120" in label, label
    keep_screenshot(browser, "publish-series.png")
    # a click on the point opens its run's page
    browser.click(marker["x"], marker["y"])
    browser.wait_event("Page.loadEventFired")
    assert browser.eval("location.pathname").endswith(f"/runs/{run_id_of(SLOW_FROM)}.html")
    # by commit: a tick names each commit at its first run, the regression's among them
    browser.open(url(site, "series.html", f"s={regressed}&x=commit"))
    ticks = browser.eval("document.getElementById('chart').layout.xaxis.ticktext")
    assert ticks == [commit_of(n)[:8] for n in range(1, LAST + 1)]
    # the filters narrow the menu of series, and the page follows
    browser.eval("const d = document.getElementById('filter-device'); d.value = 'sd855'; "
                 "d.dispatchEvent(new Event('change')); true")
    menu = browser.eval("[...document.getElementById('series-pick').options].map(o => o.value)")
    assert sorted(menu) == sorted(series_id(key(m, "sd855")) for m in (CONV, MATMUL))
    assert browser.eval("location.hash").startswith(f"#s={menu[0]}")
    # a series without a regression has no mark
    browser.open(url(site, "series.html", f"s={series_id(key(CONV, 'sd855'))}"))
    rows = browser.eval("[...document.querySelectorAll('#verdict-marks tr[data-kind]')].map(tr "
                        "=> [tr.dataset.kind, tr.dataset.run])")
    assert rows == [["failed", run_id_of(LAST + 1)]]  # its failure, and no verdict mark
    assert browser.eval("document.getElementById('chart').data.find(t => t.name === "
                        "'slower').x.length") == 0
    clean(browser)


def test_compare_and_run_pages(site: Path, browser: Browser) -> None:
    before, after = run_id_of(SLOW_FROM - 1), run_id_of(SLOW_FROM)
    browser.open(url(site, "compare.html", f"a={before}&b={after}"))
    rows = browser.eval("[...document.querySelectorAll('#comparison tbody tr')].map(tr => "
                        "[tr.dataset.series, tr.dataset.kind])")
    assert len(rows) == 4
    assert dict(rows)[series_id(key(CONV, "pixel7"))] == "slower"
    assert browser.eval("document.getElementById('run-b').value") == after
    # by commits: each side is the commit's latest run
    browser.open(url(site, "compare.html", f"a={commit_of(SLOW_FROM - 1)[:10]}"
                                           f"&b={commit_of(SLOW_FROM)[:10]}"))
    assert browser.eval("[document.getElementById('run-a').value, "
                        "document.getElementById('run-b').value]") == [before, after]
    assert f"a={before}&b={after}" in browser.eval("location.hash")
    browser.open(url(site, f"runs/{after}.html"), drawn=False)  # no script: loaded is drawn
    links = browser.eval("[...document.querySelectorAll('nav.run a')].map(a => a.href)")
    raw = [u for u in links if u.endswith(f"raw/{after}.json")]
    assert raw and Path(urlsplit(raw[0]).path).is_file()
    assert browser.eval("document.querySelectorAll('td.num[title]').length") == 4
    clean(browser)


def test_run_pages_drawn_from_each_runs_data(site: Path, browser: Browser) -> None:
    rows = ("[...document.querySelectorAll('#cases tbody tr')].map(tr => "
            "[tr.dataset.series, tr.dataset.kind])")
    hrefs = ("Object.fromEntries([...document.querySelectorAll('#run-links a[id]')]"
             ".map(a => [a.id, a.href]))")
    # an old run, with no report page: its cases, the command that makes its report, raw file
    browser.open(url(site, "run.html", f"r={run_id_of(1)}"))
    assert len(browser.eval(rows)) == 4
    assert "benchbot report -r raw/" in browser.eval("document.getElementById('no-report')"
                                                     ".textContent")
    links = browser.eval(hrefs)
    assert set(links) == {"raw-link"} and Path(urlsplit(links["raw-link"]).path).is_file()
    # the regression's run: its verdict on the right series, and its report page
    browser.open(url(site, "run.html", f"r={run_id_of(SLOW_FROM)}"))
    assert dict(browser.eval(rows))[series_id(key(CONV, "pixel7"))] == "slower"
    assert Path(urlsplit(browser.eval(hrefs)["report-link"]).path).is_file()
    # the failed case's run lists the failure; the run menu moves the page to another run
    browser.open(url(site, "run.html", f"r={run_id_of(LAST + 1)}"))
    assert [series_id(key(CONV, "sd855")), "failed"] in browser.eval(rows)
    browser.eval("const m = document.getElementById('run-pick'); m.value = "
                 f"'{run_id_of(2)}'; m.dispatchEvent(new Event('change')); true")
    browser.eval("new Promise(done => { const t = () => document.querySelectorAll("
                 "'#cases tbody tr').length === 4 ? done(true) : requestAnimationFrame(t); t(); })")
    assert browser.eval("location.hash") == f"#r={run_id_of(2)}"
    clean(browser)
