"""`nnarith memory`'s output: the breakdown as text fitted to a width, or JSON (schema nnarith.memory/1)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from nnarith.analysis.liveness import OPTIMIZER_STATES, Inference, Training
from nnarith.analysis.report import Report
from nnarith.render import units
from nnarith.render.fit import clip_middle, wrap
from nnarith.render.lines import args_json, args_text
from nnarith.render.style import Painter, plain
from nnarith.text import visible

SCHEMA = "nnarith.memory/1"
ALLOWANCE = "CUDA context, allocator rounding, cuDNN workspaces: not modelled"


@dataclass(frozen=True)
class Fits:
    budget: int  # bytes
    reserve: int  # the allowance for what the model does not see, taken off the budget
    batch: int  # the largest that fits; 0 if none
    peak_bytes: int  # the peak at that batch (0 if none)
    next_bytes: int  # the peak at one more


@dataclass(frozen=True)
class Result:
    report: Report
    inference: Inference
    training: Training | None
    amp: str | None
    fits: Fits | None


def sized(n: int) -> list[str]:
    """'5,498,420,736 bytes', '= 5.50 GB', '= 5.12 GiB' (the units that say something new)."""
    out = [units.counted(n, "byte")]
    for form in (units.si_bytes(n), units.iec_bytes(n)):
        if form != f"{n} B" and f"= {form}" not in out:
            out.append(f"= {form}")
    return out


def render_text(result: Result, width: int, paint: Painter = plain) -> str:
    r, inf, tr = result.report, result.inference, result.training
    act = r.dtype
    weights = "fp32" if result.amp else r.dtype
    title = (f"{r.name}: memory at batch {r.batch}, input {units.input_shape(r.input)}, activations {act}"
             + (f" ({result.amp} mixed precision, fp32 master weights)" if result.amp else ""))
    out = _heading(visible(title), width, paint)  # painted output is made visible here: the name is the spec's
    if args := args_text(r):
        out += wrap(args.split(" "), width, "", "  ")
    entries = [
        ("weights", [*sized(inf.weights_bytes), *f"({r.totals.params:,} params, {weights})".split()]),
        ("buffers", [*sized(inf.buffers_bytes), *"(non-trainable: running statistics)".split()]),
        ("activations", [*sized(inf.peak_bytes), "at", "most,", "at", inf.peak_layer or "the input"]),
        ("total", [*sized(inf.total_bytes)]),
        ("all outputs", [*sized(inf.outputs_bytes), *"(their sum, as nnarith shape counts them; not a peak)".split()]),
    ]
    out += _section("Inference", entries, width, paint)
    if tr is not None:
        states = OPTIMIZER_STATES[tr.optimizer]
        entries = [
            ("weights", [*sized(tr.weights_bytes), f"({weights})"]),
            ("buffers", sized(tr.buffers_bytes)),
            ("gradients", [*sized(tr.gradients_bytes), *"(one per trainable parameter)".split()]),
            ("optimizer", [*sized(tr.optimizer_bytes), *f"({tr.optimizer}: {states} x params, {weights})".split()]),
            ("saved", [*sized(tr.saved_bytes), *"(kept for backward, each storage once)".split()]),
            ("forward", [*sized(tr.forward_peak_bytes), "at", "most,", "at", tr.forward_peak_layer or "the input"]),
            ("peak", [*sized(tr.peak_bytes), "during", tr.peak_phase + ",", "at", tr.peak_layer]),
        ]
        out += _section(f"Training, one step with {tr.optimizer}", entries, width, paint)
    if result.fits is not None:
        out += _fits(result, width, paint)
    if tr is not None:
        out += _layers(tr, width, paint)
    return "\n".join(out) + "\n"


def _section(title: str, entries: list[tuple[str, list[str]]], width: int, paint: Painter) -> list[str]:
    out = ["", *_heading(title, width, paint)]
    for label, words in entries:
        out += wrap([visible(w) for w in words], width, f"  {label:<12}", " " * 14)
    return out


def _heading(text: str, width: int, paint: Painter) -> list[str]:
    return [paint(line, "heading") for line in wrap(text.split(" "), width)]


def _fits(result: Result, width: int, paint: Painter) -> list[str]:
    f = result.fits
    what = "training peak" if result.training is not None else "inference total"
    entries = [("memory", sized(f.budget)),
               ("reserve", [*sized(f.reserve), *f"({ALLOWANCE}; set it with --reserve)".split()])]
    if f.batch:
        entries.append(("batch", [f"{f.batch:,}", *f"({what}".split(), *sized(f.peak_bytes), "+", "reserve;",
                                  "batch", f"{f.batch + 1:,}", "needs", *sized(f.next_bytes), "+", "reserve)"]))
    else:
        entries.append(("batch", [*f"none: batch 1's {what} is".split(), *sized(f.next_bytes), "+", "reserve"]))
    return _section("Largest batch that fits", entries, width, paint)


def _layers(tr: Training, width: int, paint: Painter) -> list[str]:
    rows = [s for s in tr.layers if s.what]
    name_width = min(max((len(s.name) for s in rows), default=5), max(width // 3, 12))
    out = ["", *_heading("Saved for backward, per layer (a buffer kept by several counts at the first)", width, paint)]
    head = f"  {'layer':<{name_width}}  {'bytes':>10}  kept"
    out.append(paint(head, "heading"))
    for s in rows:
        lead = f"  {clip_middle(visible(s.name), name_width):<{name_width}}  {units.si_bytes(s.bytes):>10}  "
        out += wrap(s.what.split(" "), width, lead, " " * len(lead))
    return out


def render_json(result: Result) -> str:
    r, inf, tr = result.report, result.inference, result.training
    doc = {
        "schema": SCHEMA,
        "name": r.name,
        **args_json(r),
        "batch": r.batch,
        "input": list(r.input.dims),
        "dtype": r.dtype,
        "amp": result.amp,
        "inference": {"weights_bytes": inf.weights_bytes, "buffers_bytes": inf.buffers_bytes,
                      "peak_bytes": inf.peak_bytes, "peak_layer": inf.peak_layer, "total_bytes": inf.total_bytes,
                      "outputs_bytes": inf.outputs_bytes},
        "training": None if tr is None else {
            "optimizer": tr.optimizer, "weights_bytes": tr.weights_bytes, "buffers_bytes": tr.buffers_bytes,
            "gradients_bytes": tr.gradients_bytes, "optimizer_bytes": tr.optimizer_bytes,
            "saved_bytes": tr.saved_bytes, "forward_peak_bytes": tr.forward_peak_bytes,
            "forward_peak_layer": tr.forward_peak_layer, "peak_bytes": tr.peak_bytes, "peak_layer": tr.peak_layer,
            "peak_phase": tr.peak_phase,
            "layers": [{"name": s.name, "kind": s.kind, "saved_bytes": s.bytes, "saved": s.what} for s in tr.layers],
        },
        "fits": None if result.fits is None else {
            "memory_bytes": result.fits.budget, "reserve_bytes": result.fits.reserve, "reserve_covers": ALLOWANCE,
            "batch": result.fits.batch, "peak_bytes": result.fits.peak_bytes,
            "next_batch_peak_bytes": result.fits.next_bytes},
    }
    return json.dumps(doc, indent=2) + "\n"
