"""The top level of a spec: name, source, input, blocks and layers."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from nnarith.errors import Loc, SpecError, SpecErrors, did_you_mean, raise_all
from nnarith.layers import REGISTRY
from nnarith.layers.base import FLAT, IDS, MAP, TOKENS
from nnarith.loader.args import bind, with_sets
from nnarith.loader.expand import COMMON, CONTAINERS, Expander
from nnarith.loader.expect import read_expect
from nnarith.loader.nodes import Network, Seq
from nnarith.loader.scope import NAME_RE, Arg, Block, FatalSpecError, SpecArgs
from nnarith.loader.ties import resolve_ties
from nnarith.loader.yaml_loader import YList, YMap

TOP_KEYS = ("name", "source", "notes", "args", "input", "blocks", "layers", "expect")
BLOCK_KEYS = ("args", "layers", "help")


def parse_network(root: Any, file: str, input_override: tuple[int, ...] | None = None,
                  sets: Mapping[str, int | str] | None = None) -> Network:
    """The network a spec's YAML tree describes; sets: values of its spec arguments (loader/args.py)."""
    try:
        return _network(root, file, input_override, sets or {})
    except (SpecError, SpecErrors) as e:
        if sets:
            with_sets(e, sets)
        raise


def _network(root: Any, file: str, input_override: tuple[int, ...] | None, sets: Mapping[str, int | str]) -> Network:
    start = Loc(file, 1, 1)
    if root is None:
        raise SpecError("the spec is empty", start, hint="a spec needs at least input: and layers:")
    if not isinstance(root, YMap):
        bind(None, start, sets, file)  # --set on a spec that is not one: that names no argument either
        hint = ("put the list under 'layers:' and add 'input: [C, H, W]'" if isinstance(root, list)
                else "write 'input: [C, H, W]' and 'layers: [...]' on lines of their own")
        raise SpecError("a spec must be a mapping with 'input:' and 'layers:'", start, hint=hint)
    errors: list[SpecError] = []
    meant = set()  # keys a misspelling points at: not reported missing as well
    for key in root:
        if key not in TOP_KEYS:
            hint = did_you_mean(key, TOP_KEYS)
            meant.add(hint.split("'")[1] if hint else None)
            errors.append(SpecError(f"unknown top-level key '{root.key_text(key)}'", root.key_locs[key],
                                    hint=hint or "allowed: " + ", ".join(TOP_KEYS)))
    for key in ("input", "layers"):
        if key not in root and key not in meant and not (key == "input" and input_override):
            errors.append(SpecError(f"the spec needs '{key}:'", start, hint=_NEEDS[key]))
    name = _text(root, "name", errors) or os.path.splitext(os.path.basename(file))[0]
    source = _text(root, "source", errors)
    _text(root, "notes", errors)
    shape, layout = input_override, layout_of(input_override or ())
    if "input" in root:
        try:
            parsed, declared = parse_input(root["input"], root.loc_of("input"))
            if shape is None or len(shape) == len(parsed):  # --input resizes; its rank keeps the layout
                shape, layout = shape or parsed, declared
        except SpecError as e:
            errors.append(e)
    spec_args, values = SpecArgs(), {}
    try:
        spec_args, values = bind(root.get("args"), root.loc_of("args"), sets, file)
    except SpecError as e:
        errors.append(e)
        spec_args = None  # the layers would only repeat it, as "not an argument of the spec"
    blocks = {}
    if "blocks" in root:
        try:
            blocks = parse_blocks(root["blocks"], root.loc_of("blocks"))
        except SpecError as e:
            errors.append(e)
            blocks = None  # the layers would only repeat it, as "unknown layer kind"
    body = Seq("", [], start)
    expander = Expander(blocks or {}, spec_args)
    if "layers" in root and blocks is not None and spec_args is not None:
        layers, lloc = root["layers"], root.loc_of("layers")
        if not isinstance(layers, list) or not layers:
            errors.append(SpecError("'layers:' must be a non-empty list of layers", lloc))
        else:
            try:
                body = Seq("", expander.layer_list(layers, lloc, spec_args), lloc)
            except FatalSpecError as e:
                errors.extend(expander.errors)
                errors.append(e)
                raise_all(errors)
    expect = None
    if "expect" in root:
        try:
            expect = read_expect(root["expect"], root.loc_of("expect"), totals=True)
        except SpecError as e:
            errors.append(e)
    raise_all(errors + expander.errors)
    raise_all(resolve_ties(body))  # on a tree that loaded whole: a missing layer would read as a wrong name
    return Network(name, shape, body, file, source, expect, layout, values, tuple(n for n in values if n in sets))


_NEEDS = {
    "input": "give the input shape, channels first: input: [3, 224, 224]",
    "layers": "list the layers: layers: [conv: {out: 64, kernel: 3}, relu]",
}


def _text(root: YMap, key: str, errors: list[SpecError]) -> str | None:
    value = root.get(key)
    if value is not None and not isinstance(value, str):
        errors.append(SpecError(f"'{key}' must be text", root.loc_of(key)))
        return None
    return value


def layout_of(dims: tuple[int, ...]) -> str:
    """The layout a list of sizes means: [F] flat features, else channels first [C, *spatial]."""
    return FLAT if len(dims) == 1 else MAP


# An input given by its axes' names, and the layout each set of names declares
NAMED_INPUTS = {("channels", "size"): MAP, ("tokens", "features"): TOKENS, ("features",): FLAT, ("ids",): IDS}
_NAMED_HINT = ("input: {tokens: 197, features: 768}, {channels: 3, size: [224, 224]}, {features: 784} or "
               "{ids: 128} (token ids, for an embedding)")


def parse_input(value: Any, loc: Loc) -> tuple[tuple[int, ...], str]:
    """The input's sizes and layout, from a list (channels first) or a mapping naming the axes."""
    if isinstance(value, YMap):
        return _named_input(value, loc)
    hint = "channels first: [C, H, W], [C, L], [C, D, H, W], or [F] for flat features"
    if isinstance(value, str) and "x" in value:
        hint = f"write it as a list: [{', '.join(value.split('x'))}]"
    if not isinstance(value, list) or not 1 <= len(value) <= 4:
        raise SpecError("input must be a list of 1 to 4 sizes", loc, hint=hint)
    dims = tuple(_size(v, value.loc_of(i) if isinstance(value, YList) else loc, hint) for i, v in enumerate(value))
    return dims, layout_of(dims)


def _named_input(value: YMap, loc: Loc) -> tuple[tuple[int, ...], str]:
    keys = next((names for names in NAMED_INPUTS if set(names) == set(value)), None)
    layout = NAMED_INPUTS.get(keys)
    if layout is None:
        given = ", ".join(value.key_text(k) for k in value)
        raise SpecError(f"input names its axes as {{{given}}}, which is none of the layouts", loc, hint=_NAMED_HINT)
    if layout != MAP:
        return tuple(_size(value[k], value.loc_of(k), _NAMED_HINT) for k in keys), layout
    size, sloc = value["size"], value.loc_of("size")
    spatial = size if isinstance(size, list) else [size]
    if not 1 <= len(spatial) <= 3:
        raise SpecError(f"size lists {len(spatial)} values; a map has 1 to 3 spatial dimensions", sloc,
                        hint="for example size: [224, 224]")
    locs = [size.loc_of(i) for i in range(len(spatial))] if isinstance(size, YList) else [sloc] * len(spatial)
    channels = _size(value["channels"], value.loc_of("channels"), _NAMED_HINT)
    return (channels, *(_size(v, vloc, _NAMED_HINT) for v, vloc in zip(spatial, locs))), MAP


def _size(v: Any, loc: Loc, hint: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise SpecError(f"input sizes must be positive integers, got {v!r}", loc, hint=hint)
    return v


def parse_blocks(raw: Any, loc: Loc) -> dict[str, Block]:
    if not isinstance(raw, YMap):
        raise SpecError("'blocks:' must map block names to their definitions", loc)
    blocks = {}
    for name, body in raw.items():
        kloc, bloc = raw.key_locs[name], raw.loc_of(name)
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise SpecError(f"block name {name!r} must be letters, digits and _", kloc)
        if name in REGISTRY or name in CONTAINERS:
            raise SpecError(f"block name '{name}' is already a layer kind", kloc, hint="rename the block")
        if isinstance(body, list):
            blocks[name] = Block(name, {}, body, bloc)
            continue
        if not isinstance(body, YMap):
            raise SpecError(f"block '{name}' must be a list of layers, or a mapping with args: and "
                            "layers:", bloc)
        for key in body:
            if key not in BLOCK_KEYS:
                raise SpecError(f"unknown key '{body.key_text(key)}' in block '{name}'", body.key_locs[key],
                                hint=did_you_mean(key, BLOCK_KEYS) or "allowed: args, layers, help")
        if "layers" not in body:
            raise SpecError(f"block '{name}' needs 'layers:'", bloc)
        if "help" in body and not isinstance(body["help"], str):
            raise SpecError(f"the help of block '{name}' must be text", body.loc_of("help"))
        blocks[name] = Block(name, _params(body.get("args"), body.loc_of("args"), name), body["layers"], bloc)
    return blocks


def _params(args: Any, loc: Loc, block: str) -> dict[str, Arg | None]:
    """Block arguments: `args: {width: 64, stride: 1}`; a null default (`~`) makes one required."""
    if args is None:
        return {}
    if isinstance(args, list):  # `args: [width, out]`: all required
        for i, a in enumerate(args):
            if not isinstance(a, str) or not NAME_RE.match(a):
                raise SpecError(f"argument {i + 1} of block '{block}' must be a name (letters, digits and _)",
                                args.loc_of(i), hint="write args: [width, out], or args: {width: 64} to give "
                                "defaults")
        args = YMap({a: None for a in args})
        args.loc, args.key_locs, args.value_locs = loc, {}, {}
    if not isinstance(args, YMap):
        raise SpecError(f"args of block '{block}' must map argument names to defaults", loc)
    params: dict[str, Arg | None] = {}
    for key, default in args.items():
        if not isinstance(key, str) or not NAME_RE.match(key) or key in COMMON:
            raise SpecError(f"argument name {key!r} of block '{block}' must be letters, digits and _ "
                            f"(and not {', '.join(COMMON)})", args.key_locs.get(key, loc))
        params[key] = None if default is None else Arg(default, args.loc_of(key), {})
    return params
