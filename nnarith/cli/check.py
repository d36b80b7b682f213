"""`nnarith check`: the numbers written in documents and answers, checked against a spec."""

from typing import Annotated, Literal

import typer

from nnarith.cli.common import OUTPUT, Dtype, complete_spec, parse_shape, sets_option, spec_sets, write
from nnarith.cli.help import CHECK, command
from nnarith.errors import UsageError
from nnarith.render import style

DOC = """Check the shapes, parameters, MACs and memory written in a document against a spec.

FILE is a document: Markdown, HTML, CSV or plain text, with its tables (pipe, HTML, box-drawn,
ruled, columns of text), model summaries (torchinfo, torchsummary, Keras, print(model)),
course-notes lines ('CONV1: [55x55x96]  memory: 290K') and prose ('It has 25.6M parameters');
a YAML answers file; or a spec, whose own expect: figures are checked. Rows and columns that
name a shipped network are checked against it; --spec LABEL=SPEC names others. One line per
figure: ✓ right, ✗ wrong, or a note when it is right under another convention (weights
without biases, FLOPs = MACs, MiB vs MB, truncated, ...); --strict counts notes wrong. What
could not be checked is listed with the reason.

Exit codes: 0 all right, 1 something wrong, 2 unreadable input."""
EXAMPLES = [
    "nnarith check examples/ci/docs/model-card.md --spec examples/ci/model.yaml",
    "nnarith check examples/ci/model.yaml",
    "nnarith check examples/homework/alexnet_notes.txt --spec alexnet_original",
    "nnarith check examples/homework/key.yaml --format json",
    "nnarith check examples/published/resnet_table1_18_34.md --spec 18-layer=resnet18 --spec 34-layer=resnet34",
    "nnarith check examples/published/torchvision_weights.md",
]
NETWORK, CHECKING = "Network", "Checking"


def add(app: typer.Typer) -> None:
    app.command("check", **command(DOC, EXAMPLES, CHECK))(check)


def check(
    files: Annotated[list[str], typer.Argument(metavar="FILE...", show_default=False,
                                               help="documents to check ('-' reads standard input)")],
    spec: Annotated[list[str] | None, typer.Option(
        "--spec", "-s", metavar="[LABEL=]SPEC", autocompletion=complete_spec, rich_help_panel=NETWORK,
        help="the network they describe: a spec file or a shipped spec's name; LABEL=SPEC (repeatable) names the "
        "network a document's column or row labels LABEL")] = None,
    input: Annotated[str | None, typer.Option(
        "--input", "-i", metavar="SHAPE", help="input shape, channels first, e.g. 3x224x224; overrides the spec's",
        rich_help_panel=NETWORK)] = None,
    dtype: Annotated[Dtype, typer.Option("--dtype", help="element type, for figures written in bytes",
                                         rich_help_panel=NETWORK)] = "fp32",
    strict: Annotated[bool, typer.Option("--strict", rich_help_panel=CHECKING,
                                         help="figures right only under another convention are wrong too")] = False,
    kind: Annotated[Literal["markdown", "csv", "yaml", "text"] | None, typer.Option(
        "--as", rich_help_panel=CHECKING,
        help="how to read FILE (by default: by its extension, else by its content)")] = None,
    allow_spec_path: Annotated[bool, typer.Option(
        "--allow-spec-path", rich_help_panel=CHECKING,
        help="let an answers file's spec: name any file; by default it names a shipped spec or a file in its own "
        "folder (or below), so that a document handed in cannot make nnarith read others")] = False,
    set: sets_option(NETWORK) = None,
    format: Annotated[Literal["text", "json"], typer.Option("--format", "-f", help="output format",
                                                             rich_help_panel=OUTPUT)] = "text",
    junit: Annotated[str | None, typer.Option("--junit", metavar="OUT.xml", rich_help_panel=OUTPUT,
                                              help="also write a JUnit XML report: one test case per figure")] = None,
) -> int:
    from nnarith.check.output import junit as junit_xml
    from nnarith.check.output import render_json, render_text
    from nnarith.check.run import check_file

    for option, value in (("--junit", junit), ("--input", input), *(("--spec", v) for v in spec or ()),
                          *(("FILE", f) for f in files)):
        if value is not None and not value.strip():
            raise UsageError(f"{option} is empty: give it a value, or leave the option out")
    if files.count("-") > 1:
        raise UsageError("'-' (standard input) is named twice; it can be read once: name it once")
    if format == "json" and len(files) > 1:
        raise UsageError("--format json reports one file; run nnarith check once per file")
    shape = parse_shape(input) if input is not None else None
    sets = spec_sets(set)
    results = [check_file(f, spec, fmt=kind, strict=strict, dtype=dtype, input=shape,
                          allow_spec_path=allow_spec_path, sets=sets) for f in files]
    if junit:
        try:
            with open(junit, "wb") as out:
                out.write(junit_xml(results))
        except (OSError, ValueError) as e:  # ValueError: a NUL in the name
            raise UsageError(f"cannot write --junit {junit!r}: {getattr(e, 'strerror', None) or e}") from None
    if format == "json":
        write("\n".join(render_json(r) for r in results))
    else:
        paint = style.painter()
        write("\n".join(render_text(r, paint=paint, width=style.width()) for r in results),
              painted=paint is not style.plain)
    return 1 if any(r.count("wrong") for r in results) else 0
