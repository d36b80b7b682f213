"""`nnarith verify`, `bench` and `export`: the spec as a real PyTorch model (needs nnarith[torch])."""

import json
from typing import Annotated, Literal

import typer

from nnarith.cli.common import OUTPUT, Spec, complete_spec, parse_shape, positive, write
from nnarith.cli.help import TORCH, command
from nnarith.errors import UsageError
from nnarith.render import style
from nnarith.text import is_digits

VERIFY_DOC = """Build each spec in PyTorch and check every computed number against the real model.

Shapes of every layer, parameters and buffers, fvcore's FLOP count, FLOPs from PyTorch's
FlopCounterMode, and the activation memory; exit 1 if any differs."""
VERIFY_EXAMPLES = ["nnarith verify lenet5", "nnarith verify specs/resnet18.yaml lenet5 --format json"]
BENCH_DOC = """Time a spec's model on the GPU, or on the CPU where there is none.

Reports the median time per batch, images per second, achieved TFLOP/s and its fraction of
the device's measured peak, and the peak memory beside nnarith's prediction."""
BENCH_EXAMPLES = ["nnarith bench lenet5 --batch 1,8 --device cpu"]
EXPORT_DOC = """Print a spec as PyTorch source: a self-contained module to paste into a notebook."""
EXPORT_EXAMPLES = ["nnarith export lenet5 --torch"]


MODEL = "Model"


def add(app: typer.Typer) -> None:
    app.command("verify", **command(VERIFY_DOC, VERIFY_EXAMPLES, TORCH))(verify)
    app.command("bench", **command(BENCH_DOC, BENCH_EXAMPLES, TORCH))(bench)
    app.command("export", **command(EXPORT_DOC, EXPORT_EXAMPLES, TORCH))(export)


Format = Annotated[Literal["table", "json"], typer.Option("--format", "-f", help="output format",
                                                          rich_help_panel=OUTPUT)]


def _items(text: str, allowed: tuple[str, ...] | None, what: str) -> tuple:
    items = tuple(t.strip() for t in text.split(",") if t.strip())
    if not items:
        raise UsageError(f"--{what} is empty")
    if allowed is None:
        # ASCII digits only: '²' passes isdigit() but not int(), and '٣' would be read as 3
        if not all(is_digits(t) and int(t) > 0 for t in items):
            raise UsageError(f"--{what} '{text}' must be positive integers, comma-separated, e.g. 1,8,64")
        return tuple(int(t) for t in items)
    bad = [t for t in items if t not in allowed]
    if bad:
        raise UsageError(f"--{what} '{bad[0]}' is not one of {', '.join(allowed)}")
    return items


def verify(
    specs: Annotated[list[str], typer.Argument(metavar="SPEC...", help="spec files or shipped spec names",
                                               autocompletion=complete_spec, show_default=False)],
    device: Annotated[Literal["cpu", "cuda"], typer.Option("--device", help="where to run the model",
                                                           rich_help_panel=MODEL)] = "cpu",
    batch: Annotated[int, typer.Option("--batch", "-b", parser=positive, metavar="N", rich_help_panel=MODEL,
                                       help="images in the test batch")] = 2,
    input: Annotated[str | None, typer.Option("--input", "-i", metavar="SHAPE", rich_help_panel=MODEL,
                                              help="input shape, overriding the spec's, e.g. 3x32x32")] = None,
    against: Annotated[str | None, typer.Option(
        "--against", metavar="MODULE:FACTORY", rich_help_panel=MODEL,
        help="compare with a model factory instead, e.g. torchvision.models:resnet50 or "
             "transformers:BertModel (built from its config)")] = None,
    format: Format = "table",
    all_checks: Annotated[bool, typer.Option("--all", help="list every per-layer check, not a summary",
                                             rich_help_panel=OUTPUT)] = False,
) -> int:
    from nnarith.torch import require

    require("torch", "fvcore")
    from nnarith.loader import load_spec
    from nnarith.torch.render import render_verification

    shape = parse_shape(input) if input is not None else None
    if against:
        if len(specs) != 1:
            raise UsageError("--against compares one spec with one model; give one SPEC")
        from nnarith.torch.against import against as compare

        results = [compare(load_spec(specs[0], shape), against, device, batch)]
    else:
        from nnarith.torch.verify import checked
        from nnarith.torch.verify import verify as run

        nets = [load_spec(s, shape) for s in specs]  # every spec is read before any model runs,
        for net in nets:  # and checked to fit, so that no result is lost to a later refusal
            checked(net, device, batch)
        results = [run(net, device, batch) for net in nets]
    if format == "json":
        docs = [r.json() for r in results]
        write(json.dumps(docs[0] if len(docs) == 1 else docs, indent=1) + "\n")
    else:
        paint = style.painter()
        text = "\n".join(render_verification(r, all_checks, paint=paint) for r in results)
        write(text, painted=paint is not style.plain)
    return 0 if all(r.passed for r in results) else 1


def bench(
    spec: Spec,
    device: Annotated[Literal["auto", "cuda", "cpu"], typer.Option("--device", help="auto: CUDA if available",
                                                                   rich_help_panel=MODEL)] = "auto",
    batch: Annotated[str, typer.Option("--batch", "-b", metavar="N,...", help="batch sizes, comma-separated",
                                       rich_help_panel=MODEL)] = "1,8,64",
    dtype: Annotated[str, typer.Option("--dtype", metavar="DTYPE,...", help="fp32, bf16, fp16, comma-separated",
                                       rich_help_panel=MODEL)] = "fp32",
    mode: Annotated[str, typer.Option("--mode", metavar="MODE,...", rich_help_panel=MODEL,
                                      help="inference, training, or both comma-separated")] = "inference",
    format: Format = "table",
) -> int:
    from nnarith.torch import require

    require("torch")
    batches = _items(batch, None, "batch")
    dtypes = _items(dtype, ("fp32", "bf16", "fp16"), "dtype")
    modes = _items(mode, ("inference", "training"), "mode")
    from rich.console import Console
    from rich.progress import Progress

    from nnarith.loader import load_spec
    from nnarith.torch.bench import bench as run
    from nnarith.torch.render import render_benchmark

    net = load_spec(spec)
    console = Console(stderr=True)
    # Only on a terminal: elsewhere rich leaves an empty line on stderr, before an error too.
    with Progress(console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("calibrating the peak", total=len(batches) * len(dtypes) * len(modes))

        def step(label: str, done: int) -> None:
            progress.update(task, description=label, completed=done)

        result = run(net, device, batches, dtypes, modes, on_step=step)
    if format == "json":
        write(json.dumps(result.json(), indent=1) + "\n")
    else:
        paint = style.painter()
        write(render_benchmark(result, paint=paint), painted=paint is not style.plain)
    return 0


def export(
    spec: Spec,
    torch: Annotated[bool, typer.Option("--torch", help="write PyTorch source (the only target)",
                                        rich_help_panel=OUTPUT)],
    input: Annotated[str | None, typer.Option("--input", "-i", metavar="SHAPE", rich_help_panel=MODEL,
                                              help="input shape, overriding the spec's")] = None,
) -> int:
    from nnarith.torch import require

    require("torch")
    from nnarith.loader import load_spec
    from nnarith.torch.export import export as source

    write(source(load_spec(spec, parse_shape(input) if input is not None else None), spec))
    return 0
