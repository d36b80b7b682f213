"""`nnarith plot`: per-layer charts of a spec's report, drawn with matplotlib (the nnarith[plot] extra)."""

import os
from typing import Annotated

import typer

from nnarith.cli.common import OUTPUT, Batch, DtypeOption, Input, Spec, depth, parse_shape, write
from nnarith.cli.help import PICTURES, command
from nnarith.errors import NnarithError, UsageError, did_you_mean
from nnarith.pictures.metrics import METRICS
from nnarith.text import visible

EXTRA = "pip install 'nnarith[plot]'"
FORMATS = ("png", "svg", "pdf")  # plot.py's, named here so that a bad suffix is refused before matplotlib loads
DOC = f"""Charts of a spec's figures through the network, drawn to a PNG, SVG or PDF file: parameters, MACs,
activation memory and the bytes kept for backward per layer (or per block at --depth N), their cumulative shares,
and the receptive field and spatial size.

SPEC is a YAML file, or the name of a shipped spec (see 'nnarith list'). The figures are the report's ('nnarith
shape') and the training memory model's ('nnarith memory --training'). Needs matplotlib: {EXTRA}.

Metrics (--metric, repeated or comma-separated; by default every one with something to show): """ + "; ".join(
    f"{name}: {what}" for name, what in METRICS.items()) + "."
EXAMPLES = [
    "nnarith plot vgg16 -o vgg16.png",
    "nnarith plot resnet50 --depth 1 -o resnet50.svg",
    "nnarith plot googlenet --metric params,share -o googlenet.pdf",
    "nnarith plot resnet18 --metric memory --metric saved --batch 32 --dtype bf16 -o memory.png",
]


def add(app: typer.Typer) -> None:
    app.command("plot", **command(DOC, EXAMPLES, PICTURES))(plot)


class MissingExtra(NnarithError):
    """The command's optional dependency is not installed: one line, naming the extra."""


def output_format(path: str) -> str:
    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    if suffix not in FORMATS:
        raise UsageError(f"-o {visible(path)}: the format comes from the suffix; write FILE.png, FILE.svg or "
                         "FILE.pdf")
    return suffix


def metrics(given: list[str] | None) -> list[str] | None:
    """--metric params,macs --metric rf -> ['params', 'macs', 'rf']; None: not given."""
    if not given:
        return None
    names = [m.strip() for text in given for m in text.split(",") if m.strip()]
    for name in names:
        if name not in METRICS:
            hint = did_you_mean(name, METRICS)
            raise UsageError(f"--metric '{visible(name[:40])}' is not a metric; choose from {', '.join(METRICS)}"
                             + (f"; {hint}" if hint else ""))
    if not names:
        raise UsageError(f"--metric is empty; choose from {', '.join(METRICS)}")
    return list(dict.fromkeys(names))


Output = Annotated[str, typer.Option("--output", "-o", metavar="FILE", show_default=False,
                                     help="the file to write: .png, .svg or .pdf (the suffix says which)",
                                     rich_help_panel=OUTPUT)]
Metric = Annotated[list[str] | None, typer.Option(
    "--metric", "-m", metavar="NAME[,NAME...]", show_default=False,
    help=f"the charts: {', '.join(METRICS)} (repeat it, or separate names by commas)", rich_help_panel=OUTPUT)]
Depth = Annotated[int | None, typer.Option(  # as shape's --depth, with the chart's default
    "--depth", "-d", parser=depth, metavar="N|all",
    help="fold each block nested deeper than N levels into one position, as 'nnarith shape --depth N' folds it into "
    "a row; 'all': every layer; by default every layer where 60 fit, else the deepest level that does",
    rich_help_panel=OUTPUT)]


def plot(spec: Spec, output: Output, metric: Metric = None, levels: Depth = None, input: Input = None,
         batch: Batch = 1, dtype: DtypeOption = "fp32") -> int:
    format = output_format(output)
    chosen = metrics(metric)
    try:
        from nnarith.pictures import plot as drawing
    except ImportError as e:
        if (e.name or "").partition(".")[0] != "matplotlib":
            raise
        raise MissingExtra(f"nnarith plot draws with matplotlib, which is not installed: {EXTRA}") from None
    from nnarith.analysis.walk import analyze
    from nnarith.loader import load_spec
    from nnarith.pictures.charts import charts

    net = load_spec(spec, parse_shape(input) if input is not None else None)
    report = analyze(net, batch=batch, dtype=dtype)
    data = charts(report, net, levels)
    shown = [m for m in (chosen or METRICS) if data.has(m)]
    if not shown:  # only rf or size asked, and none of the layers has one
        why = {"rf": "no layer's receptive field is one window (they are the whole input, or n/a)",
               "size": "no layer's output is a map with a spatial size"}
        raise UsageError(f"{visible(report.name)} has nothing to chart for --metric {','.join(chosen or [])}: "
                         + "; ".join(why[m] for m in chosen or [] if m in why) + "; choose params, macs, memory, "
                         "saved or share")
    try:
        drawing.write(data, shown, output, format)
    except OSError as e:
        raise UsageError(f"cannot write {visible(output)}: {e.strerror or e}") from None
    where = "layers" if not data.folded else f"positions (blocks folded at depth {data.depth})"
    write(f"wrote {output}: {', '.join(shown)} over {len(data.positions) - 1} {where} of {report.name}\n")
    return 0
