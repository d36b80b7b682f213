"""`nnarith list` (the shipped specs) and `nnarith kinds` (the layer kinds and their fields)."""

from __future__ import annotations

import argparse

from nnarith.cli.common import command, write


def add(subparsers) -> None:
    p = command(subparsers, "list", "The shipped specs, one line each: name, input, params and MACs.",
                ["nnarith list"])
    p.set_defaults(run=list_specs)
    p = command(subparsers, "kinds", "The layer kinds a spec can use, with their fields and defaults.",
                ["nnarith kinds", "nnarith kinds conv"])
    p.add_argument("kind", nargs="?", help="show this kind only")
    p.set_defaults(run=kinds)


def list_specs(args: argparse.Namespace) -> int:
    from nnarith.analysis.walk import analyze
    from nnarith.loader import load_spec, shipped
    from nnarith.render import units

    rows = []
    for name in shipped():
        report = analyze(load_spec(name))
        t = report.totals
        rows.append((name, units.shape(report.input.dims), f"{units.count(t.params)} params",
                     f"{units.count(t.macs)} MACs", report.name))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    write("".join(
        f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:>{widths[3]}}  {r[4]}\n"
        for r in rows
    ))
    return 0


def kinds(args: argparse.Namespace) -> int:
    from nnarith.errors import SpecError, did_you_mean
    from nnarith.layers import REGISTRY
    from nnarith.layers.fields import REQUIRED
    from nnarith.layers.merge import MERGES
    from nnarith.loader.expand import COMMON, CONTAINERS

    classes = sorted({cls.kind: cls for cls in REGISTRY.values()}.items())
    merges = list(MERGES.values())
    if args.kind is not None:
        if args.kind not in REGISTRY and args.kind not in MERGES:
            raise SpecError(f"unknown layer kind '{args.kind}'",
                            hint=did_you_mean(args.kind, [*REGISTRY, *MERGES]) or "'nnarith kinds' lists them all")
        classes = [(REGISTRY[args.kind].kind, REGISTRY[args.kind])] if args.kind in REGISTRY else []
        merges = [MERGES[args.kind]] if args.kind in MERGES else []
    out = []
    for name, cls in classes:
        alias = f" (alias {', '.join(cls.aliases)})" if cls.aliases else ""
        short = f"; shorthand: {cls.shorthand}" if cls.shorthand else ""
        out.append(f"{name}{alias}: {cls.help}{short}")
        for field, spec in cls.fields.items():
            default = "required" if spec.default is REQUIRED else f"default {spec.default!r}"
            out.append(f"    {field:<15} {spec.doc} ({default})")
    out += [f"{m.op}: {m.help}" for m in merges]
    if args.kind is None:
        out.append(f"containers: {', '.join(CONTAINERS)}; the merges take a list of branches")
        out.append(f"every layer and block also takes {', '.join(f'{c}:' for c in COMMON)}")
    write("\n".join(out) + "\n")
    return 0
