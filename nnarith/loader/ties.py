"""Ties: a layer that reuses an earlier layer's weight tensor, as GPT-2's lm_head reuses the token
embedding (`fc: {out: 50257, bias: false, tie: wte}`).

Scope: a tie names a layer as the report names its rows, relative to a list that the tying layer is
in: its own list first, then each list around it, outwards to the spec's `layers:`; the nearest match
wins. So `tie: wte` finds a top-level wte from inside any block, a name inside a repeated block finds
that repetition's own layer first, and `tie: h_1.mlp.c_fc` reaches into a block. Layer names are
unique in their list, so each step outwards names one layer at most.

The layer named must come earlier in execution order (the weight is made where it is first used),
and a tie to a layer that is itself tied resolves to the layer that owns the tensor: each tie's field
is replaced by that owner's full name, which the counts (layers/linear.py), the walk's shape check
(analysis/walk.py) and the torch builder read.
"""

from __future__ import annotations

from nnarith.errors import SpecError, did_you_mean
from nnarith.loader.nodes import Leaf, Seq, named_leaves

Path = tuple[str, ...]


def resolve_ties(body: Seq) -> list[SpecError]:
    """Resolve every `tie:` of the network in place; the errors of those that name no earlier layer."""
    everything = list(named_leaves(body))
    later = {path for path, _ in everything}
    seen: dict[Path, Leaf] = {}
    owners: dict[Path, Path] = {}  # a tied layer's path: the path of the layer that owns its weight
    errors = []
    for path, leaf in everything:
        later.discard(path)
        tie = leaf.layer.args.get("tie")
        if tie is not None:
            try:
                target = _find(tie, path, seen, later)
            except SpecError as e:
                e.loc, e.layer = leaf.layer.locs.get("tie", leaf.loc), ".".join(path)
                errors.append(e)
            else:
                owners[path] = owners.get(target, target)
                leaf.layer.args["tie"] = leaf.layer.tie = ".".join(owners[path])
        seen[path] = leaf
    return errors


def _find(tie: str, path: Path, seen: dict[Path, Leaf], later: set[Path]) -> Path:
    wanted = tuple(tie.split("."))
    ahead = None
    for depth in range(len(path) - 1, -1, -1):  # the layer's own list, then each list around it
        candidate = path[:depth] + wanted
        if candidate in seen:
            return candidate
        ahead = ahead or (candidate if candidate in later else None)
    if ahead is not None:
        raise SpecError(f"tie '{tie}' names the layer {'.'.join(ahead)}, which comes after this one",
                        hint="a tie reuses the weight of an earlier layer: tie the later of the two to the earlier")
    if wanted == path[-len(wanted):]:
        raise SpecError(f"tie '{tie}' names this layer itself", hint="name the earlier layer whose weight it reuses")
    names = {".".join(p) for p in seen} | {p[-1] for p in seen}
    listed = f" ({', '.join('.'.join(p) for p in seen)})" if len(seen) <= 6 else ""
    raise SpecError(f"tie '{tie}' names no earlier layer", hint=did_you_mean(tie, names) or
                    f"a tie names an earlier layer{listed} by its name or its dotted path, as the report's rows "
                    "are named")
