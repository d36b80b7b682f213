"""Expanding a layer list into the network tree.

A layer list item is one of
- a bare kind or block name: `relu`, `bottleneck`
- a one-key mapping `kind: args`, args being a mapping or a shorthand scalar: `fc: 4096`
- a container: `seq: [...]`, `concat: [branch, ...]`, `add: [branch, ...]`, `aux: [...]`
- a `$name` argument of the enclosing block, or a nested list (spliced in place)
Every item may carry `name:`, `repeat:`, `expect:` (figures for `nnarith check`) and `frozen:`. Block
arguments are written `$name` (loader/scope.py); a call's arguments and a layer's fields may be
arithmetic on them (loader/arith.py), evaluated in the scope where they were written (a call's
arguments when it is called: scope.argument).
Expansion is bounded: see the limits below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from nnarith.errors import Loc, SpecError, did_you_mean
from nnarith.layers import REGISTRY
from nnarith.layers.fields import Bool, Int
from nnarith.layers.merge import MERGES
from nnarith.layers.names import field_hint, field_meant, kind_hint
from nnarith.loader.expect import read_expect
from nnarith.loader.nodes import Aux, Leaf, Merge, Node, Seq
from nnarith.loader.scope import (
    NAME_RE,
    RESERVED_NAMES,
    Arg,
    Block,
    FatalSpecError,
    Scope,
    argument,
    flat_size,
    resolve,
    resolve_deep,
)
from nnarith.loader.yaml_loader import YList, YMap

MAX_LAYERS = 20_000  # after blocks and repeat expand; the deepest real networks have a few thousand
MAX_DEPTH = 100  # blocks and containers inside one another
MAX_ERRORS = 50
CONTAINERS = ("seq", *MERGES, "aux")  # seq, the merges (layers/merge.py), aux
COMMON = ("name", "repeat", "expect", "frozen")  # the arguments every layer, block and container takes


class Expander:
    def __init__(self, blocks: dict[str, Block], spec_args: dict[str, Arg] | None = None) -> None:
        self.blocks = blocks
        self.spec_args = spec_args or {}  # seen in every block's body, unless a parameter shadows them
        self.errors: list[SpecError] = []
        self.layers = 0
        self.calls: list[str] = []
        self.depth = 0
        self.path: list[str] = []  # names of the blocks and containers being expanded, outermost first

    def limit(self, loc: Loc, what: str) -> FatalSpecError:
        return FatalSpecError(f"the network expands to more than {MAX_LAYERS:,} layers ({what})", loc,
                              hint=f"specs are limited to {MAX_LAYERS:,} layers after blocks and repeat expand")

    def where(self, name: str) -> str:
        """The dotted path a layer of this name will have in the report."""
        return ".".join([*self.path, name])

    @contextmanager
    def inside(self, name: str, loc: Loc | None = None) -> Iterator[None]:
        """Expanding the block or container (with loc: one level deeper) or the branch of this name."""
        if loc is not None:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise FatalSpecError(f"blocks and containers nest more than {MAX_DEPTH} deep here", loc,
                                     hint="a block that uses a block that uses ... must end within that depth")
        self.path.append(name)
        try:
            yield
        finally:
            self.path.pop()
            if loc is not None:
                self.depth -= 1

    # lists ----------------------------------------------------------------------------

    def layer_list(self, items: Any, loc: Loc, env: dict[str, Arg], scope: Scope | None = None) -> list[Node]:
        items, loc, env = resolve(items, loc, env)
        if not isinstance(items, list):
            items = YList([items])
            items.loc, items.item_locs = loc, [loc]
        written = flat_size(items, {})
        if self.layers + written > MAX_LAYERS:  # at least one layer per item: fail early
            raise self.limit(loc, f"{written:,} layers written in this list")
        scope = scope or Scope(self.explicit_names(items, env))
        nodes: list[Node] = []
        for i, item in enumerate(items):
            item_loc = items.loc_of(i) if isinstance(items, YList) else loc
            try:
                nodes.extend(self.item(item, item_loc, env, scope))
            except FatalSpecError:
                raise
            except SpecError as e:
                self.note(e)
        return nodes

    def note(self, error: SpecError) -> None:
        if all((e.loc, e.message) != (error.loc, error.message) for e in self.errors):
            self.errors.append(error)
        if len(self.errors) >= MAX_ERRORS:
            raise FatalSpecError(f"stopped after {MAX_ERRORS} errors", error.loc)

    def explicit_names(self, items: list, env: dict[str, Arg]) -> set[str]:
        names = set()
        for item in items:
            if isinstance(item, dict) and len(item) == 1:
                args = next(iter(item.values()))
                if isinstance(args, dict) and isinstance(args.get("name"), str):
                    names.add(args["name"])
        return names

    # one item -------------------------------------------------------------------------

    def item(self, raw: Any, loc: Loc, env: dict[str, Arg], scope: Scope) -> list[Node]:
        raw, loc, env = resolve(raw, loc, env)
        if isinstance(raw, list):  # a nested list or a $ref to one: spliced in place
            return self.layer_list(raw, loc, env, scope)
        kind_loc = loc
        if isinstance(raw, str):
            kind, args, args_loc = raw, None, loc
        elif isinstance(raw, YMap):
            if len(raw) != 1:
                keys = ", ".join(f"'{k}'" for k in raw)
                raise SpecError(
                    f"a layer is one 'kind: args' pair, but this mapping has the keys {keys}", loc,
                    hint="indent the fields under the kind, as in '- conv: {out: 64, kernel: 3}'",
                )
            kind, args = next(iter(raw.items()))
            kind_loc, args_loc = raw.key_locs[kind], raw.loc_of(kind)
        else:
            raise SpecError(f"a layer must be a kind name or 'kind: args', got {raw!r}", loc)
        if not isinstance(kind, str):
            raise SpecError(f"a layer kind must be a name, got {kind!r}", kind_loc)
        args, args_loc, args_env = resolve(args, args_loc, env)
        if isinstance(args, YMap):
            name, repeat, expect, frozen = self.common(args, args_env)
        else:
            name, repeat, expect, frozen = None, 1, None, False
        build = self.builder(kind, kind_loc)
        if self.layers + repeat > MAX_LAYERS:
            raise self.limit(loc, f"repeat {repeat:,} here")
        nodes = []
        before = self.layers
        for i in range(repeat):
            if i == 1 and self.layers + (self.layers - before) * (repeat - 1) > MAX_LAYERS:
                copy = self.layers - before  # known once the first copy is expanded
                raise self.limit(loc, f"repeat {repeat:,} of {copy:,} layers here")
            if name is None:
                this = scope.auto(REGISTRY[kind].kind if kind in REGISTRY else kind, loc)
            else:
                this = scope.take(name if repeat == 1 else f"{name}_{i + 1}", loc)
            try:
                if build == self.build_leaf:
                    node = build(kind, this, args, args_loc, args_env, loc)
                else:  # a block or container: one level deeper
                    with self.inside(this, loc):
                        node = build(kind, this, args, args_loc, args_env, loc)
            except SpecError as e:
                e.layer = e.layer or self.where(this)
                raise
            node.expect, node.frozen = expect, frozen
            nodes.append(node)
        return nodes

    def common(self, args: YMap, env: dict[str, Arg]) -> tuple[str | None, int, YMap | None, bool]:
        name = repeat = expect = None
        frozen = False
        if "name" in args:
            name, nloc = resolve_deep(args["name"], args.loc_of("name"), env)
            if not isinstance(name, str) or not NAME_RE.match(name):
                raise SpecError(f"name must be letters, digits and _ (not starting with a digit), "
                                f"got {name!r}", nloc)
            if name.lower() in RESERVED_NAMES:
                raise SpecError(f"the name '{name}' is kept for the input and totals rows of a report", nloc,
                                hint=f"choose another, such as '{name}_layer'")
        if "repeat" in args:
            value, rloc = resolve_deep(args["repeat"], args.loc_of("repeat"), env, arith=True)
            repeat = Int(min=1).check(value, rloc, "repeat")
            if repeat > MAX_LAYERS:
                raise FatalSpecError(f"repeat {repeat:,} is more than the limit of {MAX_LAYERS:,} layers", rloc)
        if "expect" in args:
            raw, eloc, eenv = resolve(args["expect"], args.loc_of("expect"), env)
            expect = read_expect(raw, eloc, resolve=lambda v, vloc: resolve_deep(v, vloc, eenv))
        if "frozen" in args:  # no weight gradient here, nor inside (analysis/backward.py)
            value, floc = resolve_deep(args["frozen"], args.loc_of("frozen"), env)
            frozen = Bool().check(value, floc, "frozen")
        return name, repeat or 1, expect, frozen

    def builder(self, kind: str, loc: Loc) -> Callable[..., Node]:
        if kind in MERGES:
            return self.merge
        if kind in CONTAINERS:
            return getattr(self, f"build_{kind}")
        if kind in self.blocks:
            return self.build_block
        if kind in REGISTRY:
            return self.build_leaf
        if kind.startswith("$"):
            raise SpecError(f"'{kind}' cannot name a layer kind", loc)
        known = [*REGISTRY, *CONTAINERS, *self.blocks]
        raise SpecError(f"unknown layer kind '{kind}'", loc,
                        hint=kind_hint(kind, known) or "run 'nnarith kinds' to list the kinds")

    # builders -------------------------------------------------------------------------

    def build_leaf(self, kind: str, name: str, args: Any, args_loc: Loc, env: dict[str, Arg], loc: Loc) -> Leaf:
        cls = REGISTRY[kind]
        values: dict[str, Any] = {}
        locs: dict[str, Loc] = {}
        if isinstance(args, YMap):
            given = {k: (args[k], args.loc_of(k)) for k in args if k not in COMMON}
        elif args is None:
            given = {}
        elif cls.shorthand:
            given = {cls.shorthand: (args, args_loc)}
        else:
            raise SpecError(f"{kind} takes no value; write '- {kind}', or its fields as a mapping",
                            args_loc)
        errors = []
        meant = set()  # fields a misspelling points at: not reported missing as well
        for key, (raw, vloc) in given.items():
            if key not in cls.fields:
                fields = ", ".join(cls.fields) or "none"
                kloc = args.key_locs.get(key, vloc) if isinstance(args, YMap) else vloc
                hint = field_hint(key, (*cls.fields, *COMMON))
                meant.add(field_meant(key, (*cls.fields, *COMMON)))
                errors.append(SpecError(f"unknown field '{key}' in {kind}", kloc,
                                        hint=hint or f"{kind} fields: {fields}"))
                continue
            try:
                value, vloc = resolve_deep(raw, vloc, env, arith=True)
                values[key] = cls.fields[key].check(value, vloc, f"{kind} {key}")
                locs[key] = vloc
            except SpecError as e:
                errors.append(e)
        for key, spec in cls.fields.items():
            if key not in given:
                if spec.required and key not in meant:
                    errors.append(SpecError(f"{kind} needs '{key}' ({spec.doc})", loc))
                values[key] = spec.default
        for e in errors:
            e.layer = e.layer or self.where(name)
        for e in errors[:-1]:
            self.note(e)
        if errors:
            raise errors[-1]
        self.layers += 1
        if self.layers > MAX_LAYERS:
            raise self.limit(loc, "at this layer")
        return Leaf(name, cls(values, locs, loc, name), loc)

    def build_block(self, kind: str, name: str, args: Any, args_loc: Loc, env: dict[str, Arg], loc: Loc) -> Seq:
        block = self.blocks[kind]
        if block.name in self.calls:
            chain = " -> ".join([*self.calls[self.calls.index(block.name):], block.name])
            raise FatalSpecError(f"block '{block.name}' uses itself ({chain})", loc,
                                 hint="a block may use other blocks, but not itself")
        if args is not None and not isinstance(args, YMap):
            raise SpecError(f"block '{block.name}' takes its arguments as a mapping, got {args!r}",
                            args_loc, hint=f"for example '- {block.name}: {{...}}'")
        bound: dict[str, Arg] = {}
        for key in args or {}:
            if key in COMMON:
                continue
            if key not in block.params:
                known = ", ".join(block.params) or "none"
                raise SpecError(f"block '{block.name}' has no argument '{key}'", args.key_locs[key],
                                hint=did_you_mean(key, block.params) or f"its arguments: {known}")
            bound[key] = argument(args[key], args.loc_of(key), env)
        missing = [k for k, d in block.params.items() if d is None and k not in bound]
        if missing:
            listing = ", ".join(f"'{k}'" for k in missing)
            example = ", ".join(f"{k}: ..." for k in missing)
            raise SpecError(f"block '{block.name}' needs the argument{'s' if len(missing) > 1 else ''} {listing}",
                            loc, hint=f"call it as '- {block.name}: {{{example}}}'")
        # a default sees the spec's arguments and the block's listed before it: {dim: ~, hidden: 4*$dim}
        before: dict[str, Arg] = dict(self.spec_args)
        for key, default in block.params.items():
            if key not in bound:
                bound[key] = argument(default.value, default.loc, dict(before))
            before[key] = bound[key]
        self.calls.append(block.name)
        try:
            children = self.layer_list(block.layers, block.loc, before)
        finally:
            self.calls.pop()
        return Seq(name, children, loc, kind=block.name)

    def build_seq(self, kind: str, name: str, args: Any, args_loc: Loc, env: dict[str, Arg], loc: Loc) -> Seq:
        layers, lloc = self.container_part(args, args_loc, env, "seq", "layers")
        return Seq(name, self.layer_list(layers, lloc, env), loc)

    def build_aux(self, kind: str, name: str, args: Any, args_loc: Loc, env: dict[str, Arg], loc: Loc) -> Aux:
        layers, lloc = self.container_part(args, args_loc, env, "aux", "layers")
        return Aux(name, Seq(name, self.layer_list(layers, lloc, env), loc), loc)

    def merge(self, op: str, name: str, args: Any, args_loc: Loc, env: dict[str, Arg], loc: Loc) -> Merge:
        raw, bloc = self.container_part(args, args_loc, env, op, "branches")
        raw, bloc, env = resolve(raw, bloc, env)
        if isinstance(raw, YMap):  # named branches: {b1: [...], b2: [...]}
            pairs = [(k, raw[k], raw.loc_of(k)) for k in raw]
            for k, _, kloc in pairs:
                if not isinstance(k, str) or not NAME_RE.match(k):
                    raise SpecError(f"branch name {k!r} must be letters, digits and _", kloc)
        elif isinstance(raw, list):
            pairs = [(f"branch{i + 1}", b, raw.loc_of(i) if isinstance(raw, YList) else bloc)
                     for i, b in enumerate(raw)]
        else:
            raise SpecError(f"{op} takes a list of branches, got {raw!r}", bloc,
                            hint=f"for example '{op}: [[conv: {{...}}, relu], identity]'")
        if len(pairs) < 2:
            raise SpecError(
                f"{op} needs at least two branches, got {len(pairs)}", bloc,
                hint="each item of the list is one branch; write a branch of several layers as a list",
            )
        branches = []
        for bname, b, bl in pairs:
            with self.inside(bname):
                branches.append(Seq(bname, self.layer_list(b, bl, env), bl, kind="branch"))
        return Merge(name, op, branches, loc)

    def container_part(self, args: Any, loc: Loc, env: dict[str, Arg], kind: str, key: str) -> tuple[Any, Loc]:
        """The body of a container: the list itself, or its `layers:`/`branches:` field."""
        if isinstance(args, YMap):
            unknown = [k for k in args if k not in (*COMMON, key)]
            if unknown:
                hint = did_you_mean(unknown[0], (*COMMON, key)) or f"{kind} fields: {', '.join(COMMON)}, {key}"
                if key == "branches" and "branches" not in args:  # {main: [...], shortcut: ...}?
                    hint = (f"to name the branches, put them under 'branches:', as in "
                            f"'{kind}: {{branches: {{main: [...], shortcut: identity}}}}'")
                raise SpecError(f"unknown field '{unknown[0]}' in {kind}", args.key_locs[unknown[0]], hint=hint)
            if key not in args:
                raise SpecError(f"{kind} needs '{key}'", loc)
            return args[key], args.loc_of(key)
        if args is None:
            raise SpecError(f"{kind} needs a list of {key}", loc)
        return args, loc
