"""`nnarith verify`, `bench` and `export`: the spec as a real PyTorch model (needs nnarith[torch])."""

from __future__ import annotations

import argparse
import json

from nnarith.cli.common import command, parse_shape, positive, write
from nnarith.errors import UsageError
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


def add(subparsers) -> None:
    p = command(subparsers, "verify", VERIFY_DOC, VERIFY_EXAMPLES)
    p.add_argument("specs", nargs="+", metavar="SPEC", help="spec files or shipped spec names")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where to run the model")
    p.add_argument("--batch", "-b", type=positive, default=2, help="images in the test batch")
    p.add_argument("--input", "-i", help="input shape, overriding the spec's, e.g. 3x32x32")
    p.add_argument("--format", "-f", choices=("table", "json"), default="table", help="output format")
    p.add_argument("--all", action="store_true", help="list every per-layer check, not a summary")
    p.add_argument("--against", metavar="MODULE:FACTORY",
                   help="compare with a model factory instead, e.g. torchvision.models:resnet50")
    p.set_defaults(run=verify)
    p = command(subparsers, "bench", BENCH_DOC, BENCH_EXAMPLES)
    p.add_argument("spec", help="a spec file or a shipped spec name")
    p.add_argument("--device", choices=("auto", "cuda", "cpu"), default="auto", help="auto: CUDA if available")
    p.add_argument("--batch", "-b", default="1,8,64", help="batch sizes, comma-separated")
    p.add_argument("--dtype", default="fp32", help="fp32, bf16, fp16, comma-separated")
    p.add_argument("--mode", default="inference", help="inference, training, or both comma-separated")
    p.add_argument("--format", "-f", choices=("table", "json"), default="table", help="output format")
    p.set_defaults(run=bench)
    p = command(subparsers, "export", EXPORT_DOC, EXPORT_EXAMPLES)
    p.add_argument("spec", help="a spec file or a shipped spec name")
    p.add_argument("--torch", action="store_true", required=True, help="write PyTorch source (the only target)")
    p.add_argument("--input", "-i", help="input shape, overriding the spec's")
    p.set_defaults(run=export)


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


def verify(args: argparse.Namespace) -> int:
    from nnarith.torch import require

    require("torch", "fvcore")
    from nnarith.loader import load_spec
    from nnarith.torch.render import render_verification

    shape = parse_shape(args.input) if args.input is not None else None
    if args.against:
        if len(args.specs) != 1:
            raise UsageError("--against compares one spec with one model; give one SPEC")
        from nnarith.torch.against import against

        results = [against(load_spec(args.specs[0], shape), args.against, args.device, args.batch)]
    else:
        from nnarith.torch.verify import checked
        from nnarith.torch.verify import verify as run

        nets = [load_spec(s, shape) for s in args.specs]  # every spec is read before any model runs,
        for net in nets:  # and checked to fit, so that no result is lost to a later refusal
            checked(net, args.device, args.batch)
        results = [run(net, args.device, args.batch) for net in nets]
    if args.format == "json":
        docs = [r.json() for r in results]
        write(json.dumps(docs[0] if len(docs) == 1 else docs, indent=1) + "\n")
    else:
        write("\n".join(render_verification(r, args.all) for r in results))
    return 0 if all(r.passed for r in results) else 1


def bench(args: argparse.Namespace) -> int:
    from nnarith.torch import require

    require("torch")
    batches = _items(args.batch, None, "batch")
    dtypes = _items(args.dtype, ("fp32", "bf16", "fp16"), "dtype")
    modes = _items(args.mode, ("inference", "training"), "mode")
    from rich.console import Console
    from rich.progress import Progress

    from nnarith.loader import load_spec
    from nnarith.torch.bench import bench as run
    from nnarith.torch.render import render_benchmark

    net = load_spec(args.spec)
    console = Console(stderr=True)
    # Only on a terminal: elsewhere rich leaves an empty line on stderr, before an error too.
    with Progress(console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("calibrating the peak", total=len(batches) * len(dtypes) * len(modes))

        def step(label: str, done: int) -> None:
            progress.update(task, description=label, completed=done)

        result = run(net, args.device, batches, dtypes, modes, on_step=step)
    write(json.dumps(result.json(), indent=1) + "\n" if args.format == "json" else render_benchmark(result))
    return 0


def export(args: argparse.Namespace) -> int:
    from nnarith.torch import require

    require("torch")
    from nnarith.loader import load_spec
    from nnarith.torch.export import export as source

    write(source(load_spec(args.spec, parse_shape(args.input) if args.input is not None else None), args.spec))
    return 0
