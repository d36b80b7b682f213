"""Which part of a network each subject of a document means: the alignment stage.

1. Input and total rows, totals lines of summaries and rows naming a whole network mean
   the input and the totals.
2. A label that names a layer or block of the spec means it, when it is unique in its table
   and its kind agrees. Names are compared with case, spaces, dashes and brackets aside
   ('inception (3a)' names inception3a, 'CONV1-96' conv1); torchvision's module paths
   resolve through the blocks ('layer1.0.conv1'); the ResNet paper's stage 'conv2_x' is
   torchvision's layer1, with the max pool before it.
3. Otherwise rows follow the network's order, each finding the next layer of its kind. When
   the row states an output shape and the next such layer has another, a later one of the
   same kind that has it is taken instead: a row that found nothing does not shift the rest.
4. Stages: a row whose 'depth' is N spans the next N layers with weights; a row of a printed
   module tree (torchinfo) with rows under it spans them; one without (a container printed
   at its summed depth) spans the layers between its aligned neighbours.
A subject that finds nothing is reported, with the reason, against each of its claims.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import islice

from nnarith.check.claims import Block, Subject
from nnarith.check.prose import GENERIC
from nnarith.check.shapes import read_shapes, shape_matches
from nnarith.check.trees import resolve_containers
from nnarith.check.truth import Target, Truths
from nnarith.check.vocabulary import TRAITS, WEIGHTED, kinds_of, name_tokens, special
from nnarith.layers.merge import MERGES

Match = list[Target] | str  # the targets, or why there are none
# kinds a document may write for one another, by their `family` (d2l's LeNet: sigmoid, avg pool)
FAMILIES = [{k for k, c in TRAITS.items() if c.family == f} for f in dict.fromkeys(c.family for c in TRAITS.values())
            if f is not None]
ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "last": -1, "final": -1}
LOOKAHEAD = 64  # layers searched past the next one of a kind, for one whose shape fits


def squash(text: str) -> str:
    return re.sub(r"[^a-z0-9.]", "", text.lower())


class Aligner:
    def __init__(self, truths: Truths) -> None:
        self.truths = truths
        self.rows = truths.report.rows
        self.order = {r.name: i for i, r in enumerate(self.rows)}
        self.names: dict[str, str] = {}
        for r in self.rows + truths.report.aux_rows:
            for i in range(1, len(r.path) + 1):
                full = ".".join(r.path[:i])
                self.names.setdefault(full.lower(), full)
                self.names.setdefault(squash(full), full)
        self.block_names = {p[-1] for p in truths.blocks}

    def align(self, block: Block) -> list[Match]:
        counts = Counter(s.label.lower() for s in block)
        pointer, last = 0, "the input"
        out: list[Match] = []
        for subject in block:
            match = self._one(subject, counts, pointer, last)
            if isinstance(match, tuple):
                match, pointer = match
            if not isinstance(match, str) and match and match[0].rows:
                last = match[0].name
            out.append(match)
        self._containers(block, out)
        return out

    def _one(self, s: Subject, counts: Counter, pointer: int, last: str):
        t = self.truths
        if s.exact:
            return _exact(s, t)
        if s.total or s.network:
            return [t.special("total")]
        which = special(s.label)
        if which:
            return [t.special(which)]
        if re.match(r"(?i)training.only heads?|aux(iliary)? (heads?|classifiers?)$", s.label.strip()):
            return [Target("training-only heads", "block", t.report.aux_rows)] if t.report.aux_rows else \
                "the spec has no training-only heads"
        if s.depth is not None and not kinds_of(s.kind or ""):
            return "container"  # resolved once the rows under it are aligned
        if s.printed and s.depth is None and s.kind and not kinds_of(s.kind):
            return self._after(pointer)  # torchsummary's 'BasicBlock-11': printed after the layers it holds
        if s.kind == "prose":
            return self._prose(s)
        kinds = kinds_of(s.kind or "") or kinds_of(s.label) or (kinds_of(s.lists[0]) if s.lists else None) \
            or _cell_kinds(s)
        found = self._by_name(s, kinds) if counts[s.label.lower()] == 1 and not s.printed else None
        found = self._narrowed(found, s) if found else found
        if found:
            ends = [self.order[r.name] for f in found for r in f.rows if r.name in self.order]
            return found, (max(ends) + 1 if ends else pointer)
        if not kinds and s.repeats:  # MobileNetV2's "bottleneck, n = 3": the next three blocks
            return self._units(pointer, s.repeats)
        if not kinds:
            return (f"cannot tell which layer '{s.label}' is: name it as the spec does, or say its kind (conv, "
                    "pool, fc...)")
        i = self._next(kinds, pointer, None if s.span or s.lists else _stated_shape(s))
        if i is None and kinds == {"softmax"} and self.rows:  # the spec ends in logits: its softmax is the loss's
            return [t.row(self.rows[-1])], pointer
        if i is None:
            word = s.kind or s.label
            return f"the spec has no layer of the kind '{word}' after {last}"
        if s.span and s.span > 1:  # 'depth 2': this layer and the weighted ones after it
            return self._span(i, s.span)
        if s.lists and len(s.lists) > 1:  # 'average pool, 1000-d fc, softmax'
            return self._listed_span(i, s.lists)
        return [t.row(self.rows[i])], i + 1

    def _narrowed(self, found: list[Target], s: Subject) -> list[Target]:
        """A named block whose row describes one of its layers (DenseNet's 'Transition Layer (1) | 1 × 1 conv')."""
        cell = next((c.text for c in s.claims if c.name == "arch"), "")
        kinds = kinds_of(cell) if cell and "[" not in cell and not re.search(r"[,;]", cell) else None
        block = next((t for t in found if t.kind == "block"), None)
        if not kinds or block is None:
            return found
        row = next((r for r in block.rows if r.kind in kinds), None)
        return [self.truths.row(row)] if row is not None else found

    def _after(self, pointer: int) -> Match:
        """The block that the layers aligned just before end: the smallest that ends with the last of them."""
        if pointer == 0:
            return "no layers before it to hold"
        last = self.rows[pointer - 1]
        for k in range(len(last.path) - 1, 0, -1):
            rows = self.truths.blocks.get(last.path[:k], [])
            if rows and rows[-1].name == last.name and len(rows) > 1:
                return [self.truths.span(rows)]
        return f"no block of the spec ends at {last.name}"

    def _next(self, kinds: set[str], pointer: int, shape) -> int | None:
        candidates = list(islice((i for i in range(pointer, len(self.rows)) if self.rows[i].kind in kinds),
                                 LOOKAHEAD))
        if not candidates and kinds == {"conv"}:  # MobileNetV2's last "conv2d 1x1" on a 1x1 map is a linear layer
            candidates = [i for i in range(pointer, len(self.rows)) if self.rows[i].kind == "fc"
                          and self.rows[i].input is not None and set(self.rows[i].input.dims[1:]) <= {1}][:1]
        family = next((f for f in FAMILIES if kinds <= f), None)
        if not candidates and family and not any(r.kind in kinds for r in self.rows):
            # the spec's activation or pooling there is of another kind: the row still means that layer
            candidates = [i for i in range(pointer, len(self.rows)) if self.rows[i].kind in family][:LOOKAHEAD]
        if not candidates:
            return None
        if shape is not None and not shape_matches(shape, self.rows[candidates[0]].shape.dims, spatial=True):
            fits = [i for i in candidates[1:] if shape_matches(shape, self.rows[i].shape.dims, spatial=True)]
            if fits:
                return fits[0]
        return candidates[0]

    def _units(self, start: int, count: int):
        """The next `count` blocks of the network's top level; layers outside blocks run together as one."""
        end, seen, key = start, 0, None
        for j in range(start, len(self.rows)):
            r = self.rows[j]
            k = r.path[0] if len(r.path) > 1 else ""
            if k != key:
                if seen == count:
                    break
                seen, key = seen + 1, k
            end = j
        if seen < count:
            return f"the spec has fewer than {count} blocks after {self.rows[start - 1].name if start else 'the input'}"
        return [self.truths.span(self.rows[start:end + 1])], end + 1

    def _span(self, start: int, weighted: int):
        seen, end = 0, start
        for j in range(start, len(self.rows)):
            seen += self.rows[j].kind in WEIGHTED
            end = j
            if seen == weighted:
                break
        return [self.truths.span(self.rows[start:end + 1])], end + 1

    def _listed_span(self, start: int, listed: list[str]):
        end = start
        for part in listed[1:]:
            kinds = kinds_of(part)
            j = next((k for k in range(end + 1, len(self.rows)) if kinds and self.rows[k].kind in kinds), None)
            if j is not None:
                end = j
        return [self.truths.span(self.rows[start:end + 1])], end + 1

    def _by_name(self, s: Subject, kinds: set[str] | None) -> list[Target] | None:
        label = s.label.lower()
        stage = re.fullmatch(r"conv(\d)(_x)?", label)  # the ResNet paper's conv2_x, ResNeXt's conv2
        if stage and int(stage[1]) >= 2 and f"layer{int(stage[1]) - 1}" in self.names and label not in self.names:
            return self._stage(f"layer{int(stage[1]) - 1}")
        plain = re.sub(r"(?i)\s*\blayers?\b\s*", "", s.label)  # DenseNet's 'Transition Layer (1)': transition1
        tokens = [*name_tokens(s.label), squash(s.label), squash(plain)]
        aux = "training_only." if label.startswith("training_only.") else ""  # a block's head, not its trunk
        for token in tokens:
            full = self.names.get(token) or self._module_path(token)
            if not full:
                continue
            found = self.truths.named(aux + full)
            rows = [t for t in found if t.kind != "block"]
            if kinds and rows and rows[0].kind not in kinds and len(found) == 1:
                continue  # 'POOL1' is no name for a conv that happens to be called pool1
            return found
        return None

    def _stage(self, block: str) -> list[Target]:
        """The ResNet paper's conv{k}_x: torchvision's layer{k-1}, with the pooling just before it."""
        target = next(t for t in self.truths.named(block) if t.kind == "block")
        first = self.order[target.rows[0].name]
        while first > 0 and self.rows[first - 1].kind in ("maxpool", "avgpool"):
            first -= 1
        rows = self.rows[first:self.order[target.rows[-1].name] + 1]
        return [self.truths.span(rows, f"{block} (conv{int(block[5:]) + 1}_x)")]

    def _module_path(self, token: str) -> str | None:
        """torchvision's 'layer1.0.conv1': each part a block of that name, or the n-th block."""
        parts = token.split(".")
        if len(parts) < 2 or not any(p.isdigit() for p in parts):
            return None
        prefix: tuple[str, ...] = ()
        for part in parts:
            children = self._children(prefix)
            if part.isdigit():
                blocks = [c for c in children if c[-1] in self.block_names]
                if int(part) >= len(blocks):
                    return None
                prefix = blocks[int(part)]
            else:
                hit = next((c for c in children if c[-1].lower() in (part, part + "1")), None)
                if hit is None:
                    return None
                prefix = hit
        return ".".join(prefix)

    def _children(self, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
        """The parts under a path, looking through the merges and branches a spec adds."""
        seen: dict[tuple[str, ...], None] = {}
        for r in self.rows + self.truths.report.aux_rows:
            if r.path[:len(prefix)] != prefix or len(r.path) <= len(prefix):
                continue
            k = len(prefix)
            while k < len(r.path) - 1 and (r.kinds[k] in MERGES or r.kinds[k] == "branch"):
                k += 1
            seen.setdefault(r.path[:k + 1], None)
        return list(seen)

    def _prose(self, s: Subject) -> Match:
        who = s.label.strip().lower()
        if not who or who in GENERIC or re.fullmatch(r"(the |this |our )?(whole |full )?(neural |convolutional )?"
                                                     r"(model|network|net|cnn)( architecture)?", who):
            return [self.truths.special("total")]
        kinds = kinds_of(who)
        ordinal = re.search(r"\b(" + "|".join(ORDINALS) + r")\b", who)
        if kinds and (ordinal or re.match(r"(each|every|all)\b", who)):  # "the first convolutional layer"
            rows = [r for r in self.rows if r.kind in kinds]
            if "spatial" in who:  # "all spatial convolutions": not the pointwise 1x1 ones
                from nnarith.check.architecture import kernel_of

                rows = [r for r in rows if max(kernel_of(self.truths, r) or [1]) > 1]
            if ordinal:
                k = ORDINALS[ordinal[1]]
                return [self.truths.row(rows[k])] if -len(rows) <= k < len(rows) else \
                    f"the spec has fewer than {k + 1} layers of the kind '{who}'"
            s.each = True  # "each convolutional layer": a claim about every one of them
            return [self.truths.row(r) for r in rows] or f"the spec has no layer of the kind '{who}'"
        for token in [*name_tokens(s.label), squash(s.label)]:
            full = self.names.get(token)
            if full:
                return self.truths.named(full)
        return f"cannot tell what '{s.label}' is: name a layer of the spec, or the network"

    def _containers(self, block: Block, out: list[Match]) -> None:
        resolve_containers(self, block, out)

    def rows_of(self, matches: list[Match]) -> list:
        """The rows of some matches, in the network's order."""
        rows = [r for m in matches if not isinstance(m, str) for t in m for r in t.rows if r.name in self.order]
        return sorted(rows, key=lambda r: self.order[r.name])


def _stated_shape(s: Subject):
    text = next((c.text for c in s.claims if c.name == "output"), None)
    if not text:
        return None
    try:
        parts, _ = read_shapes(text)
    except ValueError:
        return None
    return parts[-1] if parts else None


def _cell_kinds(s: Subject) -> set[str] | None:
    """A label that says nothing ('Classification Layer'): the kind its architecture cell names."""
    cell = next((c.text for c in s.claims if c.name == "arch"), "")
    if cell and not s.lists:
        s.lists = [p.strip() for p in re.split(r"[,;]", cell) if p.strip()]
    return kinds_of(s.lists[0]) if s.lists else None


def _exact(s: Subject, truths: Truths) -> Match:
    if s.kind == "total":
        return [truths.special("total")]
    found = truths.named(s.label)
    if s.kind == "block":
        found = [t for t in found if t.kind == "block"] or found
    else:
        found = [t for t in found if t.kind != "block"] or found
    return found or f"no layer named '{s.label}'"
