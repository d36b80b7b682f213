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
from nnarith.render.units import byte_forms as sized
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


def render_text(result: Result, width: int, paint: Painter = plain, depth: int | str = "all") -> str:
    """`depth`: the per-layer table's (render/tree.py's default_depth fits a screen)."""
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
            ("optimizer", [*sized(tr.optimizer_bytes),
                           *f"({tr.optimizer}: {states} x trainable params, {weights})".split()]),
            ("saved", [*sized(tr.saved_bytes), *"(kept for backward, each storage once)".split()]),
            ("forward", [*sized(tr.forward_peak_bytes), "at", "most,", "at", tr.forward_peak_layer or "the input"]),
            ("peak", [*sized(tr.peak_bytes), "during", tr.peak_phase + ",", "at", tr.peak_layer]),
        ]
        out += _section(f"Training, one step with {tr.optimizer}", entries, width, paint)
    if result.fits is not None:
        out += _fits(result, width, paint)
    if tr is not None:
        out += _layers(tr, depth, width, paint)
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


def _layers(tr: Training, depth: int | str, width: int, paint: Painter) -> list[str]:
    """What each layer keeps, in execution order. A block nested deeper than `depth` is one line, its layers'
    bytes summed; the others are listed under the block that holds them, so no name is clipped."""
    # (the block above, the name under it, bytes, what it keeps, how many layers a folded block holds: 0 for a layer)
    lines: list[tuple[tuple[str, ...], str, int, str, int]] = []
    for s in tr.layers:
        parts = tuple(s.name.split("."))
        if depth != "all" and len(parts) > depth:
            block = parts[:depth]
            if lines and lines[-1][4] and lines[-1][0] + (lines[-1][1],) == block:
                above, name, total, _, count = lines[-1]
                lines[-1] = (above, name, total + s.bytes, "", count + 1)
            else:
                lines.append((block[:-1], block[-1], s.bytes, "", 1))
        elif s.what:
            lines.append((parts[:-1], parts[-1], s.bytes, s.what, 0))
    folded = any(count for *_, count in lines)
    title = ("Saved for backward, per layer" + (f" and per block at depth {depth} (--depth all lists every layer)"
                                                if folded else "") + "; a buffer kept by several counts at the first")
    out = ["", *_heading(title, width, paint)]
    name_width = min(max((len(name) + 2 * bool(above) for above, name, *_ in lines), default=5), max(width // 3, 12))
    out.append(paint(f"  {'layer':<{name_width}}  {'bytes':>10}  kept", "heading"))
    shown: tuple[str, ...] = ()
    for above, name, total, what, count in lines:
        if above and above != shown:
            out += wrap([visible(".".join(above))], width, "  ", "  ")
        shown = above
        label = clip_middle(visible("  " * bool(above) + name), name_width)
        lead = f"  {label:<{name_width}}  {units.si_bytes(total):>10}  "
        kept = f"{count} layers" if count else what
        out += wrap(kept.split(" "), width, lead, " " * len(lead))
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
