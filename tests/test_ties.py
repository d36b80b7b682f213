"""`tie:`: an fc that reuses an earlier layer's weight tensor, as GPT-2's lm_head reuses wte.

Expected figures are formulas: an embedding holds vocab x dim, an fc out x in (+ out with a bias); a
tied fc holds only its own bias, its MACs are T x in x out all the same, and PyTorch, whose
model.parameters() yields a shared Parameter once, counts the same total.
"""

from __future__ import annotations

import pytest

from nnarith.errors import SpecError
from nnarith.loader import parse_spec
from tests.helpers import cli, spec_text

T, V, D = 6, 40, 8  # tokens, vocabulary, features


def lm(head: str, between: str = "layernorm") -> str:
    """ids -> embedding wte -> one layer -> the head."""
    return (f"input: {{ids: {T}}}\nlayers:\n  - embedding: {{name: wte, vocab: {V}, dim: {D}}}\n"
            f"  - {between}\n  - {head}\n")


# (head, its params, the total's: embedding V*D, layernorm 2*D, and the head's)
COUNTS = [
    (f"fc: {{name: lm_head, out: {V}, bias: false}}", V * D, V * D + 2 * D + V * D),
    (f"fc: {{name: lm_head, out: {V}}}", V * D + V, V * D + 2 * D + V * D + V),
    (f"fc: {{name: lm_head, out: {V}, bias: false, tie: wte}}", 0, V * D + 2 * D),
    (f"fc: {{name: lm_head, out: {V}, tie: wte}}", V, V * D + 2 * D + V),  # its own bias still counts
]


@pytest.mark.parametrize("head, params, total", COUNTS)
def test_a_tied_weight_counts_once(head, params, total):
    report = spec_text(lm(head))
    row = report.rows[-1]
    assert (row.params, report.totals.params) == (params, total)
    assert row.macs == T * D * V  # the matmul is this layer's in full, tied or not
    tied = "tie:" in head
    assert row.notes == (["weight shared with wte, counted there"] if tied else [])
    assert row.weights == (0 if tied else V * D)


def test_explain_shows_the_zero_and_why(tmp_path):
    (tmp_path / "lm.yaml").write_text(lm(f"fc: {{name: lm_head, out: {V}, tie: wte}}"))
    r = cli("shape", "lm.yaml", "--explain", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"params           {V} = {V} (the bias alone, the weight is shared with wte, counted there)" in r.stdout
    assert f"MACs             {T} x {D} x {V} = {T * D * V:,}" in r.stdout
    assert "~1 lm_head: weight shared with wte, counted there" in r.stdout


SCOPED = """\
input: {ids: 4}
blocks:
  pair:
    layers: [fc: {name: proj, out: 8}, fc: {name: again, out: 8, tie: proj}]
  up:
    layers: [fc: {name: head, out: 8, bias: false, tie: wte}]
layers:
  - embedding: {name: wte, vocab: 8, dim: 8}
  - seq: {name: deep, layers: [up]}
  - fc: {name: back, out: 8, tie: deep.up1.head}
  - pair: {repeat: 2}
"""
# the owner each tie resolves to: outwards from its own list, the nearest first; a path reaches into a
# block; a tie to a tied layer is the owner's
OWNERS = {"deep.up1.head": "wte", "back": "wte", "pair1.again": "pair1.proj", "pair2.again": "pair2.proj"}


def test_a_tie_resolves_outwards_from_its_own_list():
    net = parse_spec(SCOPED, "t.yaml")
    from nnarith.loader.nodes import named_leaves

    ties = {".".join(p): leaf.layer.tie for p, leaf in named_leaves(net.body) if leaf.layer.kind == "fc"}
    assert {k: v for k, v in ties.items() if v} == OWNERS
    report = spec_text(SCOPED)
    assert report.totals.params == 8 * 8 + 8 + 2 * (8 * 8 + 8 + 8)  # wte; back's bias; each pair's proj, bias


@pytest.mark.parametrize("layers, message", [
    ("[embedding: {name: wte, vocab: 8, dim: 4}, fc: {name: a, out: 8, tie: b}, fc: {name: b, out: 8}]",
     "tie 'b' names the layer b, which comes after this one"),
    ("[embedding: {name: wte, vocab: 8, dim: 4}, fc: {name: a, out: 8, tie: a}]", "tie 'a' names this layer itself"),
    ("[embedding: {name: wte, vocab: 8, dim: 4}, layernorm: {name: ln}, fc: {out: 8, tie: ln}]",
     "tie: ln is a layernorm, which has no weight to share"),
    ("[embedding: {name: wte, vocab: 8, dim: 4}, fc: {out: 9, tie: wte}]",
     "this fc's weight is [9x4], but wte's, which it ties to, is [8x4]"),
    ("[embedding: {name: wte, vocab: 8, dim: 4}, fc: {out: 8, tie: wte.x}]", "tie 'wte.x' names no earlier layer"),
    ("[embedding: {name: wte, vocab: 8, dim: 4}, fc: {out: 8, tie: 3}]", "fc tie must be a layer's name"),
])
def test_a_tie_that_cannot_be_is_located_at_its_value(layers, message):
    with pytest.raises(SpecError) as e:
        spec_text(f"input: {{ids: 4}}\nlayers: {layers}\n")
    assert e.value.message.startswith(message), e.value.message
    assert (e.value.loc.line, e.value.loc.col) == (2, layers.rindex("tie: ") + len("layers: ") + 6)


torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")


def test_pytorch_shares_one_parameter_and_counts_it_once():
    from nnarith.torch.builder import build_with_report

    model, report = build_with_report(parse_spec(lm(f"fc: {{name: lm_head, out: {V}, bias: false, tie: wte}}"),
                                                 "t.yaml"))
    assert model.lm_head.weight is model.wte.weight  # the Parameter itself, as Hugging Face's tie_weights
    assert sum(p.numel() for p in model.parameters()) == report.totals.params == V * D + 2 * D
    with torch.no_grad():
        y = model.eval()(torch.randint(0, V, (2, T)))
    assert tuple(y.shape) == (2, T, V)


def test_verify_and_export_keep_the_tie(tmp_path):
    (tmp_path / "lm.yaml").write_text(lm(f"fc: {{name: lm_head, out: {V}, bias: false, tie: wte}}"))
    r = cli("verify", "lm.yaml", cwd=tmp_path)
    assert r.returncode == 0 and "PASSED" in r.stdout, r.stdout + r.stderr
    r = cli("export", "lm.yaml", "--torch", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    namespace: dict = {}
    exec(compile(r.stdout, "exported.py", "exec"), namespace)
    model = namespace["build"]()
    assert model.lm_head.weight is model.wte.weight
    assert sum(p.numel() for p in model.parameters()) == V * D + 2 * D
