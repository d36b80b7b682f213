"""Every registered layer kind and merge operation, read from the registries (REGISTRY, MERGES).

Each carries what check needs to know of it as traits on its class (layers/base.py), and an
example that analyses, builds in PyTorch and verifies against it, exports to a file that runs,
and is read by `nnarith check` as its kind from a document row labelled as documents label it.
The example is a trait on the class, not a table here: a new kind is written in one place, and
this test covers it with no edit, or names it when a trait is missing.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nnarith.check import align, modules, truth, vocabulary
from nnarith.cli import main
from nnarith.layers import REGISTRY, Layer
from nnarith.layers.base import Traits, Words
from nnarith.layers.merge import MERGES, MergeOp
from nnarith.loader import parse_spec
from tests.helpers import spec_text


def registered() -> dict[str, type[Traits]]:
    """Every kind and merge by name, as the registries hold them now (aliases once)."""
    return {**{c.kind: c for c in REGISTRY.values()}, **{c.op: c for c in MERGES.values()}}


def has_torch(cls: type[Traits]) -> bool:
    if issubclass(cls, MergeOp):
        return bool(getattr(cls, "torch_name", ""))
    return cls.torch is not Layer.torch


def missing_traits() -> list[str]:
    """'kind: no words, no example' for each kind that lacks what this test and check need."""
    found = []
    for name, cls in registered().items():
        lacks = [what for what, ok in (("words", cls.words), ("example", cls.example), ("torch builder",
                                       has_torch(cls))) if not ok]
        if lacks:
            found.append(f"{name}: no {', no '.join(lacks)}")
    return found


def spec(cls: type[Traits]) -> str:
    ex = cls.example
    return f"input: {ex.input_yaml}\nlayers:\n  - {ex.layer}\n"


KINDS = sorted(registered())


def test_every_kind_has_its_traits():
    assert missing_traits() == []


def test_a_kind_without_traits_is_named(monkeypatch):
    class Blur(Layer):
        kind = "blur"

        def infer(self, x):
            return x

    monkeypatch.setitem(REGISTRY, "blur", Blur)
    assert missing_traits() == ["blur: no words, no example, no torch builder"]


def test_a_new_kinds_words_take_their_place_by_rank_and_a_clash_of_ranks_is_refused():
    class LayerNorm(Layer):
        kind = "layernorm"
        words = (Words(r"layer.?norm", 115),)  # after LRN's 'response norm', before batch norm

    table = vocabulary.kinds_table({**vocabulary.TRAITS, "layernorm": LayerNorm})
    assert [p for p, _ in table].index(r"layer.?norm") == [p for p, _ in vocabulary._KINDS].index(
        r"\bbn\d*\b|batch.?norm")
    assert next(kinds for p, kinds in table if re.search(p, "layernorm")) == {"layernorm"}
    LayerNorm.words = (Words(r"layer.?norm", 20),)  # conv's rank
    with pytest.raises(AssertionError, match=re.escape("rank 20 holds 'conv' and 'layer.?norm'")):
        vocabulary.kinds_table({**vocabulary.TRAITS, "layernorm": LayerNorm})


def test_checks_tables_are_the_registries():
    """check reads every kind the registries hold, and nothing else."""
    assert set(vocabulary.TRAITS) == set(KINDS)
    assert {k for _, kinds in vocabulary._KINDS for k in kinds} == set(KINDS)
    assert truth.SAME_SHAPE <= set(KINDS) and set(truth.POOLS) <= set(KINDS)
    assert all(f <= set(KINDS) for f in align.FAMILIES)
    assert {n for c in registered().values() for n in c.positional} == modules._POSITIONAL


@pytest.mark.parametrize("name", KINDS)
def test_the_example_analyses_and_keeps_its_shape_as_its_trait_says(name):
    cls = registered()[name]
    row = spec_text(spec(cls)).rows[-1]
    assert row.kind == name
    if cls.keeps_shape:
        assert row.shape.dims == cls.example.input
    if cls.weighted:
        assert row.weights > 0


def document(label: str, output: str, params: int) -> str:
    return f"| Layer | Output | Params |\n|---|---|---|\n| {label} | {output} | {params:,} |\n"


@pytest.mark.parametrize("name", KINDS)
def test_check_reads_the_row_as_its_kind_and_judges_it(name, tmp_path, capsys):
    cls = registered()[name]
    label = cls.example.label
    assert name in vocabulary.kinds_of(label)
    row = spec_text(spec(cls)).rows[-1]  # its figures, which the torch test below verifies against PyTorch
    (tmp_path / "t.yaml").write_text(spec(cls))
    (tmp_path / "t.md").write_text(document(label, str(row.shape), row.params))
    assert main(["check", str(tmp_path / "t.md"), "--spec", str(tmp_path / "t.yaml"), "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [(i["what"], i["status"]) for i in result["items"]] == [(f"{row.name} output", "ok"),
                                                                  (f"{row.name} params", "ok")]
    assert result["skipped"] == []


@pytest.mark.torch
@pytest.mark.parametrize("name", KINDS)
def test_the_example_builds_and_verifies_in_pytorch(name):
    torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    from nnarith.torch.builder import build
    from nnarith.torch.token_modules import sample_input
    from nnarith.torch.verify import verify

    cls = registered()[name]
    net = parse_spec(spec(cls), "t.yaml")
    row = spec_text(spec(cls)).rows[-1]
    with torch.no_grad():
        y = build(net).eval()(sample_input(cls.example.input, net.layout, 2))
    assert tuple(y.shape) == (2, *row.shape.dims)
    result = verify(net)
    assert result.passed, [c for c in result.checks if c.status == "mismatch"]


# One interpreter runs every exported file as its own __main__, as `python FILE` would: torch is
# imported once, not once per kind. Each file's path is printed before it runs, to name a failure.
RUN_EACH = "import runpy, sys\nfor path in sys.argv[1:]:\n    print(path, flush=True)\n" \
           "    runpy.run_path(path, run_name='__main__')\n"


@pytest.mark.torch
def test_every_example_exports_to_a_file_that_runs(tmp_path, capsys):
    pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    files, expected = [], []
    for name in KINDS:
        cls = registered()[name]
        (tmp_path / f"{name}.yaml").write_text(spec(cls))
        assert main(["export", str(tmp_path / f"{name}.yaml"), "--torch"]) == 0, name
        path: Path = tmp_path / f"{name}_model.py"
        path.write_text(capsys.readouterr().out)
        files.append(str(path))
        expected += [str(path), f"torch.Size({[2, *spec_text(spec(cls)).rows[-1].shape.dims]})"]
    r = subprocess.run([sys.executable, "-c", RUN_EACH, *files], capture_output=True, text=True, cwd=tmp_path,
                       timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    assert r.stdout.splitlines() == expected
    assert not any("import nnarith" in Path(f).read_text() for f in files)  # they need only torch
