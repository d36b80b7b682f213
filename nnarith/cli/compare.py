"""`nnarith compare` (networks side by side) and `nnarith solve` (the value of a spec argument that meets a
target figure)."""

import re
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from nnarith.cli.common import ANALYSIS, OUTPUT, Batch, DtypeOption, Exact, Sets, Spec, positive, spec_sets, write
from nnarith.cli.help import ANALYSE, command
from nnarith.cli.memory import Optimizer
from nnarith.errors import NnarithError, SpecError, SpecErrors, UsageError, did_you_mean
from nnarith.render import style
from nnarith.text import MAX_DIGITS, visible

if TYPE_CHECKING:  # imported where they are used: the CLI's start stays light
    from nnarith.analysis.figures import Measured
    from nnarith.loader.nodes import Network
    from nnarith.render.compare import Item

COMPARE_DOC = """Networks side by side: params, weights, MACs, memory, training memory, receptive field and depth,
with each network's ratio to the first, and per stage (top-level block) where the networks have the same stages.

Each ITEM is a spec file or a shipped spec's name, with values of its spec arguments in brackets where it has
args: 'speech_dnn.yaml[hidden=1,width=3772]'; --set gives a value to every item, and an item's own value wins.
Quote an item with brackets, as shells read them."""
COMPARE_EXAMPLES = [
    "nnarith compare resnet18 resnet34 resnet50",
    "nnarith compare 'examples/speech_dnn.yaml[hidden=5]' 'examples/speech_dnn.yaml[hidden=1,width=3772]'",
    "nnarith compare vgg 'vgg[stage3=4,stage4=4,stage5=4]'",
    "nnarith compare vgg16 vgg16_bn --format markdown",
    "nnarith compare mobilenet_v2 efficientnet_b0 --format json",
]
SOLVE_DOC = """The integer value of one spec argument whose figure comes closest to a target; ties go to the
smaller value.

FIGURE is one of params, weights (params without biases), macs, flops, memory, activations and
training_memory. VALUE is a number as people write it (36.7M, 2.4e10, 36,712,448; a memory figure in bytes or
24GiB, 24 GB), or @SPEC[name=value,...]: another spec's same figure. The search is exact: bisection where the
figure is monotonic in the value, checked; every value where it is not and the range is small. Exit 1 when no
value in the bounds reaches the target (the closest is given) or the range could not be searched whole."""
SOLVE_EXAMPLES = [
    "nnarith solve examples/speech_dnn.yaml --vary width --set hidden=1 --target 'weights=@examples/speech_dnn.yaml"
    "[hidden=5]'",
    "nnarith solve examples/speech_dnn.yaml --vary width --set hidden=1 --target params=36.7M --multiple-of 8",
    "nnarith solve examples/speech_dnn.yaml --vary hidden --target macs=50M --format json",
    "nnarith solve vgg --vary stage4 --target macs=20G --max 20",
]
_COUNT = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(e[+-]?[0-9]{1,3})?\s*([kKMGTP]?)", re.ASCII)
_PREFIX = {"": 0, "k": 1, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5}


def add(app: typer.Typer) -> None:
    app.command("compare", **command(COMPARE_DOC, COMPARE_EXAMPLES, ANALYSE))(compare)
    app.command("solve", **command(SOLVE_DOC, SOLVE_EXAMPLES, ANALYSE))(solve)


Items = Annotated[list[str], typer.Argument(metavar="ITEM...", show_default=False,
                                            help="specs, each with its values in brackets where it has args:")]
CompareFormat = Annotated[Literal["table", "json", "markdown"], typer.Option("--format", "-f", help="output format",
                                                                             rich_help_panel=OUTPUT)]
SolveFormat = Annotated[Literal["table", "json"], typer.Option("--format", "-f", help="output format",
                                                               rich_help_panel=OUTPUT)]
Vary = Annotated[str, typer.Option("--vary", metavar="NAME", show_default=False,
                                   help="the spec argument to solve for", rich_help_panel=ANALYSIS)]
Target = Annotated[str, typer.Option("--target", metavar="FIGURE=VALUE", show_default=False,
                                     help="the figure and its value: params=36.7M, memory=24GiB, "
                                     "weights=@other.yaml (with its values in brackets)", rich_help_panel=ANALYSIS)]


def integer(text: str | int) -> int:
    if isinstance(text, int):  # click passes the default through the parser too
        return text
    written = text.strip().replace("_", "")
    if not re.fullmatch(rf"[+-]?[0-9]{{1,{MAX_DIGITS}}}", written, re.ASCII):
        raise typer.BadParameter(f"'{visible(text[:40])}' is not an integer; spec arguments are integers")
    return int(written)


Low = Annotated[int, typer.Option("--min", parser=integer, metavar="A", help="the smallest value searched",
                                  rich_help_panel=ANALYSIS)]
High = Annotated[int | None, typer.Option("--max", parser=integer, metavar="B", show_default=False,
                                          help="the largest value searched (by default found by doubling)",
                                          rich_help_panel=ANALYSIS)]
Multiple = Annotated[int, typer.Option("--multiple-of", parser=positive, metavar="K",
                                       help="search only multiples of K (hardware-friendly widths: 8)",
                                       rich_help_panel=ANALYSIS)]


class _Loaded:
    """What the items share: the analysis's options, and how an item is read (spec, sets) -> its figures."""

    def __init__(self, batch: int, dtype: str, optimizer: str) -> None:
        self.batch, self.dtype, self.optimizer = batch, dtype, optimizer

    def measure(self, net: "Network") -> "Measured":
        from nnarith.analysis.figures import Measured
        from nnarith.analysis.walk import analyze

        return Measured(net, analyze(net, batch=self.batch, dtype=self.dtype), self.optimizer)

    def item(self, text: str, sets: dict[str, int]) -> "Item":
        from nnarith.loader import load_spec, split_item
        from nnarith.render.compare import Item

        spec, own = split_item(text)
        return Item(text, self.measure(load_spec(spec, sets={**sets, **own})))


def compare(items: Items, sets: Sets = None, batch: Batch = 1, dtype: DtypeOption = "fp32",
            optimizer: Optimizer = "sgd", format: CompareFormat = "table", exact: Exact = False) -> int:
    from nnarith.render import compare as render

    given = spec_sets(sets)
    loaded = _Loaded(batch, dtype, optimizer)
    measured = [loaded.item(text, given) for text in items]
    if format == "json":
        write(render.render_json(render.compare_json(measured)))
    elif format == "markdown":
        write(render.render_markdown(measured, exact=exact))
    else:
        write(render.render_table(measured, exact=exact, width=style.width(), paint=style.painter()),
              painted=style.enabled())
    return 0


def parse_target(text: str) -> tuple[str, str]:
    """'params=36.7M' -> ('params', '36.7M')."""
    name, equals, value = text.partition("=")
    if not equals or not name.strip() or not value.strip():
        raise UsageError(f"--target '{visible(text)}' is not FIGURE=VALUE; write it like --target params=36.7M")
    return name.strip(), value.strip()


def parse_count(text: str, figure: str) -> Fraction:
    """A count as people write it: '36.7M', '2.4e10', '36,712,448', '512K' (K, M, G = 10^3, 10^6, 10^9)."""
    m = _COUNT.fullmatch(text.replace(",", "").replace("_", ""))
    if m is None:
        byte = "B" in text or "b" in text
        raise UsageError(f"--target {figure}={visible(text)}: '{visible(text)}' is not a number; write it like "
                         f"36.7M, 2.4e10 or 36,712,448" + (f" ({figure} is a count, not bytes)" if byte else ""))
    number, exponent, prefix = m.groups()
    return Fraction(Decimal(number + (exponent or ""))) * 1000 ** _PREFIX[prefix]


def parse_bytes(text: str, figure: str) -> Fraction:
    from nnarith.cli.memory import parse_size

    try:
        return Fraction(parse_size(text))
    except typer.BadParameter as e:
        raise UsageError(f"--target {figure}={e.message}") from None


class InvalidInRange(NnarithError):
    """A value in the search's range makes the spec invalid: where, and the spec's own located error."""

    def __init__(self, name: str, value: int, valid: int | None, error: NnarithError) -> None:
        super().__init__(f"{name}={value} makes the spec invalid")
        self.name, self.value, self.valid, self.error = name, value, valid, error
        for e in getattr(error, "errors", [error]):  # the value is named in the message, not as one set
            if isinstance(e, SpecError):
                e.given = None

    def render(self) -> str:
        if self.valid is None:
            where = f"error: {self.name}={self.value} makes the spec invalid, and it is where the search starts"
            hint = "give --min (and --max) where the spec is valid"
        else:
            bound = "--max" if self.value > self.valid else "--min"
            where = (f"error: {self.name}={self.value} makes the spec invalid; {self.name}={self.valid}, next to it, "
                     "is valid")
            hint = f"search the valid values only: {bound} {self.valid}"
        body = "\n".join("  " + line for line in self.error.render().split("\n"))
        return f"{where}\n{body}\n  hint: {hint}"


def solve(spec: Spec, vary: Vary, target: Target, sets: Sets = None, low: Low = 1, high: High = None,
          multiple_of: Multiple = 1, batch: Batch = 1, dtype: DtypeOption = "fp32", optimizer: Optimizer = "sgd",
          format: SolveFormat = "table") -> int:
    from nnarith.analysis import search
    from nnarith.analysis.figures import figure as named_figure
    from nnarith.loader import load_template
    from nnarith.render.compare import Item, render_json
    from nnarith.render.solve import Solved, render_solve, solve_json

    given = spec_sets(sets)
    name, written = parse_target(target)
    fig = named_figure(name)
    template = load_template(spec)
    if vary not in template.names:
        hint = did_you_mean(vary, template.names)
        known = f"its arguments: {', '.join(template.names)}" if template.names else "it declares no args:"
        raise UsageError(f"--vary {visible(vary)}: {template.file} has no argument '{visible(vary)}' ({known})"
                         + (f"; {hint}" if hint else ""))
    if vary in given:
        raise UsageError(f"--vary {vary} and --set {vary}={given[vary]}: solve chooses {vary}; drop the --set")
    default = None  # the varied argument's default: where the doubling starts
    try:
        default = template.network(given).args[vary]  # the --set names are checked too
    except (SpecError, SpecErrors):
        pass  # an error at the default: the search meets it where it lies in the range
    if high is not None and low > high:
        raise UsageError(f"--min {low} is above --max {high}")
    if high is None and low < 0:
        raise UsageError(f"--min {low}: without --max the search doubles from --min, which must then be 0 or more")
    if high is not None and -(-low // multiple_of) > high // multiple_of:
        raise UsageError(f"no multiple of {multiple_of} lies between --min {low} and --max {high}")
    loaded = _Loaded(batch, dtype, optimizer)
    source = None
    if written.startswith("@"):
        source = written[1:]
        goal = Fraction(fig.read(loaded.item(source, {}).measured))
    else:
        goal = parse_bytes(written, name) if fig.bytes else parse_count(written, name)

    measured = {}

    def figure_at(value: int) -> int:
        measured[value] = loaded.measure(template.network({**given, vary: value}))
        return fig.read(measured[value])

    try:
        found = search.solve(figure_at, goal, low, high, multiple_of, default)
    except search.InvalidValue as e:
        raise InvalidInRange(vary, e.value, e.valid, e.error) from None
    item = Item(spec, measured[found.value])
    solved = Solved(item, vary, fig, goal, written, source, found, multiple_of, high is None)
    if format == "json":
        write(render_json(solve_json(solved)))
    else:
        write(render_solve(solved, style.width()))
    return 0 if found.reached and found.whole else 1
