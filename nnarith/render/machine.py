"""Machine-readable reports: JSON (schema nnarith.report/1), CSV and Markdown.

The JSON schema is stable: CI scripts rely on it. It always lists the leaf layers,
whatever --depth says; CSV and Markdown follow --depth.
"""

from __future__ import annotations

import csv
import io
import json
from operator import attrgetter

from nnarith.analysis import receptive
from nnarith.analysis.backward import Backward, ratio_text
from nnarith.analysis.counts import COLUMNS, REPORTED, Counts
from nnarith.analysis.report import DTYPE_BYTES, Report, Row, Totals
from nnarith.render import units
from nnarith.render.lines import (
    NOTES_HEADING,
    Depth,
    args_json,
    args_text,
    flags_and_notes,
    lines,
    memory_text,
    number,
    rf_text,
    stored_note,
)

SCHEMA = "nnarith.report/2"  # 2: "ops" became "other_ops"


_KEYS = tuple(f.json for f in REPORTED)
_VALUES = attrgetter(*(f.name for f in REPORTED))  # one call per row, for 10,000 rows


def counts_json(counts: Counts) -> dict[str, int]:
    """The reported figures by JSON key, in the order of Counts."""
    return dict(zip(_KEYS, _VALUES(counts)))


def totals_json(t: Totals) -> dict[str, int]:
    return {**counts_json(t.counts), "activations": t.activations, "memory_bytes": t.memory_bytes}


def stored_json(report: Report, t: Totals) -> dict[str, int]:
    """The parameters' and buffers' bytes in the report's dtype, stored once whatever the batch."""
    return {"params_bytes": report.stored_bytes(t.params), "buffers_bytes": report.stored_bytes(t.buffers)}


def backward_json(b: Backward) -> dict[str, int]:
    return {"dx_macs": b.dx, "dw_macs": b.dw, "macs": b.macs, "trainable_params": b.trainable}


def layer_json(report: Report, r: Row) -> dict:
    extra = {"backward": backward_json(r.backward)} if report.training else {}
    return {
        "name": r.name,
        "kind": r.kind,
        "path": list(r.path),
        "output": list(r.shape.dims),
        **counts_json(r.counts),
        "activations": r.activations,
        "memory_bytes": report.memory_bytes(r),
        "in_place": r.in_place,
        "rf": receptive.describe(r.rf),
        "warnings": [*r.warnings, *r.notes],
        **extra,
    }


def report_json(report: Report) -> dict:
    return {
        "schema": SCHEMA,
        "name": report.name,
        "source": report.source,
        **args_json(report),
        "input": list(report.input.dims),
        "output": list(report.output.dims),
        "depth": report.depth,
        "batch": report.batch,
        "dtype": report.dtype,
        "bytes_per_element": DTYPE_BYTES[report.dtype],
        "input_memory_bytes": report.input_bytes,
        "layers": [layer_json(report, r) for r in report.rows],
        "totals": totals_json(report.totals) | stored_json(report, report.totals)
        | (training_json(report) if report.training else {}),
        "training_only": {
            "layers": [layer_json(report, r) for r in report.aux_rows],
            "totals": totals_json(report.aux_totals) | stored_json(report, report.aux_totals),
        },
    }


def training_json(report: Report) -> dict:
    """shape --training's totals: the backward MACs and the training step's, as a multiple of the forward's."""
    b, forward = report.backward, report.totals.macs
    step = forward + b.macs
    return {"backward": backward_json(b), "step_macs": step,
            "step_over_forward": round(step / forward, 6) if forward else None}


def render_json(report: Report) -> str:
    """Pretty enough to read, fast enough for 10,000 layers: one layer per line."""
    doc = report_json(report)

    def layers(items: list[dict], indent: str) -> str:
        if not items:
            return "[]"
        inner = f",\n{indent} ".join(json.dumps(x) for x in items)
        return f"[\n{indent} {inner}\n{indent}]"

    parts = []
    for key, value in doc.items():
        if key == "layers":
            text = layers(value, " ")
        elif key == "training_only":
            text = (f'{{"layers": {layers(value["layers"], "  ")},\n  "totals": '
                    f'{json.dumps(value["totals"])}}}')
        else:
            text = json.dumps(value)
        parts.append(f" {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


CSV_HEAD = ["name", "kind", "output", *_KEYS, "activations", "memory_bytes", "in_place",
            "rf_size", "rf_stride", "rf_padding", "warnings"]


def render_csv(report: Report, depth: Depth = None) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEAD)
    w.writerow(["input", "input", units.shape(report.input.dims), *counts_json(Counts()).values(),
                report.input.numel, report.input_bytes, False, "", "", "", ""])
    for name, rows in (("", report.rows), ("training_only.", report.aux_rows)):
        for line in lines(rows, depth):
            rf = receptive.describe(line.rf)
            rf_cells = ["x".join(map(str, rf[k])) for k in ("size", "stride", "padding")] \
                if isinstance(rf, dict) else [rf or "whole"] * 3
            w.writerow([name + line.name, line.kind, units.shape(line.dims), *counts_json(line.counts).values(),
                        line.activations, line.held * report.scale, line.held == 0, *rf_cells,
                        "; ".join(line.flags + line.notes)])
    t = report.totals
    w.writerow(["total", "total", units.shape(report.output.dims), *totals_json(t).values(), "", "", "", "", ""])
    return buf.getvalue()


def render_markdown(report: Report, *, exact: bool = False, depth: Depth = None,
                    explain: bool = False) -> str:
    def row(*cells: str) -> str:
        return "|" + "".join(f" {c} |" if c else " |" for c in cells)

    def figures(counts: Counts, bold: str = "") -> list[str]:
        return [f"{bold}{number(f.of(counts), exact)}{bold}" for f in COLUMNS]

    labels = [f.label for f in COLUMNS]
    out = [f"### {report.name}", "",
           f"Input {units.input_shape(report.input)}, batch {report.batch}, {report.dtype}.", "",
           *([f"{args[0].upper()}{args[1:]}.", ""] if (args := args_text(report)) else []),
           row("layer", "kind", "output", *labels, f"memory{' (bytes)' if exact else ''}", "RF"),
           "|---|---|---|" + "--:|" * (len(labels) + 2),
           row("input", "", units.shape(report.input.dims), *[""] * len(labels),
               units.exact(report.input_bytes) if exact else units.si_bytes(report.input_bytes), "")]
    for line in lines(report.rows, depth):
        flag = (" ⚑" if line.flags else "") + (" ~" if line.notes else "")
        out.append(row(line.name + flag, line.kind, units.shape(line.dims), *figures(line.counts),
                       memory_text(line, report, exact), rf_text(line.rf)))
    t = report.totals
    mem = units.exact(t.memory_bytes) if exact else units.si_bytes(t.memory_bytes)
    out.append(row("**total**", "", units.shape(report.output.dims), *figures(t.counts, "**"), f"**{mem}**", ""))
    sizes = [form.removeprefix("= ") for form in units.byte_forms(t.memory_bytes)[1:]]
    out += ["", f"- params: {t.params:,} ({units.counted(t.weights, 'weight')} + "
            f"{units.counted(t.biases, 'bias', 'biases')}); buffers: {t.buffers:,}",
            f"- MACs: {t.macs:,}; FLOPs = 2 x MACs = {t.flops:,}; other ops: {t.other_ops:,}",
            f"- memory: {units.counted(t.activations, 'element')} per image = {units.counted(t.memory_bytes, 'byte')}"
            + (f" ({', '.join(sizes)})" if sizes else ""),
            f"- params memory: {units.counted(report.stored_bytes(t.params), 'byte')} ({stored_note(report)})",
            f"- depth: {report.depth} (layers with weights on the longest path, as papers count them)"]
    if report.training:
        b = report.backward
        step = t.macs + b.macs
        out += [f"- backward: {b.macs:,} MACs = dX {b.dx:,} + dW {b.dw:,}; trainable params: {b.trainable:,}",
                f"- training step: {step:,} MACs = {ratio_text(t.macs, step)}"]
    if report.aux_rows:
        a = report.aux_totals
        out.append(f"- training-only heads: {a.params:,} params, {a.macs:,} MACs (not in the totals)")
    flags, notes = flags_and_notes(report)
    if flags:
        out += ["", "⚑ sizes that do not divide (PyTorch rounds down, or up in ceil mode):",
                *(f"- `{f}`" for f in flags)]
    if notes:
        out += ["", f"~ {NOTES_HEADING}:", *(f"- `{n}`" for n in notes)]
    if explain:
        from nnarith.render.explain import explain_markdown

        out += ["", *explain_markdown(report)]
    return "\n".join(out) + "\n"
