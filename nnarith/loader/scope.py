"""Block arguments and layer names: what `$name` stands for, and what each layer is called.

Arguments resolve where the block was called (lexical scope): a value passed down from an
outer block carries that block's arguments with it. They are substituted, never executed;
arithmetic such as `4*$dim` is read by loader/arith.py, in the scope where it was written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nnarith.errors import Loc, SpecError, did_you_mean
from nnarith.loader.arith import evaluate, is_expression
from nnarith.loader.yaml_loader import YList

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
# Names that tables give their input and totals rows: a layer so named would be read as one of
# them by `nnarith check` (its vocabulary.special must know each).
RESERVED_NAMES = ("input", "image", "data", "total", "totals", "sum", "overall")
REF_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)$")


class FatalSpecError(SpecError):
    """An error after which expansion cannot go on (a limit, a recursion)."""


@dataclass
class Arg:
    """A block argument: its value, where it was written, and the scope its $refs use."""

    value: Any
    loc: Loc | None  # None: set on the command line, so a mistake it causes is located where it is used
    env: dict[str, Arg]


class SpecArgs(dict):
    """The spec's own arguments (loader/args.py), by name: the scope of its top-level layers."""


@dataclass
class Block:
    name: str
    params: dict[str, Arg | None]  # None: required
    layers: Any
    loc: Loc


def resolve(value: Any, loc: Loc, env: dict[str, Arg]) -> tuple[Any, Loc, dict[str, Arg]]:
    """Follow `$name` references to the value they stand for."""
    hops = 0
    while isinstance(value, str) and value.startswith("$") and not is_expression(value):
        m = REF_RE.match(value)
        if not m:
            raise SpecError(f"'{value}' is not a valid argument reference", loc,
                            hint="write $ followed by an argument name, such as $width")
        if m[1] not in env:
            raise unknown_argument(value, m[1], loc, env)
        arg = env[m[1]]
        value, loc, env = arg.value, arg.loc or loc, arg.env
        hops += 1
        if hops > 100:
            raise FatalSpecError(f"'{value}' refers to itself", loc)
    return value, loc, env


def unknown_argument(written: str, name: str, loc: Loc, env: dict[str, Arg]) -> SpecError:
    known = ", ".join(f"${k}" for k in env)
    if isinstance(env, SpecArgs):  # in the top-level layers
        hint = did_you_mean(name, env) or (f"the spec's arguments: {known}" if env else
                                           f"declare it at the top of the spec: args: {{{name}: 64}}")
        return SpecError(f"'{written}' is not an argument of the spec", loc, hint=hint)
    hint = did_you_mean(name, env) or f"this block's arguments: {known or 'none'}"
    return SpecError(f"'{written}' is not an argument of this block", loc, hint=hint)


def resolve_deep(value: Any, loc: Loc, env: dict[str, Arg], arith: bool = False) -> tuple[Any, Loc]:
    """Resolve a field value, including $refs inside a list such as `kernel: [1, $k]`; with arith,
    arithmetic (`4*$dim`, `[1, $k // 2]`) is evaluated too."""
    value, loc, env = resolve(value, loc, env)
    if isinstance(value, list):
        out, locs = YList(), []
        for i, item in enumerate(value):
            item_loc = value.loc_of(i) if isinstance(value, YList) else loc
            v, l2, e2 = resolve(item, item_loc, env)
            out.append(evaluated(v, l2, e2) if arith else v)
            locs.append(l2)
        out.loc, out.item_locs = loc, locs
        return out, loc
    return (evaluated(value, loc, env) if arith else value), loc


def evaluated(value: Any, loc: Loc, env: dict[str, Arg]) -> Any:
    """A resolved value, its arithmetic evaluated with the arguments of the scope it was written in."""
    if not is_expression(value):
        return value
    return evaluate(value, loc, lambda ref, at: evaluated(*resolve(ref, at, env)))


def argument(value: Any, loc: Loc, env: dict[str, Arg]) -> Arg:
    """A block argument as bound at the call. Arithmetic on arguments is computed now, in the caller's scope, so
    that `$name` inside a block is a value, never a chain of expressions to follow; arithmetic on numbers alone
    waits for the field it fills (where an `expect:` figure such as '(11*11*3)*96 = 34,848' stays text)."""
    if isinstance(value, str) and "$" in value and is_expression(value):
        value = evaluated(value, loc, env)
    return Arg(value, loc, env)


def flat_size(value: Any, memo: dict[int, int]) -> int:
    """Items in a list of lists, counted through aliases without expanding them."""
    if not isinstance(value, list):
        return 1
    if id(value) not in memo:
        memo[id(value)] = sum(flat_size(v, memo) for v in value)
    return memo[id(value)]


class Scope:
    """Names within one layer list: explicit names are unique; automatic ones are kind + n."""

    def __init__(self, reserved: set[str] = frozenset()) -> None:
        self.used: dict[str, Loc] = {}
        self.reserved = set(reserved)
        self.counters: dict[str, int] = {}

    def auto(self, base: str, loc: Loc) -> str:
        n = self.counters.get(base, 0)
        while True:
            n += 1
            name = f"{base}{n}"
            if name not in self.used and name not in self.reserved:
                self.counters[base] = n
                self.used[name] = loc
                return name

    def take(self, name: str, loc: Loc) -> str:
        if name in self.used:
            first = self.used[name]
            raise SpecError(f"the name '{name}' is used twice in this list (first at line {first.line})",
                            loc, hint="give each layer of a list its own name")
        self.used[name] = loc
        return name
