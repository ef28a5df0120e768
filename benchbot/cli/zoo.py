"""`benchbot zoo list|export`: standard architectures as ONNX files with random weights."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from benchbot.cli import options

from benchbot.cli.console import err, out
from benchbot.errors import ConfigError

app = typer.Typer(help="Architecture zoo: standard vision models (AlexNet ... EfficientNet, "
                       "SSDLite) as ONNX graphs with random weights, for latency benchmarks.",
                  no_args_is_help=True)


def _batch(value: str) -> int | None:
    if value == "dynamic":
        return None
    if value.isdigit() and int(value) > 0:
        return int(value)
    raise ConfigError(f"--batch: {value!r} is neither 'dynamic' nor a positive integer")


def _rows() -> list[dict[str, object]]:
    from benchbot.zoo import ZOO, build, count_macs, count_params  # lazy: onnx is heavy

    rows: list[dict[str, object]] = []
    for name, entry in ZOO.items():
        model = build(name, shapes_only=True)
        params, macs = count_params(model), count_macs(model)
        rows.append({"name": name, "task": entry.task, "resolution": entry.resolution,
                     "outputs": [o.name for o in model.graph.output],
                     "params": params, "macs": macs,
                     "ref_params": entry.ref_params, "ref_gmacs": entry.ref_gmacs,
                     "agrees": entry.params_agree(params) and entry.macs_agree(macs),
                     "source": entry.source})
    return rows


@app.command("list")
@options.examples('benchbot zoo list', 'benchbot zoo list --json')
def list_command(as_json: bool = typer.Option(False, "--json", help="JSON instead of a table.")
                 ) -> None:
    """List the zoo: our parameter and MAC counts beside the published figures.

    Params exclude BatchNorm running statistics; MACs count Conv, Gemm and MatMul, per
    sample at the published resolution (torchvision's "GFLOPS" are MACs). Reference
    figures are shown as published; '-' where none is.
    """
    rows = _rows()
    if as_json:
        out(json.dumps(rows, indent=1) + "\n")
        return
    lines = ["| Name | Resolution | Params (M) | Ref params | MACs (G) | Ref MACs (G) | "
             "Reference |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        params, macs = int(r["params"]), int(r["macs"])  # type: ignore[call-overload]
        lines.append(f"| {r['name']} | {r['resolution']} | {params / 1e6:.3f} | "
                     f"{r['ref_params'] or '-'} | {macs / 1e9:.3f} | {r['ref_gmacs'] or '-'} | "
                     f"{r['source']} |")
    out("\n".join(lines) + "\n")


@app.command("export")
@options.examples('benchbot zoo export mobilenet_v3_small', 'benchbot zoo export resnet18 --out models/zoo')
def export_command(
    names: list[str] = typer.Argument(..., help="Zoo model names (see: benchbot zoo list)."),
    out_dir: Path = typer.Option(Path("models/zoo"), "--out", "-o", help="Output folder."),
    batch: str = typer.Option("dynamic", "--batch", "-b",
                              help="'dynamic' (a batch axis named 'batch') or a fixed size N."),
    resolution: Optional[int] = typer.Option(
        None, "--resolution", "-r", help="Input height and width (default: the published one)."),
    seed: int = typer.Option(0, help="Seed of the random weights."),
) -> None:
    """Write zoo models as ONNX files; prints each file's path (progress on stderr)."""
    from benchbot.zoo import export, get_entry

    fixed = _batch(batch)
    if resolution is not None and resolution < 1:
        raise ConfigError("--resolution must be a positive integer")
    for name in names:
        get_entry(name)  # every name checked before the first (slow) build
    for name in names:
        res = resolution or get_entry(name).resolution
        err.print(f"building {name} ({res}x{res}, batch {batch}) ...")
        path = export(name, out_dir, batch=fixed, resolution=resolution, seed=seed)
        err.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
        out(f"{path}\n")
