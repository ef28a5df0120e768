"""`benchbot models info`: model cards (inputs, params, MACs, FLOPs, size) of model files."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from benchbot import runtimes
from benchbot.cli import options

from benchbot.cli.console import err, out
from benchbot.modelcard import ModelCard, model_card
from benchbot.store.codec import card_doc
from benchbot.report.modelcols import model_columns

app = typer.Typer(help="Model files: their cards (inputs, outputs, parameters, MACs, FLOPs, "
                       "size), read on the host.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Model files: their cards, read on the host."""  # keeps `info` a subcommand


def _path(ref: str, zoo_dir: Path) -> Path:
    from benchbot.zoo import REF_PREFIX, export_name, resolve_zoo_ref

    if ref.startswith(REF_PREFIX):
        if not (zoo_dir / export_name(ref[len(REF_PREFIX):])).is_file():
            err.print(f"building {ref} into {zoo_dir} ...")
        return resolve_zoo_ref(ref, zoo_dir)
    return Path(ref)


def _format(card: ModelCard) -> str:
    if card.format == "onnx":
        return f"onnx opset {card.opset}" if card.opset is not None else "onnx"
    return f"{card.format} ({card.runtime})"


def render_cards(cards: list[ModelCard]) -> str:
    """A markdown table, one row per model; notes (what a count leaves out) below it."""
    headers, values = model_columns({str(i): c for i, c in enumerate(cards)},
                                    ["params", "macs", "flops", "size"])
    lines = ["| Model | Inputs | Outputs | " + " | ".join(headers) + " | Format |",
             "|" + "---|" * (len(headers) + 4)]
    for i, card in enumerate(cards):
        inputs = "; ".join(str(t) for t in card.inputs) or "-"
        outputs = "; ".join(str(t) for t in card.outputs) or "-"
        lines.append(f"| {card.name} | {inputs} | {outputs} | " + " | ".join(values[str(i)])
                     + f" | {_format(card)} |")
    notes = [f"- {card.name}: {note}" for card in cards for note in card.notes]
    if notes:
        lines += ["", "Notes:", *notes]
    lines += ["", "Params exclude BatchNorm running statistics; MACs and FLOPs are per "
                  "sample (batch 1); FLOPs = 2 x MACs + cheap ops (see: benchbot models "
                  "info --help)."]
    return "\n".join(lines) + "\n"


@app.command("info")
@options.examples('benchbot models info zoo:mobilenet_v3_small', 'benchbot models info model.onnx model.tflite --json')
def info_command(
    models: list[str] = typer.Argument(..., help=f"Model files ({runtimes.formats_text()}) "
                                                 "or zoo references such as zoo:resnet18."),
    as_json: bool = typer.Option(False, "--json", help="A JSON list of cards instead of a "
                                                      "table."),
    zoo_dir: Path = typer.Option(Path("models/zoo"), "--zoo-dir",
                                 help="Where zoo:NAME models are exported (once) and found."),
) -> None:
    """Show the card of each model: inputs, outputs, parameters, MACs, FLOPs, size, opset.

    Params count float weights without BatchNorm running statistics (and the int8 weights
    of quantized models); MACs count Conv, ConvTranspose, Gemm and MatMul, per sample;
    FLOPs are 2 x MACs plus cheap ops: 1 per output element of elementwise ops and
    biases, 1 per input element of reductions and global pooling, the window size per
    output element of pooling. Sizes are in MB of 1e6 bytes.
    """
    paths = [_path(ref, zoo_dir) for ref in models]
    cards = [model_card(p) for p in paths]
    if as_json:
        out(json.dumps([card_doc(c) for c in cards], indent=1) + "\n")
        return
    out(render_cards(cards))
