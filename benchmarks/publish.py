"""What `benchbot publish` costs, measured: the publish time over many synthetic runs, and
how fast the pages it makes load in headless Chromium.

RUNS runs (default 1,000) of SERIES series each (default 20: 5 models x 4 devices), each
case 30 log-normal samples with statistics from benchbot's own code, written with the
store's codec; then

  - the results index's catch-up (the first query reads every run file once);
  - the first publish (every page and data file, the newest runs' reports), with one
    process and with one per core, interleaved;
  - a republish after one more run, and the files it wrote;
  - the overview, a series page (RUNS points), the run page and the compare page in
    headless Chromium from file://: first contentful paint, the load event, and the
    moment the page says it has drawn its data (window.BB.readyAt), the median of 3
    loads each.

Runnable alone (make bench runs it too):

    .venv/bin/python benchmarks/publish.py --runs 1000 --series 20

Nothing here is asserted: the figures are for people to read.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchbot.report.site.publish import publish_site  # noqa: E402
from benchbot.report.site.workers import default_workers  # noqa: E402
from benchbot.store import GitInfo, HostFacts, RunRecord, save_run  # noqa: E402
from benchbot.store.index import open_index  # noqa: E402
from tests.support.cases import make_case  # noqa: E402

DEVICES = ("pixel7", "sd855", "sd8gen2", "rpi5")
START = datetime(2024, 1, 1, 2, 0, tzinfo=timezone.utc)


def write_runs(results: Path, runs: int, series: int, first: int = 0) -> None:
    models = [f"models/net{i}.onnx" for i in range(max(1, series // len(DEVICES)))]
    configs = [(m, d) for m in models for d in DEVICES][:series]
    for night in range(first, first + runs):
        rng = random.Random(night)
        cases = []
        for i, (model, device) in enumerate(configs):
            centre = (1 + i) * (1.3 if night > runs // 2 and i == 0 else 1.0)
            case = make_case(id=f"{i:012d}", model=model, model_sha256="ab" * 32, device=device,
                             samples_ms=[centre * rng.lognormvariate(0, 0.03) for _ in range(30)])
            lo, hi = case.stats.ci95_low_ms, case.stats.ci95_high_ms
            cases.append(dataclasses.replace(case, stats=dataclasses.replace(
                case.stats, processes=3, within_ci95_low_ms=lo, within_ci95_high_ms=hi)))
        started = START + timedelta(hours=night)
        save_run(RunRecord(run_id=started.strftime("%Y%m%dT%H%M%SZ") + f"-{night:06d}",
                           started_at=started.isoformat(timespec="milliseconds"),
                           command=("benchbot", "run"), benchbot_version="bench",
                           host=HostFacts(hostname="bench"), planned_cases=len(cases), status="complete", cases=tuple(cases),
                           git=GitInfo(f"{night:040x}", "main", False)), results)


def page_times(site: Path, binary: str, profile: Path) -> dict[str, tuple[float, float, float]]:
    from tests.support.cdp import Browser

    # waits for the first contentful paint, which may come after the page has drawn
    probe = ("BB.ready.then(() => new Promise(done => new PerformanceObserver((list, obs) => {"
             " const fcp = list.getEntriesByName('first-contentful-paint')[0]; if (!fcp) return;"
             " obs.disconnect(); const nav = performance.getEntriesByType('navigation')[0];"
             " done([fcp.startTime, nav.loadEventEnd, BB.readyAt]); })"
             ".observe({type: 'paint', buffered: true})))")
    browser = Browser(binary, profile)
    out = {}
    try:
        for page in ("index.html", "series.html", "run.html", "compare.html"):
            got = []
            for _ in range(3):
                browser.open(site.joinpath(page).as_uri())
                got.append(browser.eval(probe))
            out[page] = tuple(statistics.median(g[i] for g in got) for i in range(3))
        assert browser.errors() == [], browser.errors()
    finally:
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--series", type=int, default=20)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    try:
        results, site = tmp / "results", tmp / "site"
        t = time.perf_counter()
        write_runs(results, args.runs, args.series)
        made = time.perf_counter() - t
        t = time.perf_counter()
        index = open_index(results)
        assert index is not None
        index.close()
        catch_up = time.perf_counter() - t
        workers = default_workers()
        firsts: dict[int, list[float]] = {1: [], workers: []}
        for round_ in range(2):  # interleaved: one process, then one per core, twice
            for jobs in dict.fromkeys((1, workers)):
                shutil.rmtree(site, ignore_errors=True)
                t = time.perf_counter()
                first = publish_site(results, site, print, workers=jobs)
                firsts[jobs].append(time.perf_counter() - t)
        first_s = min(firsts[workers])
        write_runs(results, 1, args.series, first=args.runs)
        t = time.perf_counter()
        again = publish_site(results, site, print)
        again_s = time.perf_counter() - t
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        print(f"publish: {args.runs} runs x {first.series} series "
              f"({args.runs * first.series} case records; written in {made:.1f} s)")
        print(f"  index catch-up (first query)   {catch_up:8.2f} s")
        print(f"  first publish                  {first_s:8.2f} s   {len(first.written)} files, "
              f"{size / 1e6:.1f} MB; {workers} process(es), "
              f"{min(firsts[1]) / first_s:.2f}x faster than one (best of 2 each)")
        print(f"  republish after one more run   {again_s:8.2f} s   {len(again.written)} files "
              f"written, {again.unchanged} unchanged")
        binary = next((shutil.which(n) for n in ("chromium", "chromium-browser",
                                                 "google-chrome") if shutil.which(n)), None)
        if binary is None:
            print("  page load: no chromium (scripts/install-test-deps.sh installs it)")
            return
        times = page_times(site, binary, tmp / "profile")
        print("  page (headless Chromium, file://, median of 3)  first paint   load   drawn")
        for page, (fcp, load, ready) in times.items():
            print(f"    {page:<44} {fcp:8.0f} ms {load:6.0f} ms {ready:6.0f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
