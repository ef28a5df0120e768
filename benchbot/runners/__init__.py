"""Runners: how a case is measured on a device (benchbot's agent, or a native tool)."""

from __future__ import annotations

from benchbot.runners.agent import AgentRunner, parse_agent_output
from benchbot.runners.base import Runner, case_result, cpus_of_mask

__all__ = ["AgentRunner", "Runner", "case_result", "cpus_of_mask", "parse_agent_output"]
