"""Spec arguments: a spec's top-level `args: {depth: 5, width: 2048}`, and the values set on the command line.

A spec argument is written `$depth` wherever a block argument may be (repeat counts, layer fields,
block calls, arithmetic). Its scope is the whole spec: the top-level layers and every block's body.
A block parameter of the same name shadows it inside that block, and its default may be the spec
argument itself: `blocks: {stage: {args: {width: $width}, ...}}`. Spec arguments are integers with a
default, so that a spec loads as written; a default may be arithmetic on the arguments above it
(`hidden: 4*$width`), computed after the values set (`--set width=1024` makes hidden 4096).

On the command line a value is set as `--set NAME=VALUE`, or, where one command line names several
specs (compare, solve), inside the item: `mlp.yaml[depth=5,width=2048]` (split_item).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from nnarith.errors import Loc, NnarithError, SpecError, SpecErrors, UsageError, did_you_mean
from nnarith.loader.scope import NAME_RE, Arg, SpecArgs, resolve_deep
from nnarith.loader.yaml_loader import YMap
from nnarith.text import MAX_DIGITS, visible

_INTEGER = re.compile(r"[+-]?[0-9]+")
_ITEM = re.compile(r"(?P<spec>.+?)\[(?P<sets>[^\[\]]*)\]")
EXAMPLE = "args: {depth: 5, width: 2048}"


def parse_value(name: str, text: str | int, where: str = "--set") -> int:
    """The integer a value set on the command line stands for."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    written = str(text).strip().replace("_", "")
    if not _INTEGER.fullmatch(written) or len(written.lstrip("+-")) > MAX_DIGITS:
        size = f"of at most {MAX_DIGITS} digits" if _INTEGER.fullmatch(written) else "such as 2048"
        raise UsageError(f"{where} {visible(name)}={visible(str(text))}: '{visible(str(text))}' is not an integer; "
                         f"spec arguments are integers, {size}")
    return int(written)


def parse_set(text: str, where: str = "--set") -> tuple[str, int]:
    """'width=2048' -> ('width', 2048); `where` names the place it was written, for the messages."""
    name, equals, value = text.partition("=")
    name = name.strip()
    if not equals or not name or not value.strip():
        raise UsageError(f"{where} '{visible(text)}' is not NAME=VALUE; write it like {where} width=2048"
                         if where == "--set" else
                         f"'{visible(text)}' in {where} is not NAME=VALUE; write it like width=2048")
    if not NAME_RE.match(name):
        raise UsageError(f"{where} '{visible(text)}': '{visible(name)}' is not an argument name (letters, digits "
                         "and _, not starting with a digit)")
    return name, parse_value(name, value, where)


def parse_sets(texts: Iterable[str], where: str = "--set") -> dict[str, int]:
    """Several NAME=VALUE items; a name given twice is an error, as which value was meant is not clear."""
    sets: dict[str, int] = {}
    for text in texts:
        name, value = parse_set(text, where)
        if name in sets:
            raise UsageError(f"{where} sets '{name}' twice ({name}={sets[name]} and {name}={value}); give it once")
        sets[name] = value
    return sets


def split_item(text: str) -> tuple[str, dict[str, int]]:
    """A command-line item 'SPEC[name=value,...]' -> (SPEC, its values): 'mlp.yaml[depth=5,width=2048]'.
    An item without brackets, or the name of a file that exists as written, is a spec alone."""
    if os.path.exists(text):
        return text, {}
    m = _ITEM.fullmatch(text.strip())
    if m is None:
        if "[" in text or "]" in text:
            raise UsageError(f"'{visible(text)}' is not SPEC[NAME=VALUE,...]; write it like "
                             "mlp.yaml[depth=5,width=2048]")
        return text, {}
    spec, inside = m["spec"], m["sets"]
    items = [s for s in inside.split(",") if s.strip()]
    return spec, parse_sets(items, f"{visible(spec)}[...]")


def bind(raw: Any, loc: Loc, sets: Mapping[str, int | str], file: str) -> tuple[SpecArgs, dict[str, int]]:
    """The spec's arguments as the scope of its layers, and their values, defaults and sets together.
    A declaration's mistake is a SpecError at it; a set that names no argument is a UsageError."""
    declared = raw if isinstance(raw, YMap) else YMap()
    if sets:
        _check_names(sets, declared, file)
    if raw is None:
        return SpecArgs(), {}
    if not isinstance(raw, YMap):
        raise SpecError("'args:' must map argument names to their default values", loc, hint=f"for example {EXAMPLE}")
    env, values = SpecArgs(), {}
    for name, default in raw.items():
        kloc, vloc = raw.key_locs.get(name, loc), raw.loc_of(name)
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise SpecError(f"argument name {raw.key_text(name)!r} must be letters, digits and _ (not starting with "
                            "a digit)", kloc)
        if default is None:
            raise SpecError(f"the spec argument '{name}' needs a default", vloc,
                            hint=f"a spec loads as written: give it a value, as in {EXAMPLE}")
        if name in sets:  # no place in the spec: an error it causes is located where the value is used
            values[name] = parse_value(name, sets[name])
            env[name] = Arg(values[name], None, {})
            continue
        try:
            value, at = resolve_deep(default, vloc, env, arith=True)  # arithmetic on the arguments above
        except SpecError as e:
            later = [n for n in list(raw)[list(raw).index(name) + 1:] if re.search(rf"\${n}\b", str(default))]
            if later:
                e.hint = f"a default sees the arguments above it: declare {later[0]} before {name}"
            raise
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(f"the spec argument '{name}' must be an integer, got {visible(repr(value))}", at,
                            hint=f"spec arguments are integers (or arithmetic on those above), as in {EXAMPLE}")
        values[name] = value
        env[name] = Arg(value, vloc, {})
    return env, values


def _check_names(sets: Mapping[str, int | str], declared: YMap, file: str) -> None:
    names = [n for n in declared if isinstance(n, str)]
    for name in sets:
        if name in names:
            continue
        shown = visible(", ".join(f"{n}={sets[n]}" for n in sets))
        if not names:
            raise UsageError(f"{file} declares no arguments, so {shown} sets nothing",
                             hint=f"declare them at the top of the spec: {EXAMPLE}, then use $depth, $width")
        raise UsageError(f"{file} declares no argument '{visible(name)}' ({visible(f'{name}={sets[name]}')} is set)",
                         hint=" ".join(filter(None, [did_you_mean(name, names), f"its arguments: {', '.join(names)}"])))


def with_sets(error: NnarithError, sets: Mapping[str, int | str]) -> None:
    """A spec error met under values set on the command line names them: the spec may be right at its defaults."""
    given = "with " + ", ".join(f"{k}={v}" for k, v in sets.items()) + " (set on the command line)"
    for e in error.errors if isinstance(error, SpecErrors) else [error] if isinstance(error, SpecError) else []:
        e.given = given
