"""The words documents use: column headers for figures, and row labels for layer kinds.

Headers: "Output size", "Params (M)", "GFLOPs", "Memory (MB)", "Param #", "receptive field"...
A unit in the header ("(M)", "(MB)", the G of "GFLOPs") applies to the cells that give none.
Labels: "CONV1-96", "3x3 conv, 64", "MAX POOL1", "FC 4096", "Conv2d", "Input", "TOTAL"; the words
that name each kind are its class's `words` (layers/base.py).
"""

from __future__ import annotations

import re

from nnarith.check.claims import Subject
from nnarith.errors import Loc
from nnarith.layers import REGISTRY
from nnarith.layers.base import Traits
from nnarith.layers.merge import MERGES
from nnarith.loader.expect import FIGURES, figure_name

# (pattern on the lower-cased header, figure); the first that matches wins. None: not a figure.
# "ops" in a paper's table (GoogLeNet's) are multiply-adds; nnarith's own other arithmetic is "other ops".
_HEADERS = [
    (r"\brf[ _]?stride|receptive.*(stride|jump)|\bjump\b", "rf_stride"),
    (r"\brf[ _]?pad|receptive.*pad", "rf_padding"),
    (r"^rf$|\brf[ _]?size|receptive|^r\.?f\.?$", "rf"),
    (r"^(weight|model|network|name|layer|method|architecture)$", None),  # torchvision's "Weight": a label
    (r"^#? ?1 ?[x×] ?1$", "1x1"),
    (r"^#? ?([35]) ?[x×] ?\1 ?reduce$", "reduce"),
    (r"^#? ?([35]) ?[x×] ?\1$", "square"),
    (r"^pool ?proj", "pool_proj"),
    (r"^([se])([13]) ?x ?\2$", "fire"),  # SqueezeNet's s1x1 (squeeze), e1x1 and e3x3 (expand)
    (r"after pruning|pruned|sparsity|^# ?bits$|file ?size|checkpoint|download", "pruned"),
    (r"^min[ _]size$|^categories$|transforms", None),  # a model compressed after training: not its spec
    (r"^(patch|kernel|filter|window)( size| shape)?( ?/ ?stride)?\b|^kernel[ _]size$|^size ?/ ?stride$", "kernel"),
    (r"^input( size| shape| resolution)?$", "input"),  # a layer table's input column: each row's input
    (r"^stride$", "stride"),
    (r"^(#? ?filters|#? ?channels|out[ _]?channels|width|#? ?kernels)$", "filters"),
    (r"^depth$|^(?:#|no\.|num\.?|number of) ?(?:weight(?:ed)? )?layers$|^weight(?:ed)? layers$|^layer count$", "depth"),
    (r"input|pad|dilation|group|note|comment|description|hyper|acc|top-?[15]|error|recipe|latency|speed"
     r"|resolution|image|dataset|year|paper|link|download|url|connected|trainable\?", None),
    (r"^other ops$|^other_ops$", "other_ops"),
    (r"mult.?adds?|madds|\b[gmkt]?macs?\b|multiply.?(add|accumulate)|^ops$|^operations$|^[gmkt]ops$", "macs"),
    (r"\b[gmkt]?flops?\b", "flops"),
    (r"non.?trainable", "non_trainable"),
    (r"trainable", "trainable"),
    (r"bias", "biases"),
    (r"buffer", "buffers"),
    (r"weight", "weights"),
    (r"param", "params"),
    (r"mem|bytes", "memory"),
    (r"activations? (shape|size|volume)", "output"),
    (r"activation|\bacts\b|elements", "activations"),
    (r"shape|output|size|volume|dims?\b|dimension", "output"),
]
LABEL_HEADERS = (r"^(layer|layers|name|layer name|module|block|stage|layer \(type.*\)|#?|model|models|network"
                 r"|architecture|arch|weight|weights|method|net)$")
KIND_HEADERS = r"^(kind|type|layer type|operation|op|operator)$"
# MobileNetV2's Table 2 names its columns by letter: expansion t, channels c, repeats n, stride s
SEQUENCE_HEADERS = {"c": "filters", "s": "stride", "n": "repeats", "t": "expansion"}
_UNIT_WORDS = re.compile(r"^(kib|mib|gib|tib|kb|mb|gb|tb|bytes?|thousands?|millions?|billions?|trillions?"
                         r"|[kmgtb])$", re.I)


_LATEX = [(r"\\times(?![a-z])", "×"), (r"\\cdot(?![a-z])", "·"), (r"\\approx(?![a-z])", "≈"), (r"\\sim(?![a-z])", "~"),
          (r"\\[,;:!> ]", "\u2009"), (r"\{,\}", ","), (r"\\(?:text|mathrm|mathbf|rm)\s*\{([^{}]*)\}", r"\1"),
          (r"\^\{([^{}]*)\}", r"^\1"), (r"\\left|\\right", ""), (r"<sup>\s*([^<]*?)\s*</sup>", r"^\1"),
          (r"</?(?:sub|b|i|em|strong|code|span)[^<>]*>", "")]  # [^<>]: linear on '<b<b<b...'
_SQUARED = re.compile(r"(\d+)²")  # MobileNetV2's 224² × 3
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def math_text(text: str) -> str:
    """Math as documents write it, as the number reader reads it: $(3*3*3)*64 = 1,728$,
    1.8\\times10^{9}, 10<sup>9</sup>, 10⁹, 1\\,728 (a LaTeX thin space between digit groups)."""
    if not any(c in text for c in "$\\<{⁰¹²³⁴⁵⁶⁷⁸⁹"):
        return text
    text = _SQUARED.sub(r"\1x\1", text.replace("$", ""))
    for pattern, repl in _LATEX:
        text = re.sub(pattern, repl, text)
    if any(c in text for c in "⁰¹²³⁴⁵⁶⁷⁸⁹"):
        text = re.sub(r"([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)", lambda m: "^" + m[1].translate(_SUPERSCRIPT), text)
    return text.replace("\u2009 ", " ").replace(" \u2009", " ")


# [text](url), the url with one level of brackets (wiki links): neither part crosses a bracket, so a
# cell of 40,000 '[' is read in linear time (r"\[([^\]]*)\]" rescanned the rest of the cell from each)
_LINK = re.compile(r"\[([^\[\]]*)\]\((?:[^()]|\([^()]*\))*\)")


def clean(text: str) -> str:
    """Markdown and decoration off a cell: **bold**, *emphasis*, `code`, links, tree lines, flags, math.

    A `*` inside is arithmetic (3*3*64), not emphasis."""
    text = math_text(text)
    text = _LINK.sub(r"\1", text)
    text = re.sub(r"<br\s*/?>", " ", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text.replace("`", "").replace("⚑", ""))  # bold, not 3*3*64
    text = text.strip().strip("├└─│| ").strip()
    return text[1:-1] if len(text) > 2 and text[0] == text[-1] and text[0] in "*_" else text


def header_figure(header: str) -> tuple[str, str | None] | None:
    """The figure a column holds, with the unit its header gives, or None."""
    text = clean(header)
    unit = None
    m = re.search(r"[(\[]([^()\[\]]*)[)\]]", text)  # no opener inside: linear on 40,000 "["
    if m:
        inner = re.sub(r"(?i)flops?|macs?|params?|parameters|elements|per image|/ ?image", "", m[1]).strip()
        unit = inner if _UNIT_WORDS.match(inner) else None
        text = (text[:m.start()] + text[m.end():]).strip()
    text = text.lower()
    if (name := figure_name(text)) is not None:
        return name, _unit_token(unit)
    for pattern, figure in _HEADERS:
        if found := re.search(pattern, text):
            if figure is None:
                return None
            if figure in ("reduce", "square"):  # GoogLeNet's '#3x3 reduce' and '#3x3'
                return f"{found[1]}x{found[1]}" + ("_reduce" if figure == "reduce" else ""), None
            if figure == "fire":
                return f"{found[1]}{found[2]}x{found[2]}", None
            prefix = re.match(r"([gmkt])(flops?|macs?|params?)\b", text)
            if prefix and unit is None:
                unit = prefix[1]
            if unit and unit.lower() in ("b", "byte", "bytes") and figure != "memory":
                unit = None
            if figure == "memory" and unit is None and re.search(r"bytes", text):
                unit = "bytes"
            return figure, _unit_token(unit)
    return None


def _unit_token(unit: str | None) -> str | None:
    """The header's unit as the number reader spells it: (M) and (m) are millions, (MB) megabytes."""
    if unit is None:
        return None
    fixed = {"kib": "KiB", "mib": "MiB", "gib": "GiB", "tib": "TiB", "kb": "kB", "mb": "MB", "gb": "GB",
             "tb": "TB", "byte": "bytes", "b": "B"}
    return fixed.get(unit.lower(), unit.lower() if len(unit) > 1 else unit.upper())


# Every layer kind and merge operation by name, with the traits check reads (layers/base.py).
TRAITS: dict[str, type[Traits]] = {**{c.kind: c for c in REGISTRY.values()}, **{c.op: c for c in MERGES.values()}}


def kinds_table(traits: dict[str, type[Traits]]) -> list[tuple[str, set[str]]]:
    """(pattern on the lower-cased label, the kinds it may be), by rank: the first that matches wins."""
    by_rank: dict[int, tuple[str, set[str]]] = {}
    for name, cls in traits.items():
        for words in cls.words:
            pattern, kinds = by_rank.setdefault(words.rank, (words.pattern, set()))
            assert pattern == words.pattern, f"rank {words.rank} holds {pattern!r} and {words.pattern!r} ({name})"
            kinds.add(name)
    table = [by_rank[rank] for rank in sorted(by_rank)]
    assert len({p for p, _ in table}) == len(table), "a pattern given at two ranks: the order would be ambiguous"
    return table


_KINDS = kinds_table(TRAITS)
WEIGHTED = {k for k, c in TRAITS.items() if c.weighted}  # a network's depth counts them
FUNCTIONAL = {k for k, c in TRAITS.items() if c.functional}  # in no module summary
_INPUT = re.compile(r"^(input|image|data|input image)\b")
_TOTAL = re.compile(r"^(total|totals|sum|overall)\b")


def kinds_of(label: str) -> set[str] | None:
    """The layer kinds a label describes ("3x3 conv, 64" is a conv), or None."""
    low = clean(label).lower()
    for pattern, kinds in _KINDS:
        if re.search(pattern, low):
            return kinds
    return None


_TORCHINFO = re.compile(r"^([A-Za-z_]\w*): (\d+)-(\d+)$")  # 'Conv2d: 1-1': class, depth-index
_TORCHSUMMARY = re.compile(r"^([A-Z][A-Za-z0-9]*)-(\d+)$")  # 'Conv2d-1'
_KERAS = re.compile(r"^(\S+) \(([A-Z]\w{2,})\)$")  # 'conv2d_1 (Conv2D)': name, class


def read_label(text: str, loc: Loc) -> Subject:
    """A row label as frameworks print it: torchinfo's 'Conv2d: 3-4', Keras' 'conv2d_1 (Conv2D)',
    torchsummary's 'Conv2d-1'; the class is the row's kind, a depth places it in the tree."""
    text = text.strip("├└─│| ")
    if m := _TORCHINFO.match(text):
        return Subject(text, loc, kind=m[1], depth=int(m[2]), printed=True)
    if m := _KERAS.match(text):
        return Subject("input" if m[2] == "InputLayer" else m[1], loc, kind=m[2])
    if m := _TORCHSUMMARY.match(text):
        return Subject(text, loc, kind=m[1], printed=True)
    return Subject(text, loc)


def special(label: str) -> str | None:
    """'input' or 'total' for the rows that mean them."""
    low = clean(label).lower()
    if _TOTAL.match(low):
        return "total"
    if _INPUT.match(low):
        return "input"
    return None


def name_tokens(label: str) -> list[str]:
    """Words of a label that could be a layer's name: 'CONV1-96' -> ['conv1']."""
    low = clean(label).lower().removeprefix("training_only.")  # as nnarith's CSV names aux heads' rows
    return [low] + [t for t in re.findall(r"[a-z_][a-z0-9_.]*", low) if t != low]


__all__ = ["FIGURES", "clean", "header_figure", "kinds_of", "name_tokens", "special"]
