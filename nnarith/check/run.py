"""`nnarith check`: read a document, find the layer each row means, judge every figure.

    check_file("docs/model.md", "model.yaml")   # a Markdown document against its spec
    check_file("model.yaml")                    # a spec against its own expect: figures
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field

from nnarith.analysis.report import DTYPE_BYTES, Report
from nnarith.analysis.walk import analyze
from nnarith.check.align import align
from nnarith.check.answers import expect_entries, read_answers
from nnarith.check.documents import Block, Entry, read_csv, read_markdown
from nnarith.check.judge import Item, judge, unmatched
from nnarith.check.notes import read_line, read_notes
from nnarith.check.truth import Truths
from nnarith.errors import Loc, SpecError, UsageError
from nnarith.spec import load_spec
from nnarith.spec.network import parse_network
from nnarith.spec.yaml_loader import YMap, decode, load, read_text

FORMATS = ("markdown", "csv", "yaml", "text")
_BY_EXTENSION = {".md": "markdown", ".markdown": "markdown", ".csv": "csv", ".tsv": "csv", ".yaml": "yaml",
                 ".yml": "yaml"}
FIGURE_WORDS = {"output": "output", "macs": "MACs", "flops": "FLOPs", "rf": "RF", "rf_stride": "RF stride",
                "rf_padding": "RF padding"}


@dataclass
class Result:
    file: str
    spec: str  # the spec file, as messages name it
    report: Report
    items: list[Item] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # lines of tables about something else

    def count(self, status: str) -> int:
        return sum(i.status == status for i in self.items)


MAX_DOCUMENT_BYTES = 4 * 1024 * 1024


def read_document(path: str) -> str:
    """A document's text ('-' reads standard input), with errors a person can act on."""
    if path == "-":
        data = sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1)
        if len(data) > MAX_DOCUMENT_BYTES:
            raise SpecError(f"standard input holds more than {MAX_DOCUMENT_BYTES:,} bytes; documents are "
                            "limited to that")
        return decode(data, "<stdin>", "document")
    return read_text(path, "document", MAX_DOCUMENT_BYTES)


def detect(path: str, text: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    if ext in _BY_EXTENSION:
        return _BY_EXTENSION[ext]
    if re.search(r"^\s*\|?\s*:?-+:?\s*\|", text, re.M):
        return "markdown"
    return "text"


def check_file(path: str, spec: str | None = None, *, fmt: str | None = None, strict: bool = False,
               dtype: str = "fp32", input: tuple[int, ...] | None = None) -> Result:
    text = read_document(path)
    name = "<stdin>" if path == "-" else path
    fmt = fmt or detect(path, text)
    blocks: list[Block] = []
    named_loc = None  # where an answers file names its spec
    tables = False  # Markdown: a table none of whose rows finds a layer is about something else
    if fmt == "yaml":
        root = load(text, name)
        if isinstance(root, YMap) and "layers" in root:  # a spec: its own expect: figures
            if spec:
                raise UsageError(f"'{name}' is a spec, checked against its own expect: figures; drop --spec")
            net = parse_network(root, name, input)
            report = analyze(net, dtype=dtype)
            result = Result(name, name, report)
            blocks = [expect_entries(report, net)]
            return _judged(result, blocks, Truths(report, net), strict, "add expect: to its layers or top level")
        block, named, named_loc = read_answers(root, name)
        spec = spec or (_beside(named, path) if named else None)
        blocks = [block]
    elif fmt == "csv":
        blocks = read_csv(text, name)
    elif fmt == "markdown":
        blocks, totals = read_markdown(text, name)
        blocks += [[e] for e in (_total_line(line, n, name) for n, line in totals) if e and e.figures]
        tables = True
    else:
        blocks = [read_notes(text, name)]
    if not spec:
        raise UsageError(f"which network does '{name}' describe? give --spec SPEC (a spec file or a shipped "
                         "spec's name)")
    try:
        net = load_spec(spec, input)
    except SpecError as e:
        e.loc = e.loc or named_loc  # a spec an answers file names: say where it was named
        raise
    report = analyze(net, dtype=dtype)
    result = Result(name, net.file, report)
    hint = {"markdown": "give its tables a layer column and figure columns (output, params, MACs, memory)",
            "csv": "give it a header row with a layer column and figure columns (output, params, MACs)",
            "yaml": "map layer names to figures: conv1: {output: 55x55x96, params: 34944}",
            "text": "write one layer a line, as 'CONV1: [55x55x96]  memory: 290K  weights: 34,848'"}[fmt]
    return _judged(result, blocks, Truths(report, net), strict, hint, tables)


def _beside(spec: str, path: str) -> str:
    """A spec named in an answers file: beside that file first, then as given (or shipped)."""
    near = os.path.join(os.path.dirname(path), spec)
    return near if path != "-" and os.path.exists(near) else spec


def _total_line(line: str, number: int, file: str) -> Entry | None:
    plain = re.sub(r"\*\*|__|`|^\s*>", lambda m: " " * len(m[0]), line)  # Markdown off, columns kept
    return read_line(plain.replace("- ", "  ", 1) if plain.lstrip().startswith("- ") else plain, number, file)


def _judged(result: Result, blocks: list[Block], truths: Truths, strict: bool, hint: str,
            tables: bool = False) -> Result:
    per = DTYPE_BYTES[result.report.dtype]
    for block in blocks:
        matches = align(block, truths)
        if tables and all(isinstance(m, str) for _, m in matches):
            result.skipped.append(block[0].loc.line - 2)  # its header
            continue
        for entry, match in matches:
            for figure in entry.figures:
                result.items.append(_item(entry, match, figure, truths, per, strict))
    if not result.items:
        raise SpecError(f"found no figures to check in '{result.file}'", Loc(result.file, 1, 1), hint=hint)
    result.items.sort(key=lambda i: (i.line, i.col))
    return result


def _item(entry: Entry, match, figure, truths: Truths, per: int, strict: bool) -> Item:
    word = FIGURE_WORDS.get(figure.name, figure.name)
    if isinstance(match, str):
        return unmatched(figure, f"{entry.label} {word}", match)
    best = None
    for target in match:
        what = f"{target.name} {'shape' if target.kind == 'input' and word == 'output' else word}"
        truth = truths.truth(target, figure.name)
        item = (judge(figure, what, truth, per, strict, lambda t=target: truths.rounded_otherwise(t, figure.name))
                if truth is not None
                else unmatched(figure, what, f"the {target.name} has no {word}"))
        if item.status != "wrong":
            return item
        best = best or item
    return best
