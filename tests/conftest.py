"""Shared fixtures: the small test models, built once per session by models/build_test_models.py."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TIERS = ("adb", "ssh", "farm")
pytest_plugins = ["tests.adb_fixtures", "tests.sshd"]
SMALL = ["tiny_conv.onnx", "tiny_matmul.onnx", "tiny_conv_fixed.onnx", "tiny_reshape_fixed.onnx",
         "tiny_fc.tflite", "tiny_conv.tflite"]


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
FAST = ["--warmup", "1", "--min-runs", "3", "--min-time", "0", "--max-time", "2"]


def benchbot(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, as a user would."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "benchbot", *args], capture_output=True,
                          text=True, cwd=cwd, env=full_env, timeout=timeout)


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
