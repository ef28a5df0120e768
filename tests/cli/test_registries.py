"""The registries are the single source of their names: the choices in --help, the profile
schema, the report's checks and the executor's schedules are read from them, so a kind
added to a registry shows up everywhere and no copy can drift."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from benchbot.cli.main import app, main
from benchbot.devices.kinds import DeviceKind
from benchbot.profiles import PROFILE_SCHEMA, TRANSPORT_KINDS, TransportName, get_profile
from benchbot.profiles import profile_dirs
from benchbot.profiles.transport_kinds import transport_kind
from benchbot.report import renderers
from benchbot.runners.native import runner_kinds
from benchbot.runs.executor import SCHEDULES
from benchbot.store.settings import ORDERS

runner = CliRunner()


def help_of(*command: str) -> str:
    """A command's --help as one line of words (no box drawing, no wrapping)."""
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "400", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())


def test_the_profile_schema_offers_the_registered_transports() -> None:
    choices = PROFILE_SCHEMA.fields["transport"].type.choices  # type: ignore[attr-defined]
    assert set(choices) == set(TRANSPORT_KINDS) == {m.value for m in TransportName}
    tables = {name for name in PROFILE_SCHEMA.fields if name in TRANSPORT_KINDS}
    assert tables == {k.name for k in TRANSPORT_KINDS.values() if k.keys is not None}
    for kind in TRANSPORT_KINDS.values():
        if kind.keys is not None:
            assert PROFILE_SCHEMA.fields[kind.name].type is kind.keys


@pytest.mark.parametrize("name", sorted(TRANSPORT_KINDS))
def test_every_transport_names_the_device_kind_that_opens_it(name: str) -> None:
    import importlib

    module, _, attribute = transport_kind(name).opener.partition(":")
    kind = getattr(importlib.import_module(module), attribute)
    assert isinstance(kind, DeviceKind) and kind.name == name


def test_an_unknown_transport_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match=", ".join(sorted(TRANSPORT_KINDS))):
        transport_kind("carrier-pigeon")


def test_a_profile_carries_its_transport_as_the_registered_choice() -> None:
    profile = get_profile("local", profile_dirs(env={}))
    assert profile.transport is TransportName("local")
    assert profile.to_dict()["transport"] == "local"


def test_run_help_lists_the_registered_runners() -> None:
    text = help_of("run")
    assert f"Override the profile's runner: {', '.join(runner_kinds())}." in text


def test_report_help_and_checks_follow_the_renderers(capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    text = help_of("report")
    for layout in renderers.layouts():
        assert f"{layout}: " in text
    for fmt in renderers.formats():
        assert f"{fmt} (" in text
    assert main(["report", "--layout", "nope"]) == 2
    assert ", ".join(renderers.layouts()) in " ".join(capsys.readouterr().err.split())


def test_every_format_and_layout_pair_has_one_renderer() -> None:
    for fmt in renderers.formats():
        made = [lay for f, lay in renderers.RENDERERS if f == fmt]
        assert made and (made == [renderers.NO_LAYOUT] or renderers.NO_LAYOUT not in made)
    assert set(renderers.formats_with_layouts()) == {
        f for f, lay in renderers.RENDERERS if lay != renderers.NO_LAYOUT}


def test_run_and_ab_share_their_options() -> None:
    run, ab = help_of("run"), help_of("ab")
    for option in ("--device", "--threads", "--batch", "--precision", "--backend", "--warmup",
                   "--min-runs", "--min-time", "--max-time", "--serial", "--adb-server",
                   "--battery-floor"):
        said = re.compile(re.escape(option) + r"(?: -\w)? <\w+> (.*?)(?= --|$)")
        assert said.search(run).group(1) == said.search(ab).group(1), option  # type: ignore[union-attr]


def test_every_order_has_a_schedule() -> None:
    assert set(SCHEDULES) == set(ORDERS)
