"""Machine-readable reports: JSON (schema nnarith.report/1), CSV and Markdown.

The JSON schema is stable: CI scripts rely on it. It always lists the leaf layers,
whatever --depth says; CSV and Markdown follow --depth.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict

from nnarith.analysis import receptive
from nnarith.analysis.report import DTYPE_BYTES, Report, Row
from nnarith.render import units
from nnarith.render.lines import lines, memory_text, number, rf_text

SCHEMA = "nnarith.report/2"  # 2: "ops" became "other_ops"


def layer_json(report: Report, r: Row) -> dict:
    return {
        "name": r.name,
        "kind": r.kind,
        "path": list(r.path),
        "output": list(r.shape.dims),
        "params": r.params,
        "weights": r.weights,
        "biases": r.biases,
        "buffers": r.buffers,
        "macs": r.macs,
        "flops": 2 * r.macs,
        "other_ops": r.other_ops,
        "activations": r.activations,
        "memory_bytes": report.memory_bytes(r),
        "in_place": r.in_place,
        "rf": receptive.describe(r.rf),
        "warnings": list(r.warnings),
    }


def report_json(report: Report) -> dict:
    return {
        "schema": SCHEMA,
        "name": report.name,
        "source": report.source,
        "input": list(report.input.dims),
        "output": list(report.output.dims),
        "batch": report.batch,
        "dtype": report.dtype,
        "bytes_per_element": DTYPE_BYTES[report.dtype],
        "input_memory_bytes": report.input_bytes,
        "layers": [layer_json(report, r) for r in report.rows],
        "totals": asdict(report.totals),
        "training_only": {
            "layers": [layer_json(report, r) for r in report.aux_rows],
            "totals": asdict(report.aux_totals),
        },
    }


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


CSV_HEAD = ["name", "kind", "output", "params", "weights", "biases", "buffers", "macs", "flops", "other_ops",
            "activations", "memory_bytes", "in_place", "rf_size", "rf_stride", "rf_padding", "warnings"]


def render_csv(report: Report, depth: int | None = None) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEAD)
    w.writerow(["input", "input", units.shape(report.input.dims), 0, 0, 0, 0, 0, 0, 0,
                report.input.numel, report.input_bytes, False, "", "", "", ""])
    for name, rows in (("", report.rows), ("training_only.", report.aux_rows)):
        for line in lines(rows, depth):
            rf = receptive.describe(line.rf)
            rf_cells = ["x".join(map(str, rf[k])) for k in ("size", "stride", "padding")] \
                if isinstance(rf, dict) else [rf or "whole"] * 3
            w.writerow([name + line.name, line.kind, units.shape(line.dims), line.params, line.weights,
                        line.biases, line.buffers, line.macs, 2 * line.macs, line.other_ops, line.activations,
                        line.held * report.scale, line.held == 0, *rf_cells, "; ".join(line.flags)])
    t = report.totals
    w.writerow(["total", "total", units.shape(report.output.dims), t.params, t.weights, t.biases, t.buffers,
                t.macs, t.flops, t.other_ops, t.activations, t.memory_bytes, "", "", "", "", ""])
    return buf.getvalue()


def render_markdown(report: Report, *, exact: bool = False, depth: int | None = None,
                    explain: bool = False) -> str:
    head = f"| layer | kind | output | params | MACs | memory{' (bytes)' if exact else ''} | RF |"
    out = [f"### {report.name}", "",
           f"Input {units.shape(report.input.dims)}, batch {report.batch}, {report.dtype}.", "",
           head, "|---|---|---|--:|--:|--:|--:|",
           f"| input | | {units.shape(report.input.dims)} | | | "
           f"{units.exact(report.input_bytes) if exact else units.si_bytes(report.input_bytes)} | |"]
    for line in lines(report.rows, depth):
        flag = " ⚑" if line.flags else ""
        out.append(f"| {line.name}{flag} | {line.kind} | {units.shape(line.dims)} | {number(line.params, exact)} "
                   f"| {number(line.macs, exact)} | {memory_text(line, report, exact)} | {rf_text(line.rf)} |")
    t = report.totals
    mem = units.exact(t.memory_bytes) if exact else units.si_bytes(t.memory_bytes)
    out.append(f"| **total** | | {units.shape(report.output.dims)} | **{number(t.params, exact)}** "
               f"| **{number(t.macs, exact)}** | **{mem}** | |")
    out += ["", f"- params: {t.params:,} ({t.weights:,} weights + {t.biases:,} biases); buffers: {t.buffers:,}",
            f"- MACs: {t.macs:,}; FLOPs = 2 x MACs = {t.flops:,}; other ops: {t.other_ops:,}",
            f"- memory: {t.activations:,} elements per image = {t.memory_bytes:,} bytes "
            f"({units.si_bytes(t.memory_bytes)}, {units.iec_bytes(t.memory_bytes)})"]
    if report.aux_rows:
        a = report.aux_totals
        out.append(f"- training-only heads: {a.params:,} params, {a.macs:,} MACs (not in the totals)")
    flags = [f"{row.name}: {w}" for row, w in report.warnings]
    if flags:
        out += ["", "⚑ sizes that do not divide (PyTorch rounds them down, or up in ceil mode):",
                *(f"- `{f}`" for f in flags)]
    if explain:
        from nnarith.render.explain import explain_markdown

        out += ["", *explain_markdown(report)]
    return "\n".join(out) + "\n"
