"""`nnarith report`: one self-contained HTML page of a spec's arithmetic, to publish."""

import sys
from typing import Annotated

import typer

from nnarith.cli.analyze import Training
from nnarith.cli.common import (
    OUTPUT,
    Batch,
    Depth,
    DtypeOption,
    Exact,
    Input,
    Sets,
    Spec,
    Strict,
    parse_shape,
    spec_sets,
    write,
)
from nnarith.cli.help import PICTURES, command
from nnarith.errors import UsageError
from nnarith.text import visible

DOC = """One self-contained HTML page of a spec's arithmetic, to publish: its table, diagram, charts and working.

The page holds the layer table (sortable by a click on a header; --depth folds it per block as 'nnarith shape'
does), the diagram ('nnarith diagram'), the charts ('nnarith plot'), the totals and what each figure counts, and
every layer's working ('--explain') on demand.

SPEC is a YAML file, or the name of a shipped spec (see 'nnarith list'). The page loads nothing from elsewhere: its
style, script and pictures are inline, so it opens offline and can be mailed or published as it is. The diagram
needs Graphviz (nnarith[diagram] and the dot program), the charts matplotlib (nnarith[plot]); without one, the page
is written without that picture and says what to install."""
EXAMPLES = [
    "nnarith report vgg16 -o vgg16.html",
    "nnarith report resnet50 --depth 2 -o resnet50.html",
    "nnarith report googlenet --batch 32 --dtype fp16 -o googlenet.html",
    "nnarith report resnet18 --training -o resnet18.html",
    "nnarith report resnet_bottleneck --set layer3=23 -o resnet101.html",
]
SUFFIXES = (".html", ".htm")

Output = Annotated[str, typer.Option("--output", "-o", metavar="FILE.html", show_default=False,
                                     help="the page to write", rich_help_panel=OUTPUT)]


def add(app: typer.Typer) -> None:
    app.command("report", **command(DOC, EXAMPLES, PICTURES))(report)


def report(spec: Spec, *, input: Input = None, batch: Batch = 1, dtype: DtypeOption = "fp32", strict: Strict = False,
           training: Training = False, set: Sets = None, output: Output, depth: Depth = None,
           exact: Exact = False) -> int:
    from nnarith.analysis.walk import analyze
    from nnarith.loader import load_spec
    from nnarith.pictures.page import draw_pictures, page_html
    from nnarith.render.tree import default_depth, tree

    if not output.lower().endswith(SUFFIXES):
        raise UsageError(f"-o '{visible(output)}': the page is HTML; name the file .html, e.g. -o page.html")
    net = load_spec(spec, parse_shape(input) if input is not None else None, spec_sets(set))
    report = analyze(net, batch=batch, dtype=dtype, strict=strict)
    report.training = training
    shown = default_depth(report.rows) if depth is None else depth
    pictures = draw_pictures(net, report, depth)
    for picture in pictures:
        if picture.svg is None:  # the page says so too, where the picture would be
            sys.stderr.write(f"note: {picture.missing} (the page is written without it)\n")
    text = page_html(report, shown, pictures, exact=exact)
    try:
        with open(output, "w", encoding="utf-8") as out:
            out.write(text)
    except (OSError, ValueError) as e:  # ValueError: a NUL in the name
        raise UsageError(f"cannot write -o '{visible(output)}': {getattr(e, 'strerror', None) or e}") from None
    rows = len(tree(report.rows, shown))
    drawn = " and ".join(p.anchor for p in pictures if p.svg is not None)
    write(f"wrote {output}: {report.name}, {len(report.rows)} layers, a table of {rows} rows (--depth {shown})"
          + (f", its {drawn}" if drawn else "") + "\n")
    return 0
