"""The HTML report in a real headless Chromium: it loads with no console error, every chart
is there and drawn, and a screenshot is kept as an artefact (test-artifacts/).

Chromium is Debian's `chromium` (scripts/install-test-deps.sh installs it when root).
Without it the test skips, unless BENCHBOT_REQUIRE_BROWSER=1 (as .ci/run sets): then
it fails, so CI cannot pass without having looked at the page.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from benchbot.stats import summarize
from benchbot.store import load_run, save_run
from benchbot.store.findings import OpProfile, OpTime, Validity
from benchbot.store.records import GitInfo
from tests.conftest import FAST, REPO, benchbot

ARTIFACTS = Path(os.environ.get("BENCHBOT_ARTIFACTS", REPO / "test-artifacts"))
CHARTS = ("thread-scaling", "speedup", "distribution", "history", "op-profile")

# Installed first in <head>: records every error event (scripts, images that fail to
# load: capture phase) and console.error call, then checks each chart once loaded.
CHECKER = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message ||
  (e.target && (e.target.src || e.target.outerHTML || '').slice(0, 80)))), true);
const origError = console.error;
console.error = (...a) => { window.__errors.push(a.join(' ')); origError(...a); };
window.addEventListener('load', () => {
  const charts = [...document.querySelectorAll('figure.chart')].map(f => {
    const img = f.querySelector('img'); const box = img.getBoundingClientRect();
    return {name: f.dataset.chart, complete: img.complete, natural: img.naturalWidth,
            width: box.width, height: box.height};
  });
  const out = document.createElement('pre'); out.id = 'bb-check';
  out.textContent = JSON.stringify({errors: window.__errors, charts,
    cells: document.querySelectorAll('td.num[title]').length});
  document.body.appendChild(out);
});
</script>"""


def chromium() -> str:
    found = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                  if shutil.which(n)), None)
    if found:
        return found
    if os.environ.get("BENCHBOT_REQUIRE_BROWSER") == "1":
        pytest.fail("BENCHBOT_REQUIRE_BROWSER=1 but no chromium: run "
                    "scripts/install-test-deps.sh as root (apt-get install -y chromium)")
    pytest.skip("no chromium (apt-get install -y chromium, or scripts/install-test-deps.sh)")


def browse(binary: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", "--no-first-run", "--enable-logging=stderr",
                           "--virtual-time-budget=10000", *args],
                          capture_output=True, text=True, timeout=120)


def past_night(results: Path) -> None:
    """A copy of the run, a day earlier on another commit, 10% faster, with an op profile
    on one case and one case not valid: so history, op profiles and † have something."""
    record = load_run(next(results.glob("*.json")))
    cases = []
    for i, c in enumerate(record.cases):
        runs = tuple(dataclasses.replace(r, samples_ms=tuple(x * 0.9 for x in r.samples_ms))
                     for r in c.runs)
        samples = [x for r in runs for x in r.samples_ms]
        cases.append(dataclasses.replace(c, runs=runs, stats=summarize(samples)))
    record = dataclasses.replace(record, run_id="20200101T000000Z-past00",
                                 started_at="2020-01-01T00:00:00.000+00:00", cases=tuple(cases),
                                 git=GitInfo("0123456789abcdef0123", "main", False),
                                 meta={"build": "41"})
    save_run(record, results)
    latest = load_run(sorted(p for p in results.glob("*.json") if "past" not in p.name)[0])
    ops = (OpTime("conv1", "Conv", "CPUExecutionProvider", 0.02, 0.6),
           OpTime("relu1", "Relu", "CPUExecutionProvider", 0.008, 0.25),
           OpTime("fc", "Gemm", "CPUExecutionProvider", 0.005, 0.15))
    first, second, *rest = latest.cases
    first = dataclasses.replace(first, op_profile=OpProfile(ops, 0.033, 50, "onnxruntime"))
    second = dataclasses.replace(second, validity=Validity().with_code("wide_ci", "12%"))
    save_run(dataclasses.replace(latest, cases=(first, second, *rest)), results)


@pytest.fixture(scope="module")
def report(models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real sweep (2 models x threads 1,2 x batch 1,2 x fp32/fp16), a past night, the page."""
    tmp = tmp_path_factory.mktemp("html")
    results = tmp / "results"
    proc = benchbot("run", "--model", f"{models['tiny_conv.onnx']},{models['tiny_matmul.onnx']}",
                    "--threads", "1,2", "--batch", "1,2", "--precision", "fp32,fp16",
                    "--results", str(results), "--meta", "build=42", *FAST,
                    "--variant-cache", str(tmp / "variants"), timeout=600)
    assert proc.returncode == 0, proc.stderr
    past_night(results)
    page = tmp / "report.html"
    proc = benchbot("report", "-r", str(results), "--format", "html", "--out", str(page))
    assert proc.returncode == 0, proc.stderr
    return page


def test_the_page_loads_clean_with_every_chart_drawn(report: Path) -> None:
    binary = chromium()
    text = report.read_text(encoding="utf-8")
    assert "https://" not in text and "http://" not in text  # loads nothing
    for needed in ("Date (UTC)", "Host", "Devices", "Runtimes", "benchbot", "Runs",
                   "Commits", "0123456789 (main)", "build", "†", "wide_ci"):
        assert needed in text, needed
    checked = report.with_name("checked.html")
    checked.write_text(text.replace("<head>", "<head>\n" + CHECKER, 1), encoding="utf-8")
    proc = browse(binary, "--dump-dom", checked.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = re.search(r'<pre id="bb-check">(.*?)</pre>', proc.stdout, re.S)
    assert found, proc.stdout[-2000:]
    result = json.loads(html.unescape(found.group(1)))
    assert result["errors"] == []
    assert not [line for line in proc.stderr.splitlines()
                if "CONSOLE" in line and "error" in line.lower()]
    names = {c["name"] for c in result["charts"]}
    assert set(CHARTS) <= names, names
    for chart in result["charts"]:
        assert chart["complete"] and chart["natural"] > 100, chart
        assert chart["width"] > 200 and chart["height"] > 100, chart
    assert result["cells"] >= 16  # every measured cell has its hover text

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "html-report.png"
    shot.unlink(missing_ok=True)
    proc = browse(binary, "--window-size=1280,3000", f"--screenshot={shot}", report.as_uri())
    assert proc.returncode == 0 and shot.stat().st_size > 50_000, proc.stderr[-2000:]
