"""Fuzzing the loader: whatever the input, nnarith gives a report or a located error.

Arbitrary bytes, arbitrary YAML documents, spec-shaped documents with random kinds, fields and
values, and YAML-like text. Any exception other than nnarith's own errors is a bug.
"""

from __future__ import annotations

import yaml
from hypothesis import event, given
from hypothesis import strategies as st

from nnarith.analysis.walk import analyze
from nnarith.errors import NnarithError, SpecError, SpecErrors
from nnarith.layers import REGISTRY
from nnarith.loader import parse_spec
from nnarith.loader.expand import CONTAINERS
from nnarith.loader.yaml_loader import decode


def outcome(text: str) -> str:
    """'ok' or 'error'; anything else raises and fails the test."""
    try:
        analyze(parse_spec(text, "fuzz.yaml"))
    except (SpecError, SpecErrors) as e:
        errors = e.errors if isinstance(e, SpecErrors) else [e]
        for err in errors:
            assert err.message and err.render()
        return "error"
    return "ok"


@given(st.binary(max_size=3000))
def test_arbitrary_bytes(data):
    try:
        text = decode(data, "fuzz.yaml")
    except NnarithError:
        return
    outcome(text)


SCALARS = (st.none() | st.booleans() | st.integers(-(10**15), 10**15) | st.floats(allow_nan=True)
           | st.text(max_size=12))
DOCUMENTS = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=25)


@given(DOCUMENTS)
def test_arbitrary_yaml_documents(doc):
    outcome(yaml.safe_dump(doc))


KINDS = sorted(REGISTRY) + [*CONTAINERS, "nope"]
FIELDS = sorted({f for cls in REGISTRY.values() for f in cls.fields}) + ["name", "repeat", "branches", "layers",
                                                                          "bogus"]
VALUES = (st.integers(-3, 40) | st.booleans() | st.sampled_from(["same", "x", "$a", "nearest", "bilinear"])
          | st.floats(-2, 5) | st.lists(st.integers(-1, 6), max_size=4) | st.none())


@st.composite
def spec_like(draw):
    def layer(depth: int):
        kind = draw(st.sampled_from(KINDS))
        shape = draw(st.integers(0, 3 if depth < 2 else 2))
        if shape == 0:
            return kind
        if shape == 1:
            return {kind: draw(VALUES)}
        if shape == 2:
            return {kind: draw(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=5))}
        return {kind: [[layer(depth + 1) for _ in range(draw(st.integers(0, 3)))] for _ in range(2)]}

    doc = {"input": draw(st.lists(st.integers(-1, 40), min_size=0, max_size=5) | VALUES),
           "layers": [layer(0) for _ in range(draw(st.integers(0, 6)))]}
    if draw(st.booleans()):
        doc["blocks"] = {"b": {"args": {"a": draw(VALUES)}, "layers": [layer(1)]}}
        doc["layers"].append({"b": {"a": draw(VALUES)}})
    return yaml.safe_dump(doc)


@given(spec_like())
def test_spec_shaped_documents(text):
    event(outcome(text))  # both outcomes occur: see --hypothesis-show-statistics


@given(st.text(alphabet=":-[]{}&*!|>'\"#\n\t ,0123456789abconvlyers$<~.%@", max_size=300))
def test_yaml_like_text(text):
    outcome(text)
