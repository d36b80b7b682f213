"""The networks a document is about: `--spec SPEC`, `--spec LABEL=SPEC`, and shipped specs by name.

A label names a network when a `--spec LABEL=SPEC` gives it, or when it is a shipped spec's
name as people write it: `ResNet-50`, `resnet50`, `ResNet50_Weights.IMAGENET1K_V2` and
`VGG16_BN` all name the shipped specs resnet50 and vgg16_bn (case, dashes, underscores,
spaces and dots aside; torchvision's `_Weights...` suffix dropped). Each network is loaded
and analysed once, when a claim first needs it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from nnarith.analysis.walk import analyze
from nnarith.check.truth import Truths
from nnarith.errors import UsageError
from nnarith.loader import load_spec, shipped, split_item
from nnarith.loader.nodes import Network


@lru_cache(maxsize=4096)  # prose asks of every phrase before a figure whether it names a network
def key(label: str) -> str:
    """A network label with its spelling aside: 'ResNet50_Weights.IMAGENET1K_V2' -> 'resnet50'."""
    text = re.sub(r"(?i)_weights\b.*$", "", label.strip())
    text = re.sub(r"(?i)(?<![\s_-])[\s_-]+(model|network|net|architecture)s?$", "", text)  # 'ResNet 18 model'
    # (the lookbehind starts the separators where they start: a label of 20,000 '-' is then linear)
    return re.sub(r"[^a-z0-9]", "", text.lower())


@lru_cache(maxsize=1)
def one_network_specs() -> tuple[str, ...]:
    """The shipped specs a label may name: not a family with arguments of its own (vgg, resnet_bottleneck),
    for a document's 'VGG' names no one network of it."""
    family = re.compile(r"^args:", re.MULTILINE)
    return tuple(name for name, path in shipped().items() if not family.search(Path(path).read_text()))


def parse_specs(specs: list[str] | None) -> tuple[str | None, dict[str, str]]:
    """--spec values: the plain one (the document's network), and the LABEL=SPEC ones."""
    default, labelled = None, {}
    for value in specs or []:
        label, eq, spec = value.partition("=")
        if eq and label.strip() and spec.strip() and "/" not in label and "[" not in label:  # not SPEC[NAME=...]
            labelled[label.strip()] = spec.strip()
        elif default is None:
            default = value
        else:
            raise UsageError(f"two plain --spec values ('{default}' and '{value}'): name the networks with "
                             "--spec LABEL=SPEC, as the document labels them")
    return default, labelled


class Networks:
    def __init__(self, default: str | None, labelled: dict[str, str], input: tuple[int, ...] | None,
                 dtype: str, sets: Mapping[str, int] | None = None) -> None:
        self.default = default
        self.sets = dict(sets or {})  # --set: for the specs --spec names, not those a document's labels name
        self.by_key = {key(label): spec for label, spec in labelled.items()}
        self.labels = {key(label): label for label in labelled}
        self.shipped = {key(name): name for name in one_network_specs()}
        self.input, self.dtype = input, dtype
        self.loaded: dict[str, Truths] = {}
        self.used: list[str] = []  # specs in the order claims first needed them
        self.named = False  # whether the document names a network anywhere

    def names(self, text: str) -> bool:
        """Whether a label or header names a network (the readers ask)."""
        k = key(text)
        found = bool(k) and (k in self.by_key or k in self.shipped)
        self.named = self.named or found
        return found

    def spec_of(self, label: str | None) -> str | None:
        """The spec a label names; None for the document's own network."""
        if label is None:
            return self.default
        k = key(label)
        return self.by_key.get(k) or self.shipped.get(k)

    def truths(self, label: str | None) -> Truths:
        spec = self.spec_of(label)
        if spec is None:
            raise UsageError("which network does the document describe? give --spec SPEC (a spec file or a "
                             "shipped spec's name), or --spec LABEL=SPEC for each network it names")
        if spec not in self.loaded:
            self.add(spec, self.load(spec))
        return self.loaded[spec]

    def load(self, spec: str) -> Network:
        """A spec --spec names takes --set's values, and its own: --spec 19=vgg[stage3=4,stage4=4,stage5=4]."""
        name, own = split_item(spec)
        given = spec == self.default or spec in self.by_key.values()
        return load_spec(name, self.input, {**self.sets, **own} if given else own)

    def add(self, spec: str, net: Network) -> Truths:
        """A network analysed under its spec's name (here, for the spec an answers file names, or a spec
        checked against its own expect:)."""
        self.loaded[spec] = Truths(analyze(net, dtype=self.dtype), net)
        self.used.append(spec)
        return self.loaded[spec]
