"""One block of subjects, from claims to verdicts: which network each claim is about, the
alignment of the block against that network, and the judge.

A claim is about the network its column names (one column per model), else the network its
row names (one row per model), else the network of a column-per-model table as a whole (the
'output size' column of the ResNet paper's table holds for every model), else the document's
own network (--spec). A claim about several networks is judged against each, and reported once.
"""

from __future__ import annotations

from nnarith.analysis.report import DTYPE_BYTES
from nnarith.check.align import Aligner, Match
from nnarith.check.claims import Block, Claim, Subject
from nnarith.check.judge import WRONG, Item, judge, unmatched
from nnarith.check.networks import Networks
from nnarith.check.truth import Truths

FIGURE_WORDS = {"output": "output", "macs": "MACs", "flops": "FLOPs", "rf": "RF", "rf_stride": "RF stride",
                "rf_padding": "RF padding", "other_ops": "other ops", "non_trainable": "non-trainable params",
                "trainable": "trainable params", "input_size": "input size", "params_size": "params size",
                "forward_backward_size": "forward/backward size", "total_size": "total size",
                "trainable_size": "trainable size", "non_trainable_size": "non-trainable size"}


def judge_block(block: Block, networks: Networks, strict: bool) -> list[Item] | None:
    """Every claim of the block judged; None when no subject found anything (a table about something else)."""
    columns = list(dict.fromkeys(c.network for s in block for c in s.claims if c.network))
    wanted: dict[str | None, None] = {}
    for s in block:
        for c in s.claims:
            for label in _about(s, c, columns):
                wanted.setdefault(label, None)
    matches: dict[str | None, list[Match]] = {}
    for label in wanted:
        truths = networks.truths(label)
        matches[label] = Aligner(truths).align([s for s in block if s.network in (None, label)
                                                or networks.spec_of(s.network) == networks.spec_of(label)])
    if all(isinstance(m, str) for ms in matches.values() for m in ms) and not any(s.exact for s in block):
        return None
    items = []
    index = {label: {id(s): i for i, s in enumerate(s for s in block if s.network in (None, label)
                                                 or networks.spec_of(s.network) == networks.spec_of(label))}
             for label in matches}
    for s in block:
        for claim in s.claims:
            labels = _about(s, claim, columns)
            found = [(label, matches[label][index[label][id(s)]]) for label in labels]
            results = [_item(s, m, claim, networks.truths(label), strict) for label, m in found]
            items.append(_combined(results, labels, claim, s))
    return items


def _about(s: Subject, c: Claim, columns: list[str]) -> list[str | None]:
    if c.network:
        return [c.network]
    if s.network:
        return [s.network]
    return columns or [None]


def _combined(results: list[Item], labels: list, claim: Claim, s: Subject) -> Item:
    worst = next((r for r in results if r.status == WRONG), results[0])
    named = [label for label in labels if label]
    if claim.network or s.network:
        worst.what = f"{named[0]}: {worst.what}" if not worst.what.startswith("total") else \
            f"{named[0]} {worst.what.removeprefix('total ')}"
    elif len(named) > 1:
        which = named[results.index(worst)] if worst.status == WRONG else f"all {len(named)} networks"
        worst.what = f"{worst.what} ({which})"
    return worst


def _item(s: Subject, match: Match, claim: Claim, truths: Truths, strict: bool) -> Item:
    per = DTYPE_BYTES[truths.report.dtype]
    word = FIGURE_WORDS.get(claim.name, claim.name)
    if isinstance(match, str):
        return unmatched(claim, f"{s.label} {word}", match)
    best = None
    for target in match:
        what = f"{target.name} {'shape' if target.kind == 'input' and word == 'output' else word}"
        if claim.name == "arch":
            from nnarith.check.architecture import judge_arch

            return judge_arch(claim, f"{target.name} arch", truths, target)
        truth = truths.truth(target, claim.name, claim.convention)
        item = (judge(claim, what, truth, per, strict, lambda t=target: truths.rounded_otherwise(t, claim.name))
                if truth is not None
                else unmatched(claim, what, f"the {target.name} has no {word}" if target.kind != "total"
                               else f"nnarith cannot check a {word} figure of the whole network"))
        if item.status != WRONG:
            return item
        best = best or item
    return best
