"""Memory with its scope: the agent's readers on this host's real /proc files, nvidia-smi's
Processes table on captured outputs, the figures as stored, and `report --layout memory`."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchbot import agent
from benchbot.runners.memory import TOOL_SCOPES, agent_memory, with_tool_memory
from benchbot.store import ProcessRun
from benchbot.store.records import MEMORY_SCOPES

NVIDIA_SMI = Path(__file__).resolve().parents[1] / "data" / "nvidia_smi"


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="Linux /proc only")
def test_the_agent_reads_its_resident_set_pss_and_private_dirty_from_proc() -> None:
    before = agent.rss_kb()
    ballast = bytearray(64 * 1024 * 1024)  # written: 64 MiB of private dirty pages
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    after = agent.rss_kb()
    assert before and after and after - before >= 60 * 1024
    now = agent.memory_now()
    assert now["smaps_source"] in ("/proc/self/smaps_rollup", "/proc/self/smaps")
    assert now["private_dirty_kb"] >= 60 * 1024 and now["pss_kb"] >= now["private_dirty_kb"]
    assert now["vm_hwm_kb"] >= after
    del ballast


def test_proc_lines_are_summed_per_key() -> None:
    smaps = "Pss:  10 kB\nPrivate_Dirty:   4 kB\nRss: 99 kB\nPss:   5 kB\nPss_Anon: 7 kB\n"
    assert agent.proc_kb(smaps, ("Pss", "Private_Dirty")) == {"Pss": 15, "Private_Dirty": 4}


def test_nvidia_smi_process_tables_of_real_servers() -> None:
    # a K520's table with one python process (driver 418: no GI/CI columns)
    rows = agent.parse_gpu_processes(
        (NVIDIA_SMI / "processes_k520_driver418_deepracer58.txt").read_text())
    assert rows == [{"gpu": 0, "pid": 8351, "mib": 35}]
    # a V100's table with an empty Processes section; a T4's without one (both real)
    assert agent.parse_gpu_processes(
        (NVIDIA_SMI / "header_v100_driver525_wan5.txt").read_text()) == []
    assert agent.parse_gpu_processes(
        (NVIDIA_SMI / "header_t4_driver418_fah1557.txt").read_text()) == []


def test_each_figure_is_stored_with_its_scope() -> None:
    doc = {"peak_rss_mb": 120.5, "memory": {"rss_before_load_kb": 40_960,
                                            "rss_after_load_kb": 71_680, "pss_kb": 51_200,
                                            "private_dirty_kb": 30_720, "gpu_mib": 612}}
    figures = {m.name: m for m in agent_memory(doc)}
    assert {n: m.mb for n, m in figures.items()} == {
        "peak_rss": 120.5, "pss": 50.0, "private_dirty": 30.0, "load_delta": 30.0,
        "gpu_process": 612.0}
    assert all(m.scope == MEMORY_SCOPES[n] for n, m in figures.items())
    assert agent_memory({"peak_rss_mb": None, "memory": {}}) == ()
    tool = ProcessRun(extras={"tool": {"peak_memory_mb": 178.0}})
    (figure,) = with_tool_memory(tool, "tflite_benchmark_model").memory
    assert (figure.name, figure.mb) == ("tool_peak", 178.0)
    assert figure.scope == TOOL_SCOPES["tflite_benchmark_model"]
    assert with_tool_memory(tool, "agent").memory == ()
