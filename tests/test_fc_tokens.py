"""fc on tokens [T, F] applies to each token; on a 1-D map [C, L] it flattens, and the report notes it.

Expected figures are formulas: per token, params out x (in + 1) and MACs T x in x out, as torch's
nn.Linear on [N, T, F]; flattening, nn.Flatten then nn.Linear on C x L features.
"""

from __future__ import annotations

import pytest

from tests.helpers import cli, spec_text

T, F, OUT = 7, 12, 5
# (input as written, layers, output, params, MACs, flattens: the note expected)
CASES = [
    (f"{{tokens: {T}, features: {F}}}", f"fc: {OUT}", (T, OUT), OUT * (F + 1), T * F * OUT, False),
    (f"{{tokens: {T}, features: {F}}}", f"fc: {{out: {OUT}, bias: false}}", (T, OUT), OUT * F, T * F * OUT, False),
    (f"{{tokens: {T}, features: {F}}}", f"[fc: 9, fc: {OUT}]", (T, OUT), 9 * (F + 1) + OUT * (9 + 1),
     T * F * 9 + T * 9 * OUT, False),
    (f"[{T}, {F}]", "lstm: 4", (T, 4), None, None, False),  # a recurrent layer's sequence is tokens too
    (f"[{F}, {T}]", f"fc: {OUT}", (OUT,), OUT * (F * T + 1), F * T * OUT, True),  # [C, L]: flattened, noted
    (f"[{F}, 1]", f"fc: {OUT}", (OUT,), OUT * (F + 1), F * OUT, False),  # [C, 1], as after gap: nothing to note
    (f"[{F}]", f"fc: {OUT}", (OUT,), OUT * (F + 1), F * OUT, False),  # flat
    (f"[2, {F}, {T}]", f"fc: {OUT}", (OUT,), OUT * (2 * F * T + 1), 2 * F * T * OUT, False),  # a 2-D map, as CNNs
]


def spec(input: str, layers: str) -> str:
    body = layers if layers.startswith("[") else f"[{layers}]"
    return f"input: {input}\nlayers: {body}\n"


@pytest.mark.parametrize("input, layers, output, params, macs, flattens", CASES)
def test_fc_per_token_or_flattening(input, layers, output, params, macs, flattens):
    rows = spec_text(spec(input, layers)).rows
    assert rows[-1].shape.dims == output
    if params is not None:
        assert sum(r.params for r in rows) == params
        assert sum(r.macs for r in rows) == macs
    notes = [n for r in rows for n in r.notes]
    assert bool(notes) is flattens, notes
    if flattens:
        assert notes == [f"flattens its 1-D map {F}x{T} [C, L] into {F * T:,} features (nn.Flatten, then "
                         f"nn.Linear); an fc on each of the {T} positions reads tokens [T, F], as an input "
                         "declared {tokens: T, features: F}"]
        assert not rows[-1].warnings  # a note, not a flag: --strict does not make it an error


def test_the_note_is_shown_and_strict_leaves_it(tmp_path):
    path = tmp_path / "flat.yaml"
    path.write_text(spec(f"[{F}, {T}]", f"fc: {OUT}"))
    r = cli("shape", str(path), "--strict")
    assert r.returncode == 0, r.stderr
    assert "Notes: worth knowing, nothing wrong" in r.stdout and "~1 fc1: flattens" in r.stdout


torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")


@pytest.mark.parametrize("input, layers, output, params, macs, flattens", CASES)
def test_pytorch_builds_the_same(input, layers, output, params, macs, flattens):
    from nnarith.loader import parse_spec
    from nnarith.torch.builder import build_with_report

    net = parse_spec(spec(input, layers), "t.yaml")
    model, report = build_with_report(net)
    with torch.no_grad():
        y = model.eval()(torch.randn(2, *net.input))
    assert tuple(y.shape) == (2, *output)
    assert sum(p.numel() for p in model.parameters()) == report.totals.params
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    if not linears:
        return
    fc = linears[-1]
    if net.layout == "tokens" and len(linears) == 1:  # the same as torch's own nn.Linear applied to [N, T, F]
        plain = torch.nn.Linear(F, OUT, bias=fc.bias is not None)
        plain.load_state_dict(fc.state_dict())
        x = torch.randn(2, T, F)
        with torch.no_grad():
            assert torch.equal(model.eval()(x), plain(x))
    assert fc.flatten is (net.layout == "map")  # nn.Flatten then nn.Linear, or nn.Linear alone
