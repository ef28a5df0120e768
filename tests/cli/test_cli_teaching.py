"""A CLI that teaches and is consistent: examples in every --help, no markup lost, --json
everywhere data is printed, options that do not apply are errors, rows in the order the
models were given, provenance (--meta, git) in reports and history by commit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.main import get_command

from benchbot.cli.main import app
from tests.conftest import FAST, benchbot


def leaf_commands() -> list[list[str]]:
    paths = []

    def walk(cmd, prefix):  # type: ignore[no-untyped-def]
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*prefix, name])
        else:
            paths.append(prefix)

    walk(get_command(app), [])
    return paths


def test_every_subcommand_help_ends_with_examples() -> None:
    from typer.testing import CliRunner

    runner = CliRunner()
    for path in leaf_commands():
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
        assert result.exit_code == 0, path
        text = result.output
        assert "Examples:" in text, path
        assert text.count("benchbot " + path[0]) >= 2, path
    report = runner.invoke(app, ["report", "--help"], env={"COLUMNS": "200"}).output
    assert "'- [n]'" in report
    nightly = runner.invoke(app, ["nightly", "--help"], env={"COLUMNS": "200"}).output
    assert "[nightly]" in nightly and "[thresholds]" in nightly
    assert "--install-completion" in runner.invoke(app, ["--help"]).output


@pytest.fixture(scope="module")
def results(models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("teach") / "results"
    given = f"{models['tiny_matmul.onnx']},{models['tiny_conv.onnx']}"  # not alphabetical
    for build in ("1", "2"):
        proc = benchbot("run", "--model", given, "--results", str(folder), "--meta",
                        f"build={build}", *FAST)
        assert proc.returncode == 0, proc.stderr
    return folder


def test_report_json_rows_order_and_provenance(results: Path) -> None:
    alias = benchbot("report", "-r", str(results), "--json")
    long = benchbot("report", "-r", str(results), "--format", "json")
    assert alias.returncode == 0 and alias.stdout == long.stdout
    rows = json.loads(alias.stdout)
    assert {r["meta"]["build"] for r in rows} == {"2"} and "commit" in rows[0]
    md = benchbot("report", "-r", str(results)).stdout
    assert md.index("tiny_matmul") < md.index("tiny_conv")  # the order given
    assert "build: 2" in md and "build: 1" not in md  # the runs whose cases are shown
    for args in (["--format", "csv", "--layout", "devices"], ["--json", "--metric", "p90"],
                 ["--format", "json", "--model-columns", "params"], ["--json", "-f", "csv"]):
        proc = benchbot("report", "-r", str(results), *args)
        assert proc.returncode == 2 and "error:" in proc.stderr, args


def test_history_by_commit_and_compare_html(results: Path, tmp_path: Path) -> None:
    proc = benchbot("history", "-m", "tiny_conv", "-r", str(results), "--x", "commit",
                    "--out", str(tmp_path / "h.png"), "--json")
    assert proc.returncode == 0, proc.stderr
    points = json.loads(proc.stdout)[0]["points"]
    assert len(points) == 2 and all("commit" in p for p in points)
    assert benchbot("history", "-m", "tiny_conv", "-r", str(results), "--x", "nope",
                    "--out", str(tmp_path / "h.png")).returncode == 2
    page = tmp_path / "c.html"
    runs = sorted(p.stem for p in results.glob("*.json"))
    proc = benchbot("compare", runs[0], runs[1], "-r", str(results), "--format", "html",
                    "--out", str(page))
    text = page.read_text()
    assert 'data-chart="comparison"' in text and "Commits" in text and "<tr class=" in text
    rows = json.loads(benchbot("compare", runs[0], runs[1], "-r", str(results),
                               "--json").stdout)["comparisons"]
    assert rows
    # the exit code is the verdicts' (real timings decide which): 1 exactly when one is slower
    slower = any(r["verdict"] == "slower" for r in rows)
    assert proc.returncode == (1 if slower else 0), proc.stderr
