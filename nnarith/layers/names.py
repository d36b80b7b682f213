"""The names people write for layers and fields that nnarith spells otherwise, or does not have.

An unknown kind is often no typo but a name from PyTorch ('Conv2d'), Keras ('Dense'), Caffe
('InnerProduct') or a paper ('layernorm'): the hint then names the kind that computes it, how
to build it from kinds that exist, or that nnarith has no such kind yet. A misspelling-only
hint would mislead there: 'ln' is no typo of 'lrn', nor 'attention' of 'flatten'.

Names are compared lower case, without '_', '-' and spaces, and without a 1d/2d/3d suffix
(nnarith's kinds take their dimension from the input's rank).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from nnarith.errors import closest

# Other names of a layer nnarith has: kind -> the names it goes by elsewhere (PyTorch, Keras, Caffe).
WRITTEN_AS = {
    "fc": ("dense", "fully_connected", "inner_product"),
    "conv": ("convolution",),
    "deconv": ("deconvolution", "transposed_conv", "transpose_conv", "upconv", "conv1d_transpose", "conv2d_transpose",
               "conv3d_transpose"),
    "local": ("unshared_conv", "unshared_convolution"),  # Goodfellow et al.'s name for it
    "bn": ("batch_normalization",),
    "maxpool": ("max_pooling",),
    "avgpool": ("average_pooling", "avg_pooling"),
    "gap": ("global_average_pooling",),
    "lrn": ("local_response_norm", "local_response_normalization"),
    "layernorm": ("layer_normalization", "ln"),
    "attention": ("multi_head_attention", "mha", "scaled_dot_product_attention"),
    "groupnorm": ("group_normalization", "gn"),
    "rmsnorm": ("rms_normalization",),
    "leaky_relu": ("lrelu",),
    "hardswish": ("hswish",),  # and h_swish, h-swish: compared without separators
    "hardsigmoid": ("hsigmoid",),
    "rnn": ("simple_rnn",),
    "dropout": ("spatial_dropout",),
    "upsample": ("upsampling", "upsampling_nearest", "upsampling_bilinear", "interpolate"),
    "concat": ("concatenate", "cat"),
    "mul": ("multiply",),
    "seq": ("sequential",),
    "permute": ("transpose",),
    "crop": ("center_crop", "cropping"),
    "slice": ("channel_split", "narrow"),
}

# Layers built from kinds that exist: names -> how.
BUILT = (
    (("se", "squeeze_excitation", "squeeze_and_excitation", "se_block", "se_module"),
     "nnarith has no 'se' kind; build the squeeze-and-excitation gate with mul, as in 'mul: [identity, [gap, "
     "conv: {out: C/r, kernel: 1}, relu, conv: {out: C, kernel: 1}, sigmoid]]'"),
    (("depthwise", "depthwise_conv"),
     "a depthwise convolution is a conv with as many groups as input channels: 'conv: {out: C, kernel: 3, "
     "groups: C}'"),
    (("separable_conv", "depthwise_separable_conv", "sepconv"),
     "a depthwise separable convolution is two convs: 'conv: {out: C, kernel: 3, groups: C}', then "
     "'conv: {out: N, kernel: 1}'"),
    (("global_max_pooling", "global_max_pool"), "global max pooling is 'adaptive_maxpool: 1'"),
    (("bilstm", "bidirectional_lstm"), "write 'lstm: {hidden: H, bidirectional: true}'"),
    (("bigru", "bidirectional_gru"), "write 'gru: {hidden: H, bidirectional: true}'"),
    (("residual", "shortcut"), "write a residual connection as 'add: [[layer, ...], identity]'"),
    (("pooling", "pool"), "write 'maxpool' or 'avgpool', or 'gap' for global average pooling"),
    (("eltwise",), "write 'add' for an element-wise sum of branches, 'mul' for their product"),
    (("pad", "padding", "zero_padding", "zeropad"), "nnarith has no padding layer; conv takes 'pad:' per side"),
    (("window_partition", "window_reverse", "window_merge", "cyclic_shift"),
     "Swin's cyclic shift, window partition and merge are part of 'window_attention: {heads: 4, window: 4, "
     "shift: 2}', which shifts the map, partitions it, attends in each window, merges and shifts back; patch "
     "merging's 2x2 gather is 'patch_merge'"),
)

# Layers nnarith does not compute yet: the kind's name, what it is, and the names it goes by.
MISSING = (
    ("cross_attention", "attention from one sequence to another", ()),
    ("transformer", "transformer layers",
     ("transformer_encoder", "transformer_decoder", "transformer_encoder_layer", "transformer_decoder_layer",
      "transformer_block")),
    ("instancenorm", "instance normalisation", ("instance_normalization",)),
    ("prelu", "ReLU with a learned slope", ()),
    ("selu", "scaled ELU", ()),
    ("softplus", "log(1 + exp(x))", ()),
    ("log_softmax", "the log of softmax", ()),
    ("pixel_shuffle", "sub-pixel upsampling", ()),
)

# Field names of PyTorch and Keras -> nnarith's field: the first of these the kind has.
FIELDS = {
    "kernel_size": ("kernel",), "pool_size": ("kernel",), "padding": ("pad",), "strides": ("stride",),
    "dilation_rate": ("dilation",), "out_channels": ("out",), "out_features": ("out",), "filters": ("out",),
    "units": ("out", "hidden"), "output_size": ("out",), "hidden_size": ("hidden",), "num_layers": ("layers",),
    "use_bias": ("bias",), "ceil_mode": ("ceil",), "negative_slope": ("slope",), "scale_factor": ("scale",),
    "rate": ("p",), "elementwise_affine": ("affine",), "num_groups": ("groups",), "init_values": ("init",),
    "drop_prob": ("p",),
}
# Input sizes, which nnarith takes from the layer before.
INPUT_SIZES = ("in_channels", "in_features", "num_features", "input_size", "input_dim", "input_shape",
               "normalized_shape", "num_channels")


def _key(name: str) -> str:
    """A name as compared: lower case, no separators, no dimension suffix."""
    return re.sub(r"(?<=[a-z])[123]d$", "", re.sub(r"[\s_-]", "", name.lower()))


_WRITTEN = {_key(other): kind for kind, others in WRITTEN_AS.items() for other in others}
_ADVICE = {
    **{_key(name): how for names, how in BUILT for name in names},
    **{_key(name): f"nnarith has no '{kind}' kind yet ({what}); 'nnarith kinds' lists the kinds it has"
       for kind, what, others in MISSING for name in (kind, *others)},
}


def kind_hint(word: str, kinds: Iterable[str]) -> str | None:
    """The hint for an unknown layer kind: the kind it names, how to build it, or the closest typo."""
    names, key = list(kinds), _key(str(word))
    same = [k for k in names if _key(k) == key]  # 'Conv2d', 'BatchNorm1d', 'LeakyReLU'
    if same:
        dims = " (one kind serves 1-D, 2-D and 3-D inputs)" if re.search(r"[123]d$", str(word).lower()) else ""
        return f"did you mean '{same[0]}'?{dims}"
    if key in _WRITTEN:
        return f"'{word}' is written '{_WRITTEN[key]}'"
    if key in _ADVICE:
        return _ADVICE[key]
    close = closest(word, names)
    return f"did you mean '{close}'?" if close else None


def field_meant(key: str, fields: Iterable[str]) -> str | None:
    """The field an unknown key stands for: its PyTorch or Keras name, or a typo of it."""
    names = list(fields)
    named = [f for f in FIELDS.get(str(key).lower(), ()) if f in names]
    return named[0] if named else closest(key, names)


def field_hint(key: str, fields: Iterable[str]) -> str | None:
    """The hint for an unknown field of a layer, or None when there is nothing better than listing them."""
    meant = field_meant(key, fields)
    if meant:
        return f"did you mean '{meant}'?"
    if str(key).lower() in INPUT_SIZES:
        return "nnarith takes the input size from the layer before; leave it out"
    return None
