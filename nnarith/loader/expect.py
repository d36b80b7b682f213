"""`expect:` in a spec: the figures a document states, kept next to the network.

    - conv: {name: conv1, out: 96, kernel: 11, stride: 4, expect: {output: 55x55x96, params: 34944}}
    expect: {params: 60.97M, memory: 5.65 MB}      # at the top level: the totals

Keys are figure names (below); values are written as in documents (`"34,944"`, `3.2M`,
`(11*11*3)*96 = 34,848`, `55x55x96`) and read by `nnarith check`, which compares them.
Here only the keys are validated, where they were written, so that a misspelt figure is
an error of the spec itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nnarith.analysis.counts import REPORTED
from nnarith.errors import Loc, SpecError, did_you_mean
from nnarith.loader.yaml_loader import YMap

# Canonical figure names, with what each means: one place for specs, answers files and documents.
# The counts are Counts' reported figures (analysis/counts.py), so a new one is nameable here too.
FIGURES = {
    "output": "the output shape, in any written order (96x55x55, 55x55x96, [1, 96, 55, 55])",
    **{f.name: f"{f.label}, in {f.unit}" for f in REPORTED},
    "memory": "output memory: elements, or bytes when written with a unit (290K, 1.16 MB)",
    "activations": "output elements",
    "rf": "receptive field size (or size/stride, as 11/4)",
    "rf_stride": "receptive field stride (jump)",
    "rf_padding": "receptive field padding",
    "depth": "layers with weights on the longest path, as papers count depth (VGG-16: 16)",
}
ALIASES = {"shape": "output", "size": "output", "volume": "output", "parameters": "params",
           "receptive_field": "rf", "ops": "macs", "mult_adds": "macs", "multiply_adds": "macs"}
# "ops" means multiply-adds, as papers use it (GoogLeNet's table); nnarith's own is other_ops.
NOT_TOTALS = ("rf", "rf_stride", "rf_padding")  # per-layer only


def unknown_hint(key: Any, choices: list[str]) -> str:
    """Did-you-mean, or the comma pitfall: in `{params: 34,944}` YAML reads a key '944'."""
    if isinstance(key, int) or (isinstance(key, str) and key.strip().isdigit()):
        return ("in a {...} mapping a comma separates entries, so '1,792' splits in two: quote the "
                "number ('1,792') or write it without separators")
    return did_you_mean(key, choices) or "figures: " + ", ".join(FIGURES)


def figure_name(key: Any) -> str | None:
    """The canonical figure a key names, or None."""
    if not isinstance(key, str):
        return None
    key = key.strip().lower().replace(" ", "_")
    return key if key in FIGURES else ALIASES.get(key)


def read_expect(raw: Any, loc: Loc, *, totals: bool = False,
                resolve: Callable[[Any, Loc], tuple[Any, Loc]] | None = None) -> YMap:
    """Validate an `expect:` mapping: canonical keys, values kept with their locations."""
    where = "the top-level expect:" if totals else "expect:"
    if not isinstance(raw, YMap) or not raw:
        raise SpecError(f"{where} must map figure names to values", loc,
                        hint="for example expect: {output: 64x56x56, params: 36928}")
    out = YMap()
    out.loc, out.key_locs, out.value_locs = raw.loc, {}, {}
    for key, value in raw.items():
        kloc = raw.key_locs.get(key, loc)
        name = figure_name(key)
        if name is None or (totals and name in NOT_TOTALS):
            known = [k for k in (*FIGURES, *ALIASES) if not (totals and k in NOT_TOTALS)]
            hint = unknown_hint(key, known)
            if totals and name in NOT_TOTALS:
                hint = "a receptive field belongs to a layer: put it in that layer's expect:"
            raise SpecError(f"unknown figure '{key}' in {where}", kloc, hint=hint)
        if name in out:
            raise SpecError(f"'{key}' repeats the figure '{name}' in {where}", kloc)
        vloc = raw.loc_of(key)
        if resolve is not None:
            value, vloc = resolve(value, vloc)
        if isinstance(value, (dict, bool)) or value is None:
            raise SpecError(f"expected {name} must be a number, a shape or text such as '3.2M', "
                            f"got {value!r}", vloc)
        out[name] = value
        out.key_locs[name], out.value_locs[name] = kloc, vloc
    return out
