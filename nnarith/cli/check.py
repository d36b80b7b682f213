"""`nnarith check`: the numbers written in documents and answers, checked against a spec."""

from __future__ import annotations

import argparse

from nnarith.cli.common import DTYPES, command, parse_shape, write
from nnarith.errors import UsageError

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


def add(subparsers) -> None:
    p = command(subparsers, "check", DOC, EXAMPLES)
    p.add_argument("files", nargs="+", metavar="FILE", help="documents to check ('-' reads standard input)")
    p.add_argument("--spec", "-s", action="append", metavar="[LABEL=]SPEC",
                   help="the network they describe: a spec file or a shipped spec's name; LABEL=SPEC (repeatable) "
                   "names the network a document's column or row labels LABEL")
    p.add_argument("--input", "-i", help="input shape, channels first, e.g. 3x224x224; overrides the spec's")
    p.add_argument("--dtype", choices=DTYPES, default="fp32", help="element type, for figures written in bytes")
    p.add_argument("--strict", action="store_true",
                   help="figures right only under another convention are wrong too")
    p.add_argument("--format", "-f", choices=("text", "json"), default="text", help="output format")
    p.add_argument("--junit", metavar="OUT.xml", help="also write a JUnit XML report: one test case per figure")
    p.add_argument("--as", dest="kind", choices=("markdown", "csv", "yaml", "text"),
                   help="how to read FILE (by default: by its extension, else by its content)")
    p.add_argument("--allow-spec-path", action="store_true",
                   help="let an answers file's spec: name any file; by default it names a shipped spec or a file "
                   "in its own folder (or below), so that a document handed in cannot make nnarith read others")
    p.set_defaults(run=check)


def check(args: argparse.Namespace) -> int:
    from nnarith.check.output import junit, render_json, render_text
    from nnarith.check.run import check_file

    for option, value in (("--junit", args.junit), ("--input", args.input), *(("--spec", v) for v in args.spec or ()),
                          *(("FILE", f) for f in args.files)):
        if value is not None and not value.strip():
            raise UsageError(f"{option} is empty: give it a value, or leave the option out")
    if args.files.count("-") > 1:
        raise UsageError("'-' (standard input) is named twice; it can be read once: name it once")
    if args.format == "json" and len(args.files) > 1:
        raise UsageError("--format json reports one file; run nnarith check once per file")
    shape = parse_shape(args.input) if args.input is not None else None
    results = [check_file(f, args.spec, fmt=args.kind, strict=args.strict, dtype=args.dtype, input=shape,
                          allow_spec_path=args.allow_spec_path) for f in args.files]
    if args.junit:
        try:
            with open(args.junit, "wb") as out:
                out.write(junit(results))
        except (OSError, ValueError) as e:  # ValueError: a NUL in the name
            raise UsageError(f"cannot write --junit {args.junit!r}: {getattr(e, 'strerror', None) or e}") from None
    render = render_json if args.format == "json" else render_text
    write("\n".join(render(r) for r in results))
    return 1 if any(r.count("wrong") for r in results) else 0
