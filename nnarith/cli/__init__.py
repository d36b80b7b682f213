"""The command line. Exit codes: 0 success, 1 a failed check, 2 invalid input or usage."""

from __future__ import annotations

import argparse
import gc
import sys

from nnarith import __version__
from nnarith.cli import analyze, check, library, torch_cmds
from nnarith.cli.common import report_error
from nnarith.errors import NnarithError
from nnarith.text import visible

COMMANDS = (analyze, check, library, torch_cmds)  # each module adds its subcommands
# The commands that never import torch. They build many small objects and no cyclic garbage worth
# collecting, so the cyclic collector is paused while they run (about 10% faster on 10,000 layers).
ANALYTIC = {m.__name__ for m in (analyze, check, library)}


class _Parser(argparse.ArgumentParser):
    """argparse, except that a control character in a bad argument is shown escaped, never sent to the terminal
    (subcommands' parsers are of this class too)."""

    def _print_message(self, message: str, file=None) -> None:
        super()._print_message(visible(message), file)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="nnarith",
        description="Exact arithmetic of neural networks: shapes, parameters, MACs, memory and "
        "receptive fields from a YAML spec, without a deep-learning framework.",
        epilog="Run 'nnarith COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"nnarith {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in COMMANDS:
        module.add(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a character the terminal cannot show is escaped, not fatal
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    if hasattr(sys, "set_int_max_str_digits"):  # numbers are bounded (nnarith.text), so printing them is too
        sys.set_int_max_str_digits(0)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    collecting = gc.isenabled()
    if args.run.__module__ in ANALYTIC:
        gc.disable()
    try:
        return args.run(args)
    except NnarithError as e:
        if args.debug:
            raise
        return report_error(e)
    except RecursionError:  # the spec limits should make this unreachable: a last safety net
        if args.debug:
            raise
        return report_error(NnarithError("the input nests too deeply to analyse (a limit nnarith should have "
                                         "reported; run with --debug and report it)"))
    finally:
        if collecting:
            gc.enable()


def entry() -> None:
    sys.exit(main())
