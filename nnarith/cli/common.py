"""What every command shares: option types, output, and error handling (exit 2, no traceback).

The CLI is built on typer 0.26-0.28, which vendors click and imports neither pydantic nor rich
at startup (rich draws the help, and is imported only for --help). The command modules do not
use `from __future__ import annotations`: typer would evaluate every annotation's string at each
start (13 ms, against 4 ms for annotations evaluated when the module is imported).
"""

import os
import re
import sys
from typing import Annotated, Literal

import typer
from typer._click import exceptions as click_errors  # vendored click: the pin in pyproject keeps this path

from nnarith.errors import NnarithError, UsageError
from nnarith.render import style
from nnarith.text import MAX_DIGITS, for_encoding, is_digits, visible

Format = Literal["table", "json", "csv", "markdown"]
Dtype = Literal["fp32", "fp16", "bf16", "int8", "fp64"]
ANALYSIS, OUTPUT = "Analysis", "Output"


def parse_shape(text: str) -> tuple[int, ...]:
    """'3x224x224', '3,224,224' or '[3, 224, 224]' -> (3, 224, 224)."""
    parts = [p for p in re.split(r"[x×,\s]+", text.strip().strip("[]()")) if p]
    if any(is_digits(p) and len(p) > MAX_DIGITS for p in parts):
        raise UsageError(f"--input has a size of more than {MAX_DIGITS} digits, nnarith's limit for a number")
    if not 1 <= len(parts) <= 4 or not all(is_digits(p) and int(p) > 0 for p in parts):
        raise UsageError(f"--input '{visible(text)}' is not a shape; write it like 3x224x224 (channels first)")
    return tuple(int(p) for p in parts)


_AXES_WRITTEN = {"tokens": "TxF, 2 sizes (tokens, features)", "ids": "T, 1 size (the number of token ids)"}


def named_input(text: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """calc's --input: 'tokens:197x768' -> (('tokens', 'features'), (197, 768)), 'ids:128' likewise;
    a plain shape '3x32x32' -> ((), (3, 32, 32))."""
    layout, colon, rest = text.partition(":")
    if not colon:
        return (), parse_shape(text)
    from nnarith.loader.network import NAMED_INPUTS  # the spec's named inputs: one place for their axes

    name = layout.strip()
    known = name in _AXES_WRITTEN  # tokens and ids: the layouts a size list cannot say
    axes = next((keys for keys, named in NAMED_INPUTS.items() if named == name), None) if known else None
    if axes is None:
        raise UsageError(f"--input '{visible(text)}' names the layout '{visible(layout)}'; "
                         "write tokens:TxF (tokens of features) or ids:T (token ids)")
    dims = parse_shape(rest)
    if len(dims) != len(axes):
        raise UsageError(f"--input {name}: takes {_AXES_WRITTEN[name]}; "
                         f"'{visible(rest)}' has {len(dims)}")
    return axes, dims


def spec_sets(texts: list[str] | None) -> dict[str, int]:
    """--set NAME=VALUE, repeated: the values of the spec's arguments, by name (loader/args.py reads them)."""
    from nnarith.loader.args import parse_sets

    return parse_sets(texts or [])


def positive(text: str | int) -> int:
    if isinstance(text, int):  # click passes the default through the parser too
        return text
    if not is_digits(text) or len(text) > MAX_DIGITS or int(text) < 1:
        raise typer.BadParameter(f"expected a positive integer of at most {MAX_DIGITS} digits, got "
                                 f"'{visible(text[:40])}'")
    return int(text)


def depth(text: str) -> int | str:
    """--depth: a positive integer, or 'all' (every layer); passed to the renderers as it is."""
    return "all" if text == "all" else positive(text)


def complete_spec(incomplete: str) -> list[str]:
    """Shell completion of a SPEC: the shipped specs' names, and the files and folders that start so."""
    from nnarith.loader import shipped

    folder = os.path.dirname(incomplete)
    try:
        entries = os.listdir(folder or ".")
    except OSError:
        entries = []
    files = [os.path.join(folder, e) + ("/" if os.path.isdir(os.path.join(folder or ".", e)) else "")
             for e in sorted(entries) if not e.startswith(".") or os.path.basename(incomplete).startswith(".")]
    return [*(n for n in shipped() if n.startswith(incomplete)), *files]


# The options the analytic commands share; each command lists them in its signature.
Input = Annotated[str | None, typer.Option(
    "--input", "-i", metavar="SHAPE", help="input shape, channels first, e.g. 3x224x224; overrides the spec's",
    rich_help_panel=ANALYSIS)]
Batch = Annotated[int, typer.Option(
    "--batch", "-b", parser=positive, metavar="N", help="images per batch; multiplies the memory",
    rich_help_panel=ANALYSIS)]
DtypeOption = Annotated[Dtype, typer.Option("--dtype", help="element type for memory in bytes",
                                            rich_help_panel=ANALYSIS)]


def sets_option(panel: str) -> object:
    """--set NAME=VALUE, repeatable, shown in the help panel given (check's is 'Network')."""
    return Annotated[list[str] | None, typer.Option(
        "--set", metavar="NAME=VALUE", show_default=False,
        help="a value for one of the spec's arguments (its args:), e.g. --set width=1024; repeatable",
        rich_help_panel=panel)]


Sets = sets_option(ANALYSIS)
Strict = Annotated[bool, typer.Option("--strict", help="treat sizes that do not divide as errors",
                                      rich_help_panel=ANALYSIS)]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="output format", rich_help_panel=OUTPUT)]
# int, or the str 'all': typer takes one type per option, and the parser gives either
Depth = Annotated[int | None, typer.Option(
    "--depth", "-d", parser=depth, metavar="N|all",
    help="collapse blocks nested deeper than N; 'all' shows every layer; by default the table shows the levels "
    "that fit a screen", rich_help_panel=OUTPUT)]
Exact = Annotated[bool, typer.Option("--exact", help="exact integers instead of K/M/G", rich_help_panel=OUTPUT)]
Explain = Annotated[bool, typer.Option(
    "--explain", help="show each figure's arithmetic with the numbers filled in (table and markdown)",
    rich_help_panel=OUTPUT)]
Spec = Annotated[str, typer.Argument(metavar="SPEC", help="a spec file, or the name of a shipped spec",
                                     autocompletion=complete_spec, show_default=False)]


def write(text: str, painted: bool = False) -> None:
    """Standard output. Plain text is made visible here (no escape sequence from a file reaches the terminal);
    painted text was made visible by its renderer before the colour codes went in."""
    try:
        sys.stdout.write(for_encoding(text if painted else visible(text), sys.stdout.encoding))
        sys.stdout.flush()
    except BrokenPipeError:  # `nnarith shape vgg16 | head` is fine
        sys.stderr.close()


def report_error(error: NnarithError) -> int:
    """The error on stderr: on a terminal its first line (each error's, for several) in red and its hint in
    cyan; piped, the plain text. Colour is added after visible(), so only nnarith's own codes are sent."""
    paint = style.painter(sys.stderr)
    lines = visible(error.render()).split("\n")
    if paint is not style.plain:
        lines = [_painted(line, paint) for line in lines]
    sys.stderr.write(for_encoding("\n".join(lines) + "\n", sys.stderr.encoding))
    return error.exit_code


def _painted(line: str, paint: style.Painter) -> str:
    body = line.lstrip(" ")
    indent = line[:len(line) - len(body)]
    if body.startswith("hint: "):
        return indent + paint(body, "hint")
    return paint(line, "wrong") if not indent and "error: " in line else line


class ArgumentError(UsageError):
    """A command line the parser refused (click's message), with the command's usage and where help is."""

    def __init__(self, message: str, usage: str | None, command: str) -> None:
        super().__init__(message)
        self.usage, self.command = usage, command

    def render(self) -> str:
        usage = f"\n  usage: {self.usage}" if self.usage else ""
        return f"error: {self}{usage}\n  hint: '{self.command} --help' shows the options and examples"


def argument_error(e: click_errors.ClickException) -> ArgumentError:
    message = e.format_message()
    if isinstance(e, click_errors.NoSuchOption) and e.possibilities:
        # click's close matches (difflib, cutoff 0.6, best first), written as a question
        message = f"{e.message}. Did you mean {e.possibilities[0]}?"
    ctx = getattr(e, "ctx", None)
    if ctx is None:
        return ArgumentError(message, None, "nnarith")
    return ArgumentError(message, ctx.get_usage().removeprefix("Usage: "), ctx.command_path)
