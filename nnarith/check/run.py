"""`nnarith check`: read a document, find the layer each row means, judge every figure.

    check_file("docs/model.md", "model.yaml")   # a Markdown document against its spec
    check_file("model.yaml")                    # a spec against its own expect: figures
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from nnarith.analysis.report import Report
from nnarith.check.answers import expect_entries, read_answers
from nnarith.check.claims import MAX_CLAIMS, UNCHECKABLE, Skipped
from nnarith.check.documents import Reading, read_csv
from nnarith.check.documents import read_document as read_document_text
from nnarith.check.judge import Item
from nnarith.check.networks import Networks, parse_specs
from nnarith.check.notes import text_lines
from nnarith.check.resolve import judge_block, judge_unmatched
from nnarith.check.sources import named_spec, read_document
from nnarith.check.tables import looks_like_csv
from nnarith.errors import Loc, SpecError, UsageError
from nnarith.loader import parse_spec
from nnarith.loader.network import parse_network
from nnarith.loader.yaml_loader import YMap, load

FORMATS = ("markdown", "csv", "yaml", "text")
_BY_EXTENSION = {".md": "markdown", ".markdown": "markdown", ".csv": "csv", ".tsv": "csv", ".yaml": "yaml",
                 ".yml": "yaml"}


@dataclass
class Result:
    file: str
    spec: str  # the spec file, as messages name it (the first network's, when there are several)
    report: Report | None
    items: list[Item] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # what looked like figures and was not checked
    networks: list[Report] = field(default_factory=list)  # every network a claim was checked against

    def count(self, status: str) -> int:
        return sum(i.status == status for i in self.items)


def detect(path: str, text: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    if ext in _BY_EXTENSION:
        return _BY_EXTENSION[ext]
    if re.search(r"^[ \t]*(?:\|[ \t]*)?:?-+:?[ \t]*\|", text, re.M):  # one way to match: linear on long blanks
        return "markdown"
    return "csv" if looks_like_csv(text) else "text"


def check_file(path: str, spec: str | list[str] | None = None, *, fmt: str | None = None, strict: bool = False,
               dtype: str = "fp32", input: tuple[int, ...] | None = None, allow_spec_path: bool = False,
               sets: Mapping[str, int] | None = None) -> Result:
    """spec: '--spec SPEC', or a list of --spec values (SPEC and LABEL=SPEC).

    allow_spec_path: an answers file's `spec:` may name any file, not only one in its own folder tree.
    sets: values of the spec arguments (--set) of the spec checked: --spec's, or the one the file names or is."""
    text = read_document(path)
    name = "<stdin>" if path == "-" else path
    fmt = fmt or detect(path, text)
    if fmt != "yaml" and "\r" in text:  # one kind of line end, so that every reader's ^ and $ agree
        text = "\n".join(text_lines(text))
    default, labelled = parse_specs([spec] if isinstance(spec, str) else spec)
    named, named_loc = None, None  # the spec an answers file names, and where
    reading = Reading()
    tables = False  # a table none of whose rows finds a subject is about something else
    if fmt == "yaml":
        root = load(text, name)
        if isinstance(root, YMap) and "layers" in root:  # a spec: its own expect: figures
            if default or labelled:
                raise UsageError(f"'{name}' is a spec, checked against its own expect: figures; drop --spec")
            net = parse_network(root, name, input, sets)
            networks = Networks(name, {}, input, dtype)
            report = networks.add(name, net).report
            result = Result(name, name, report)
            reading.blocks = [expect_entries(report, net)]
            return _judged(result, reading, networks, strict, "add expect: to its layers or top level")
        block, named, named_loc = read_answers(root, name)
        reading.blocks = [block]
    if sets and not (default or labelled or named):  # the networks a document's labels name take none
        raise UsageError("--set gives values to the spec --spec names; give --spec SPEC too")
    networks = Networks(default, labelled, input, dtype, sets)
    if fmt == "yaml" and named and not default:  # the answers name their spec: only what they may name
        spec_text, display, default = named_spec(named, path, named_loc, allow_spec_path)
        try:
            net = parse_spec(spec_text, display, input, sets)
        except SpecError as e:
            e.loc = e.loc or named_loc
            raise
        networks.default = default
        networks.add(default, net)
    if fmt == "csv":
        reading.blocks = read_csv(text, name, networks.names, reading.skipped)
        reading.kinds = [("table", 1)] * len(reading.blocks)
        tables = True
    elif fmt in ("markdown", "text"):
        reading = read_document_text(text, name, networks.names)
        tables = True
    try:
        if default:
            networks.truths(None)
    except SpecError as e:
        e.loc = e.loc or named_loc  # a spec an answers file names: say where it was named
        raise
    hint = {"markdown": "give its tables a layer column and figure columns (output, params, MACs, memory)",
            "csv": "give it a header row with a layer column and figure columns (output, params, MACs)",
            "yaml": "map layer names to figures: conv1: {output: 55x55x96, params: 34944}",
            "text": "write one layer a line, as 'CONV1: [55x55x96]  memory: 290K  weights: 34,848'"}[fmt]
    return _judged(Result(name, "", None), reading, networks, strict, hint, tables)


def _judged(result: Result, reading: Reading, networks: Networks, strict: bool, hint: str,
            tables: bool = False) -> Result:
    claims = [c for block in reading.blocks for s in block for c in s.claims]
    if len(claims) > MAX_CLAIMS:
        raise SpecError(f"'{result.file}' states more than {MAX_CLAIMS:,} figures; nnarith checks at most that "
                        "many in one document", claims[MAX_CLAIMS].loc, hint="check it in parts")
    result.skipped = list(reading.skipped)
    for n, block in enumerate(reading.blocks):
        if not block:
            continue
        kind, line = reading.kinds[n] if n < len(reading.kinds) else ("answers", block[0].loc.line)
        items = judge_block(block, networks, strict)
        if kind == "prose":  # a sentence whose subject is not found is not a wrong figure: it is said
            for i in items or [i for s in block for i in judge_unmatched(s)]:
                if i.true_text == "unknown":
                    result.skipped.append(Skipped(i.line, "the sentence", i.note.removeprefix(UNCHECKABLE)))
                else:
                    result.items.append(i)
            continue
        if tables and items is None:
            result.skipped.append(Skipped(line, "the table", "none of its rows names a layer, block or network "
                                                             "of the spec"))
            continue
        for i in items or []:
            if i.note.startswith(UNCHECKABLE):
                result.skipped.append(Skipped(i.line, f"the {i.what}", i.note.removeprefix(UNCHECKABLE)))
            else:
                result.items.append(i)
    if not result.items:
        raise SpecError(f"found no figures to check in '{result.file}'", Loc(result.file, 1, 1), hint=hint)
    result.items.sort(key=lambda i: (i.line, i.col))
    result.skipped.sort(key=lambda s: s.line)
    if networks.used:
        first = networks.loaded[networks.used[0]]
        result.report = result.report or first.report
        result.spec = result.spec or first.report.file
        result.networks = [networks.loaded[s].report for s in networks.used]
    return result
