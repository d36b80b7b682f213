"""Properties that hold for every network, checked on random ones."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from nnarith.analysis import receptive
from nnarith.analysis.walk import analyze
from nnarith.errors import SpecError, SpecErrors
from nnarith.loader import parse_spec
from nnarith.render.machine import report_json

LAYERS = st.one_of(
    st.builds("conv: {{out: {}, kernel: {}, stride: {}, pad: {}, dilation: {}}}".format,
              st.integers(1, 8), st.integers(1, 5), st.integers(1, 3), st.integers(0, 2), st.integers(1, 2)),
    st.builds("maxpool: {{kernel: {}, stride: {}, ceil: {}}}".format,
              st.integers(1, 3), st.integers(1, 3), st.sampled_from(["true", "false"])),
    st.builds("avgpool: {{kernel: {}, pad: {}}}".format, st.integers(2, 4), st.integers(0, 1)),
    st.just("bn"), st.just("relu"), st.just("sigmoid"),
)


def spec(input: list[int], layers: list[str]) -> str:
    return f"input: {input}\nlayers:\n" + "".join(f"  - {layer}\n" for layer in layers)


def try_analyze(text: str):
    try:
        return analyze(parse_spec(text, "p.yaml"))
    except (SpecError, SpecErrors):
        return None


@given(st.integers(1, 4), st.integers(8, 40), st.integers(1, 24), st.lists(LAYERS, min_size=1, max_size=5))
def test_parameters_do_not_depend_on_the_spatial_size(channels, size, grow, layers):
    small = try_analyze(spec([channels, size, size], layers))
    large = try_analyze(spec([channels, size + grow, size + 2 * grow], layers))
    assume(small is not None and large is not None)
    assert small.totals.params == large.totals.params
    assert [r.params for r in small.rows] == [r.params for r in large.rows]


@given(st.integers(16, 64), st.lists(LAYERS, min_size=1, max_size=6))
def test_the_receptive_field_never_shrinks_along_a_chain(size, layers):
    report = try_analyze(spec([3, size, size], layers))
    assume(report is not None)
    fields = [receptive.describe(r.rf) for r in report.rows]
    previous = {"size": [1, 1], "stride": [1, 1]}
    for field in fields:
        assert all(a >= b for a, b in zip(field["size"], previous["size"]))
        assert all(a >= b for a, b in zip(field["stride"], previous["stride"]))
        previous = field


@given(st.integers(1, 40), st.integers(1, 7), st.integers(1, 3), st.sampled_from([1, 2, 3]))
def test_same_padding_keeps_the_size_at_stride_1(size, kernel, dilation, rank):
    input = [2] + [size] * rank
    report = try_analyze(spec(input, [f"conv: {{out: 3, kernel: {kernel}, pad: same, dilation: {dilation}}}"]))
    assert report is not None
    assert report.rows[0].shape.dims == (3, *input[1:])


def flow(layers: list[str]) -> str:
    return "[" + ", ".join(layers) + "]"


BRANCH = st.lists(st.sampled_from(["conv: {out: 4, kernel: 3, pad: 1}", "bn", "relu", "identity",
                                   "conv: {out: 4, kernel: 1}"]), min_size=0, max_size=3)


@given(st.lists(st.one_of(LAYERS.map(lambda x: [x]),
                          st.tuples(st.sampled_from(["add", "concat"]), BRANCH, BRANCH).map(
                              lambda t: ["conv: {out: 4, kernel: 1}", f"{t[0]}: [{flow(t[1])}, {flow(t[2])}]"])),
                min_size=1, max_size=5),
       st.sampled_from(["fp32", "fp16", "int8"]), st.integers(1, 4))
def test_json_totals_equal_the_sum_of_the_rows(parts, dtype, batch):
    layers = [layer for part in parts for layer in part] + ["gap", "fc: 5"]
    report = try_analyze(spec([3, 32, 32], layers))
    assume(report is not None)
    report = analyze(parse_spec(spec([3, 32, 32], layers), "p.yaml"), dtype=dtype, batch=batch)
    assert any(r.kind in ("add", "concat") for r in report.rows) or all(len(p) == 1 for p in parts)
    doc = report_json(report)
    t = doc["totals"]
    for key in ("params", "weights", "biases", "buffers", "macs", "flops", "other_ops"):
        assert t[key] == sum(layer[key] for layer in doc["layers"]), key
    assert t["memory_bytes"] == doc["input_memory_bytes"] + sum(layer["memory_bytes"] for layer in doc["layers"])
    assert t["flops"] == 2 * t["macs"]
