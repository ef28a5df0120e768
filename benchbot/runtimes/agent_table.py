"""The agent's runtime tables, generated from the registry into ``benchbot/agent.py``.

The agent is pushed to devices as one file that imports nothing of benchbot, so it cannot
read :data:`benchbot.runtimes.RUNTIMES`; instead the registry's facts it needs (the loader
of each runtime it runs, the suffixes that select them, the files beside a model, the
backends) are written into it between two marker lines. After changing the registry:

    python -m benchbot.runtimes.agent_table      # rewrites the block in benchbot/agent.py

A test fails while the block in the file differs from :func:`render`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from benchbot import runtimes

BEGIN = ("# --- generated from benchbot/runtimes by `python -m benchbot.runtimes.agent_table`; "
         "do not edit")
END = "# --- end of generated tables"
AGENT = Path(__file__).resolve().parent.parent / "agent.py"


def _value(value: object) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(map(_value, value)) + ("," if len(value) == 1 else "") + ")"
    return json.dumps(value)


def _table(name: str, rows: dict[str, object]) -> list[str]:
    return [f"{name} = {{", *(f"    {_value(k)}: {_value(v)}," for k, v in rows.items()), "}"]


def render() -> str:
    """The block's lines between the markers, from the registry as it is now."""
    agent = [runtimes.runtime(name) for name in runtimes.agent_runtimes()]
    loaders = {r.name: r.agent_loader for r in agent}
    companions = {s: f.companions for r in agent for f in r.formats if f.companions
                  for s in f.suffixes}
    lines = ["# the loader function of each runtime the agent runs",
             *_table("LOADER_NAMES", loaders),
             "# the runtime a model file's suffix selects (--runtime auto)",
             *_table("RUNTIME_BY_SUFFIX", runtimes.suffix_table(agent_only=True)),
             "# suffixes of the files that belong beside a model of a suffix (same stem)",
             *_table("COMPANIONS", companions),
             "# each runtime's backends",
             *_table("BACKENDS", {r.name: r.backends for r in agent})]
    return "\n".join(lines)


def current(text: str) -> str:
    """The block now in the agent's source ``text`` (between the markers)."""
    start = text.index(BEGIN) + len(BEGIN) + 1
    return text[start:text.index(END, start)].rstrip("\n")


def write(path: Path = AGENT) -> bool:
    """Rewrite the block in ``path``; whether it changed."""
    text = path.read_text(encoding="utf-8")
    old = current(text)
    if old == render():
        return False
    start = text.index(BEGIN) + len(BEGIN) + 1
    text = text[:start] + render() + "\n" + text[text.index(END, start):]
    path.write_text(text, encoding="utf-8")
    return True


if __name__ == "__main__":
    changed = write()
    print(f"{AGENT}: {'tables rewritten' if changed else 'tables already current'}",
          file=sys.stderr)
