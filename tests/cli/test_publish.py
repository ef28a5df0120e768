"""`benchbot publish` without a browser: republishing after one more run rewrites only what
changed (the other series' files keep their inode and mtime), nothing at all when nothing
changed; a run gone takes its files with it; bad input is one line and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

from benchbot.report.site import series_id
from benchbot.report.site.publish import publish_site
from tests.conftest import benchbot
from tests.support.site_runs import MODELS, night_run, run_id_of

CONV = "models/tiny_conv.onnx"


def key(model: str, device: str) -> tuple[object, ...]:
    return (model, device, "onnxruntime", "cpu", "agent", 1, 1, "fp32", None)


def state(site: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(site).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in site.rglob("*") if p.is_file()}


def never(message: str) -> None:
    raise AssertionError(message)


def test_republishing_after_one_more_run_rewrites_only_what_changed(tmp_path: Path) -> None:
    results, site = tmp_path / "results", tmp_path / "site"
    for night in (1, 2, 3):
        night_run(results, night)
    logs = results / f"{run_id_of(1)}.logs"  # as a native tool's run leaves its output
    logs.mkdir()
    (logs / "0123456789ab-1.log").write_text("INFO: Inference timings in us: ...\n")
    first = publish_site(results, site, never, run_charts=1)
    assert (site / f"raw/{run_id_of(1)}.logs/0123456789ab-1.log").read_text().startswith("INFO")
    assert f'href="../raw/{run_id_of(1)}.logs/0123456789ab-1.log"' in \
        (site / f"runs/{run_id_of(1)}.html").read_text()
    # the newest run's page draws the report's charts; the older ones' show its tables
    pages = {n: (site / f"runs/{run_id_of(n)}.html").read_text() for n in (1, 2, 3)}
    assert 'class="chart"' in pages[3] and 'class="chart"' not in pages[1] + pages[2]
    assert all('td class="num" title=' in page for page in pages.values())
    assert first.series == 4 and first.runs == 3 and first.verdicts_computed == 4 * 2
    before = state(site)
    assert set(first.written) == set(before)  # a new site: every file written once

    # one more night measures one series only
    night_run(results, 4, models=(CONV,), devices=("pixel7",))
    second = publish_site(results, site, never, run_charts=1)
    after = state(site)
    changed = series_id(key(CONV, "pixel7"))
    assert set(second.written) == {
        "data/catalog.js", f"data/series/{changed}.js", f"data/runs/{run_id_of(4)}.js",
        f"runs/{run_id_of(4)}.html", f"raw/{run_id_of(4)}.json", ".benchbot-site.json",
        ".benchbot-verdicts.json"}
    assert second.verdicts_computed == 1  # the new point's; the others' were kept
    for model in MODELS:
        for device in ("pixel7", "sd855"):
            rel = f"data/series/{series_id(key(model, device))}.js"
            if rel.endswith(f"{changed}.js"):
                assert after[rel] != before[rel]
            else:  # the same inode, never touched
                assert after[rel] == before[rel], rel
    for rel in before:
        if rel not in second.written:
            assert after[rel] == before[rel], rel
    assert f'"{run_id_of(4)}"' in (site / f"data/series/{changed}.js").read_text()

    # nothing new: nothing written
    third = publish_site(results, site, never, run_charts=1)
    assert third.written == () and state(site) == after and third.verdicts_computed == 0

    # a run deleted from the results: its files leave the site
    (results / f"{run_id_of(4)}.json").unlink()
    fourth = publish_site(results, site, never)
    assert not (site / f"runs/{run_id_of(4)}.html").exists()
    assert not (site / f"raw/{run_id_of(4)}.json").exists()
    assert "data/catalog.js" in fourth.written
    manifest = json.loads((site / ".benchbot-site.json").read_text())
    assert sorted(manifest["runs"]) == [f"{run_id_of(n)}.json" for n in (1, 2, 3)]


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = benchbot("publish", "--results", str(tmp_path / "missing"), "--out",
                    str(tmp_path / "site"))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "not a folder of runs" in proc.stderr
    (tmp_path / "empty").mkdir()
    proc = benchbot("publish", "--results", str(tmp_path / "empty"), "--out",
                    str(tmp_path / "site"))
    assert proc.returncode == 2 and "no runs in" in proc.stderr, proc.stderr
    night_run(tmp_path / "results", 1)
    (tmp_path / "file").write_text("x")
    proc = benchbot("publish", "--results", str(tmp_path / "results"), "--out",
                    str(tmp_path / "file"))
    assert proc.returncode == 2 and "is a file" in proc.stderr, proc.stderr
    proc = benchbot("publish", "--results", str(tmp_path / "results"), "--out",
                    str(tmp_path / "site"), "--run-charts", "-1")
    assert proc.returncode == 2 and "--run-charts -1" in proc.stderr, proc.stderr
    proc = benchbot("publish", "--results", str(tmp_path / "results"), "--out",
                    str(tmp_path / "site"), "--jobs", "0")
    assert proc.returncode == 2 and "--jobs 0: give 1 or more" in proc.stderr, proc.stderr


def test_nightly_names_the_published_page_of_each_slower_series(tmp_path: Path) -> None:
    from benchbot.verdicts import compare, side_of_run
    from benchbot.report.site import slower_links

    def slower(night: int, model: str, device: str) -> float:
        return 1.5 if night == 2 and model == CONV and device == "sd855" else 1.0

    results, site = tmp_path / "results", tmp_path / "site"
    before, after = (night_run(results, n, slower) for n in (1, 2))
    links = slower_links(compare(side_of_run(before), side_of_run(after)))
    assert [label for label, _ in links] == ["tiny_conv on sd855, onnxruntime, 1 thread, "
                                             "batch 1, fp32"]
    publish_site(results, site, never)
    page, fragment = links[0][1].split("#s=")
    assert (site / page).is_file() and fragment == series_id(key(CONV, "sd855"))
    assert (site / "data" / "series" / f"{fragment}.js").is_file()


def test_two_model_files_of_one_name_stay_apart(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for night in (1, 2):
        night_run(results, night, models=("v1/tiny_conv.onnx", "v2/tiny_conv.onnx"),
                  devices=("pixel7",))
    publish_site(results, tmp_path / "site", never)
    catalog = (tmp_path / "site" / "data" / "catalog.js").read_text()
    doc = json.loads(catalog.split(" = ", 1)[1].rstrip().rstrip(";"))
    assert sorted(s["model"] for s in doc["series"]) == ["v1/tiny_conv.onnx",
                                                         "v2/tiny_conv.onnx"]


def test_a_site_made_over_worker_processes_is_the_site_made_in_one(tmp_path: Path,
                                                                   monkeypatch) -> None:
    from benchbot.report.site import workers

    results = tmp_path / "results"
    for night in (1, 2, 3, 4):
        night_run(results, night)
    alone = publish_site(results, tmp_path / "alone", never, run_charts=1, workers=1)
    monkeypatch.setattr(workers, "MIN_ITEMS", 1)  # a pool even for these few items
    spread = publish_site(results, tmp_path / "spread", never, run_charts=1, workers=2)
    assert sorted(spread.written) == sorted(alone.written)
    assert spread.verdicts_computed == alone.verdicts_computed > 0
    for rel in alone.written:
        assert (tmp_path / "spread" / rel).read_bytes() == (tmp_path / "alone" / rel).read_bytes(), rel


def run_data(site: Path, run_id: str) -> dict[str, object]:
    text = (site / f"data/runs/{run_id}.js").read_text()
    return json.loads(text.split(f'["{run_id}"] = ', 1)[1].rstrip().rstrip(";"))


def test_report_pages_for_the_newest_runs_kept_once_made(tmp_path: Path) -> None:
    results, site = tmp_path / "results", tmp_path / "site"
    for night in (1, 2, 3):
        night_run(results, night)
    publish_site(results, site, never, run_charts=0, run_reports=1)
    # the newest run has its report page; every run its data (drawn by run.html) and raw file
    assert sorted(p.name for p in (site / "runs").iterdir()) == [f"{run_id_of(3)}.html"]
    old, new = run_data(site, run_id_of(1)), run_data(site, run_id_of(2))
    assert old["report"] == 0 and old["raw"] == f"raw/{run_id_of(1)}.json"
    assert (site / str(old["raw"])).is_file() and old["previous"] is None
    assert new["previous"] == run_id_of(1) and len(new["cases"]) == 4  # type: ignore[arg-type]
    assert all(c[7] is not None for c in new["cases"])  # type: ignore[union-attr]
    # the night after: its page is made, and the page made last night is kept
    night_run(results, 4)
    again = publish_site(results, site, never, run_charts=0, run_reports=1)
    assert sorted(p.name for p in (site / "runs").iterdir()) == [
        f"{run_id_of(n)}.html" for n in (3, 4)]
    assert f"runs/{run_id_of(3)}.html" not in again.written
    catalog = json.loads((site / "data/catalog.js").read_text().split(" = ", 1)[1]
                         .rstrip().rstrip(";"))
    assert [r[8] for r in catalog["runs"]] == [0, 0, 1, 1]


def test_a_run_gone_from_the_middle_remakes_the_data_of_the_runs_after_it(tmp_path: Path
                                                                        ) -> None:
    results, site = tmp_path / "results", tmp_path / "site"
    for night in (1, 2, 3):
        night_run(results, night)
    publish_site(results, site, never)
    assert run_data(site, run_id_of(3))["previous"] == run_id_of(2)
    (results / f"{run_id_of(2)}.json").unlink()
    again = publish_site(results, site, never)
    # the first run's data is as it was; the third's verdicts are now against the first
    assert f"data/runs/{run_id_of(1)}.js" not in again.written
    third = run_data(site, run_id_of(3))
    assert third["previous"] == run_id_of(1)
    assert {c[7][2] for c in third["cases"]} == {run_id_of(1)}  # type: ignore[index, union-attr]


def test_raw_files_are_linked_where_they_can_be_and_copied_where_not(tmp_path: Path) -> None:
    results, site = tmp_path / "results", tmp_path / "site"
    for night in (1, 2):
        night_run(results, night)
    private = results / f"{run_id_of(2)}.json"
    private.chmod(0o600)  # a static host could not serve a link to it: copied, readable
    publish_site(results, site, never)
    linked = site / f"raw/{run_id_of(1)}.json"
    assert linked.stat().st_ino == (results / f"{run_id_of(1)}.json").stat().st_ino
    copied = site / f"raw/{run_id_of(2)}.json"
    assert copied.stat().st_ino != private.stat().st_ino
    assert copied.stat().st_mode & 0o777 == 0o644 and copied.read_bytes() == private.read_bytes()
    # a results file saved again (replaced, as the store saves) is a new file: the next
    # publish links that one
    (results / "new.tmp").write_bytes((results / f"{run_id_of(1)}.json").read_bytes())
    (results / "new.tmp").replace(results / f"{run_id_of(1)}.json")
    publish_site(results, site, never)
    assert linked.stat().st_ino == (results / f"{run_id_of(1)}.json").stat().st_ino
