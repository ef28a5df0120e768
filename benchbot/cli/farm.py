"""`benchbot farm`: hosts with phones join a Dask scheduler as workers; see what they do.

    benchbot farm worker --scheduler tcp://HOST:8786      on each host with phones
    benchbot farm status --scheduler tcp://HOST:8786      workers, devices, queued cases
    benchbot run ... --farm tcp://HOST:8786               measure a sweep on the farm

Dask is an optional extra: without it each command says ``pip install benchbot[farm]``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from benchbot.cli import options
from benchbot.cli.console import err, out
from benchbot.profiles import default_adb_server, list_profiles

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="A farm of hosts with phones, on Dask distributed "
                       "(needs: pip install benchbot\\[farm]).")  # \[: not Rich markup

SchedulerOption = typer.Option(..., "--scheduler", metavar="ADDRESS",
                               help="The Dask scheduler, e.g. tcp://farm-head:8786.")


def _say(message: str) -> None:
    err.print(escape(message))


@app.command("worker")
@options.examples('benchbot farm worker --scheduler tcp://HOST:8786')
def worker_command(
    scheduler: str = SchedulerOption,
    adb_server: Optional[str] = typer.Option(
        None, help="host:port of this host's adb server, which sees its phones [default: "
                   "$ANDROID_ADB_SERVER_ADDRESS:$ANDROID_ADB_SERVER_PORT, else 127.0.0.1:5037]."),
    profiles: Optional[list[Path]] = options.ProfilesOption,
    name: Optional[str] = typer.Option(None, help="The worker's name in `farm status` "
                                                  "(default: its address)."),
    local: bool = typer.Option(False, "--local", help="Also offer this host itself "
                                                      "(device:local)."),
    cache: Optional[Path] = typer.Option(
        None, metavar="DIR", help="Where the models sent by clients are kept, one copy per "
                                  "content. (default: ~/.cache/benchbot/farm)"),
    host: Optional[str] = typer.Option(None, help="Address to listen on, reachable from the "
                                                  "scheduler and clients (default: chosen by "
                                                  "Dask)."),
    connect_timeout: float = typer.Option(30.0, help="Seconds to wait for the scheduler."),
) -> None:
    """Offer this host's phones to the farm, until stopped.

    Each attached phone that matches an adb profile is one unit of the Dask resource
    device:<profile> (two SD855 phones: device:sd855 = 2); cases sent to this host run
    on a free one, under its device lease.
    """
    from benchbot.farm.dask_protocol import require_distributed

    require_distributed()
    # always, and first: it checks ANDROID_ADB_SERVER_*, which adbutils reads (unchecked)
    # on import
    default = default_adb_server()
    adb_server = adb_server or default
    from benchbot.farm import dask_worker

    known = list_profiles(options.dirs(profiles))
    offer = dask_worker.discover(adb_server, known, local, _say)
    _say(f"offering to {scheduler}: " + "; ".join(offer.describe()))
    dask_worker.serve(scheduler, offer, name=name, cache_dir=cache or
                      dask_worker.default_cache_dir(), host=host,
                      connect_timeout=connect_timeout, say=_say)


@app.command("status")
@options.examples('benchbot farm status --scheduler tcp://HOST:8786', 'benchbot farm status --scheduler tcp://HOST:8786 --json')
def status_command(
    scheduler: str = SchedulerOption,
    as_json: bool = typer.Option(False, "--json", help="JSON instead of a table."),
    timeout: float = typer.Option(10.0, help="Seconds to wait for the scheduler."),
) -> None:
    """The farm's workers, their devices (busy or free), and the queued cases."""
    from benchbot.farm.dask_protocol import require_distributed

    require_distributed()
    from benchbot.farm.dask_status import farm_status, render_status

    status = farm_status(scheduler, timeout)
    out(json.dumps(status, indent=1) + "\n" if as_json else render_status(status))
