"""The corpus of published documents (tests/corpus) and their expected verdicts, compared
with what nnarith check says. Used by tests/test_check_corpus.py and benchmarks/check_corpus.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from nnarith.check.run import check_file
from nnarith.errors import NnarithError

CORPUS = Path(__file__).parent / "corpus"


@dataclass
class Document:
    name: str
    path: Path
    specs: list[str]
    figures: list[dict]
    data: dict


@dataclass
class Outcome:
    right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)
    error: str = ""
    result: object = None


def _spec(name: str, where: Path = CORPUS) -> str:
    for local in (where / name, where / "specs" / f"{name}.yaml", CORPUS / name):
        if local.is_file():
            return str(local)
    return name


def load(verdicts: Path) -> Document:
    data = yaml.safe_load(verdicts.read_text())
    where = verdicts.parent
    specs = [_spec(data["spec"], where)] if data.get("spec") else []
    specs += [f"{label}={_spec(spec, where)}" for label, spec in (data.get("specs") or {}).items()]
    return Document(data["document"], where / data["document"], specs, data["figures"], data)


DOCUMENTS = [load(p) for p in sorted(CORPUS.glob("*.verdicts.yaml"))]
# Written after the readers were, by someone who never ran them: how well they carry to documents unseen.
HELDOUT = [load(p) for p in sorted((CORPUS / "heldout").glob("*.verdicts.yaml"))]
HELDOUT2 = [load(p) for p in sorted((CORPUS / "heldout2").glob("*.verdicts.yaml"))]  # a second set, the same way

FIGURE = {"output": ("output", "shape"), "macs": ("MACs",), "flops": ("FLOPs",), "rf": ("RF",),
          "non_trainable": ("non-trainable params",), "trainable": ("trainable params",),
          "input_size": ("input size",), "params_size": ("params size", "trainable size", "non-trainable size"),
          "forward_backward_size": ("forward/backward size",), "total_size": ("total size",),
          "trainable_size": ("trainable size",), "non_trainable_size": ("non-trainable size",),
          "in_channels": ("input channels",), "1x1": ("#1x1",), "3x3_reduce": ("#3x3 reduce",), "3x3": ("#3x3",),
          "5x5_reduce": ("#5x5 reduce",), "5x5": ("#5x5",), "pool_proj": ("pool proj",),
          "s1x1": ("s1x1 (squeeze)",), "e1x1": ("e1x1 (expand)",), "e3x3": ("e3x3 (expand)",)}


def _figure_of(what: str) -> str:
    for name, words in FIGURE.items():
        if any(what.endswith(" " + w) or what.endswith(" " + w + ")") or (" " + w + " (") in what for w in words):
            return name
    return re.sub(r"\([^)]*\)", "", what).split()[-1]


def compare(doc: Document) -> Outcome:
    out = Outcome(total=len(doc.figures))
    try:
        result = check_file(str(doc.path), doc.specs or None)
    except NnarithError as e:
        out.error = f"error: {e}"
        return out
    out.result = result
    items = list(result.items)
    skipped = {s.line for s in result.skipped}
    for f in doc.figures:
        want, line, stated = f["verdict"], f["line"], str(f.get("stated", ""))
        same_line = [i for i in items if i.line == line and _figure_of(i.what) == f["figure"]]
        pick = [i for i in same_line if stated and stated.replace(" ", "") in i.stated.replace(" ", "")] or same_line
        if want == "skipped":
            got = "skipped" if (not pick and line in skipped) or (pick and pick[0].status == "wrong"
                                                                  and pick[0].true_text == "unknown") else \
                (pick[0].status if pick else "unread")
        else:
            got = pick[0].status if pick else ("skipped" if line in skipped else "unread")
        if pick:
            items.remove(pick[0])
        if got == want:
            out.right += 1
        else:
            said = f"{pick[0].what}: {pick[0].stated} -> {pick[0].true_text} {pick[0].note}" if pick else ""
            out.misses.append(f"line {line} {f['figure']} '{stated}': expected {want}, got {got}  {said}")
    return out
