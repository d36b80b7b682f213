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
from nnarith.check.claims import Block, Claim, Subject
from nnarith.errors import Loc, SpecError
from nnarith.spec.expect import ALIASES, FIGURES, figure_name, unknown_hint
from nnarith.spec.nodes import Network
from nnarith.spec.yaml_loader import YMap

RESERVED = ("spec", "title", "notes")  # top-level keys that are not rows


def written(value: Any, loc: Loc) -> str:
    """A YAML value back as the text of a figure."""
    if isinstance(value, list):
        return "[" + ", ".join(written(v, loc) for v in value) + "]"
    if isinstance(value, bool) or value is None or isinstance(value, dict):
        raise SpecError(f"a figure must be a number, a shape or text such as '3.2M', got {value!r}", loc)
    return str(value)


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
    for key, value in root.items():
        if key in RESERVED:
            continue
        kloc = root.key_locs[key]
        if not isinstance(value, YMap):
            raise SpecError(f"'{key}' must map figure names to the answers", root.loc_of(key),
                            hint=f"for example '{key}: {{output: 55x55x96, params: 34944}}'")
        subject = Subject(str(key), kloc)
        for fkey, fvalue in value.items():
            name = figure_name(fkey)
            if name is None:
                hint = unknown_hint(fkey, [*FIGURES, *ALIASES])
                raise SpecError(f"unknown figure '{fkey}' for '{key}'", value.key_locs[fkey], hint=hint)
            vloc = value.loc_of(fkey)
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
