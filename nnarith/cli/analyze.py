"""`nnarith shape` and `nnarith calc`: the analytic report of a spec or of a few layers."""

from typing import Annotated, NamedTuple

import typer

from nnarith.cli.common import (
    ANALYSIS,
    Batch,
    Depth,
    DtypeOption,
    Exact,
    Explain,
    FormatOption,
    Input,
    Sets,
    Spec,
    Strict,
    named_input,
    parse_shape,
    spec_sets,
    write,
)
from nnarith.cli.help import ANALYSE, command
from nnarith.errors import Loc, UsageError
from nnarith.render import style

Training = Annotated[bool, typer.Option(
    "--training", help="also the backward MACs per layer (dX, dW), trainable params and the training step's MACs "
    "beside the 3 x forward rule of thumb", rich_help_panel=ANALYSIS)]

SHAPE_DOC = """Shapes, parameters, MACs, memory and receptive field of every layer of a spec.

SPEC is a YAML file, or the name of a shipped spec (see 'nnarith list')."""
SHAPE_EXAMPLES = [
    "nnarith shape specs/vgg16.yaml",
    "nnarith shape resnet50 --depth 2",
    "nnarith shape vgg16 --input 3x32x32 --exact",
    "nnarith shape googlenet --format json",
    "nnarith shape lenet5 --explain",
    "nnarith shape resnet18 --training",
    "nnarith shape vgg --set stage3=4 --set stage4=4 --set stage5=4",
]
CALC_DOC = """Quick arithmetic for a few layers written inline, one layer per argument.

Each argument is a layer in the spec syntax; the layers are chained."""
CALC_EXAMPLES = [
    'nnarith calc --input 3x32x32 "conv: {out: 10, kernel: 5, pad: 2}"',
    'nnarith calc --input 3x227x227 "conv: {out: 96, kernel: 11, stride: 4}" relu "maxpool: {kernel: 3, stride: 2}"',
    'nnarith calc --input 64x112x112 "conv: {out: 128, kernel: 3, pad: 1}" --explain',
]


def add(app: typer.Typer) -> None:
    app.command("shape", **command(SHAPE_DOC, SHAPE_EXAMPLES, ANALYSE))(shape)
    app.command("calc", **command(CALC_DOC, CALC_EXAMPLES, ANALYSE))(calc)


class Output(NamedTuple):
    """How a report is written: render()'s second argument."""

    format: str
    depth: int | str | None
    exact: bool
    explain: bool


def render(report, args: Output) -> str:
    if args.explain and args.format in ("json", "csv"):
        raise UsageError("--explain shows the arithmetic in the table and in Markdown; JSON and CSV hold the "
                         "numbers only")
    if args.format == "json":
        from nnarith.render.machine import render_json

        return render_json(report)
    if args.format == "csv":
        from nnarith.render.machine import render_csv

        return render_csv(report, args.depth)
    if args.format == "markdown":
        from nnarith.render.machine import render_markdown

        return render_markdown(report, exact=args.exact, depth=args.depth, explain=args.explain)
    from nnarith.render.table import render_table

    return render_table(report, exact=args.exact, depth=args.depth, explain=args.explain, width=style.width(),
                        paint=style.painter())


def shape(spec: Spec, input: Input = None, batch: Batch = 1, dtype: DtypeOption = "fp32",
          format: FormatOption = "table", depth: Depth = None, strict: Strict = False, exact: Exact = False,
          explain: Explain = False, training: Training = False, set: Sets = None) -> int:
    from nnarith.analysis.walk import analyze
    from nnarith.loader import load_spec

    net = load_spec(spec, parse_shape(input) if input is not None else None, spec_sets(set))
    report = analyze(net, batch=batch, dtype=dtype, strict=strict)
    report.training = training
    write(render(report, Output(format, depth, exact, explain)), painted=format == "table" and style.enabled())
    return 0


def calc(layers: Annotated[list[str], typer.Argument(metavar="LAYER...", show_default=False,
                                                      help="layers in the spec syntax, e.g. 'fc: 10' or relu")],
         input: Annotated[str, typer.Option("--input", "-i", metavar="SHAPE", show_default=False,
                                            help="input shape, channels first, e.g. 3x32x32; tokens:197x768 for tokens "
                                                 "[T, F], ids:128 for token ids",
                                            rich_help_panel=ANALYSIS)],
         batch: Batch = 1, dtype: DtypeOption = "fp32", format: FormatOption = "table", strict: Strict = False,
         exact: Exact = False, explain: Explain = False) -> int:
    from nnarith.analysis.walk import analyze
    from nnarith.loader.network import parse_network
    from nnarith.loader.yaml_loader import YMap

    items = parse_layers(layers)
    root = YMap(name="calc", layers=items)
    root.loc, root.key_locs, root.value_locs = Loc("<calc>", 1, 1), {}, {"layers": items.loc}
    axes, dims = named_input(input)
    if axes:  # tokens:197x768 or ids:128, given to the loader as a spec's named input
        root["input"] = named = YMap(zip(axes, dims))
        named.loc, named.key_locs, named.value_locs = Loc("--input", 1, 1), {}, {}
    net = parse_network(root, "<calc>", None if axes else dims)
    report = analyze(net, batch=batch, dtype=dtype, strict=strict)
    write(render(report, Output(format, None, exact, explain)), painted=format == "table" and style.enabled())
    return 0


def parse_layers(texts: list[str]) -> list:
    """Each command-line argument is one layer in the spec syntax."""
    from nnarith.loader.yaml_loader import YList, load

    items = YList()
    items.loc, items.item_locs = Loc("argument 1", 1, 1), []
    for i, text in enumerate(texts, 1):
        file = f"argument {i}"
        value = load(text, file)
        if value is None:
            raise UsageError(f"{file} is empty; give a layer such as relu or 'fc: 10'")
        items.append(value)
        items.item_locs.append(Loc(file, 1, 1))
    return items
