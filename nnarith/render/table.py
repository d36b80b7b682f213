"""The terminal table: a row per layer, a totals row, and the definitions of the totals.

Written by hand rather than with rich.Table, which takes about 0.8 s for 1,000 rows.
"""

from __future__ import annotations

from nnarith.analysis.counts import COLUMNS
from nnarith.analysis.report import DTYPE_BYTES, Report, Totals
from nnarith.render import units
from nnarith.render.lines import NOTES_HEADING, Line, flags_and_notes, lines, memory_text, number, rf_text
from nnarith.render.style import Painter, plain

HEAD = ("layer", "kind", "output", *(f.label for f in COLUMNS), "memory", "RF", "flags")
MEMORY = HEAD.index("memory")
RIGHT = set(range(3, MEMORY + 2))  # the figures, memory and RF


def render_table(report: Report, *, exact: bool = False, depth: int | str | None = None,
                 explain: bool = False, width: int | None = None, paint: Painter = plain) -> str:
    out = [_title(report), ""]
    out += _grid(report, lines(report.rows, depth), report.totals, exact, with_input=True)
    out += ["", *_summary(report, report.totals, "Totals (inference)")]
    if report.aux_rows:
        out += ["", "Training-only heads (left out of the totals above)", ""]
        out += _grid(report, lines(report.aux_rows, depth), report.aux_totals, exact, with_input=False)
        out += ["", *_summary(report, report.aux_totals, "Training-only totals")]
    flags, notes = flags_and_notes(report)
    if flags:
        out += ["", "Flags: sizes that do not divide (PyTorch rounds them down, or up in ceil mode; --strict makes "
                "them errors)"]
        out += [f"  !{i} {f}" for i, f in enumerate(flags, 1)]
    if notes:
        out += ["", f"Notes: {NOTES_HEADING}"]
        out += [f"  ~{i} {n}" for i, n in enumerate(notes, 1)]
    if explain:
        from nnarith.render.explain import explain_text

        out += ["", *explain_text(report)]
    return "\n".join(out) + "\n"


def _title(report: Report) -> str:
    src = f"\n{report.source}" if report.source else ""
    return (f"{report.name}{src}\ninput {units.shape(report.input.dims)}, batch {report.batch}, "
            f"{report.dtype} ({DTYPE_BYTES[report.dtype]} bytes per element)")


def _both(n: int) -> str:
    """'15,470,264,320 = 15.47 G', or just '400' where the two agree."""
    short = units.count(n)
    return f"{n:,}" if short == str(n) else f"{n:,} = {short}"


def _grid(report: Report, rows: list[Line], totals: Totals, exact: bool, with_input: bool) -> list[str]:
    body = []
    if with_input:
        dims = report.input.dims
        mem = report.input_bytes
        body.append(["input", "", units.shape(dims), *[""] * len(COLUMNS),
                     units.exact(mem) if exact else units.si_bytes(mem), "1/1" if report.input.rank else "whole", ""])
    n = m = 0
    for line in rows:
        marks = []
        for _ in line.flags:
            n += 1
            marks.append(f"!{n}")
        for _ in line.notes:
            m += 1
            marks.append(f"~{m}")
        body.append([line.name, line.kind, units.shape(line.dims), *(number(f.of(line.counts), exact) for f in COLUMNS),
                     memory_text(line, report, exact), rf_text(line.rf), " ".join(marks)])
    mem = totals.memory_bytes
    total = ["total", "", "", *(number(f.of(totals.counts), exact) for f in COLUMNS),
             units.exact(mem) if exact else units.si_bytes(mem), "", ""]
    head = (*HEAD[:MEMORY], "memory (bytes)", *HEAD[MEMORY + 1:]) if exact else HEAD  # human units carry their own
    widths = [max(map(len, column)) for column in zip(head, *body, total)]
    pads = [str.rjust if i in RIGHT else str.ljust for i in range(len(HEAD))]

    def fmt(cells) -> str:
        return "  ".join([pad(c, w) for pad, c, w in zip(pads, cells, widths)]).rstrip()

    rule = "  ".join("─" * w for w in widths)
    return [fmt(head), rule, *(fmt(r) for r in body), rule, fmt(total)]


def _summary(report: Report, t: Totals, title: str) -> list[str]:
    mem = t.memory_bytes
    lines_ = [
        title,
        f"  params     {t.params:,} = {t.weights:,} weights + {t.biases:,} biases",
        f"  buffers    {t.buffers:,} (non-trainable, as model.buffers() counts)",
        f"  MACs       {_both(t.macs)} (conv, fc and recurrent multiply-accumulates; "
        "bias excluded)",
        f"  FLOPs      {_both(t.flops)} (2 x MACs)",
        f"  other ops  {t.other_ops:,} (bias adds, norms, activations, pooling, adds; not in MACs)",
        f"  memory     {t.activations:,} elements per image"
        + (" (input included)" if title.startswith("Totals") else "")
        + f" = {mem:,} bytes = {units.si_bytes(mem)} = {units.iec_bytes(mem)}"
        f" ({report.dtype}, batch {report.batch})",
    ]
    if title.startswith("Totals"):
        lines_.append(f"  output     {units.shape(report.output.dims)}")
    return lines_
