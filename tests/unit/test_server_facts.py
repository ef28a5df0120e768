"""Server facts (benchbot.devices.servers) from real nvidia-smi output (tests/data/nvidia_smi).

facts_command() runs for real, through the local transport, with an ``nvidia-smi``
on PATH that prints a recorded output: the header table for a plain call, a
``--query-gpu`` line for a query. So the shell pipeline (the grep included) is
exercised, not only the Python parsers. Each data file has a NAME.src.txt saying
where it comes from and what it shows.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from benchbot.devices.servers import (GPU_QUERY, parse_gpus, parse_server_facts,
                                      sections, server_facts)
from benchbot.transports import LocalTransport

DATA = Path(__file__).resolve().parents[1] / "data" / "nvidia_smi"
T4 = DATA / "header_t4_driver418_fah1557.txt"
V100 = DATA / "header_v100_driver525_wan5.txt"
B200_R610 = DATA / "header_b200_driver610_sglang27487.txt"
RTX2080_QUERY = DATA / "query_rtx2080_nounits_gpu_utils83.csv"
# The --query-gpu list of RTX2080_QUERY (see its .src.txt).
RTX2080_FIELDS = ("power.limit,power.min_limit,power.max_limit,memory.total,vbios_version,"
                  "driver_version,name,gpu_uuid,power.draw,temperature.gpu,temperature.memory,"
                  "clocks.current.graphics,clocks.sm,clocks.mem,utilization.gpu,"
                  "utilization.memory,fan.speed,pcie.link.width.current,pstate").split(",")


def gpu_query_line(fields: list[str], line: str, missing: str) -> str:
    """benchbot's GPU_QUERY columns picked by name out of a real line of another query;
    a field the query lacks gets the real cell ``missing`` names."""
    cells = dict(zip(fields, (c.strip() for c in line.split(","))))
    return ", ".join(cells.get(f, cells[missing]) for f in GPU_QUERY.split(","))


@pytest.fixture
def fake_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Put an nvidia-smi on PATH that prints recorded output; returns a function to choose it."""
    folder = tmp_path / "bin"
    folder.mkdir()
    tool = folder / "nvidia-smi"

    def use(header: Path | None, query_csv: str = "") -> None:
        query = tmp_path / "query.csv"
        query.write_text(query_csv)
        plain = f"cat {shlex.quote(str(header))}" if header else "exit 9"
        tool.write_text("#!/bin/sh\n"
                        f'case "$*" in *--query-gpu=*) cat {shlex.quote(str(query))} ;; '
                        f"*) {plain} ;; esac\n")
        tool.chmod(0o755)

    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    return use


def test_facts_command_reads_the_cuda_version_of_real_headers(fake_nvidia_smi) -> None:
    for header, cuda in ((T4, "10.1"), (V100, "12.0")):
        fake_nvidia_smi(header)
        facts = server_facts(LocalTransport())
        assert facts["cuda"] == cuda, header.name
        assert facts["gpus"] == []  # the query printed nothing
        assert facts["os"] and facts["cores"] and facts["cores"] >= 1
        assert facts["python"] and facts["python"][0].isdigit()


def test_facts_command_reads_the_cuda_umd_version_of_driver_610(fake_nvidia_smi) -> None:
    fake_nvidia_smi(B200_R610)
    assert server_facts(LocalTransport())["cuda"] == "13.3"


def test_no_nvidia_smi_means_no_gpus_and_no_cuda(fake_nvidia_smi) -> None:
    fake_nvidia_smi(None)  # the tool fails, as on a CPU-only server with a stale driver
    facts = server_facts(LocalTransport())
    assert facts["gpus"] == [] and facts["cuda"] is None and facts["cores"]


def test_gpus_from_a_real_query_line_through_the_facts_command(fake_nvidia_smi) -> None:
    line = gpu_query_line(RTX2080_FIELDS, RTX2080_QUERY.read_text(), missing="temperature.memory")
    assert line == "GeForce RTX 2080, 440.64, 7979, 1965, N/A, 7199, 45"
    fake_nvidia_smi(T4, line + "\n" + line + "\n")  # two such GPUs
    facts = server_facts(LocalTransport())
    gpu = {"name": "GeForce RTX 2080", "driver": "440.64", "memory_mib": 7979.0,
           "sm_clock_mhz": 1965.0, "max_sm_clock_mhz": None, "mem_clock_mhz": 7199.0,
           "temp_c": 45.0}
    assert facts["gpus"] == [gpu, gpu]


def test_parse_gpus_skips_lines_of_another_query() -> None:
    # A line with other fields (or nvidia-smi's one-line "not a valid field" error) is no GPU.
    assert parse_gpus(RTX2080_QUERY.read_text()) == []
    assert parse_gpus('Field "clocks.max.sm" is not a valid field to query.\n') == []


def test_sections_split_the_facts_command_output_at_markers() -> None:
    header = V100.read_text()
    text = f"@uname\nLinux 5.15.0 x86_64\n@nproc\n8\n@gpus\n\n@cuda\n{header}"
    found = sections(text)
    assert found["uname"] == "Linux 5.15.0 x86_64" and found["nproc"] == "8"
    assert found["gpus"] == "" and "CUDA Version: 12.0" in found["cuda"]
    # parse_server_facts tolerates the whole header under @cuda, not only the grep's match
    assert parse_server_facts(text)["cuda"] == "12.0"
