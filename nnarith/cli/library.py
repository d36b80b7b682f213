"""`nnarith list` (the shipped specs) and `nnarith kinds` (the layer kinds and their fields)."""

from typing import Annotated

import typer

from nnarith.cli.common import write
from nnarith.cli.help import LIBRARY, command

LIST_DOC = "The shipped specs, one line each: name, input, params and MACs."
LIST_EXAMPLES = ["nnarith list"]
KINDS_DOC = "The layer kinds a spec can use, with their fields and defaults."
KINDS_EXAMPLES = ["nnarith kinds", "nnarith kinds conv"]


def add(app: typer.Typer) -> None:
    app.command("list", **command(LIST_DOC, LIST_EXAMPLES, LIBRARY))(list_specs)
    app.command("kinds", **command(KINDS_DOC, KINDS_EXAMPLES, LIBRARY))(kinds)


def _complete_kind(incomplete: str) -> list[str]:
    from nnarith.layers import REGISTRY
    from nnarith.layers.merge import MERGES

    return sorted(k for k in {*REGISTRY, *MERGES} if k.startswith(incomplete))


def list_specs() -> int:
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
    from nnarith.render.fit import clip
    from nnarith.render.style import width

    room = width() - sum(widths) - 8  # the network's name is abbreviated to the width
    write("".join(
        f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:>{widths[3]}}  {clip(r[4], room)}\n"
        for r in rows
    ))
    return 0


def kinds(kind: Annotated[str | None, typer.Argument(metavar="[KIND]", help="show this kind only",
                                                     autocompletion=_complete_kind, show_default=False)] = None
          ) -> int:
    from nnarith.errors import SpecError
    from nnarith.layers import REGISTRY
    from nnarith.layers.fields import REQUIRED
    from nnarith.layers.merge import MERGES
    from nnarith.layers.names import kind_hint
    from nnarith.loader.expand import COMMON, CONTAINERS

    classes = sorted({cls.kind: cls for cls in REGISTRY.values()}.items())
    merges = list(MERGES.values())
    if kind is not None:
        if kind not in REGISTRY and kind not in MERGES:
            raise SpecError(f"unknown layer kind '{kind}'",
                            hint=kind_hint(kind, [*REGISTRY, *MERGES]) or "'nnarith kinds' lists them all")
        classes = [(REGISTRY[kind].kind, REGISTRY[kind])] if kind in REGISTRY else []
        merges = [MERGES[kind]] if kind in MERGES else []
    from nnarith.render.fit import wrap
    from nnarith.render.style import width

    columns = width()
    out = []
    for name, cls in classes:
        alias = f" (alias {', '.join(cls.aliases)})" if cls.aliases else ""
        short = f"; shorthand: {cls.shorthand}" if cls.shorthand else ""
        out += wrap(f"{name}{alias}: {cls.help}{short}".split(" "), columns, "", "  ")
        for field, spec in cls.fields.items():
            default = "required" if spec.default is REQUIRED else f"default {spec.default!r}"
            out += wrap(f"{spec.doc} ({default})".split(" "), columns, f"    {field:<15} ", " " * 20)
    out += [line for m in merges for line in wrap(f"{m.op}: {m.help}".split(" "), columns, "", "  ")]
    if kind is None:
        out.append(f"containers: {', '.join(CONTAINERS)}; the merges take a list of branches")
        out.append(f"every layer and block also takes {', '.join(f'{c}:' for c in COMMON)}")
    write("\n".join(out) + "\n")
    return 0
