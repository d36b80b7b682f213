"""The claim model: what a document states, kept apart from where it came from and how it is judged.

Readers turn a document into subjects, each with the claims made about it:

    Subject('CONV1-96', line 4)  claims: output '55x55x96', memory '55*55*96=290K'
    Subject('ResNet50_Weights.IMAGENET1K_V2', network row)  claims: params '25.6M', flops '4.09'

A subject is what a row, a line or a sentence is about: the whole network, a layer, a stage
(a block of the spec, or a contiguous span of layers), or one network among several. Alignment
(align.py) resolves subjects to targets of a spec; the judge (judge.py) compares each claim with
the truth of its target.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nnarith.check.fit import FIT_WORDS
from nnarith.errors import Loc


@dataclass
class Claim:
    """One figure as a document states it."""

    name: str  # canonical: output, params, macs, memory... (vocabulary.py)
    text: str  # as written
    loc: Loc
    unit: str | None = None  # the unit its column header gives
    network: str | None = None  # the network a column names (one column per model)
    convention: str | None = None  # a tool's own definition the figure follows: 'torchinfo', 'keras'


@dataclass
class Subject:
    """What a row, line or sentence is about, with the claims it makes."""

    label: str
    loc: Loc
    claims: list[Claim] = field(default_factory=list)
    kind: str | None = None  # from a kind/type column, or a label such as 'conv2d_1 (Conv2D)'
    exact: bool = False  # the label is a full name (expect:), not to be aligned
    network: str | None = None  # this row is about the whole of the network so labelled
    within: str | None = None  # this subject is a part of the network so labelled ("In AlexNet, conv1 ...")
    depth: int | None = None  # in a printed module tree (torchinfo's depth-idx): its depth
    span: int | None = None  # a 'depth N' column: the row spans N layers with weights
    total: bool = False  # a totals line of a summary: the whole network
    lists: list[str] = field(default_factory=list)  # layers a cell lists ('average pool, 1000-d fc')
    printed: bool = False  # a tool's label, class and index ('Conv2d-3', 'Conv2d: 1-1'): not a name
    each: bool = False  # 'each convolutional layer': every target must agree, not one of them
    repeats: int | None = None  # MobileNetV2's n: the row is a sequence of that many blocks


UNCHECKABLE = "cannot be checked: "  # the reason of a claim the spec cannot settle: said, not judged
MAX_CLAIMS = 20_000  # figures in one document: as many as the layers a spec may have
Block = list[Subject]  # subjects aligned together: one table, one notes file, one answers file


@dataclass
class Skipped:
    """Something that looks like figures and was not checked, with the reason."""

    line: int
    what: str  # 'the table', 'the line'
    reason: str


WORDS = {"memory": ("in place", "view"), "rf": ("whole", "n/a", "undefined")}  # figures without digits


def stated(figure: str, text: str) -> bool:
    """Whether a cell states a figure at all (empty cells, dashes and prose state none)."""
    if figure == "output" and FIT_WORDS.fullmatch(text):  # an output size that does not divide (fit.py)
        return True
    return any(c.isdigit() for c in text) or text.lower() in WORDS.get(figure, ())
