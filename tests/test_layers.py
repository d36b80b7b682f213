"""Every layer kind's rules, as flat tables whose expectations are written as formulas.

Each row: (layer in the spec syntax, input shape, output shape, params, MACs, ops).
The formulas are the definitions in nnarith/layers/base.py and each kind's docstring;
PyTorch cross-checks every row of these tables in tests/test_torch_build.py.
"""

from __future__ import annotations

import pytest

from tests.helpers import last

H = 32  # a convenient map size

CONV = [
    # plain 2-D conv, the classic CS231n question: 32x32x3, ten 5x5 filters, pad 2
    ("conv: {out: 10, kernel: 5, pad: 2}", (3, 32, 32), (10, 32, 32),
     10 * (5 * 5 * 3 + 1), 10 * 32 * 32 * 5 * 5 * 3, 10 * 32 * 32),
    # stride 2, no padding: (32 - 3)/2 + 1 = 15.5 -> 15
    ("conv: {out: 8, kernel: 3, stride: 2}", (4, 32, 32), (8, 15, 15),
     8 * (3 * 3 * 4 + 1), 8 * 15 * 15 * 3 * 3 * 4, 8 * 15 * 15),
    # no bias
    ("conv: {out: 8, kernel: 3, pad: 1, bias: false}", (4, 16, 16), (8, 16, 16),
     8 * 3 * 3 * 4, 8 * 16 * 16 * 3 * 3 * 4, 0),
    # dilation 2: effective kernel 2*(3-1)+1 = 5
    ("conv: {out: 4, kernel: 3, dilation: 2}", (2, 20, 20), (4, 16, 16),
     4 * (3 * 3 * 2 + 1), 4 * 16 * 16 * 3 * 3 * 2, 4 * 16 * 16),
    # groups 4: each output sees 16/4 inputs
    ("conv: {out: 8, kernel: 3, pad: 1, groups: 4}", (16, 10, 10), (8, 10, 10),
     8 * (3 * 3 * 4 + 1), 8 * 10 * 10 * 3 * 3 * 4, 8 * 10 * 10),
    # depthwise: groups = channels
    ("conv: {out: 32, kernel: 3, pad: 1, groups: 32, bias: false}", (32, 8, 8), (32, 8, 8),
     32 * 3 * 3 * 1, 32 * 8 * 8 * 3 * 3 * 1, 0),
    # per-dimension kernel and padding (Inception's 1x7)
    ("conv: {out: 6, kernel: [1, 7], pad: [0, 3]}", (5, 17, 17), (6, 17, 17),
     6 * (1 * 7 * 5 + 1), 6 * 17 * 17 * 1 * 7 * 5, 6 * 17 * 17),
    # per-dimension stride
    ("conv: {out: 2, kernel: 3, stride: [1, 2]}", (1, 9, 9), (2, 7, 4),
     2 * (3 * 3 + 1), 2 * 7 * 4 * 3 * 3, 2 * 7 * 4),
    # 'same' padding at stride 1, odd and even kernels
    ("conv: {out: 3, kernel: 5, pad: same}", (2, 11, 11), (3, 11, 11),
     3 * (5 * 5 * 2 + 1), 3 * 11 * 11 * 5 * 5 * 2, 3 * 11 * 11),
    ("conv: {out: 3, kernel: 4, pad: same, dilation: 2}", (2, 11), (3, 11),
     3 * (4 * 2 + 1), 3 * 11 * 4 * 2, 3 * 11),
    # 1-D and 3-D
    ("conv: {out: 16, kernel: 5, stride: 2, pad: 2}", (4, 100), (16, 50),
     16 * (5 * 4 + 1), 16 * 50 * 5 * 4, 16 * 50),
    ("conv: {out: 8, kernel: 3, pad: 1}", (3, 8, 16, 16), (8, 8, 16, 16),
     8 * (3 * 3 * 3 * 3 + 1), 8 * 8 * 16 * 16 * 3 * 3 * 3 * 3, 8 * 8 * 16 * 16),
    ("conv: {out: 4, kernel: [3, 1, 1], stride: [2, 1, 1]}", (2, 9, 5, 5), (4, 4, 5, 5),
     4 * (3 * 1 * 1 * 2 + 1), 4 * 4 * 5 * 5 * 3 * 2, 4 * 4 * 5 * 5),
    # scalar shorthand: conv: N is the output channels (kernel still required, so via mapping)
]

DECONV = [
    # (N-1)S - 2P + (F-1) + output_padding + 1; MACs = input elements x C_out/groups x kernel
    ("deconv: {out: 16, kernel: 4, stride: 2, pad: 1}", (32, 7, 7), (16, 14, 14),
     16 * (4 * 4 * 32 + 1), 32 * 7 * 7 * 16 * 4 * 4, 16 * 14 * 14),
    ("deconv: {out: 8, kernel: 3, stride: 2, pad: 1, output_padding: 1}", (4, 5, 5), (8, 10, 10),
     8 * (3 * 3 * 4 + 1), 4 * 5 * 5 * 8 * 3 * 3, 8 * 10 * 10),
    ("deconv: {out: 4, kernel: 3, dilation: 2, bias: false}", (2, 6), (4, 6 + 2 * 2),
     4 * 3 * 2, 2 * 6 * 4 * 3, 0),
    ("deconv: {out: 8, kernel: 2, stride: 2, groups: 2}", (4, 3, 3, 3), (8, 6, 6, 6),
     8 * (2 * 2 * 2 * 2 + 1), 4 * 3 * 3 * 3 * (8 // 2) * 2 * 2 * 2, 8 * 6 * 6 * 6),
]

# Locally connected (layers/local.py): a conv's windows and output size, own filters at each of the P output
# positions. Weights P x out x k*C_in, a bias per output element (P x out), MACs P x out x k*C_in as a conv's.
LOCAL = [
    # Keras' LocallyConnected2D(64, (3, 3)) on 32x32x3: "(30*30)*(3*3*3*64) + (30*30)*64 parameters"
    ("local: {out: 64, kernel: 3}", (3, 32, 32), (64, 30, 30),
     (30 * 30) * (3 * 3 * 3 * 64) + (30 * 30) * 64, 30 * 30 * 64 * 3 * 3 * 3, 64 * 30 * 30),
    # the brief's spec: after a 3x3 conv of 8 on 28x28
    ("local: {out: 4, kernel: 3}", (8, 26, 26), (4, 24, 24),
     24 * 24 * 4 * (3 * 3 * 8 + 1), 24 * 24 * 4 * 3 * 3 * 8, 4 * 24 * 24),
    # stride 2, pad 1, no bias: (9 + 2 - 3)/2 + 1 = 5
    ("local: {out: 6, kernel: 3, stride: 2, pad: 1, bias: false}", (3, 9, 9), (6, 5, 5),
     5 * 5 * 6 * 3 * 3 * 3, 5 * 5 * 6 * 3 * 3 * 3, 0),
    # a stride that does not divide: (8 - 3)/2 + 1 = 3.5 -> 3; per-dimension kernel and padding
    ("local: {out: 2, kernel: 3, stride: 2}", (1, 8, 8), (2, 3, 3), 3 * 3 * 2 * (3 * 3 + 1), 3 * 3 * 2 * 3 * 3, 2 * 9),
    ("locally_connected: {out: 2, kernel: [1, 3], pad: [0, 1]}", (2, 4, 5), (2, 4, 5),
     4 * 5 * 2 * (1 * 3 * 2 + 1), 4 * 5 * 2 * 3 * 2, 2 * 4 * 5),
    # a window as large as the input: one position, so an fc's params and MACs (10 x (75 + 1))
    ("local: {out: 10, kernel: 5}", (3, 5, 5), (10, 1, 1), 10 * (5 * 5 * 3 + 1), 5 * 5 * 3 * 10, 10),
    # 1-D: Keras' LocallyConnected1D(64, 3) on 10 steps of 32: output (8, 64)
    ("local: {out: 64, kernel: 3}", (32, 10), (64, 8), 8 * 64 * (3 * 32 + 1), 8 * 64 * 3 * 32, 64 * 8),
    # 1-D, dilation 2 (span 5), stride 2, pad 2: (11 + 4 - 5)/2 + 1 = 6
    ("local_conv: {out: 5, kernel: 3, stride: 2, pad: 2, dilation: 2}", (4, 11), (5, 6),
     6 * 5 * (3 * 4 + 1), 6 * 5 * 3 * 4, 5 * 6),
    ("local_conv: {out: 3, kernel: 1, bias: false}", (5, 7), (3, 7), 7 * 3 * 5, 7 * 3 * 5, 0),
    # 3-D
    ("local: {out: 2, kernel: [3, 2, 2]}", (3, 5, 4, 4), (2, 3, 3, 3),
     3 * 3 * 3 * 2 * (3 * 2 * 2 * 3 + 1), 3 * 3 * 3 * 2 * 3 * 2 * 2 * 3, 2 * 3 * 3 * 3),
    # 3-D, stride 2, padding in depth only, no bias: D (4 + 2 - 2)/2 + 1 = 3, H (4 - 2)/2 + 1 = 2, W (6 - 2)/2 + 1 = 3
    ("local: {out: 3, kernel: 2, stride: 2, pad: [1, 0, 0], bias: false}", (2, 4, 4, 6), (3, 3, 2, 3),
     3 * 2 * 3 * 3 * 2 * 2 * 2 * 2, 3 * 2 * 3 * 3 * 2 * 2 * 2 * 2, 0),
]

POOL = [
    ("maxpool: 2", (3, 32, 32), (3, 16, 16), 0, 0, 3 * 16 * 16 * (2 * 2 - 1)),
    ("maxpool: {kernel: 3, stride: 2}", (8, 13, 13), (8, 6, 6), 0, 0, 8 * 6 * 6 * (3 * 3 - 1)),
    ("maxpool: {kernel: 3, stride: 2, pad: 1}", (4, 112, 112), (4, 56, 56), 0, 0, 4 * 56 * 56 * 8),
    # ceil mode: ceil((112 - 3)/2) + 1 = 56 instead of 55
    ("maxpool: {kernel: 3, stride: 2, ceil: true}", (4, 112, 112), (4, 56, 56), 0, 0, 4 * 56 * 56 * 8),
    # ceil mode drops a last window starting in the padding: 5, k2, s2, p1 -> 3
    ("maxpool: {kernel: 2, stride: 2, pad: 1, ceil: true}", (1, 5, 5), (1, 3, 3), 0, 0, 1 * 3 * 3 * 3),
    ("maxpool: {kernel: 3, dilation: 2, stride: 1}", (2, 10), (2, 6), 0, 0, 2 * 6 * 2),
    ("maxpool: {kernel: 2}", (2, 8, 8, 8), (2, 4, 4, 4), 0, 0, 2 * 4 * 4 * 4 * 7),
    ("avgpool: 2", (6, 28, 28), (6, 14, 14), 0, 0, 6 * 14 * 14 * 2 * 2),
    ("avgpool: {kernel: 3, stride: 1, pad: 1}", (5, 35, 35), (5, 35, 35), 0, 0, 5 * 35 * 35 * 9),
    ("avgpool: {kernel: 4, stride: 4}", (3, 100), (3, 25), 0, 0, 3 * 25 * 4),
    ("avgpool: {kernel: 2, ceil: true}", (3, 7, 7, 7), (3, 4, 4, 4), 0, 0, 3 * 4 * 4 * 4 * 8),
    # adaptive: windows [floor(i*N/O), ceil((i+1)*N/O)); 7 -> 3 gives windows 3, 3, 3
    ("adaptive_avgpool: 3", (2, 7, 7), (2, 3, 3), 0, 0, 2 * (3 + 3 + 3) * (3 + 3 + 3)),
    ("adaptive_avgpool: {out: [6, 6]}", (256, 6, 6), (256, 6, 6), 0, 0, 256 * 6 * 6),
    ("adaptive_avgpool: 1", (16, 50), (16, 1), 0, 0, 16 * 50),
    ("adaptive_maxpool: 2", (3, 4, 4, 4), (3, 2, 2, 2), 0, 0, 3 * (4 * 4 * 4 - 8)),
    ("gap", (512, 7, 7), (512, 1, 1), 0, 0, 512 * 7 * 7),
    ("gap", (128, 500), (128, 1), 0, 0, 128 * 500),
    ("gap", (8, 4, 4, 4), (8, 1, 1, 1), 0, 0, 8 * 64),
]

DENSE = [
    ("fc: 10", (784,), (10,), 10 * (784 + 1), 784 * 10, 10),
    # fc after a map flattens it: 512x7x7 = 25,088 features (VGG's fc6)
    ("fc: 4096", (512, 7, 7), (4096,), 4096 * (512 * 7 * 7 + 1), 512 * 7 * 7 * 4096, 4096),
    ("fc: {out: 3, bias: false}", (4, 5), (3,), 3 * 4 * 5, 4 * 5 * 3, 0),
    ("linear: 7", (3,), (7,), 7 * (3 + 1), 3 * 7, 7),
    ("maxout: {out: 240, pieces: 5}", (784,), (240,), 5 * 240 * (784 + 1), 5 * 784 * 240, 5 * 240 + 4 * 240),
    ("flatten", (64, 5, 5), (64 * 5 * 5,), 0, 0, 0),
    ("flatten", (10,), (10,), 0, 0, 0),
    # shape operations (layers/shape_ops.py): views, and channel shuffle's copy; no params, MACs or ops
    ("reshape: [1024, 4, 4]", (16384,), (1024, 4, 4), 0, 0, 0),  # DCGAN's generator after its fc
    ("reshape: [-1, 4, 4]", (16384,), (16384 // (4 * 4), 4, 4), 0, 0, 0),
    ("unflatten: [8, -1]", (64,), (8, 64 // 8), 0, 0, 0),
    ("reshape: [6, 4]", (3, 2, 4), (6, 4), 0, 0, 0),
    ("reshape: [4, 2, 3, 2]", (6, 8), (4, 2, 3, 2), 0, 0, 0),
    ("reshape: {shape: [4, 9], layout: tokens}", (36,), (4, 9), 0, 0, 0),
    ("reshape: [-1]", (3, 4, 4), (3 * 4 * 4,), 0, 0, 0),
    ("permute: [1, 2, 0]", (3, 4, 5), (4, 5, 3), 0, 0, 0),  # channels last
    ("permute: [0, 2, 1]", (3, 4, 5), (3, 5, 4), 0, 0, 0),
    ("permute: [1, 0]", (3, 8), (8, 3), 0, 0, 0),  # a map [C, L] to tokens [L, C]
    ("permute: [0, 3, 1, 2]", (2, 3, 4, 5), (2, 5, 3, 4), 0, 0, 0),
    ("channel_shuffle: 2", (116, 7, 7), (116, 7, 7), 0, 0, 0),  # ShuffleNet v2 1.0x's stage 2: 2 x 58 channels
    ("channel_shuffle: 3", (6, 10), (6, 10), 0, 0, 0),
    ("channel_shuffle: 4", (8, 2, 3, 3), (8, 2, 3, 3), 0, 0, 0),
    ("crop: 56", (16, 64, 64), (16, 56, 56), 0, 0, 0),  # U-Net's deepest copy and crop (of 512 channels)
    ("crop: [3, 5]", (2, 6, 6), (2, 3, 5), 0, 0, 0),
    ("crop: 7", (2, 10), (2, 7), 0, 0, 0),
    ("crop: [1, 2, 3]", (2, 3, 3, 3), (2, 1, 2, 3), 0, 0, 0),
    # channel slices (layers/select.py): views of stop - start channels, the map's size kept
    ("slice: 58", (116, 28, 28), (116 // 2, 28, 28), 0, 0, 0),  # ShuffleNet v2 1.0x's split: the first half
    ("slice: {start: 58}", (116, 28, 28), (116 - 58, 28, 28), 0, 0, 0),  # the rest
    ("slice: {start: 1, stop: 3}", (4, 10), (3 - 1, 10), 0, 0, 0),
    ("slice: {start: 2, stop: 3}", (5, 2, 3, 3), (3 - 2, 2, 3, 3), 0, 0, 0),
]

NORM_AND_ELEMENTWISE = [
    ("bn", (64, 56, 56), (64, 56, 56), 2 * 64, 0, 2 * 64 * 56 * 56),
    ("bn", (100,), (100,), 2 * 100, 0, 2 * 100),
    ("bn", (8, 20), (8, 20), 2 * 8, 0, 2 * 8 * 20),
    ("bn: {affine: false}", (8, 4, 4, 4), (8, 4, 4, 4), 0, 0, 2 * 8 * 64),
    ("lrn: 5", (96, 55, 55), (96, 55, 55), 0, 0, (2 * 5 + 3) * 96 * 55 * 55),
    ("relu", (3, 4, 4), (3, 4, 4), 0, 0, 3 * 4 * 4),
    ("relu6", (3, 4, 4), (3, 4, 4), 0, 0, 3 * 4 * 4),
    ("leaky_relu: 0.2", (10,), (10,), 0, 0, 10),
    ("elu", (10,), (10,), 0, 0, 10),
    ("sigmoid", (2, 5), (2, 5), 0, 0, 10),
    ("tanh", (2, 5), (2, 5), 0, 0, 10),
    ("gelu", (2, 5), (2, 5), 0, 0, 10),
    # the smooth and hard activations (layers/activation.py): one op per element each, whatever the formula
    ("gelu: {approximate: tanh}", (2, 3, 4, 4), (2, 3, 4, 4), 0, 0, 2 * 3 * 4 * 4),
    ("silu", (3, 4, 4), (3, 4, 4), 0, 0, 3 * 4 * 4),
    ("swish", (10,), (10,), 0, 0, 10),
    ("hardswish", (16, 7, 7), (16, 7, 7), 0, 0, 16 * 7 * 7),
    ("hard_swish", (2, 5), (2, 5), 0, 0, 10),
    ("hardsigmoid", (16, 1, 1), (16, 1, 1), 0, 0, 16),  # MobileNetV3's squeeze-excite gate
    ("hard_sigmoid", (2, 3, 4, 4), (2, 3, 4, 4), 0, 0, 2 * 3 * 4 * 4),
    ("mish", (2, 5), (2, 5), 0, 0, 10),
    ("mish", (4, 3, 2, 2), (4, 3, 2, 2), 0, 0, 4 * 3 * 2 * 2),
    ("softmax", (1000,), (1000,), 0, 0, 3 * 1000),
    ("dropout: 0.5", (4096,), (4096,), 0, 0, 0),
    ("identity", (3, 4, 4), (3, 4, 4), 0, 0, 0),
    ("upsample: 2", (4, 7, 7), (4, 14, 14), 0, 0, 0),
    ("upsample: {scale: 2, mode: bilinear}", (4, 7, 7), (4, 14, 14), 0, 0, 4 * 4 * 14 * 14),
    ("upsample: {size: [10, 12]}", (4, 5, 6), (4, 10, 12), 0, 0, 0),
    ("upsample: 1.5", (1, 5), (1, 7), 0, 0, 0),  # floor(5 * 1.5) = 7
    ("upsample: {scale: [2, 1, 1]}", (2, 3, 4, 4), (2, 6, 4, 4), 0, 0, 0),
    # Layer, group and RMS norm (layers/norm.py): per element 5 ops for the statistics and the normalisation
    # (3 for RMS norm), plus the scale and the shift; per normalised group 4 (3 for RMS norm). A map's layer norm
    # normalises the C channels at each position; flat features are one token. Tokens: tests/test_norm_kinds.py.
    ("layernorm", (96, 56, 56), (96, 56, 56), 2 * 96, 0, (5 + 2) * 96 * 56 * 56 + 4 * 56 * 56),
    ("layernorm: {eps: 0.000001}", (16, 10), (16, 10), 2 * 16, 0, (5 + 2) * 16 * 10 + 4 * 10),
    ("layernorm: {affine: false}", (8, 4, 4, 4), (8, 4, 4, 4), 0, 0, 5 * 8 * 64 + 4 * 64),
    ("layernorm: {bias: false}", (768,), (768,), 768, 0, (5 + 1) * 768 + 4),
    ("groupnorm: 32", (256, 14, 14), (256, 14, 14), 2 * 256, 0, (5 + 2) * 256 * 14 * 14 + 4 * 32),
    ("groupnorm: {groups: 4, affine: false}", (8, 20), (8, 20), 0, 0, 5 * 8 * 20 + 4 * 4),
    ("groupnorm: 2", (6, 3, 4, 4), (6, 3, 4, 4), 2 * 6, 0, (5 + 2) * 6 * 48 + 4 * 2),
    ("groupnorm: 1", (10,), (10,), 2 * 10, 0, (5 + 2) * 10 + 4),
    ("rmsnorm", (512,), (512,), 512, 0, (3 + 1) * 512 + 3),
    ("rmsnorm: {affine: false, eps: 0.000001}", (64,), (64,), 0, 0, 3 * 64 + 3),
    # layer scale: one weight per channel (or feature), one multiply per element; stochastic depth: identity
    ("layer_scale", (96, 56, 56), (96, 56, 56), 96, 0, 96 * 56 * 56),
    ("layer_scale: 0.00001", (8, 20), (8, 20), 8, 0, 8 * 20),
    ("layer_scale", (4, 3, 3, 3), (4, 3, 3, 3), 4, 0, 4 * 27),
    ("layer_scale", (768,), (768,), 768, 0, 768),
    ("stochastic_depth: 0.1", (96, 56, 56), (96, 56, 56), 0, 0, 0),
    ("drop_path: {p: 0.2, mode: batch}", (10,), (10,), 0, 0, 0),
]

# Recurrent layers on a sequence [T, F], PyTorch's parameter layout (two bias vectors):
# per layer and direction G*H*F_in + G*H*H + 2*G*H; MACs T x G*H*(F_in + H).
T, F, HID = 28, 28, 128
RECURRENT = [
    ("rnn: 128", (T, F), (T, HID), HID * F + HID * HID + 2 * HID, T * HID * (F + HID), T * HID * 4),
    ("gru: 128", (T, F), (T, HID), 3 * (HID * F + HID * HID + 2 * HID), T * 3 * HID * (F + HID), T * HID * 17),
    ("lstm: 128", (T, F), (T, HID), 4 * (HID * F + HID * HID + 2 * HID), T * 4 * HID * (F + HID), T * HID * 21),
    ("lstm: {hidden: 128, sequence: false}", (T, F), (HID,),
     4 * (HID * F + HID * HID + 2 * HID), T * 4 * HID * (F + HID), T * HID * 21),
    ("lstm: {hidden: 20, layers: 2, bidirectional: true}", (5, 10), (5, 40),
     2 * 4 * (20 * 10 + 20 * 20 + 2 * 20) + 2 * 4 * (20 * 40 + 20 * 20 + 2 * 20),
     5 * 2 * 4 * 20 * (10 + 20) + 5 * 2 * 4 * 20 * (40 + 20), 2 * 2 * 5 * 20 * 21),
    ("gru: {hidden: 8, bias: false}", (3, 4), (3, 8), 3 * (8 * 4 + 8 * 8), 3 * 3 * 8 * (4 + 8), 3 * 8 * (17 - 6)),
    # fc after a sequence applies to every step, as nn.Linear does
]

# Patch embedding (layers/patches.py): a conv of kernel = stride = the patch, flattened to tokens [patches, dim]:
# dim x (p*p*C + 1) params, patches x dim x p*p*C MACs, one bias add per output element.
PATCHES = [
    ("patch_embed: {size: 16, dim: 768}", (3, 224, 224), ((224 // 16) ** 2, 768),  # ViT-B/16's conv_proj
     768 * (16 * 16 * 3 + 1), 14 * 14 * 768 * 16 * 16 * 3, 14 * 14 * 768),
    ("patch_embed: {size: [4, 2], dim: 8, bias: false}", (2, 8, 6), ((8 // 4) * (6 // 2), 8),
     8 * 4 * 2 * 2, 2 * 3 * 8 * 4 * 2 * 2, 0),
    ("patch_embed: {size: 5, dim: 6}", (4, 20), (20 // 5, 6), 6 * (5 * 4 + 1), 4 * 6 * 5 * 4, 4 * 6),
    # to_tokens: each position a token of the channels, no arithmetic
    ("to_tokens", (768, 14, 14), (14 * 14, 768), 0, 0, 0),
    ("to_tokens", (6, 2, 3, 4), (2 * 3 * 4, 6), 0, 0, 0),
]

# Tokens (layers/tokens.py), on token ids [T] or tokens [T, F]: a lookup is no arithmetic; a learned table
# added to the tokens is rows x F params and one add per element; a mean over tokens one add per element.
IDS_16, TOKENS_17 = {"ids": 16}, {"tokens": 17, "features": 64}
TOKEN_KINDS = [
    ("embedding: {vocab: 30522, dim: 768}", {"ids": 128}, (128, 768), 30522 * 768, 0, 0),  # BERT-base's words
    ("token_embedding: {vocab: 100, dim: 32}", IDS_16, (16, 32), 100 * 32, 0, 0),
    ("position_embedding", TOKENS_17, (17, 64), 17 * 64, 0, 17 * 64),  # ViT's: one row per token
    ("position_embedding: {positions: 512}", {"tokens": 128, "features": 768}, (128, 768), 512 * 768, 0, 128 * 768),
    ("segment_embedding", {"tokens": 128, "features": 768}, (128, 768), 2 * 768, 0, 128 * 768),
    ("token_type_embedding: {segments: 3}", TOKENS_17, (17, 64), 3 * 64, 0, 17 * 64),
    # the fixed sinusoid: a buffer, no params; one add per element, and a multiply per element where scaled
    ("sinusoidal_position", TOKENS_17, (17, 64), 0, 0, 17 * 64),
    ("sinusoidal_encoding: {positions: 512, scale: true}", {"tokens": 128, "features": 512}, (128, 512), 0, 0,
     2 * 128 * 512),
    ("class_token", {"tokens": 196, "features": 768}, (196 + 1, 768), 1 * 768, 0, 0),
    ("class_token: 2", TOKENS_17, (17 + 2, 64), 2 * 64, 0, 0),
    ("select_token", TOKENS_17, (64,), 0, 0, 0),
    ("select_token: 16", TOKENS_17, (64,), 0, 0, 0),
    ("mean_tokens", TOKENS_17, (64,), 0, 0, 17 * 64),
]



def tokens(layer: str, t: int, f: int) -> str:
    """A layer on tokens [t, f]: the table's input is a map, made tokens by a view first."""
    return f"[reshape: {{shape: [{t}, {f}], layout: tokens}}, {layer}]"


# Self-attention, h heads of d on tokens [T, F]: 4 x F x h*d weights, 3*h*d + F biases; MACs T x F x 3*h*d and
# T x h*d x F (projections) + h x T x T x d twice (q kᵀ, then the weighted sum of v); ops the bias adds, one scale,
# (causal, dense) one mask add and 3 softmax ops per score. count: triangle: T(T+1)/2 scores per head.
ATTENTION = [
    (tokens("attention: 4", 17, 64), (17, 64), (17, 64), 4 * 64 * 64 + 3 * 64 + 64,
     17 * 64 * 4 * 64 + 2 * 4 * 17 * 17 * 16, 17 * (3 * 64 + 64) + (1 + 3) * 4 * 17 * 17),
    (tokens("attention: {heads: 3, head_dim: 8}", 5, 10), (5, 10), (5, 10), 4 * 10 * 24 + 3 * 24 + 10,
     5 * 10 * 4 * 24 + 2 * 3 * 5 * 5 * 8, 5 * (3 * 24 + 10) + (1 + 3) * 3 * 5 * 5),
    (tokens("mhsa: {heads: 2, bias: false}", 6, 8), (6, 8), (6, 8), 4 * 8 * 8,
     6 * 8 * 4 * 8 + 2 * 2 * 6 * 6 * 4, (1 + 3) * 2 * 6 * 6),
    (tokens("self_attention: {heads: 2, causal: true}", 6, 8), (6, 8), (6, 8), 4 * 8 * 8 + 3 * 8 + 8,
     6 * 8 * 4 * 8 + 2 * 2 * 6 * 6 * 4, 6 * (3 * 8 + 8) + (1 + 1 + 3) * 2 * 6 * 6),
    (tokens("attention: {heads: 2, causal: true, count: triangle}", 6, 8), (6, 8), (6, 8), 4 * 8 * 8 + 3 * 8 + 8,
     6 * 8 * 4 * 8 + 2 * 2 * (6 * 7 // 2) * 4, 6 * (3 * 8 + 8) + (1 + 3) * 2 * (6 * 7 // 2)),
]


# Window attention (Swin) on a map [C, H, W], padded to Hp x Wp, a multiple of the window w: G = (Hp/w)*(Wp/w)
# windows of T = w*w tokens. Attention's figures per window (the projections over all G*T tokens, padding
# included; q kᵀ and the weighted sum of v, h x T x T x d each, per window) and a (2w-1)^2 x h bias table; ops:
# the bias adds, then per score one scale, one relative bias add, (shifted) one mask add and 3 softmax ops.
# Swin-T's first block (stage 1, 56x56, 3 heads of 32: 64 windows), its second (shifted), its last (7x7: one
# window covers the map, so torchvision's shift is 0 and there is no mask), a padded map and a head_dim.
WINDOWS = [
    ("window_attention: {heads: 3, window: 7}", (96, 56, 56), (96, 56, 56), 4 * 96 * 96 + 4 * 96 + 13 * 13 * 3,
     56 * 56 * 96 * 4 * 96 + 2 * 64 * 3 * 49 * 49 * 32, 56 * 56 * 4 * 96 + (1 + 1 + 3) * 64 * 3 * 49 * 49),
    ("window_attention: {heads: 3, window: 7, shift: 3}", (96, 56, 56), (96, 56, 56),
     4 * 96 * 96 + 4 * 96 + 13 * 13 * 3, 56 * 56 * 96 * 4 * 96 + 2 * 64 * 3 * 49 * 49 * 32,
     56 * 56 * 4 * 96 + (1 + 1 + 1 + 3) * 64 * 3 * 49 * 49),
    ("shifted_window_attention: {heads: 24, window: 7, shift: 3}", (768, 7, 7), (768, 7, 7),
     4 * 768 * 768 + 4 * 768 + 13 * 13 * 24, 49 * 768 * 4 * 768 + 2 * 24 * 49 * 49 * 32,
     49 * 4 * 768 + (1 + 1 + 3) * 24 * 49 * 49),
    ("window_attention: {heads: 2, window: 4, shift: 2, bias: false}", (8, 6, 5), (8, 6, 5), 4 * 8 * 8 + 7 * 7 * 2,
     8 * 8 * 8 * 4 * 8 + 2 * 4 * 2 * 16 * 16 * 4, (1 + 1 + 1 + 3) * 4 * 2 * 16 * 16),
    ("swin_attention: {heads: 2, window: 2, head_dim: 3}", (4, 4, 4), (4, 4, 4), 4 * 4 * 6 + 3 * 6 + 4 + 3 * 3 * 2,
     16 * 4 * 4 * 6 + 2 * 4 * 2 * 4 * 4 * 3, 16 * (3 * 6 + 4) + (1 + 1 + 3) * 4 * 2 * 4 * 4),
    # patch merging's gather: each 2x2 neighbourhood into 4C channels, an odd size padded; no arithmetic
    ("patch_merge", (96, 56, 56), (384, 28, 28), 0, 0, 0),
    ("patch_merging", (3, 5, 4), (12, 3, 2), 0, 0, 0),
]


@pytest.mark.parametrize("layer, input, output, params, macs, ops",
                         CONV + DECONV + LOCAL + POOL + DENSE + NORM_AND_ELEMENTWISE + RECURRENT + PATCHES
                         + TOKEN_KINDS + ATTENTION + WINDOWS)
def test_layer_rule(layer, input, output, params, macs, ops):
    row = last(layer, input)
    assert row.shape.dims == output
    assert row.params == params
    assert row.macs == macs
    assert row.other_ops == ops


def test_fc_on_a_sequence_applies_per_step():
    from tests.helpers import report

    rows = report(["lstm: 16", "fc: 5"], (7, 3)).rows
    assert rows[-1].shape.dims == (7, 5)
    assert rows[-1].params == 5 * (16 + 1)
    assert rows[-1].macs == 7 * 16 * 5


@pytest.mark.parametrize("layer, input, weights, biases, buffers", [
    ("conv: {out: 10, kernel: 5, pad: 2}", (3, 32, 32), 10 * 5 * 5 * 3, 10, 0),
    # locally connected: the conv's weights at each of the 32*32 positions, a bias per output element
    ("local: {out: 10, kernel: 5, pad: 2}", (3, 32, 32), 32 * 32 * 10 * 5 * 5 * 3, 10 * 32 * 32, 0),
    ("fc: 4096", (25088,), 25088 * 4096, 4096, 0),
    # batch norm: gamma and beta; buffers running mean, running var and num_batches_tracked
    ("bn", (64, 8, 8), 64, 64, 2 * 64 + 1),
    ("lstm: 10", (4, 3), 4 * 10 * (3 + 10), 2 * 4 * 10, 0),
    # the sinusoidal table: positions x F, fixed, as the PyTorch tutorial's register_buffer("pe") holds it
    ("sinusoidal_position: 512", {"tokens": 128, "features": 512}, 0, 0, 512 * 512),
    # window attention: the projections and the bias table; buffer relative_position_index, (w*w)^2 int64
    ("window_attention: {heads: 3, window: 7}", (96, 56, 56), 4 * 96 * 96 + 13 * 13 * 3, 4 * 96, 49 * 49),
])
def test_weights_biases_and_buffers(layer, input, weights, biases, buffers):
    row = last(layer, input)
    assert (row.weights, row.biases, row.buffers) == (weights, biases, buffers)


@pytest.mark.parametrize("layer, input, in_place", [
    ("relu", (3, 4, 4), True),
    ("relu: {inplace: false}", (3, 4, 4), False),
    ("relu6", (3, 4, 4), True),
    ("leaky_relu", (3, 4, 4), True),
    ("elu", (3, 4, 4), True),
    ("sigmoid", (3, 4, 4), False),
    ("tanh", (3, 4, 4), False),
    ("gelu", (3, 4, 4), False),
    # SiLU and hard-swish in place, as torchvision's conv blocks; hard-sigmoid and mish as PyTorch's default
    ("silu", (3, 4, 4), True),
    ("silu: {inplace: false}", (3, 4, 4), False),
    ("hardswish", (3, 4, 4), True),
    ("hardsigmoid", (3, 4, 4), False),
    ("hardsigmoid: {inplace: true}", (3, 4, 4), True),
    ("mish", (3, 4, 4), False),
    ("mish: {inplace: true}", (3, 4, 4), True),
    ("softmax", (10,), False),
    ("dropout", (10,), True),
    ("identity", (10,), True),
    ("flatten", (3, 4, 4), True),
    ("bn", (3, 4, 4), False),
    ("conv: {out: 2, kernel: 1}", (3, 4, 4), False),
    ("local: {out: 2, kernel: 1}", (3, 4, 4), False),
    ("layernorm", (3, 4, 4), False),
    ("groupnorm: 3", (3, 4, 4), False),
    ("rmsnorm", (10,), False),
    ("layer_scale", (3, 4, 4), False),
    ("stochastic_depth: 0.5", (3, 4, 4), True),
    # tokens: a lookup and a table added allocate; reading one token is a view (x[:, 0])
    ("embedding: {vocab: 5, dim: 3}", IDS_16, False),
    ("position_embedding", TOKENS_17, False),
    ("sinusoidal_position", TOKENS_17, False),
    ("class_token", TOKENS_17, False),
    ("select_token", TOKENS_17, True),
    ("mean_tokens", TOKENS_17, False),
    ("patch_embed: {size: 2, dim: 4}", (3, 4, 4), False),
    ("to_tokens", (3, 4, 4), True),
    # window attention and patch merging write new tensors (the merged windows, the concatenation)
    ("window_attention: {heads: 2, window: 2}", (4, 4, 4), False),
    ("patch_merge", (3, 4, 4), False),
    # shape operations: views, but channel shuffle copies
    ("reshape: [2, 8]", (16,), True),
    ("permute: [0, 2, 1]", (3, 4, 5), True),
    ("crop: 2", (3, 4, 4), True),
    ("channel_shuffle: 3", (6, 4, 4), False),
    ("slice: 2", (3, 4, 4), True),
])
def test_storage(layer, input, in_place):
    row = last(layer, input)
    assert row.in_place is in_place
    assert row.held == (0 if in_place else row.activations)


# Merges (layers/merge.py): (spec, input, output, other ops, allocates nothing). add and mul do
# branches-1 operations per output element and write into a branch's own fresh output of the
# output's shape when there is one; concat copies into a new tensor.
MERGE = [
    ("add: [[conv: {out: 4, kernel: 3, pad: 1}], identity]", (4, 8, 8), (4, 8, 8), 4 * 8 * 8, True),
    ("add: [identity, identity]", (4, 8, 8), (4, 8, 8), 4 * 8 * 8, False),  # both return the input
    ("add: [[conv: {out: 4, kernel: 1}], [conv: {out: 4, kernel: 1}], identity]", (4, 3, 3), (4, 3, 3),
     2 * 4 * 3 * 3, True),
    # squeeze and excitation: the gate [6, 1, 1] broadcasts over the map [6, 5, 5]
    ("mul: [identity, [gap, sigmoid]]", (6, 5, 5), (6, 5, 5), 6 * 5 * 5, False),
    ("mul: [[gap, sigmoid], identity]", (6, 5, 5), (6, 5, 5), 6 * 5 * 5, False),
    ("mul: [[conv: {out: 6, kernel: 1}], [gap, sigmoid]]", (6, 5, 5), (6, 5, 5), 6 * 5 * 5, True),
    ("mul: [[conv: {out: 6, kernel: 1}], [conv: {out: 1, kernel: 1}]]", (3, 4), (6, 4), 6 * 4, True),
    ("concat: [[conv: {out: 3, kernel: 1}], [conv: {out: 5, kernel: 1}]]", (2, 6, 6), (3 + 5, 6, 6), 0, False),
    ("concat: [identity, identity]", (2, 6), (4, 6), 0, False),
]


@pytest.mark.parametrize("layer, input, output, ops, in_place", MERGE)
def test_merge_rule(layer, input, output, ops, in_place):
    row = last(layer, input)
    assert row.kind == layer.split(":")[0]
    assert (row.shape.dims, row.other_ops, row.params, row.macs) == (output, ops, 0, 0)
    assert row.in_place is in_place
    assert row.held == (0 if in_place else row.activations)


@pytest.mark.parametrize("layer, input, message", [
    ("add: [[conv: {out: 4, kernel: 1}], [gap]]", (4, 3, 3), "add needs equal shapes"),
    ("mul: [[conv: {out: 4, kernel: 1}], [conv: {out: 3, kernel: 1}]]", (4, 3, 3),
     "mul cannot broadcast its branches: branch 'branch1' gives [4x3x3] and branch 'branch2' gives [3x3x3]"),
    ("mul: [identity, flatten]", (4, 3, 3), "mul cannot merge 'branch1' [4x3x3], 'branch2' [36]"),
    ("concat: [identity, maxpool: 3]", (4, 3, 3), "concat joins along the channels"),
    ("conv: {out: 8, kernel: 5}", (3, 3, 3), "output size -1 < 1: (3 - 5)/1 + 1 = -1"),
    ("conv: {out: 8, kernel: 3, groups: 2}", (3, 8, 8), "groups=2 does not divide the 3 input channels"),
    ("conv: {out: 9, kernel: 3, groups: 3}", (6, 8, 8), None),
    ("conv: {out: 8, kernel: 3, groups: 4}", (8, 8, 8), None),
    ("conv: {out: 6, kernel: 3, groups: 4}", (8, 8, 8), "groups=4 does not divide the 6 output channels"),
    ("conv: {out: 8, kernel: 3, stride: 2, pad: same}", (3, 8, 8), "pad 'same' needs stride 1"),
    ("conv: {out: 8, kernel: [3, 3]}", (3, 8), "kernel lists 2 values but the input 3x8 has 1 spatial dimension"),
    ("conv: {out: 8, kernel: 3}", (10,), "conv needs a spatial map [C, ...], but the input is flat [10]"),
    ("local: {out: 8, kernel: 5}", (3, 3, 3), "output size -1 < 1: (3 - 5)/1 + 1 = -1"),
    ("local: {out: 2, kernel: 3, pad: same}", (3, 8, 8), "local has no 'same' padding"),
    ("local: {out: 2, kernel: 3, groups: 2}", (3, 8, 8), "unknown field 'groups' in local"),
    ("local: {out: 8, kernel: [3, 3]}", (3, 8), "kernel lists 2 values but the input 3x8 has 1 spatial dimension"),
    ("local: {out: 8, kernel: 3}", (10,), "local needs a spatial map [C, ...], but the input is flat [10]"),
    ("local: {out: 8, kernel: 3}", (3, 3, 3), None),
    ("maxpool: {kernel: 3, pad: 2}", (3, 8, 8), "pad 2 is more than half the kernel 3"),
    ("maxpool: {kernel: 2, pad: 2}", (3, 8, 8), "pad 2 is more than half the kernel 2"),
    ("maxpool: 4", (3, 3, 3), "size 3 is pooled away to nothing"),
    # 1-D and 2-D ceil mode lets a window hang over the edge; PyTorch's 3-D average pooling does not
    ("avgpool: {kernel: [1, 2], ceil: true}", (1, 1, 1), None),
    ("avgpool: {kernel: [1, 1, 2], ceil: true}", (1, 1, 1, 1),
     "3-D average pooling needs the input 1x1x1x1 to be at least the kernel 1x1x2"),
    ("deconv: {out: 4, kernel: 3, stride: 2, output_padding: 2}", (2, 5, 5),
     "output_padding 2 must be smaller than the stride (2) or the dilation (1)"),
    ("deconv: {out: 4, kernel: 1, pad: 1}", (2, 1, 1), "output size -1 < 1"),
    ("lstm: 8", (3, 4, 4), "lstm needs a sequence [T, F], but the input is [3x4x4]"),
    ("upsample: {mode: bilinear, scale: 2}", (3, 8), "bilinear upsampling needs a 2-D map"),
    ("upsample", (3, 8, 8), "upsample needs exactly one of scale and size"),
    ("maxout: 4", (3, 5), None),
    ("lrn: 5", (10,), "lrn needs a spatial map"),
    ("groupnorm: 3", (8, 4, 4), "groups=3 does not divide the 8 channels"),
    ("groupnorm: 4", (8, 4, 4), None),
    ("groupnorm: 3", (10,), "groups=3 does not divide the 10 channels"),
    ("rmsnorm", (4, 3, 3), "rmsnorm normalises the features of tokens [T, F] or [F], but the input is a map [4x3x3]"),
    # shape operations
    ("reshape: [1000, 4, 4]", (16384,), "reshape to 1000x4x4 holds 16,000 elements, but the input 16384 holds 16,384"),
    ("reshape: [-1, 5]", (3, 4, 4), "reshape cannot infer its -1: the input 3x4x4 holds 48 elements, which the other"),
    ("reshape: [-1, 3]", (3, 4, 4), None),
    ("reshape: [1, 2, 3, 4, 5]", (120,), "reshape to 5 sizes; a map has a channel and 1 to 3 spatial dimensions"),
    ("reshape: {shape: [2, 3, 4], layout: tokens}", (24,), "layout tokens is [T, F], two sizes; the shape has 3"),
    ("permute: [0, 1]", (3, 4, 5), "permute dims [0, 1] do not reorder the 3 dimensions of the input 3x4x5"),
    ("permute: [1, 1, 0]", (3, 4, 5), "permute dims [1, 1, 0] do not reorder the 3 dimensions"),
    ("channel_shuffle: 4", (6, 4, 4), "groups=4 does not divide the 6 input channels"),
    ("channel_shuffle: 3", (6, 4, 4), None),
    ("channel_shuffle: 2", (6,), "channel_shuffle needs a spatial map"),
    ("crop: 5", (2, 4, 8), "crop to 5 is larger than the input 2x4x8 in H"),
    ("crop: 4", (2, 4, 8), None),
    ("crop: [2, 9]", (2, 4, 8), "crop to 9 is larger than the input 2x4x8 in W"),
    ("crop: [2, 2]", (2, 4), "size lists 2 values but the input 2x4 has 1 spatial dimension"),
    ("slice: 9", (8, 4, 4), "slice stop 9 is past the 8 input channels"),
    ("slice: 8", (8, 4, 4), None),
    ("slice: {start: 8}", (8, 4, 4), "slice [8, 8) keeps no channel of the 8"),
    ("slice: {start: 3, stop: 2}", (8, 4, 4), "slice [3, 2) keeps no channel of the 8"),
    ("slice: 2", (8,), "slice needs a spatial map"),
    # tokens: ids only for an embedding, tokens only for the kinds that read them, patches that divide the map
    ("embedding: {vocab: 10, dim: 4}", (3, 8, 8), "embedding looks up token ids; the input is a map [3x8x8]"),
    ("embedding: {vocab: 10, dim: 4}", TOKENS_17, "embedding looks up token ids; the input is 17 tokens of 64"),
    ("fc: 4", IDS_16, "fc cannot read token ids [16]: they are integers to look up, not features"),
    ("conv: {out: 2, kernel: 1}", IDS_16, "conv cannot read token ids [16]"),
    ("position_embedding: {positions: 16}", TOKENS_17, "17 tokens, but the table has 16 positions"),
    ("sinusoidal_position: 16", TOKENS_17, "17 tokens, but the table has 16 positions"),
    ("sinusoidal_position", IDS_16, "sinusoidal_position cannot read token ids [16]"),
    ("class_token", (3, 8, 8), "class_token reads tokens [T, F], but the input is a map [3x8x8]"),
    ("mean_tokens", (10,), "mean_tokens reads tokens [T, F], but the input is flat [10]"),
    ("select_token: 17", TOKENS_17, "index 17 is past the last of 17 tokens"),
    ("patch_embed: {size: 16, dim: 8}", (3, 224, 200), "patch 16 does not divide the input's size 200"),
    ("patch_embed: {size: 2, dim: 8}", TOKENS_17, "patch_embed needs a spatial map [C, ...], but the input is 17"),
    ("to_tokens", (10,), "to_tokens needs a spatial map [C, ...], but the input is flat [10]"),
    # window attention: a 2-D map, heads that divide the channels, a shift less than the window
    ("window_attention: {heads: 5, window: 7}", (96, 14, 14), "heads=5 does not divide the 96 channels"),
    ("window_attention: {heads: 3, window: 7, shift: 7}", (96, 14, 14), "shift=7 is not less than the window 7"),
    ("window_attention: {heads: 3, window: 7, shift: 6}", (96, 14, 14), None),
    ("window_attention: {heads: 2, window: 2}", (4, 8), "works on a 2-D map [C, H, W]; the input 4x8 has 1 spatial"),
    ("window_attention: {heads: 2, window: 2}", TOKENS_17, "window_attention needs a spatial map [C, ...], but the"),
    ("patch_merge", (4, 2, 2, 2), "patch_merge works on a 2-D map [C, H, W]; the input 4x2x2x2 has 3 spatial"),
    ("patch_merge", (8,), "patch_merge needs a spatial map [C, ...], but the input is flat [8]"),
])
def test_layer_rejections(layer, input, message):
    from nnarith.errors import SpecError

    if message is None:  # valid: a control for its neighbours
        last(layer, input)
        return
    with pytest.raises(SpecError) as err:
        last(layer, input)
    assert message in err.value.message
