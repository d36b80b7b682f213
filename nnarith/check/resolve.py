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
from nnarith.check.claims import UNCHECKABLE, Block, Claim, Subject
from nnarith.check.judge import WRONG, Item, judge, unmatched
from nnarith.check.networks import Networks
from nnarith.check.truth import Truths
from nnarith.check.variants import rounded_otherwise

FIGURE_WORDS = {"output": "output", "macs": "MACs", "flops": "FLOPs", "rf": "RF", "rf_stride": "RF stride",
                "rf_padding": "RF padding", "other_ops": "other ops", "non_trainable": "non-trainable params",
                "trainable": "trainable params", "input_size": "input size", "params_size": "params size",
                "forward_backward_size": "forward/backward size", "total_size": "total size",
                "trainable_size": "trainable size", "non_trainable_size": "non-trainable size",
                "in_channels": "input channels", "input": "input", "1x1": "#1x1", "3x3_reduce": "#3x3 reduce",
                "3x3": "#3x3",
                "5x5_reduce": "#5x5 reduce", "5x5": "#5x5", "pool_proj": "pool proj", "s1x1": "s1x1 (squeeze)",
                "e1x1": "e1x1 (expand)", "e3x3": "e3x3 (expand)"}


def judge_block(block: Block, networks: Networks, strict: bool) -> list[Item] | None:
    """Every claim of the block judged; None when no subject found anything (a table about something else)."""
    columns = list(dict.fromkeys(c.network for s in block for c in s.claims if c.network))
    wanted: dict[str | None, None] = {}
    for s in block:
        for c in s.claims:
            for label in _about(s, c, columns):
                wanted.setdefault(label, None)
    matches: dict[str | None, list[Match]] = {}
    index: dict[str | None, dict[int, int]] = {}
    for label in list(wanted):
        if label is None and networks.default is None and networks.named:
            continue  # the document names its networks, and this block none: said per claim below
        truths = networks.truths(label)
        mine = [s for s in block if label in _about(s, None, columns) or any(label in _about(s, c, columns)
                                                                              for c in s.claims)]
        matches[label] = aligner(truths).align(mine)
        index[label] = {id(s): i for i, s in enumerate(mine)}
    if all(isinstance(m, str) for ms in matches.values() for m in ms) and not any(s.exact for s in block):
        return None
    items = []
    models = any(s.network for s in block)  # a table of models: a row that names none of ours is another's
    for s in block:
        for claim in s.claims:
            labels = _about(s, claim, columns)
            if labels == [None] and None not in matches:
                items.append(unmatched(claim, f"{s.label} {FIGURE_WORDS.get(claim.name, claim.name)}",
                                       "which network is this about? name it in the sentence, or give --spec SPEC"))
                continue
            found = [(label, matches[label][index[label][id(s)]]) for label in labels]
            results = [_item(s, m, claim, networks.truths(label), strict) for label, m in found]
            item = _combined(results, labels, claim, s)
            if models and not s.network and item.true_text == "unknown" and not item.note.startswith(UNCHECKABLE):
                item.note = f"{UNCHECKABLE}'{s.label}' names no network with a spec: give --spec '{s.label}=SPEC'"
            items.append(item)
    return items


def aligner(truths: Truths) -> Aligner:
    """One per network: its names and order are built once, not for every block of the document."""
    if truths.aligner is None:
        truths.aligner = Aligner(truths)
    return truths.aligner


def judge_unmatched(s: Subject) -> list[Item]:
    """A subject that found nothing: its claims, each with the reason."""
    return [unmatched(c, f"{s.label} {FIGURE_WORDS.get(c.name, c.name)}",
                      f"cannot tell what '{s.label}' is: name a layer of the spec, or the network") for c in s.claims]


def _about(s: Subject, c: Claim | None, columns: list[str]) -> list[str | None]:
    if c is not None and c.network:
        return [c.network]
    if s.network or s.within:
        return [s.network or s.within]
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
    if claim.name == "pruned":
        return unmatched(claim, f"{s.label} {claim.name}", f"{UNCHECKABLE}a figure of the model after pruning or "
                                                          "quantisation, which the spec does not describe")
    if claim.name == "connections":
        return unmatched(claim, f"{s.label} connections", f"{UNCHECKABLE}connections (LeNet-5's count of the inputs "
                                                          "each output reads, before weights are shared) are not a "
                                                          "figure nnarith counts")
    if isinstance(match, str):
        return unmatched(claim, f"{s.label} {word}", match)
    best = None
    for target in match:
        what = f"{target.name} {'shape' if target.kind == 'input' and word == 'output' else word}"
        if claim.name == "arch":
            from nnarith.check.architecture import judge_arch

            return judge_arch(claim, f"{target.name} arch", truths, target)
        truth = truths.truth(target, claim.name, claim.convention)
        item = (judge(claim, what, truth, per, strict, lambda t=target: rounded_otherwise(truths, t, claim.name))
                if truth is not None
                else unmatched(claim, what, f"the {target.name} has no {word}" if target.kind != "total"
                               else f"nnarith cannot check a {word} figure of the whole network"))
        if item.status == WRONG and claim.name in ("trainable", "non_trainable") and claim.convention != "keras":
            total = truths.report.totals.params
            return unmatched(claim, what, f"{UNCHECKABLE}which parameters are frozen is training state, not in "
                                          f"the spec; trainable and non-trainable add up to its {total:,} params")
        if s.each and item.status == WRONG:
            item.what = f"each {target.kind}: {item.what}"
            return item  # a claim about every such layer is wrong where one of them disagrees
        if item.status != WRONG and not s.each:
            return item
        best = best or item
    if s.each and best is not None:
        best.what = f"each {match[0].kind} ({len(match)} layers): {best.what.split(' ', 1)[1]}"
    return best
