"""The command line. Exit codes: 0 success, 1 a failed check, 2 invalid input or usage.

Built on typer; every error, click's usage errors included, is printed by report_error (escaped,
coloured on a terminal only), so that `main()` returns the exit code instead of exiting.
"""

import gc
import sys
from functools import cache
from typing import Annotated

import typer
from typer._click import exceptions as click_errors

from nnarith import __version__
from nnarith.cli import analyze, check, compare, diagram, library, memory, page, plot, torch_cmds
from nnarith.cli.common import argument_error, report_error
from nnarith.cli.help import Group
from nnarith.errors import NnarithError
from nnarith.render import style

COMMANDS = (analyze, memory, compare, plot, diagram, page, check, library, torch_cmds)  # each module adds its commands
# The commands that never import torch. They build many small objects and no cyclic garbage worth
# collecting, so the cyclic collector is paused while they run (about 10% faster on 10,000 layers).
ANALYTIC = {"shape", "calc", "memory", "compare", "solve", "plot", "diagram", "report", "check", "list", "kinds"}
_debug = False  # --debug, for main(): the error is raised after click has left its context


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"nnarith {__version__}\n")
        raise typer.Exit()


def _no_color(value: bool) -> None:
    if value:  # eager, so that help asked after it is plain too
        style.disable()


def root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="show nnarith's version and exit")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="show the traceback of an error")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", callback=_no_color, is_eager=True,
                                           help="no colour, even on a terminal (so does NO_COLOR=1)")] = False,
) -> None:
    """Exact arithmetic of neural networks: shapes, parameters, MACs, memory and receptive fields from a YAML
    spec, without a deep-learning framework.

    Run 'nnarith COMMAND --help' for a command's options and examples."""
    global _debug
    _debug = debug
    if ctx.invoked_subcommand in ANALYTIC:
        gc.disable()  # main() turns it back on


@cache
def command() -> typer.core.TyperGroup:
    """The click command the typer app makes, made once per process (main() may run many times)."""
    app = typer.Typer(cls=Group, context_settings={"help_option_names": ["-h", "--help"]},
                      no_args_is_help=True, pretty_exceptions_enable=False)
    app.callback()(root)
    for module in COMMANDS:
        module.add(app)
    return typer.main.get_command(app)


def main(argv: list[str] | None = None) -> int:
    global _debug
    for stream in (sys.stdout, sys.stderr):  # a character the terminal cannot show is escaped, not fatal
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    if hasattr(sys, "set_int_max_str_digits"):  # numbers are bounded (nnarith.text), so printing them is too
        sys.set_int_max_str_digits(0)
    _debug = False
    collecting = gc.isenabled()
    try:
        return _run(sys.argv[1:] if argv is None else argv)
    except NnarithError as e:
        if _debug:
            raise
        return report_error(e)
    except RecursionError:  # the spec limits should make this unreachable: a last safety net
        if _debug:
            raise
        return report_error(NnarithError("the input nests too deeply to analyse (a limit nnarith should have "
                                         "reported; run with --debug and report it)"))
    finally:
        if collecting:
            gc.enable()


def _run(argv: list[str]) -> int:
    try:
        code = command().main(args=argv, prog_name="nnarith", standalone_mode=False)
    except click_errors.NoArgsIsHelpError:  # `nnarith` alone: the help is printed, and it is not a command
        return 2
    except click_errors.ClickException as e:
        raise argument_error(e) from None
    except SystemExit as e:  # shell completion and --install-completion exit
        return e.code if isinstance(e.code, int) else 0 if e.code is None else 2
    return code if isinstance(code, int) else 0


def entry() -> None:
    sys.exit(main())
