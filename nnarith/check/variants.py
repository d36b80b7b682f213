"""The network analysed a second time under another convention: every pooling layer rounding the
other way (floor vs ceil), for figures written as Caffe or a paper rounds them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from nnarith.check.truth import COUNTS, POOLS, Target, Truths
from nnarith.loader.nodes import Leaf, Network, leaves, map_leaves


def rounded_otherwise(truths: Truths, target: Target, figure: str) -> list[tuple[Any, str, str]]:
    """The figure's values with pooling rounding the other way (asked only when the others fail)."""
    if target.kind == "input" or figure not in ("output", *COUNTS, "memory", "activations"):
        return []
    if truths.variant is False:
        truths.variant = pooling_variant(truths)
    variant = truths.variant
    twin = _twin(variant, target) if variant else None
    other = variant.truth(twin, figure) if twin else None
    if other is None:
        return []
    return [(other.value, variant.convention, other.derivation),
            *((v, f"{variant.convention}; {c}", d) for v, c, d in other.others)]


def _twin(variant: Truths, target: Target) -> Target | None:
    """The same target in the variant analysis, where it was analysed in full."""
    if target.kind == "input" or (target.kind == "total" and variant.complete):
        return target
    found = variant.named(target.name)
    twin = next((t for t in found if (t.kind == "block") == (target.kind == "block")), None)
    if twin is None or (not variant.complete and twin.rows[-1].name != target.rows[-1].name):
        return None  # the variant stopped inside this block
    return twin


def pooling_variant(truths: Truths) -> Truths | None:
    """The network with its pooling rounding the other way, analysed as far as it still fits; None without pooling."""
    net = truths.net
    pools = [leaf.layer for leaf in leaves(net.body) if leaf.layer.kind in POOLS] if net else []
    if not pools:
        return None
    from nnarith.analysis.walk import analyze_prefix

    report, complete = analyze_prefix(_flip_pools(net), batch=truths.report.batch, dtype=truths.report.dtype)
    variant = Truths(report)
    variant.complete = complete
    variant.convention = (
        "floor vs ceil, pooling rounding up (ceil mode, as Caffe)"
        if not any(p.ceil for p in pools)
        else "floor vs ceil, pooling rounding down (PyTorch's default)"
        if all(p.ceil for p in pools) else "floor vs ceil, every pooling layer rounding the other way")
    return variant


def _flip_pools(net: Network) -> Network:
    def flip(leaf: Leaf) -> Leaf:
        layer = leaf.layer
        if layer.kind in POOLS:
            layer = type(layer)({**layer.args, "ceil": not layer.ceil}, layer.locs, layer.loc, layer.name)
        return replace(leaf, layer=layer)

    return replace(net, body=map_leaves(net.body, flip))
