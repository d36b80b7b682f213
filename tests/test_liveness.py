"""Peak memory by liveness (nnarith/analysis/liveness.py) on small graphs worked out by hand, and the
training breakdown by formula."""

from __future__ import annotations

import pytest

from nnarith.analysis import liveness, memory
from nnarith.analysis.walk import analyze
from nnarith.loader import load_spec, parse_spec

F32 = 4
CHAIN = "input: [1, 4, 4]\nlayers:\n  - conv: {out: 4, kernel: 1}\n  - conv: {out: 2, kernel: 1}\n" \
        "  - conv: {out: 1, kernel: 1}\n"
RESIDUAL = "input: [2, 4, 4]\nlayers:\n  - add:\n      branches:\n" \
           "        main: [conv: {out: 2, kernel: 1}, conv: {out: 2, kernel: 1}]\n        shortcut: [identity]\n"
BN_RELU = "input: [2, 4, 4]\nlayers:\n  - conv: {out: 2, kernel: 1}\n  - bn\n  - relu\n  - conv: {out: 1, kernel: 1}\n"
CONCAT = "input: [2, 4, 4]\nlayers:\n  - concat:\n      branches:\n        a: [conv: {out: 2, kernel: 1}]\n" \
         "        b: [conv: {out: 4, kernel: 1}]\n"
SMALL = "input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 3, pad: 1}\n  - bn\n  - relu\n  - flatten\n  - fc: 10\n"
SMALL_PARAMS = (4 * 3 * 9 + 4) + (4 + 4) + (256 * 10 + 10)  # conv, bn's scale and shift, fc
SMALL_BUFFERS = 4 + 4 + 1  # bn's running mean and variance, and its batch counter


def run(text: str, batch: int = 1, dtype: str = "fp32"):
    net = parse_spec(text, "t.yaml")
    return net, analyze(net, batch=batch, dtype=dtype)


@pytest.mark.parametrize("text, elements, layer", [
    # the input (16) stays, the caller's: at conv2, in 16 + conv1 64 + conv2 32; at conv3, 16 + 32 + 16
    (CHAIN, 16 + 64 + 32, "conv2"),
    # the shortcut keeps the input alive until the add, which writes into conv2's output
    (RESIDUAL, 32 + 32 + 32, "add1.main.conv2"),
    # in 32 + conv 32 + bn 32 at the bn (the in-place ReLU shares bn's buffer; conv2 then frees conv1's)
    (BN_RELU, 32 + 32 + 32, "bn1"),
    # the input, both branches' outputs and the concat's: 32 + 32 + 64 + 96
    (CONCAT, 32 + 32 + 64 + 96, "concat1"),
])
def test_inference_peak_by_liveness(text, elements, layer):
    net, report = run(text)
    result = liveness.inference(net, report)
    assert (result.peak_bytes, result.peak_layer) == (elements * F32, layer)
    assert result.outputs_bytes == report.totals.memory_bytes


def test_the_peak_grows_with_the_batch_and_halves_in_half_precision():
    net, one = run(RESIDUAL)
    _, eight = run(RESIDUAL, batch=8, dtype="bf16")
    assert liveness.inference(net, eight).peak_bytes == 8 * liveness.inference(net, one).peak_bytes // 2


@pytest.mark.parametrize("optimizer, states", [("sgd", 0), ("momentum", 1), ("adam", 2), ("adamw", 2),
                                               ("amsgrad", 3)])
def test_training_breakdown_by_formula(optimizer, states):
    net, report = run(SMALL, batch=2)
    t = liveness.training(net, report, optimizer)
    assert (t.weights_bytes, t.gradients_bytes) == (SMALL_PARAMS * F32, SMALL_PARAMS * F32)
    assert t.buffers_bytes == SMALL_BUFFERS * F32
    assert t.optimizer_bytes == states * SMALL_PARAMS * F32
    # conv's input 192, bn's input 256, relu's output 256 (fc's input, through a view: one buffer), per image,
    # and bn's mean and inverse std, 4 each for the batch
    assert t.saved_bytes == ((192 + 256 + 256) * 2 + 8) * F32
    assert t.saved_bytes == sum(b.bytes(report) for b in memory.model(net, report, training=True).saved)
    assert sum(s.bytes for s in t.layers) == t.saved_bytes


def test_training_peak_by_hand():
    """Forward: everything kept and the output are alive at the end. Backward, in reverse: the fc adds its
    weights' gradient and its input's (the output's gradient is there already), 10,280 + 2,048 bytes;
    the ReLU frees the buffer it and the fc keep, 2,048; the batch norm adds its input's gradient, 2,048,
    and its own 32 bytes of gradients, and frees its output's gradient and what it keeps, 2,048 + 32;
    the conv's input takes no gradient. The worst is the fc's backward."""
    net, report = run(SMALL, batch=2)
    t = liveness.training(net, report, "sgd")
    fixed = (SMALL_PARAMS + SMALL_BUFFERS) * F32
    out = 10 * 2 * F32
    assert (t.forward_peak_bytes, t.forward_peak_layer) == (fixed + t.saved_bytes + out, "fc1")
    assert t.peak_bytes == fixed + t.saved_bytes + out + (256 * 10 + 10) * F32 + out + 256 * 2 * F32
    assert (t.peak_phase, t.peak_layer) == ("backward", "fc1")


def test_mixed_precision_keeps_fp32_weights_and_half_activations():
    net, half = run(SMALL, batch=2, dtype="bf16")
    t = liveness.training(net, half, "adam", amp="bf16")
    assert (t.weights_bytes, t.gradients_bytes, t.optimizer_bytes) == (SMALL_PARAMS * 4, SMALL_PARAMS * 4,
                                                                       2 * SMALL_PARAMS * 4)
    assert t.saved_bytes == sum(b.bytes(half) for b in memory.model(net, half, training=True).saved)


def test_per_layer_saved_says_what_it_is():
    net, report = run(SMALL, batch=2)
    saved = {s.name: s for s in liveness.training(net, report).layers}
    assert saved["conv1"].what == "input 2x3x8x8 fp32"
    assert saved["bn1"].what == "input 2x4x8x8 fp32 + mean 4 fp32 + invstd 4 fp32"
    assert saved["relu1"].what == "output 2x4x8x8 fp32"
    assert saved["fc1"].what == "input 2x4x8x8 fp32 (counted above)" and saved["fc1"].bytes == 0


@pytest.mark.parametrize("name", ["resnet18", "googlenet", "densenet121", "mobilenet_v2"])
def test_shipped_specs_peaks_lie_between_the_largest_layer_and_the_sum(name):
    net = load_spec(name)
    report = analyze(net, batch=2)
    result = liveness.inference(net, report)
    largest = max(r.shape.numel for r in report.rows) * report.scale
    assert largest <= result.peak_bytes <= result.outputs_bytes
    t = liveness.training(net, report, "adam")
    assert t.peak_bytes >= t.weights_bytes + t.optimizer_bytes + t.saved_bytes


def test_residual_training_peak_by_hand():
    """RESIDUAL at batch 1 (128 bytes a tensor, 12 params): the add allocates in training. Forward: the input
    (kept by conv1), conv1's output (kept by conv2), conv2's and the add's at the add: 48 + 512. Backward:
    the add takes its branches' gradients (conv2's output; the input takes none) beside its output's, 48 + 384
    + 256; conv2 its input's gradient and its 24 bytes of weights' gradients, 48 + 24 + 384 + 256, the worst;
    then conv1's output, which conv2 kept, and conv2's output's gradient are freed."""
    net, report = run(RESIDUAL)
    t = liveness.training(net, report, "sgd")
    assert (t.saved_bytes, t.weights_bytes) == (256, 48)
    assert (t.forward_peak_bytes, t.forward_peak_layer) == (48 + 512, "add1")
    assert (t.peak_bytes, t.peak_layer, t.peak_phase) == (48 + 24 + 384 + 256, "add1.main.conv2", "backward")


def test_an_input_nobody_keeps_stays_the_callers_through_the_step():
    """A first layer autograd does not record (a ReLU out of place on the input, which needs no gradient) keeps
    nothing, and the input stays alive all the step, the caller's. The conv keeps the ReLU's output and, its
    input needing no gradient, computes none for it: its backward adds its 8 weights' gradients to the weights,
    the input, the ReLU's output, the output and the output's gradient."""
    net, report = run("input: [3, 4, 4]\nlayers:\n  - relu: {inplace: false}\n  - conv: {out: 2, kernel: 1}\n")
    t = liveness.training(net, report, "sgd")
    params = 2 * 3 + 2
    inp, relu, out = 48, 48, 32  # elements
    assert t.saved_bytes == relu * F32
    assert t.peak_bytes == (params + inp + relu + out + params + out) * F32  # the conv's dW and the output's grad
