"""`nnarith diagram`: the network as a graph, in DOT text, or drawn to SVG or PNG by Graphviz."""

import os
from typing import Annotated

import typer

from nnarith.cli.common import OUTPUT, Input, Spec, depth, parse_shape, write
from nnarith.cli.help import PICTURES, command
from nnarith.errors import UsageError
from nnarith.text import visible

DOC = """The network as a graph, written as DOT text or drawn to SVG or PNG.

A box per layer or folded block, with its kind, output shape and parameters; branches and merges as they run
(inception's concat, residual adds with their shortcut in green, U-Net's skips), the training-only heads dashed;
runs of identical blocks drawn once, "× N". The figures are the report's ('nnarith shape').

SPEC is a YAML file, or the name of a shipped spec (see 'nnarith list'). FILE's suffix chooses the format: .dot
(Graphviz's text, needing nothing installed), .svg or .png (drawn by Graphviz: pip install 'nnarith[diagram]' and
the system's graphviz package). Without -o the DOT text is printed."""
EXAMPLES = [
    "nnarith diagram lenet5",
    "nnarith diagram resnet50 -o resnet50.svg",
    "nnarith diagram googlenet --depth 1 -o googlenet.dot",
    "nnarith diagram unet --depth all -o unet.dot",
]
FORMATS = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png"}

Output = Annotated[str | None, typer.Option(
    "--output", "-o", metavar="FILE", help="the file to write: .dot, .svg or .png", rich_help_panel=OUTPUT,
    show_default=False)]
Depth = Annotated[int | None, typer.Option(
    "--depth", "-d", parser=depth, metavar="N|all",
    help="fold blocks nested deeper than N into one box; 'all' draws every layer; by default the deepest that "
    "keeps the drawing within 45 boxes high and 80 in all", rich_help_panel=OUTPUT)]


def add(app: typer.Typer) -> None:
    app.command("diagram", **command(DOC, EXAMPLES, PICTURES))(diagram)


def diagram(spec: Spec, input: Input = None, output: Output = None, depth: Depth = None) -> int:
    from nnarith.analysis.walk import analyze
    from nnarith.loader import load_spec
    from nnarith.pictures import dot

    format = _format(output)
    net = load_spec(spec, parse_shape(input) if input is not None else None)
    report = analyze(net)
    text, graph = dot.diagram_dot(net, report, depth)
    if output is None:
        write(text)
        return 0
    data = text.encode("utf-8") if format == "dot" else dot.render(text, format)
    try:
        with open(output, "wb") as f:
            f.write(data)
    except OSError as e:
        raise UsageError(f"cannot write {visible(output)}: {e.strerror or e}") from None
    folded = "" if graph.depth == dot.ALL else f", blocks deeper than {graph.depth} folded (--depth all: every layer)"
    write(f"{output}: {visible(report.name)}, {len(graph.boxes)} boxes{folded}\n")
    return 0


def _format(output: str | None) -> str:
    if output is None:
        return "dot"
    suffix = os.path.splitext(output)[1].lower()
    if suffix not in FORMATS:
        raise UsageError(f"-o {visible(output)}: the suffix chooses the format; write FILE.dot, FILE.svg or FILE.png")
    return FORMATS[suffix]
