"""examples/github-nightly.yml: its nightly step, run exactly as written, and the verdict
it leaves in $GITHUB_STEP_SUMMARY (one headline, the counts once, an environment block,
what needs a look first, the rest folded)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

WORKFLOW = REPO / "examples" / "github-nightly.yml"


def step_script(step_id: str) -> str:
    """The `run: |` block of the step with ``id: step_id`` (no YAML parser needed)."""
    lines = WORKFLOW.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == f"id: {step_id}")
    run = next(i for i in range(start, len(lines)) if lines[i].strip() == "run: |")
    indent = len(lines[run + 1]) - len(lines[run + 1].lstrip())
    body = []
    for line in lines[run + 1:]:
        if line.strip() and len(line) - len(line.lstrip()) < indent:
            break
        body.append(line[indent:])
    return "\n".join(body) + "\n"


def run_step(script: str, cwd: Path, results: Path, summary: Path, output: Path
             ) -> subprocess.CompletedProcess[str]:
    bindir = str(Path(sys.executable).parent)  # the venv's benchbot console script
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ["PATH"], "NO_COLOR": "1",
           "BENCHBOT_RESULTS": str(results), "GITHUB_STEP_SUMMARY": str(summary),
           "GITHUB_OUTPUT": str(output), "GITHUB_RUN_ID": "777", "GITHUB_REF_NAME": "main"}
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def test_the_workflows_nightly_command_and_its_summary(models: dict[str, Path],
                                                       tmp_path: Path) -> None:
    script = step_script("nightly")
    assert "benchbot nightly --config bench/nightly.toml" in script
    (tmp_path / "bench").mkdir()
    net = tmp_path / "bench" / "net.onnx"  # tonight's export of the model under test
    (tmp_path / "bench" / "nightly.toml").write_text(f"""
devices = ["local"]
models = ["{net}", "{models['tiny_matmul.onnx']}"]
threads = [1]
[measure]
warmup = 1
min_runs = 20
min_time = 0.1
max_time = 1.0
[nightly]
baseline = "rolling:3"
[meta]
suite = "nightly"
""")
    results, summary, output = tmp_path / "results", tmp_path / "summary.md", tmp_path / "out"
    # night 1 has no baseline (exit 0); on night 2 the model under test became a network
    # hundreds of times heavier under the same path: a regression, whatever the noise (1)
    for night, model, code in ((1, "tiny_conv.onnx", 0), (2, "mid_conv.onnx", 1)):
        shutil.copyfile(models[model], net)
        proc = run_step(script, tmp_path, results, summary, output)
        assert proc.returncode == code, proc.stderr[-3000:]
        assert f"code={code}" in output.read_text().splitlines()[-1]
    assert (tmp_path / "nightly-report.html").stat().st_size > 10_000
    # the step republished the history site (benchbot publish, into ./site here)
    assert "published" in proc.stderr and (tmp_path / "site" / "index.html").is_file()

    second = summary.read_text().split("## benchbot nightly:")[-1]
    head, *rest = second.splitlines()
    assert head.strip() == "regressions found"
    counts = re.findall(r"\d+ slower, \d+ faster, \d+ unchanged, \d+ uncertain", second)
    assert len(counts) == 1  # the counts once
    assert "<summary>Environment</summary>" in second
    for row in ("| Host |", "| Devices |", "| Runtimes |", "| Commits |", "| suite | nightly",
                "| workflow_run | 777", "| ref | main"):
        assert row in second, row
    heading = re.search(r"### (Slower|Failed|Uncertain|Faster|Added)\b", second)
    first_table = heading.start() if heading else -1
    assert heading and heading.group(1) == "Slower"  # tonight's net.onnx, a regression
    assert "| net |" in second[first_table:].split("###")[1]
    folded = second.find("unchanged</summary>")
    if folded != -1:
        assert first_table < folded  # what needs a look comes first
    assert "removed</summary>" not in second  # the baseline swept nothing more
