"""YAML answers files, and the `expect:` figures of a spec, as rows of figures.

An answers file maps what is asked about (a layer's name or label, `input`, `total`) to the
figures answered, each written as a person writes it:

    spec: alexnet_original        # the network; --spec gives it otherwise
    conv1:
      output: 55x55x96
      params: (11*11*3 + 1)*96 = 34,944
    pool1: {output: [96, 27, 27]}
    total:
      params: 61M

Labels are matched as a table's rows are: by name, otherwise by order and kind.
"""

from __future__ import annotations

from typing import Any

from nnarith.analysis.report import Report
from nnarith.check.claims import MAX_CLAIMS, Block, Claim, Subject
from nnarith.check.numbers import MAX_TEXT
from nnarith.errors import Loc, SpecError
from nnarith.loader.expect import ALIASES, FIGURES, figure_name, unknown_hint
from nnarith.loader.nodes import Network
from nnarith.loader.yaml_loader import YMap

RESERVED = ("spec", "title", "notes")  # top-level keys that are not rows
# An answer may give the depth as "layers: 16". Not a name of the figure for every reader (figure_name): a
# table's "layers" column is as often its labels (tables.py tells them apart)
DEPTH_WORDS = {"layers": "depth", "weight_layers": "depth", "num_layers": "depth", "number_of_layers": "depth"}
_LONGEST = 10**MAX_TEXT  # an integer of more digits is refused before it is written out


def written(value: Any, loc: Loc) -> str:
    """A YAML value back as the text of a figure.

    Aliases share values, so nine levels of ten (`output: *l8`) stand for 10^9 items: the text
    is built only up to MAX_TEXT characters, the most a figure may have, and refused past it."""
    parts: list[str] = []
    size = 0

    def put(text: str) -> None:
        nonlocal size
        parts.append(text)
        size += len(text)
        if size > MAX_TEXT:  # a list's brackets and commas add characters: few items are visited
            raise _too_long(loc)

    def write(item: Any) -> None:  # nesting is bounded by the YAML loader
        if isinstance(item, list):
            put("[")
            for k, v in enumerate(item):
                if k:
                    put(", ")
                write(v)
            put("]")
        elif isinstance(item, bool) or item is None or isinstance(item, dict):
            raise SpecError(f"a figure must be a number, a shape or text such as '3.2M', got {_short(item)}", loc)
        elif isinstance(item, int) and abs(item) >= _LONGEST:  # str() would also pass Python's 4,300 digits
            raise _too_long(loc)
        else:
            put(str(item))

    write(value)
    return "".join(parts)


def _too_long(loc: Loc) -> SpecError:
    return SpecError(f"the figure is longer than {MAX_TEXT} characters, the most nnarith reads in one figure", loc,
                     hint="write a shape such as 55x55x96, or a number such as 34,944")


def _short(value: Any) -> str:
    """A value for a message: a mapping's first keys, not all of them (they may be aliases of aliases)."""
    if isinstance(value, dict):
        keys = [f"{str(k)[:20]}: ..." for k in list(value)[:3]] + (["..."] if len(value) > 3 else [])
        return "a mapping {" + ", ".join(keys) + "}"
    return repr(value)


def read_answers(root: Any, file: str) -> tuple[Block, str | None, Loc | None]:
    """The rows of an answers file, and the spec it names (with where), if any."""
    start = Loc(file, 1, 1)
    if not isinstance(root, YMap) or not root:
        raise SpecError("an answers file maps layer names to their figures", start,
                        hint="for example 'conv1: {output: 55x55x96, params: 34944}'")
    spec = root.get("spec")
    if "spec" in root and not isinstance(spec, str):
        raise SpecError("spec: must name a spec file or a shipped spec", root.loc_of("spec"))
    block = []
    claims = 0  # an alias may repeat a mapping of many figures under every key: count while reading
    for key, value in root.items():
        if key in RESERVED:
            continue
        kloc = root.key_locs[key]
        if isinstance(key, bool) or key is None:  # `yes:`, `true:`, `null:` are not the words written
            word = "null" if key is None else "a boolean"
            raise SpecError(f"YAML reads this key as {word}, not as a layer's name", kloc,
                            hint="quote it: 'yes': {params: 1}")
        if not isinstance(value, YMap):
            raise SpecError(f"'{key}' must map figure names to the answers", root.loc_of(key),
                            hint=f"for example '{key}: {{output: 55x55x96, params: 34944}}'")
        subject = Subject(str(key), kloc)
        for fkey, fvalue in value.items():
            name = figure_name(fkey) or (DEPTH_WORDS.get(fkey.strip().lower().replace(" ", "_"))
                                         if isinstance(fkey, str) else None)
            if name is None:
                hint = unknown_hint(fkey, [*FIGURES, *ALIASES, *DEPTH_WORDS])
                raise SpecError(f"unknown figure '{fkey}' for '{key}'", value.key_locs[fkey], hint=hint)
            vloc = value.loc_of(fkey)
            claims += 1
            if claims > MAX_CLAIMS:
                raise SpecError(f"'{file}' states more than {MAX_CLAIMS:,} figures; nnarith checks at most that many "
                                "in one document", vloc, hint="check it in parts")
            subject.claims.append(Claim(name, written(fvalue, vloc), vloc))
        block.append(subject)
    return block, spec, root.loc_of("spec") if spec else None


def expect_entries(report: Report, net: Network) -> Block:
    """The spec's own `expect:` figures: on layers and blocks, and at the top level (the totals)."""
    block = []
    for name, figures, group in report.expects:
        block.append(_entry(name, figures, "block" if group else None))
    if net.expect:
        block.append(_entry("total", net.expect, "total"))
    return block


def _entry(name: str, figures: YMap, kind: str | None) -> Subject:
    subject = Subject(name, figures.loc, kind=kind, exact=True)
    for key, value in figures.items():
        vloc = figures.loc_of(key)
        subject.claims.append(Claim(key, written(value, vloc), vloc))
    return subject
