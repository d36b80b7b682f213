"""--explain: every layer's figures with their arithmetic, numbers filled in.

    conv2_1 (conv)
        output           128x112x112: (112 + 2*1 - 3)/1 + 1 = 112
        params           128 x (3*3*64 + 1) = 73,856
        MACs             112*112*128 x 3*3*64 = 924,844,032
        memory           128*112*112 = 1,605,632 elements x 4 bytes = 6,422,528 bytes
        receptive field  r = 10 + (3-1)*2 = 14

The arithmetic is each layer's own (its `work`, filled in where the figure is computed),
so what is shown is what was counted.
"""

from __future__ import annotations

from nnarith.analysis.report import DTYPE_BYTES, Report, Row
from nnarith.layers.base import INPLACE
from nnarith.render import units
from nnarith.render.fit import wrap

TITLE = "Working: each figure's arithmetic, numbers filled in"


def _memory(report: Report, row: Row) -> str:
    if row.in_place:
        what = ("writes into a branch's output" if row.into is not None else "writes into its input") \
            if row.storage == INPLACE else "a view of its input"
        return f"{what}: allocates nothing"
    dims = row.shape.dims
    count = units.counted(row.activations, "element")
    if len(dims) > 1:
        count = f"{'*'.join(map(str, dims))} = {count}"
    batch = f" x {report.batch} images" if report.batch > 1 else ""
    text = (f"{count} x {units.counted(DTYPE_BYTES[report.dtype], 'byte')}{batch} = "
            f"{units.counted(report.memory_bytes(row), 'byte')}")
    if "storage" in row.work:
        text += f" ({row.work['storage']})"
    return text


def figures(report: Report, row: Row) -> list[tuple[str, str]]:
    """(label, arithmetic) for each figure of a row that has any."""
    work = row.work
    shape = "x".join(map(str, row.shape.dims))
    out = [("output", f"{shape}: {work['output']}" if "output" in work else shape)]
    out += [(label, work[key]) for key, label in (("params", "params"), ("buffers", "buffers"),
                                                  ("macs", "MACs")) if key in work]
    out.append(("memory", _memory(report, row)))
    if "rf" in work:
        out.append(("receptive field", work["rf"]))
    if report.training:
        out.append(("backward MACs", work.get("backward", "dX 0; dW 0")))
    return out


def explain_text(report: Report, width: int | None = None) -> list[str]:
    """The working of every layer; a line longer than `width` folds under its arithmetic."""
    out = [TITLE]
    for title, rows in (("", report.rows), ("Training-only heads", report.aux_rows)):
        if title and rows:
            out += ["", title]
        for row in rows:
            out.append("")
            out.append(f"{row.name} ({row.kind})")
            for label, text in figures(report, row):
                out += wrap(text.split(" "), width, f"    {label:<16} ", " " * 21)
    return out


def explain_markdown(report: Report) -> list[str]:
    out = ["#### Working", "", "Each figure's arithmetic, numbers filled in.", ""]
    for rows in (report.rows, report.aux_rows):
        for row in rows:
            parts = "; ".join(f"{label} `{text}`" for label, text in figures(report, row))
            out.append(f"- **{row.name}** ({row.kind}): {parts}")
    return out
