"""Shared fixtures: the small test models, built once per session by models/build_test_models.py."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TIERS = ("adb", "ssh", "farm")
pytest_plugins = ["tests.support.adb_fixtures", "tests.support.sshd"]
SMALL = ["tiny_conv.onnx", "tiny_matmul.onnx", "tiny_conv_fixed.onnx", "tiny_reshape_fixed.onnx",
         "tiny_fc.tflite", "tiny_conv.tflite", "mid_conv.onnx"]


def _builder():
    spec = importlib.util.spec_from_file_location("build_test_models",
                                                  REPO / "models" / "build_test_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """name (e.g. 'tiny_conv.onnx') -> path of the small test models."""
    return _builder().build_all(tmp_path_factory.mktemp("models"), only=SMALL)


# Fast measurement settings for end-to-end tests: real runs, few of them.
# One measuring process per case: tests of other things stay quick; the repeats, the
# interleaved schedule and the statistics across processes have tests of their own.
FAST = ["--warmup", "1", "--min-runs", "3", "--min-time", "0", "--max-time", "2", "--repeat", "1"]


def benchbot(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, as a user would.

    A `benchbot run` measures one process per case here unless the test says otherwise
    (``--repeat``): the suite stays quick; the repeats, the interleaved schedule and the
    statistics across processes are tested where a test asks for them (test_repeats.py,
    test_leases_resume.py, and the sweeps that pass --repeat)."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
    argv = list(args)
    if argv[:1] == ["run"] and not {"--repeat", "--resume", "--help", "--dry-run"} & set(argv):
        argv += ["--repeat", "1"]
    return subprocess.run([sys.executable, "-m", "benchbot", *argv], capture_output=True,
                          text=True, cwd=cwd, env=full_env, timeout=timeout)


def cli(*args: str) -> tuple[int, str, str]:
    """``benchbot ARGS`` in this process, through ``cli/main.py`` as the console script runs
    it (so the exit code is the one main decides from the command's outcome): (code,
    stdout, stderr)."""
    import contextlib
    import io

    from benchbot.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


# --- every results file the suite writes is checked against the JSON Schema -----------------

RUN_FILE = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}(\.cases\.jsonl|\.json)$")


def schema_problems(folder: Path) -> list[str]:
    """What in the results files and journals below ``folder`` breaks the results schema.

    Run files are recognised by their names (RUN_ID.json, RUN_ID.cases.jsonl); lines of a
    journal that are not JSON (a torn last line, a test's deliberate damage) are left to
    the loader's own tests.
    """
    from jsonschema import Draft202012Validator

    from benchbot.store.records import SCHEMA_VERSION
    from benchbot.store.schema import results_schema

    schema = results_schema()
    whole = Draft202012Validator(schema)
    case = Draft202012Validator({**schema["$defs"]["case"], "$defs": schema["$defs"]})
    problems = []
    for path in folder.rglob("*"):
        if not RUN_FILE.match(path.name) or not path.is_file():
            continue
        if path.suffix == ".json":
            try:
                docs = [json.loads(path.read_text())]
            except ValueError:
                continue
            if not isinstance(docs[0], dict) or docs[0].get("schema_version") != SCHEMA_VERSION:
                continue
            check = whole
        else:
            docs = []
            for line in path.read_text().splitlines():
                try:
                    docs.append(json.loads(line))
                except ValueError:
                    pass
            check = case
        for doc in docs:
            for error in check.iter_errors(doc):
                where = "/".join(str(p) for p in error.absolute_path)
                problems.append(f"{path}: {where}: {error.message[:200]}")
    return problems


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    try:
        base = factory.getbasetemp()
    except (OSError, ValueError):
        return
    problems = schema_problems(base)
    checked = sum(1 for p in base.rglob("*") if RUN_FILE.match(p.name))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"results schema: {checked} results files and journals written "
                            f"by the suite checked, {len(problems)} problems")
        for line in problems[:20]:
            reporter.write_line(f"  {line}", red=True)
    if problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Under BENCHBOT_REQUIRE_TIERS=1 (CI), a test of the adb, ssh or farm tier whose set-up
    skips fails instead: a tier that cannot run (no adb, no sshd, no distributed: its fixtures
    skip) must not vanish from the run. A skip in a test's own body (a condition of this
    host, e.g. onnxruntime with CUDA) stays a skip."""
    outcome = yield
    report = outcome.get_result()
    if (os.environ.get("BENCHBOT_REQUIRE_TIERS") != "1" or not report.skipped
            or call.when != "setup" or hasattr(report, "wasxfail")):
        return
    tiers = [t for t in TIERS if item.get_closest_marker(t)]
    if tiers:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = (f"the {'/'.join(tiers)} tier was skipped ({reason}); "
                           "BENCHBOT_REQUIRE_TIERS=1 requires it to run")
