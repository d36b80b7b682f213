"""Hints for unknown names: a did-you-mean only for a plausible typo, and for a layer's other
names (PyTorch's, Keras's, a paper's) the kind that computes it, how to build it, or that
nnarith has no such kind yet (nnarith/layers/names.py, nnarith/errors.py)."""

from __future__ import annotations

import re

import pytest

from nnarith.errors import SpecError, SpecErrors, closest, edits
from nnarith.layers import REGISTRY
from nnarith.layers.merge import MERGES
from nnarith.layers.names import BUILT, FIELDS, INPUT_SIZES, MISSING, WRITTEN_AS, _key, kind_hint
from nnarith.loader import parse_spec, shipped
from nnarith.loader.expand import CONTAINERS
from tests.helpers import report

FALLBACK = "run 'nnarith kinds' to list the kinds"


def load_error(layer: str, blocks: str = "") -> SpecError:
    with pytest.raises(SpecError) as err:
        parse_spec(f"input: [16, 8, 8]\n{blocks}layers:\n  - {layer}\n", "net.yaml")
    return err.value


# (typed kind, the hint's beginning). The three first: difflib alone said 'flatten',
# 'lrn' and 'seq' for them.
@pytest.mark.parametrize("typed, hint", [
    ("cross_attention", "nnarith has no 'cross_attention' kind yet (attention from one sequence to another)"),
    ("ln", "'ln' is written 'layernorm'"),
    ("se", "nnarith has no 'se' kind; build the squeeze-and-excitation gate with mul, as in 'mul: [identity, [gap,"),
    ("MultiheadAttention", "'MultiheadAttention' is written 'attention'"),
    ("multi-head-attention", "'multi-head-attention' is written 'attention'"),
    ("mha", "'mha' is written 'attention'"),
    ("transformer", "nnarith has no 'transformer' kind yet"),
    ("LayerNorm", "did you mean 'layernorm'?"),
    ("layer_norm", "did you mean 'layernorm'?"),
    ("GroupNorm", "did you mean 'groupnorm'?"),
    ("gn", "'gn' is written 'groupnorm'"),
    ("RMSNorm", "did you mean 'rmsnorm'?"),
    ("LayerScale", "did you mean 'layer_scale'?"),
    ("DropPath", "did you mean 'drop_path'?"),
    ("Embedding", "did you mean 'embedding'?"),
    ("softplus", "nnarith has no 'softplus' kind yet (log(1 + exp(x)))"),  # not mish, which uses it
    ("selu", "nnarith has no 'selu' kind yet"),  # not 'elu': SELU is its own function
    ("prelu", "nnarith has no 'prelu' kind yet"),  # not 'relu': PReLU learns parameters
    ("SE", "nnarith has no 'se' kind"),
    ("squeeze_excitation", "nnarith has no 'se' kind"),
    ("depthwise_conv", "a depthwise convolution is a conv with as many groups as input channels"),
    ("separable_conv", "a depthwise separable convolution is two convs"),
    ("global_max_pool", "global max pooling is 'adaptive_maxpool: 1'"),
    ("bilstm", "write 'lstm: {hidden: H, bidirectional: true}'"),
    ("ZeroPad2d", "nnarith has no padding layer; conv takes 'pad:' per side"),
    ("window_partition", "Swin's cyclic shift, window partition and merge are part of 'window_attention"),
    ("WindowReverse", "Swin's cyclic shift, window partition and merge are part of 'window_attention"),
    # other names of kinds nnarith has
    ("dense", "'dense' is written 'fc'"),
    ("Dense", "'Dense' is written 'fc'"),
    ("InnerProduct", "'InnerProduct' is written 'fc'"),
    ("sequential", "'sequential' is written 'seq'"),
    ("Concatenate", "'Concatenate' is written 'concat'"),
    ("UpSampling2D", "'UpSampling2D' is written 'upsample'"),
    ("Conv2DTranspose", "'Conv2DTranspose' is written 'deconv'"),
    ("Pooling", "write 'maxpool' or 'avgpool'"),
    ("LocalResponseNorm", "'LocalResponseNorm' is written 'lrn'"),
    ("h_swish", "'h_swish' is written 'hardswish'"),  # MobileNetV3's code
    ("h-sigmoid", "'h-sigmoid' is written 'hardsigmoid'"),
    # PyTorch's class names: the same name, spelt otherwise
    ("Conv", "did you mean 'conv'?"),
    ("Conv2d", "did you mean 'conv'? (one kind serves 1-D, 2-D and 3-D inputs)"),
    ("BatchNorm2d", "did you mean 'batchnorm'? (one kind serves 1-D, 2-D and 3-D inputs)"),
    ("MaxPool2d", "did you mean 'maxpool'? (one kind serves 1-D, 2-D and 3-D inputs)"),
    ("ConvTranspose2d", "did you mean 'conv_transpose'? (one kind serves 1-D, 2-D and 3-D inputs)"),
    ("LeakyReLU", "did you mean 'leaky_relu'?"),
    ("ReLU6", "did you mean 'relu6'?"),
    ("Linear", "did you mean 'linear'?"),
    ("SiLU", "did you mean 'silu'?"),
    ("Hardswish", "did you mean 'hardswish'?"),
    ("Hardsigmoid", "did you mean 'hardsigmoid'?"),
    ("Mish", "did you mean 'mish'?"),
    ("GELU", "did you mean 'gelu'?"),
    # typos
    ("conv2", "did you mean 'conv'?"),
    ("maxpol", "did you mean 'maxpool'?"),
    ("covn", "did you mean 'conv'?"),
    ("rleu", "did you mean 'relu'?"),
    ("relu_6", "did you mean 'relu6'?"),
    ("gapp", "did you mean 'gap'?"),
    ("cf", "did you mean 'fc'?"),  # two letters swapped: the one typo a short name may have
    ("gur", "did you mean 'gru'?"),
    ("dropuot", "did you mean 'dropout'?"),
    ("bathcnorm", "did you mean 'batchnorm'?"),
    # nothing close: the list of kinds, not a guess
    ("sq", FALLBACK),
    ("mlp", FALLBACK),
    ("xyz", FALLBACK),
    ("flattening_layer", FALLBACK),
    # shape operations, as PyTorch, torchvision and Keras name them
    ("Reshape", "did you mean 'reshape'?"),
    ("Unflatten", "did you mean 'unflatten'?"),
    ("ChannelShuffle", "did you mean 'channel_shuffle'?"),
    ("transpose", "'transpose' is written 'permute'"),
    ("CenterCrop", "'CenterCrop' is written 'crop'"),
    ("Cropping2D", "'Cropping2D' is written 'crop'"),
    ("channel_split", "'channel_split' is written 'slice'"),
    # Keras' locally connected layers: the kind's alias, one kind for every rank
    ("LocallyConnected2D", "did you mean 'locally_connected'? (one kind serves 1-D, 2-D and 3-D inputs)"),
    ("LocallyConnected1D", "did you mean 'locally_connected'? (one kind serves 1-D, 2-D and 3-D inputs)"),
    ("unshared_convolution", "'unshared_convolution' is written 'local'"),
])
def test_unknown_kinds(typed, hint):
    err = load_error(typed)
    assert err.message == f"unknown layer kind '{typed}'"
    assert str(err.loc) == "net.yaml:3:5"
    assert err.hint.startswith(hint), err.hint
    assert err.hint == hint or not hint.startswith("did you mean")  # a did-you-mean says nothing more


def test_a_block_may_take_a_concepts_name():
    blocks = "blocks:\n  se: [gap, conv: {out: 16, kernel: 1}, sigmoid]\n"
    parse_spec(f"input: [16, 8, 8]\n{blocks}layers:\n  - mul: [identity, se]\n", "net.yaml")
    assert load_error("SE", blocks).hint == "did you mean 'se'?"  # the spec's own block, not the advice


# (layer, typed field, the hint): typos, and PyTorch's and Keras's names of nnarith's fields.
@pytest.mark.parametrize("kind, typed, hint", [
    ("conv: {out: 4, kernel: 3", "kernal", "did you mean 'kernel'?"),
    ("conv: {out: 4, kernel: 3", "strides", "did you mean 'stride'?"),
    ("conv: {out: 4, kernel: 3", "sride", "did you mean 'stride'?"),
    ("conv: {out: 4, kernel: 3", "gruops", "did you mean 'groups'?"),
    ("conv: {out: 4, kernel: 3", "padding", "did you mean 'pad'?"),
    ("conv: {out: 4, kernel: 3", "dilation_rate", "did you mean 'dilation'?"),
    ("conv: {out: 4, kernel: 3", "in_channels", "nnarith takes the input size from the layer before; leave it out"),
    ("conv: {out: 4, kernel: 3", "xyz", "conv fields: out, kernel, stride, dilation, groups, bias, pad"),
    ("conv: {out: 4, kernel: 3", "nmae", "did you mean 'name'?"),
    ("fc: {out: 4", "bais", "did you mean 'bias'?"),
    ("fc: {out: 4", "use_bias", "did you mean 'bias'?"),
    ("fc: {out: 4", "in_features", "nnarith takes the input size from the layer before; leave it out"),
    ("maxpool: {kernel: 2", "pool_size", "did you mean 'kernel'?"),
    ("maxpool: {kernel: 2", "ceil_mode", "did you mean 'ceil'?"),
    ("bn: {eps: 0.001", "num_features", "nnarith takes the input size from the layer before; leave it out"),
    ("leaky_relu: {slope: 0.1", "negative_slope", "did you mean 'slope'?"),
    ("dropout: {p: 0.5", "rate", "did you mean 'p'?"),
    ("upsample: {scale: 2", "scale_factor", "did you mean 'scale'?"),
    ("layernorm: {eps: 0.001", "elementwise_affine", "did you mean 'affine'?"),
    ("groupnorm: {groups: 2", "num_groups", "did you mean 'groups'?"),
    ("groupnorm: {groups: 2", "num_channels", "nnarith takes the input size from the layer before; leave it out"),
    ("layer_scale: {init: 0.1", "init_values", "did you mean 'init'?"),
    ("stochastic_depth: {p: 0.1", "drop_prob", "did you mean 'p'?"),
])
def test_unknown_fields(kind, typed, hint):
    err = load_error(f"{kind}, {typed}: 1}}")
    assert err.message == f"unknown field '{typed}' in {kind.split(':')[0]}"
    assert str(err.loc) == f"net.yaml:3:{len('  - ' + kind + ', ') + 1}"  # at the key
    assert err.hint == hint


@pytest.mark.parametrize("layer, meant", [
    ("conv: {out_channels: 4, kernel: 3}", "out"),
    ("conv: {out: 4, kernel_size: 3}", "kernel"),
    ("lstm: {units: 8}", "hidden"),
    ("fc: {units: 8}", "out"),
    ("lstm: {hidden_size: 8}", "hidden"),
])
def test_a_field_under_another_name_is_not_also_missing(layer, meant):
    """One error, at the key: not a second one saying the field it names is missing."""
    with pytest.raises(SpecError) as err:
        parse_spec(f"input: [5, 16]\nlayers:\n  - {layer}\n", "net.yaml")
    assert not isinstance(err.value, SpecErrors)
    assert err.value.hint == f"did you mean '{meant}'?"


# closest() on its own: (typed, choices, the choice meant or None)
@pytest.mark.parametrize("typed, choices, meant", [
    ("ln", ["lrn", "bn"], None),  # one letter added to a two-letter word is no typo
    ("se", ["seq", "elu"], None),
    ("attention", ["flatten", "rnn"], None),  # difflib: 0.625 to 'flatten'
    ("FC", ["fc"], "fc"),
    ("gpa", ["gap", "gru"], "gap"),
    ("lstn", ["lstm", "rnn"], "lstm"),
    ("kernal", ["kernel", "stride"], "kernel"),
    ("layer", ["layers", "input"], "layers"),
    ("parms", ["params", "macs"], "params"),
    ("maxpol", ["maxout", "maxpool"], "maxpool"),  # one edit beats two
    ("vgg61", sorted(shipped()), "vgg16"),
    ("lenet6", sorted(shipped()), "lenet5"),
    ("alexnett", sorted(shipped()), "alexnet"),
    ("resnet", ["resnet18", "resnet34", "vgg16"], "resnet18"),  # equally close: the first in order
    ("mobilenet", sorted(shipped()), "mobilenet_v2"),
    ("vgg", sorted(set(shipped()) - {"vgg"}), None),  # the family's spec aside, no one VGG is meant
    ("", ["fc"], None),
])
def test_closest(typed, choices, meant):
    assert closest(typed, choices) == meant


@pytest.mark.parametrize("a, b, n", [
    ("conv", "conv", 0), ("covn", "conv", 1), ("kitten", "sitting", 3), ("", "abc", 3),
    ("ln", "lrn", 1), ("maxpol", "maxpool", 1),
    ("ca", "abc", 3),  # optimal string alignment edits a swapped pair no further (Damerau's distance: 2)
])
def test_edits(a, b, n):
    assert edits(a, b) == n == edits(b, a)


KINDS = {*REGISTRY, *CONTAINERS, *MERGES}
OTHER_NAMES = ([n for names in WRITTEN_AS.values() for n in names] + [n for names, _ in BUILT for n in names]
               + [n for kind, _, names in MISSING for n in (kind, *names)])


def test_the_tables_name_real_kinds_and_fields():
    assert set(WRITTEN_AS) <= KINDS
    fields = {f for cls in REGISTRY.values() for f in cls.fields}
    assert {f for targets in FIELDS.values() for f in targets} <= fields
    assert not set(INPUT_SIZES) & (fields | set(FIELDS))


def test_no_other_name_is_a_kind_or_listed_twice():
    """A kind's own name is never advice about it, and each name means one thing."""
    keys = [_key(n) for n in OTHER_NAMES]
    assert len(keys) == len(set(keys))
    assert not set(keys) & {_key(k) for k in KINDS}
    # 'Conv2d' and 'LeakyReLU' find one kind each; an alias spelt as its kind is ('hard_swish') names the same one
    by_key: dict[str, set] = {}
    for k in KINDS:
        by_key.setdefault(_key(k), set()).add(REGISTRY.get(k, k))
    assert all(len(found) == 1 for found in by_key.values()), by_key


def test_the_kinds_command_gets_the_same_hints():
    """The CLI's `nnarith kinds NAME` passes the registry's names and the merges."""
    assert kind_hint("transformer", [*REGISTRY, *MERGES]).startswith("nnarith has no 'transformer' kind yet")
    assert kind_hint("maxpol", [*REGISTRY, *MERGES]) == "did you mean 'maxpool'?"
    assert kind_hint("xyz", [*REGISTRY, *MERGES]) is None


BUILT_LAYERS = [s for _, how in BUILT for s in re.findall(r"'([^']*)'", how) if re.fullmatch(r"\w+: [^.]+", s)]


@pytest.mark.parametrize("layer", BUILT_LAYERS)
def test_the_layers_advice_builds_are_valid(layer):
    """Every layer written in a hint loads, with its letters given values: C=16 channels, C/r=4, N=8, H=8."""
    concrete = layer.replace("C/r", "4").replace("{out: C,", "{out: 16,").replace("groups: C}", "groups: 16}")
    concrete = concrete.replace("out: N,", "out: 8,").replace("hidden: H,", "hidden: 8,")
    assert not re.search(r"\b[CNH]\b", concrete), concrete
    report(concrete, (5, 16) if concrete.startswith(("lstm", "gru")) else (16, 8, 8))
