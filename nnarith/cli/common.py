"""What every command shares: option parsing, output, and error handling (exit 2, no traceback).

The CLI is built on argparse: typer's import alone (with pydantic) costs more than the
whole 0.3 s budget of `nnarith shape` leaves for it.
"""

from __future__ import annotations

import argparse
import re
import sys

from nnarith.errors import NnarithError, UsageError
from nnarith.text import MAX_DIGITS, for_encoding, is_digits, visible

FORMATS = ("table", "json", "csv", "markdown")
DTYPES = ("fp32", "fp16", "bf16", "int8", "fp64")


def parse_shape(text: str) -> tuple[int, ...]:
    """'3x224x224', '3,224,224' or '[3, 224, 224]' -> (3, 224, 224)."""
    parts = [p for p in re.split(r"[x×,\s]+", text.strip().strip("[]()")) if p]
    if any(is_digits(p) and len(p) > MAX_DIGITS for p in parts):
        raise UsageError(f"--input has a size of more than {MAX_DIGITS} digits, nnarith's limit for a number")
    if not 1 <= len(parts) <= 4 or not all(is_digits(p) and int(p) > 0 for p in parts):
        raise UsageError(f"--input '{visible(text)}' is not a shape; write it like 3x224x224 (channels first)")
    return tuple(int(p) for p in parts)


def positive(text: str) -> int:
    if not is_digits(text) or len(text) > MAX_DIGITS or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer of at most {MAX_DIGITS} digits, got "
                                         f"'{visible(text[:40])}'")
    return int(text)


def write(text: str) -> None:
    try:
        sys.stdout.write(for_encoding(visible(text), sys.stdout.encoding))  # no escape sequence from a file
        sys.stdout.flush()
    except BrokenPipeError:  # `nnarith shape vgg16 | head` is fine
        sys.stderr.close()


def report_error(error: NnarithError) -> int:
    sys.stderr.write(for_encoding(visible(error.render()) + "\n", sys.stderr.encoding))
    return error.exit_code


def command(subparsers, name: str, doc: str, examples: list[str]) -> argparse.ArgumentParser:
    """A subcommand whose help shows its description and runnable examples."""
    summary = doc.strip().partition("\n")[0]
    epilog = "examples:\n" + "\n".join(f"  {e}" for e in examples)
    return subparsers.add_parser(
        name, help=summary, description=doc.strip(), epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def analysis_options(p: argparse.ArgumentParser, *, depth: bool = True) -> None:
    p.add_argument("--batch", "-b", type=positive, default=1, help="images per batch; multiplies the memory")
    p.add_argument("--dtype", choices=DTYPES, default="fp32", help="element type for memory in bytes")
    p.add_argument("--format", "-f", choices=FORMATS, default="table", help="output format")
    if depth:
        p.add_argument("--depth", "-d", type=positive, help="collapse blocks nested deeper than this")
    p.add_argument("--strict", action="store_true", help="treat sizes that do not divide as errors")
    p.add_argument("--exact", action="store_true", help="exact integers instead of K/M/G")
    p.add_argument("--explain", action="store_true",
                   help="show each figure's arithmetic with the numbers filled in (table and markdown)")
