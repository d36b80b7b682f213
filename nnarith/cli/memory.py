"""`nnarith memory`: the memory of inference and of a training step, by liveness, and the batch that fits."""

import re
from dataclasses import replace
from decimal import Decimal
from typing import Annotated, Literal

import typer

from nnarith.cli.common import (
    ANALYSIS,
    OUTPUT,
    Batch,
    Depth,
    DtypeOption,
    Input,
    Sets,
    Spec,
    parse_shape,
    spec_sets,
    write,
)
from nnarith.cli.help import ANALYSE, command
from nnarith.errors import UsageError, did_you_mean
from nnarith.render import style
from nnarith.text import visible

DOC = """Memory of inference and of one training step: the weights, gradients and optimizer state, the tensors
kept for backward, and the peak by liveness (a tensor is freed once its last reader has run).

SPEC is a YAML file, or the name of a shipped spec (see 'nnarith list'). The figures are exact bytes of the
tensors nnarith models; what it does not see (the CUDA context, allocator rounding, cuDNN workspaces) is a
separate allowance, --reserve."""
EXAMPLES = [
    "nnarith memory resnet50 --batch 32",
    "nnarith memory resnet50 --training --optimizer adam --batch 64 --fits 80GiB",
    "nnarith memory vit_b_16 --training --amp bf16 --fits 24GB --reserve 1GiB",
    "nnarith memory lenet5 --training --format json",
    "nnarith memory vgg --set stage5=4 --batch 8",
]
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw", "amsgrad")
# a size: a number (a decimal, an exponent) and a unit of bytes, decimal (kB, MB) or binary (KiB, MiB)
_SIZE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(e[+-]?\d{1,3})?\s*(?:([kmgtpe])(i?)b|(b))?", re.IGNORECASE | re.ASCII)
_POWERS = "kmgtpe"
MOST = 10 ** 24  # bytes: a bound on the search for the batch


def add(app: typer.Typer) -> None:
    app.command("memory", **command(DOC, EXAMPLES, ANALYSE))(memory)


def parse_size(text: str) -> int:
    """'24GiB', '24 GB', '2.4e10' (bytes) -> bytes, rounded down."""
    if isinstance(text, int):  # click passes the default through the parser too
        return text
    m = _SIZE.fullmatch(text.strip())
    if m is None:
        raise typer.BadParameter(f"'{visible(text[:40])}' is not a size; write it like 24GiB, 24 GB, 80GiB or "
                                 "2.4e10 (bytes)")
    number, exponent, prefix, binary, _ = m.groups()
    scale = 1 if prefix is None else (1024 if binary else 1000) ** (_POWERS.index(prefix.lower()) + 1)
    size = int(Decimal(number + (exponent or "")) * scale)
    if size > MOST:
        raise typer.BadParameter(f"'{visible(text[:40])}' is more than a yottabyte (10^24 bytes), more than any "
                                 "device holds")
    return size


def optimizer(text: str) -> str:
    if text not in OPTIMIZERS:
        hint = did_you_mean(text, OPTIMIZERS)
        raise typer.BadParameter(f"'{visible(text[:40])}' is not an optimizer; choose one of {', '.join(OPTIMIZERS)}"
                                 + (f"; {hint}" if hint else ""))
    return text


Size = Annotated[int | None, typer.Option(
    "--fits", parser=parse_size, metavar="SIZE",
    help="the device's memory, e.g. 24GiB, 80 GB or 2.4e10 (bytes): answers with the largest batch that fits",
    rich_help_panel=ANALYSIS)]
Reserve = Annotated[int, typer.Option(
    "--reserve", parser=parse_size, metavar="SIZE",
    help="an allowance for what the model does not see (CUDA context, allocator rounding, cuDNN workspaces), "
    "taken off --fits' memory; stated apart, never in the figures", rich_help_panel=ANALYSIS)]
Optimizer = Annotated[str, typer.Option(
    "--optimizer", parser=optimizer, metavar="|".join(OPTIMIZERS),
    help="the optimizer whose state training keeps", rich_help_panel=ANALYSIS)]
Amp = Annotated[Literal["bf16", "fp16"] | None, typer.Option(
    "--amp", help="mixed precision: half-precision activations, fp32 master weights and gradients",
    rich_help_panel=ANALYSIS)]
Training = Annotated[bool, typer.Option("--training", help="one training step: gradients, optimizer state, "
                                        "the tensors kept for backward", rich_help_panel=ANALYSIS)]
Format = Annotated[Literal["table", "json"], typer.Option("--format", "-f", help="output format",
                                                          rich_help_panel=OUTPUT)]


def memory(spec: Spec, input: Input = None, batch: Batch = 1, dtype: DtypeOption = "fp32", training: Training = False,
           optimizer: Optimizer = "sgd", amp: Amp = None, fits: Size = None, reserve: Reserve = 0,
           format: Format = "table", depth: Depth = None, set: Sets = None) -> int:
    from nnarith.analysis import liveness
    from nnarith.analysis.walk import analyze
    from nnarith.loader import load_spec
    from nnarith.render.memory import Fits, Result, render_json, render_text

    if amp and dtype != "fp32":
        raise UsageError(f"--amp {amp} keeps fp32 master weights and {amp} activations; drop --dtype {dtype}")
    if fits is not None and fits < 1:
        raise UsageError("--fits needs a size of at least one byte, e.g. 24GiB")
    net = load_spec(spec, parse_shape(input) if input is not None else None, spec_sets(set))
    report = analyze(net, batch=batch, dtype=amp or dtype)
    result = Result(report, liveness.inference(net, report, amp),
                    liveness.training(net, report, optimizer, amp) if training else None, amp, None)
    if fits is not None:
        peak = liveness.peak_function(net, report, training, optimizer, amp)
        most = liveness.largest_batch(peak, fits - reserve)
        result = replace(result, fits=Fits(fits, reserve, most, peak(most) if most else 0, peak(most + 1)))
    if format == "json":
        write(render_json(result))
    else:
        from nnarith.render.tree import default_depth

        shown = default_depth(report.rows) if depth is None else depth
        write(render_text(result, style.width(), style.painter(), shown), painted=style.enabled())
    return 0
