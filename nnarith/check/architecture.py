"""Architecture claims: the hyperparameters a table states beside its figures.

    patch size/stride  7×7/2            the kernel (and stride) of the row's last layer with a kernel
    stride, filters    2, 64            its stride, and the channels or features it outputs
    depth              2                layers with weights along the longest path through the row
    #1×1 ... pool proj 64 96 128 ...    GoogLeNet's columns: the filters of each branch's convolutions
    7×7, 64, stride 2                   one cell: kernel, filters, stride
    [1×1, 64; 3×3, 64; 1×1, 256] ×3     a stage: 3 blocks, each of those convolutions on its main path
    average pool, 1000-d fc, softmax    the layers a row lists, in order
"""

from __future__ import annotations

import re
from typing import Any

from nnarith.analysis.report import Row
from nnarith.check.claims import UNCHECKABLE, Claim
from nnarith.check.judge import NOTE, OK, WRONG, Item
from nnarith.check.truth import Target, Truth, Truths
from nnarith.check.vocabulary import WEIGHTED, kinds_of
from nnarith.layers.merge import MERGES
from nnarith.loader.nodes import named_leaves

COLUMNS = ("1x1", "3x3_reduce", "3x3", "5x5_reduce", "5x5", "pool_proj", "s1x1", "e1x1", "e3x3")
_K = r"(\d+)\s*[x×]\s*(\d+)"


def layers(children: list, path: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every leaf's layer by its row name, named as analysis/walk.py names the rows."""
    return {".".join(full): leaf.layer for child in children
            for full, leaf in named_leaves(child, path + (child.name,))}


def _dims(value: Any, default: Any = None) -> list[int] | None:
    value = default if value is None else value
    if value is None:
        return None
    return list(value) if isinstance(value, (list, tuple)) else [value, value]


def kernel_of(truths: Truths, row: Row) -> list[int] | None:
    """A layer's kernel, per dimension; None for a layer without one."""
    return _dims(getattr(_layer(truths, row), "kernel", None))


def _layer(truths: Truths, row: Row):
    if truths.layers is None:
        truths.layers = layers(truths.net.body.children) if truths.net is not None else {}
    return truths.layers.get(row.name)


def _with_kernel(truths: Truths, rows: list[Row]):
    for r in reversed(rows):
        layer = _layer(truths, r)
        if layer is not None and getattr(layer, "kernel", None) is not None:
            return r, layer
    return None, None


def _branches(rows: list[Row]) -> list[list[Row]]:
    """Rows grouped by the branch they run in; rows outside branches form one group."""
    groups: dict[tuple, list[Row]] = {}
    for r in rows:
        k = next((i for i, kind in enumerate(r.kinds) if kind == "branch"), None)
        groups.setdefault(r.path[:k + 1] if k is not None else (), []).append(r)
    return list(groups.values())


def depth(rows: list[Row], level: int) -> int:
    """Layers with weights along the longest path: in sequence they add, branches of a merge take the max."""
    total, i = 0, 0
    while i < len(rows):
        r = rows[i]
        k = next((j for j in range(level, len(r.kinds)) if r.kinds[j] == "branch"), None)
        if k is None:
            total += r.kind in WEIGHTED
            i += 1
            continue
        merge = r.path[:k]  # path[:k + 1] is a branch of the merge at path[:k]
        j = i
        while j < len(rows) and rows[j].path[:k] == merge and len(rows[j].path) > k + 1:
            j += 1
        branches: dict[tuple, list[Row]] = {}
        for b in rows[i:j]:
            branches.setdefault(b.path[:k + 1], []).append(b)
        total += max(depth(b, k + 1) for b in branches.values())
        i = j
    return total


def arch_truth(truths: Truths, target: Target, figure: str) -> Truth | None:
    rows = target.rows
    if not rows:
        return None
    if figure == "stride" and len(rows) > 1 and rows[0].input is not None and len(rows[-1].shape.dims) > 1 \
            and len(rows[0].input.dims) == len(rows[-1].shape.dims):  # a sequence: how much it downsamples
        s = [a // b for a, b in zip(rows[0].input.dims[1:], rows[-1].shape.dims[1:]) if b]
        return Truth(s, f"{rows[0].input} in, {rows[-1].shape} out: stride {s[0] if len(set(s)) == 1 else s}")
    if figure in ("kernel", "stride"):
        r, layer = _with_kernel(truths, rows)
        whole = ("gap", "adaptive_avgpool", "adaptive_maxpool")
        fc = next((r for r in reversed(rows) if r.input is not None and len(r.input.dims) > 1 and (
            r.kind == "fc" or r.kind in whole and set(r.shape.dims[1:]) == {1})), None)
        if layer is None and fc is not None:  # LeNet-5's C5 is a 5x5 convolution over a 5x5 map; a pooling to 1x1
            size = list(fc.input.dims[1:])  # over a 13x13 map is a 13x13 pooling
            what = "fully connected" if fc.kind == "fc" else "pooled to 1x1"
            text = f"{fc.name} is {what} over its {'x'.join(map(str, size))} input"
            truth = Truth("none", text)
            truth.others.append(({"size": size, "stride": [1] * len(size)} if figure == "kernel" else [1] * len(size),
                                 "a layer over the whole of a map is one whose kernel is the map's size", text))
            return truth
        if layer is None:
            return Truth("none", f"{target.name} has no kernel") if figure == "kernel" else None
        k, s = _dims(layer.kernel), _dims(getattr(layer, "stride", None), layer.kernel)
        stride = f"stride {s[0] if len(set(s)) == 1 else 'x'.join(map(str, s))}"
        field = {"size": k, "stride": s}
        text = f"{r.name}: {'x'.join(map(str, k))}, {stride}"
        if r.input is not None and r.kind in ("conv", "deconv") and len(r.input.dims) > 1:  # 11×11×3: its depth
            field["depth"] = r.input.dims[0] // max(getattr(layer, "groups", 1) or 1, 1)
            text += f", over {field['depth']} channels"
        return Truth(field, text) if figure == "kernel" else Truth(s, f"{r.name}: {stride}")
    if figure == "filters":
        r = next((r for r in reversed(rows) if r.kind in WEIGHTED), None)
        return Truth(r.shape.dims[0], f"{r.name} outputs {r.shape.dims[0]} channels") if r else None
    if figure == "in_channels":
        r = next((r for r in rows if r.kind in WEIGHTED), None)
        if r is None or r.input is None:
            return None
        flat = r.kind == "fc" or len(r.input.dims) == 1
        n = r.input.numel if flat else r.input.dims[0]
        return Truth(n, f"{r.name} reads {n:,} {'features' if flat else 'channels'}")
    if figure == "depth":
        n = depth(rows, min(len(r.path) for r in rows) - 1)
        return Truth(n, f"{n} layer{'' if n == 1 else 's'} with weights on the longest path through {target.name}")
    if figure in COLUMNS:
        found = _googlenet(truths, rows).get(figure)
        return Truth(found[0], found[1]) if found else Truth(0, f"{target.name} has no such convolution")
    return None


def short(r: Row, rows: list[Row]) -> str:
    """A layer's name inside the block the rows share: 'b3x3.conv2' in inception3a, without the merge."""
    prefix = 0
    while all(len(x.path) > prefix + 1 and x.path[prefix] == r.path[prefix] for x in rows):
        prefix += 1
    kept = [p for k, p in enumerate(r.path[prefix:], prefix)
            if k >= len(r.kinds) or r.kinds[k] not in MERGES]
    return ".".join(kept) or r.name


def _googlenet(truths: Truths, rows: list[Row]) -> dict[str, tuple[int, str]]:
    out: dict[str, tuple[int, str]] = {}
    for group in _branches(rows):
        convs = [r for r in group if r.kind == "conv"]
        pooled = any(r.kind in ("maxpool", "avgpool") for r in group)
        branched = any("branch" in r.kinds for r in group)
        for r in convs:  # SqueezeNet's fire: a 1x1 squeeze, then 1x1 and 3x3 expands side by side
            k = (kernel_of(truths, r) or [0])[0]
            name = f"e{k}x{k}" if branched else f"s{k}x{k}"
            out.setdefault(name, (r.shape.dims[0], f"{short(r, rows)}: {r.shape.dims[0]} filters"))
        for j, r in enumerate(convs):
            k = kernel_of(truths, r) or [0]
            c = r.shape.dims[0]
            if k[0] == 1 and pooled:
                out["pool_proj"] = (c, f"{short(r, rows)}: the 1x1 after the pooling, {c} filters")
            elif k[0] == 1 and j + 1 < len(convs):
                n = (kernel_of(truths, convs[j + 1]) or [0])[0]
                out[f"{n}x{n}_reduce"] = (c, f"{short(r, rows)}: the 1x1 before the {n}x{n}, {c} filters")
            elif k[0] == 1:
                out["1x1"] = (c, f"{short(r, rows)}: {c} filters")
            else:
                out[f"{k[0]}x{k[0]}"] = (c, f"{short(r, rows)}: {c} filters")
    return out


def judge_arch(claim: Claim, what: str, truths: Truths, target: Target) -> Item:
    """A cell such as '7×7, 64, stride 2' or '[1×1, 64; 3×3, 64; 1×1, 256] ×3', part by part."""
    text = claim.text
    wrong, notes, true = [], [], []
    blocks = re.search(r"\[([^\]]*)\]\s*[x×]\s*(\d+)", text)
    rows = target.rows
    if blocks:
        stated = [(int(m[1]), int(m[3])) for m in re.finditer(_K + r"\s*,\s*(\d+)", blocks[1])]
        units = _units(rows)
        mains = [_main_convs(truths, u) for u in units]
        if not stated:  # DenseNet's [1 × 1 conv; 3 × 3 conv] × 6: kernels, no filter counts
            stated = [(int(m[1]), None) for m in re.finditer(_K, blocks[1])]
            mains = [[(k, None) for k, _ in m] for m in mains]
        true.append(f"{len(units)} blocks of [{'; '.join(f'{k}x{k}' + (f', {c}' if c else '') for k, c in mains[0])}]"
                    if mains else "")
        if len(units) != int(blocks[2]):
            wrong.append(f"{len(units)} blocks, not {blocks[2]}")
        if any(m != stated for m in mains):
            wrong.append("the blocks' convolutions differ")
        text = text[:blocks.start()] + text[blocks.end():]
    parts: list[str] = []
    for piece in (p.strip() for p in re.split(r"[,;]", text) if p.strip()):
        if parts and not (kinds_of(piece) or re.search(_K, piece)):  # '3×3 max pool, stride 2': one layer
            parts[-1] += ", " + piece
        else:
            parts.append(piece)
    for part in parts:
        _part(part, truths, rows, wrong, notes, true)
    if not wrong and not notes and not true:  # 'bottleneck': a word that names no layer to compare
        return Item(claim.loc.line, what, claim.text, None, WRONG, "", claim.loc.col, "unknown",
                    f"{UNCHECKABLE}'{claim.text}' names no layer kind or hyperparameter nnarith compares")
    status = WRONG if wrong else NOTE if notes else OK
    return Item(claim.loc.line, what, claim.text, None, status, "; ".join(t for t in true if t), claim.loc.col,
                "; ".join(t for t in true if t) or "as stated", "; ".join(wrong or notes))


def _part(part: str, truths: Truths, rows: list[Row], wrong: list, notes: list, true: list) -> None:
    kinds = kinds_of(part)
    vgg = re.fullmatch(r"(?i)\s*conv(\d+)-(\d+)\s*", part)  # the VGG paper's conv3-64: kernel 3, 64 filters
    if vgg:
        part = f"{vgg[1]}x{vgg[1]} conv, {vgg[2]}"
    k = re.search(_K, part)
    stride = re.search(r"stride\s*(\d+)", part)
    width = (re.search(r"(\d+)-d\b", part) or re.search(r"(?i)\bfc-?(\d+)\b", part)
             or (re.fullmatch(r"\s*(\d+)\s*", part) if not kinds else None))
    if kinds is None and k is None and stride is None and width is None:
        return
    pool = kinds and kinds & {"maxpool", "avgpool", "gap", "adaptive_avgpool", "adaptive_maxpool"}
    cands = [r for r in rows if (kinds is None and r.kind in WEIGHTED) or (kinds and r.kind in kinds)]
    if not cands and kinds == {"conv"} and any(r.kind == "fc" and r.input is not None
                                               and set(r.input.dims[1:]) <= {1} for r in rows):
        notes.append("a 1x1 convolution of a 1x1 map: the spec's linear layer")
        return
    if not cands:
        if kinds == {"softmax"} and rows[-1].kind != "softmax":
            notes.append("no softmax in the spec: it outputs logits, and the softmax is in the loss")
        else:
            wrong.append(f"no {part} in {rows[0].name}..{rows[-1].name}")
        return
    r = cands[0] if pool or kinds else cands[-1]
    layer = _layer(truths, r)
    kk = _dims(getattr(layer, "kernel", None))
    ss = _dims(getattr(layer, "stride", None), getattr(layer, "kernel", None))
    true.append(f"{r.name}: {r.kind}" + (f" {kk[0]}x{kk[1]}" if kk else "") + (f", stride {ss[0]}" if ss else "")
                + (f", {r.shape.dims[0]}" if r.kind in WEIGHTED else ""))
    if k and kk and [int(k[1]), int(k[2])] != kk[:2]:
        wrong.append(f"{r.name}'s kernel is {kk[0]}x{kk[1]}")
    if stride and ss and int(stride[1]) != ss[0]:
        wrong.append(f"{r.name}'s stride is {ss[0]}")
    filters = re.search(r"[x×]\s*\d+\s*(?:conv)?\s*,\s*(\d+)", part) or width
    if filters and r.kind in WEIGHTED and int(filters[1]) != r.shape.dims[0]:
        wrong.append(f"{r.name} has {r.shape.dims[0]} outputs")


def _units(rows: list[Row]) -> list[list[Row]]:
    """A stage's repeated blocks: its rows grouped by the block directly under the stage."""
    level = min(len(r.path) for r in rows if r.kind == "conv") - 1 if any(r.kind == "conv" for r in rows) else 0
    base = next((r.path[:1] for r in rows if len(r.path) > 1), ())
    groups: dict[tuple, list[Row]] = {}
    for r in rows:
        if r.path[:len(base)] == base and len(r.path) > len(base) + 1:
            groups.setdefault(r.path[:len(base) + 1], []).append(r)
    return list(groups.values()) if groups else ([rows] if level else [])


def _main_convs(truths: Truths, rows: list[Row]) -> list[tuple[int, int]]:
    groups = _branches(rows)
    main = max(groups, key=lambda g: sum(r.kind == "conv" for r in g))
    return [((kernel_of(truths, r) or [0])[0], r.shape.dims[0]) for r in main if r.kind == "conv"]
