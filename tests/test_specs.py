"""The shipped specs against published figures: torchvision's parameter counts and GFLOPS
(which are MACs), the CS231n VGG-16 memory table, and the original papers."""

from __future__ import annotations

from math import prod
from pathlib import Path

import pytest

from nnarith.analysis import receptive
from nnarith.analysis.walk import analyze
from nnarith.check.architecture import depth as rows_depth
from nnarith.loader import load_spec, parse_spec, shipped
from nnarith.render.machine import report_json

# torchvision.models.<name>() parameter counts, as published in its model tables.
TORCHVISION_PARAMS = {
    "alexnet": 61_100_840,
    "vgg11": 132_863_336,
    "vgg13": 133_047_848,
    "vgg16": 138_357_544,
    "vgg19": 143_667_240,
    "vgg16_bn": 138_365_992,
    "vgg11_bn": 132_868_840,
    "googlenet": 6_624_904,
    "inception_v3": 23_834_568,
    "densenet121": 7_978_856,
    "densenet169": 14_149_480,
    "densenet161": 28_681_000,
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "resnet101": 44_549_160,
    "resnet152": 60_192_808,
    "resnext50_32x4d": 25_028_904,
    "resnext101_32x8d": 88_791_336,
    "wide_resnet50_2": 68_883_240,
    "wide_resnet101_2": 126_886_696,
    "mobilenet_v2": 3_504_872,
    "mobilenet_v3_large": 5_483_032,
    "mobilenet_v3_small": 2_542_856,
    "squeezenet1_0": 1_248_424,
    "squeezenet1_1": 1_235_496,
    "convnext_tiny": 28_589_128,
    "efficientnet_b0": 5_288_548,
    "regnet_x_400mf": 5_495_976,
    "regnet_y_400mf": 4_344_144,
    "shufflenet_v2_x1_0": 2_278_604,
    "mnasnet1_0": 4_383_312,
    "vit_b_16": 86_567_656,
    "vit_b_32": 88_224_232,
    "swin_t": 28_288_354,
}

# torchvision's "GFLOPS" column, which counts multiply-accumulates, to its two decimals.
TORCHVISION_GMACS = {
    "alexnet": 0.71, "vgg11": 7.61, "vgg13": 11.31, "vgg16": 15.47, "vgg19": 19.63, "vgg16_bn": 15.47,
    "vgg11_bn": 7.61, "densenet169": 3.36, "densenet161": 7.73,
    "googlenet": 1.50, "inception_v3": 5.71, "densenet121": 2.83, "resnet18": 1.81, "resnet34": 3.66,
    "resnet50": 4.09, "resnet101": 7.80, "resnet152": 11.51, "resnext50_32x4d": 4.23,
    "wide_resnet50_2": 11.40, "resnext101_32x8d": 16.41, "wide_resnet101_2": 22.75,
    "mobilenet_v2": 0.30, "squeezenet1_0": 0.82, "squeezenet1_1": 0.35,
    "mobilenet_v3_large": 0.22, "mobilenet_v3_small": 0.06,
    "convnext_tiny": 4.46,
    "efficientnet_b0": 0.39,
    "regnet_x_400mf": 0.41, "regnet_y_400mf": 0.40,
    "shufflenet_v2_x1_0": 0.14, "mnasnet1_0": 0.31,
    "vit_b_16": 17.56, "vit_b_32": 4.41,  # published as 17.564 and 4.409: VIT_B_MACS below
    "swin_t": 4.49,
}

OTHER_PARAMS = {
    "lenet5": 6 * (5 * 5 * 1 + 1) + 16 * (5 * 5 * 6 + 1) + 120 * (400 + 1) + 84 * (120 + 1) + 10 * (84 + 1),
    "alexnet_original": 60_965_224,
    "mlp_mnist": 669_706,  # as the Keras mnist_mlp example's summary prints it
    "vgg16_cs231n": 138_357_544,
    # DCGAN's Figure 1: the bias-free projection of z to 4x4x1024 with batch norm per feature, 5x5 transposed convs
    # without bias, batch norm (scale and shift) on all but the last
    "dcgan_generator": 100 * 4 * 4 * 1024 + 2 * 4 * 4 * 1024
    + sum(5 * 5 * cin * cout for cin, cout in [(1024, 512), (512, 256), (256, 128), (128, 3)])
    + sum(2 * c for c in (512, 256, 128)),
    # the PyTorch DCGAN tutorial's generator, bias-free 4x4 transposed convs, batch norm (scale and shift) on all
    # but the last; the tutorial's figure is 3,576,704
    "dcgan_generator_tutorial": sum(4 * 4 * cin * cout
                                    for cin, cout in [(100, 512), (512, 256), (256, 128), (128, 64), (64, 3)])
    + sum(2 * c for c in (512, 256, 128, 64)),
    # ResNet v1 has torchvision's v1.5 counts: moving a stride moves no weights
    "resnet50_v1": 25_557_032,
    "resnet101_v1": 44_549_160,
    "resnet152_v1": 60_192_808,
    # Vaswani et al. 2017, base, its encoder: per layer the attention's q, k, v and output projections with biases,
    # the feed-forward 512-2048-512 with biases and two LayerNorms; then the shared 37000-token embedding. The
    # paper's 65M also counts the decoder (6 x (two attentions, the feed-forward, three LayerNorms) = 25,224,192)
    # with the embedding shared: 63,082,496 in all, 2M under its rounded 65M, which the paper does not derive.
    "transformer_base": 6 * (4 * 512 * 512 + 4 * 512 + 2 * 512 * 2048 + 2048 + 512 + 2 * 2 * 512) + 37000 * 512,
}

# Hugging Face transformers models built from their config's defaults, as sum(p.numel() for p in
# model.parameters()) counts them, a tied weight once (the tests named for each model build it where transformers
# imports).
HF_PARAMS = {
    "bert_base": 109_482_240,  # BertModel(BertConfig()): the figure of issue 13
    "gpt2": 124_439_808,  # GPT2LMHeadModel(GPT2Config()), the model card's 124M; lm_head is wte's tensor
}

# He et al. 2015, Table 1, "FLOPs" row (multiply-adds), x 10^9, to its one decimal; as the paper and Caffe's
# original models place the stride: on the first 1x1. The paper's last digit is not rounded consistently
# (3.86 G is printed 3.8, 7.57 G is printed 7.6), so a figure matches within one unit of that digit; the
# v1.5 specs (4.09, 7.80, 11.51) lie outside it.
PAPER_GMACS = [
    ("resnet50_v1", 3.8, "He et al. 2015, Table 1: 50-layer, 3.8 x 10^9"),
    ("resnet101_v1", 7.6, "He et al. 2015, Table 1: 101-layer, 7.6 x 10^9"),
    ("resnet152_v1", 11.3, "He et al. 2015, Table 1: 152-layer, 11.3 x 10^9"),
]


def totals(name: str):
    return analyze(load_spec(name)).totals


@pytest.mark.parametrize("name, params", sorted({**TORCHVISION_PARAMS, **OTHER_PARAMS, **HF_PARAMS}.items()))
def test_parameter_counts(name, params):
    assert totals(name).params == params


@pytest.mark.parametrize("name, gmacs", sorted(TORCHVISION_GMACS.items()))
def test_macs_match_torchvision_gflops_column(name, gmacs):
    assert round(totals(name).macs / 1e9, 2) == gmacs


@pytest.mark.parametrize("name, gmacs, source", PAPER_GMACS)
def test_macs_match_the_resnet_paper(name, gmacs, source):
    assert abs(totals(name).macs / 1e9 - gmacs) < 0.1, source
    assert abs(totals(name.removesuffix("_v1")).macs / 1e9 - gmacs) > 0.1, "v1.5 should not match v1's figure"


@pytest.mark.parametrize("depth", [50, 101, 152])
def test_resnet_v1_moves_the_stride_to_the_first_1x1(depth):
    # only the first 1x1 of layer2..4's first block changes: v1.5 runs it on the input map (56, 28, 14), v1 on the
    # strided one (28, 14, 7); channels 256->128, 512->256, 1024->512: 3/4 of 56*56*256*128 saved each stage
    saved = 3 * (56 * 56 - 28 * 28) * 256 * 128
    assert totals(f"resnet{depth}").macs - totals(f"resnet{depth}_v1").macs == saved


# GPT-2 small: L blocks on T tokens of F features, a vocabulary of V. Per block, the attention's q, k, v and output
# projections T x F x 4F, QKᵀ and AV T x T x F each (over the 12 heads of 64), the MLP's T x F x 4F twice: 12TF² +
# 2T²F; the head T x F x V. Counting only the causal lower triangle, QKᵀ and AV are T(T+1)/2 x F each. Kaplan et
# al. 2020 (Table 1) count 2N + 2 n_layer n_ctx d_attn FLOPs a token, N the 12 x 12F² non-embedding weights: their
# attention term is the triangle's T²/2 per product, and they leave out the head.
GPT2 = {"L": 12, "T": 1024, "F": 768, "V": 50257}


def test_gpt2_macs_dense_and_triangle():
    L, T, F, V = GPT2.values()
    assert totals("gpt2").macs == L * (12 * T * F * F + 2 * T * T * F) + T * F * V == 145_824_153_600
    text = Path(shipped()["gpt2"]).read_text().replace("causal: true}", "causal: true, count: triangle}")
    triangle = analyze(parse_spec(text, "gpt2_triangle.yaml")).totals.macs
    assert triangle == L * (12 * T * F * F + F * T * (T + 1)) + T * F * V == 136_169_914_368
    kaplan = T * (L * 12 * F * F + L * T * F)  # 2N + 2 n_layer n_ctx d_attn FLOPs a token, as MACs: N + L T F
    assert triangle - T * F * V - kaplan == L * F * T  # the diagonal: T(T+1)/2 against T²/2


def test_gpt2_is_transformers_gpt2():
    transformers = pytest.importorskip("transformers", reason="needs transformers (the test extra) for GPT2LMHeadModel")
    torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")
    from torch.utils.flop_counter import FlopCounterMode

    config = transformers.GPT2Config()
    config._attn_implementation = "eager"  # explicit matmuls, which FlopCounterMode counts (CPU sdpa it does not)
    model = transformers.GPT2LMHeadModel(config).eval()
    assert model.lm_head.weight is model.transformer.wte.weight  # tied: one tensor
    report = analyze(load_spec("gpt2"))
    assert sum(p.numel() for p in model.parameters()) == HF_PARAMS["gpt2"] == report.totals.params
    parts = {"wte": model.transformer.wte, "wpe": model.transformer.wpe, "ln_f": model.transformer.ln_f,
             **{f"h_{i + 1}": block for i, block in enumerate(model.transformer.h)}}
    for name, module in parts.items():  # block by block; lm_head holds no tensor of its own
        assert sum(r.params for r in report.rows if r.path[0] == name) == sum(p.numel() for p in module.parameters())
    assert [r.params for r in report.rows if r.name == "lm_head"] == [0]
    T = 16  # FLOPs = 2 x MACs, on a sequence short enough to run at once (Conv1D's addmm, the matmuls, the head)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, T, dtype=torch.long))
    assert counter.get_total_flops() == 2 * analyze(load_spec("gpt2", input=(T,))).totals.macs


def test_exact_macs():
    assert totals("vgg16").macs == 15_470_264_320
    assert totals("resnet50").macs == 4_089_184_256
    assert totals("vit_b_16").macs == 17_563_828_224
    assert totals("vgg16").flops == 2 * 15_470_264_320


# torchvision publishes ViT's GFLOPS to three decimals, which the two-decimal table above cannot hold. ViT-B
# (F = 768, MLP 3072, 12 blocks) on T tokens: per block the q, k, v and output projections 4*T*F^2, the MLP
# 2*T*F*3072 and, in full, q kᵀ and the weighted sum of v, T^2*F each; then the patch conv and the head.
VIT_B_MACS = [
    ("vit_b_16", 12 * (4 * 197 * 768**2 + 2 * 197 * 768 * 3072 + 2 * 197**2 * 768) + 196 * 768 * 768 + 768 * 1000,
     17.564),
    ("vit_b_32", 12 * (4 * 50 * 768**2 + 2 * 50 * 768 * 3072 + 2 * 50**2 * 768) + 49 * 3072 * 768 + 768 * 1000,
     4.409),
]


@pytest.mark.parametrize("name, macs, gflops", VIT_B_MACS)
def test_vit_macs_to_torchvisions_three_decimals(name, macs, gflops):
    assert totals(name).macs == macs
    assert round(macs / 1e9, 3) == gflops



@pytest.mark.parametrize("name, patch", [("vit_b_16", 16), ("vit_b_32", 32)])
def test_vit_patch_tokens_keep_their_patch_until_attention_mixes_them(name, patch):
    # conv_proj is a conv of kernel = stride = patch: each token sees its patch, and the class token, position
    # embedding and ln_1 keep that field; the first self-attention lets every token see every patch
    rows = analyze(load_spec(name)).rows
    first = next(i for i, r in enumerate(rows) if r.kind == "attention")
    assert [r.name.rsplit(".", 1)[-1] for r in rows[:first]] == ["conv_proj", "class_token", "pos_embedding",
                                                                 "dropout", "ln_1"]
    patch_field = {"size": [patch, patch], "stride": [patch, patch], "padding": [0, 0]}
    assert all(receptive.describe(r.rf) == patch_field for r in rows[:first])
    # from there on the whole image, but for the first residual's shortcut: the input tokens, still patches
    shortcut = "encoder.layers.encoder_layer_0.add1.branch2.identity1"
    assert [r.name for r in rows[first:] if r.rf != receptive.WHOLE] == [shortcut]
    assert receptive.describe(rows[[r.name for r in rows].index(shortcut)].rf) == patch_field


def test_vgg16_memory_the_lecture_table_and_torchvision():
    lecture = analyze(load_spec("vgg16_cs231n"))
    assert lecture.totals.activations == 15_237_608
    assert lecture.totals.memory_bytes == 60_950_432
    # torchvision's 7x7 adaptive pool is a no-op at 224 that still allocates 512*7*7
    assert totals("vgg16").activations == 15_237_608 + 512 * 7 * 7 == 15_262_696


def test_memory_scales_with_dtype_and_batch():
    net = load_spec("vgg16_cs231n")
    assert analyze(net, dtype="fp16", batch=8).totals.memory_bytes == 15_237_608 * 2 * 8
    assert analyze(net, dtype="int8").totals.memory_bytes == 15_237_608


def test_googlenet_training_only_heads():
    report = analyze(load_spec("googlenet"))
    assert report.totals.params == 6_624_904
    assert report.totals.params + report.aux_totals.params == 13_004_888
    assert {r.path[0] for r in report.aux_rows} == {"aux1", "aux2"}


def test_inception_v3_with_its_aux_head_matches_torchvision_default():
    report = analyze(load_spec("inception_v3"))
    assert report.totals.params + report.aux_totals.params == 27_161_264


@pytest.mark.parametrize("name", sorted(shipped()))
def test_rows_sum_to_the_totals(name):
    doc = report_json(analyze(load_spec(name)))
    for part in (doc, doc["training_only"]):
        layers, t = part["layers"], part["totals"]
        for key in ("params", "weights", "biases", "buffers", "macs", "flops", "other_ops", "memory_bytes"):
            extra = doc["input_memory_bytes"] if key == "memory_bytes" and part is doc else 0
            assert t[key] == extra + sum(layer[key] for layer in layers), key
        held = sum(layer["activations"] for layer in layers if not layer["in_place"])
        assert t["activations"] == held + (prod(doc["input"]) if part is doc else 0)
        assert t["params"] == t["weights"] + t["biases"]


@pytest.mark.parametrize("name", sorted(shipped()))
def test_every_shipped_spec_names_its_source(name):
    assert load_spec(name).source


def test_json_report_schema():
    doc = report_json(analyze(load_spec("vgg16")))
    assert doc["schema"] == "nnarith.report/2"
    first = doc["layers"][0]
    assert first == {
        "name": "conv1_1", "kind": "conv", "path": ["conv1_1"], "output": [64, 224, 224],
        "params": 1792, "weights": 1728, "biases": 64, "buffers": 0, "macs": 86_704_128,
        "flops": 173_408_256, "other_ops": 64 * 224 * 224, "activations": 3_211_264, "memory_bytes": 12_845_056,
        "in_place": False, "rf": {"size": [3, 3], "stride": [1, 1], "padding": [1, 1]}, "warnings": [],
    }
    assert set(doc["totals"]) == {"params", "weights", "biases", "buffers", "macs", "flops", "other_ops",
                                  "activations", "memory_bytes", "params_bytes", "buffers_bytes"}
    assert (doc["totals"]["params_bytes"], doc["totals"]["buffers_bytes"]) == (138_357_544 * 4, 0)
    assert doc["training_only"] == {"layers": [], "totals": dict.fromkeys(doc["totals"], 0)}


# A network's depth as its paper counts it: layers with weights on the longest path. (spec, depth, source);
# where the paper's own figure differs from that count, the source says why.
DEPTHS = [
    ("alexnet", 8, "Krizhevsky et al. 2012, 3.5: eight layers with weights, five convolutional, three fully connected"),
    ("alexnet_original", 8, "Krizhevsky et al. 2012, 3.5, as alexnet"),
    ("vgg11", 11, "Simonyan & Zisserman 2014, Table 1, configuration A: 11 weight layers"),
    ("vgg13", 13, "Simonyan & Zisserman 2014, Table 1, configuration B: 13 weight layers"),
    ("vgg16", 16, "Simonyan & Zisserman 2014, Table 1, configuration D: 16 weight layers"),
    ("vgg16_bn", 16, "configuration D with batch norm, which has no weights papers count"),
    ("vgg11_bn", 11, "configuration A with batch norm, which has no weights papers count"),
    ("vgg16_cs231n", 16, "configuration D, as the CS231n notes lay it out"),
    ("vgg19", 19, "Simonyan & Zisserman 2014, Table 1, configuration E: 19 weight layers"),
    ("vgg", 16, "its defaults are configuration D's stages (2, 2, 3, 3, 3): 13 convolutions and 3 fc, as vgg16"),
    ("resnet_bottleneck", 50, "its defaults are ResNet-50's stages (3, 4, 6, 3), as resnet50"),
    ("resnet18", 18, "He et al. 2015, Table 1: 18-layer"),
    ("resnet34", 34, "He et al. 2015, Table 1: 34-layer"),
    ("resnet50", 50, "He et al. 2015, Table 1: 50-layer"),
    ("resnet101", 101, "He et al. 2015, Table 1: 101-layer"),
    ("resnet152", 152, "He et al. 2015, Table 1: 152-layer"),
    ("resnet50_v1", 50, "He et al. 2015, Table 1: 50-layer; where the stride sits changes no depth"),
    ("resnet101_v1", 101, "He et al. 2015, Table 1: 101-layer, as resnet50_v1"),
    ("resnet152_v1", 152, "He et al. 2015, Table 1: 152-layer, as resnet50_v1"),
    ("resnext50_32x4d", 50, "Xie et al. 2017, Table 1: ResNeXt-50, ResNet-50's layers"),
    ("resnext101_32x8d", 101, "Xie et al. 2017: ResNeXt-101, ResNet-101's layers with grouped 3x3 convolutions"),
    ("wide_resnet50_2", 50, "Zagoruyko & Komodakis 2016, as torchvision names it: ResNet-50's layers, twice as wide"),
    ("wide_resnet101_2", 101, "as wide_resnet50_2: ResNet-101's layers, twice as wide"),
    ("googlenet", 22, "Szegedy et al. 2014, 5: 22 layers deep when counting only layers with parameters"),
    ("googlenet_paper", 22, "Szegedy et al. 2014, 5, as googlenet"),
    ("densenet121", 121, "Huang et al. 2017, Table 1: DenseNet-121 = conv + 2 x (6+12+24+16) + 3 transitions + fc"),
    ("densenet169", 169, "Huang et al. 2017, Table 1: DenseNet-169 = conv + 2 x (6+12+32+32) + 3 transitions + fc"),
    ("densenet161", 161, "Huang et al. 2017, k = 48 (not in Table 1): conv + 2 x (6+12+36+24) + 3 transitions + fc"),
    # LeCun et al. 1998, II.B: "LeNet-5 comprises 7 layers", S2 and S4 among them, whose subsampling has a
    # trainable coefficient and bias. The spec's modern form pools them (no weights): C1, C3, C5, F6, output.
    ("lenet5", 5, "LeCun et al. 1998 count 7 with the trainable subsampling; this spec max-pools S2 and S4"),
    # Sandler et al. 2018 give no depth; their Table 2: conv2d, 17 bottlenecks (the first, t = 1, without the
    # expanding 1x1: 2 convolutions; the others 3), conv2d 1x1, and the 1x1 classifier: 1 + 2 + 16*3 + 1 + 1.
    ("mobilenet_v2", 53, "Sandler et al. 2018, Table 2, counted: 1 + 2 + 16*3 + 1 + 1"),
    # Howard et al. 2019 give no depth; counted on torchvision's modules: the stem conv, the bnecks (the first,
    # exp == in, without the expanding 1x1: 2 convolutions; the others 3), 2 per squeeze-excite (fc1 and fc2 are
    # 1x1 convolutions), the last 1x1 conv and the two classifier Linears. Large: 15 bnecks, 8 with SE.
    ("mobilenet_v3_large", 64, "Howard et al. 2019, Table 1, counted: 1 + 2 + 14*3 + 8*2 + 1 + 2"),
    # Small: 11 bnecks, all but the second and third with SE (the first: depthwise, SE, project).
    ("mobilenet_v3_small", 54, "Howard et al. 2019, Table 2, counted: 1 + 2 + 10*3 + 9*2 + 1 + 2"),
    # Szegedy et al. 2016, 6, say "42 layers deep" without saying how they count. On the longest path through
    # torchvision's modules: 5 stem convolutions, 3 x InceptionA (3: the double 3x3), InceptionB (3),
    # 4 x InceptionC (5: the double 7x7 factorised), InceptionD (4), 2 x InceptionE (3), fc.
    ("inception_v3", 48, "Szegedy et al. 2016 say 42, uncounted; torchvision's modules: 5 + 9 + 3 + 20 + 4 + 6 + 1"),
    # Tan & Le 2019 give no depth; their Table 1 (torchvision's _efficientnet_conf): conv3x3, 16 MBConv blocks
    # (the first, expand ratio 1, without the expanding 1x1: depthwise, squeeze-excite's two 1x1s in series on
    # the gate, projection = 4; the others 5), conv1x1, and the classifier: 1 + 4 + 15*5 + 1 + 1.
    ("efficientnet_b0", 82, "Tan & Le 2019, Table 1, counted: 1 + 4 + 15*5 + 1 + 1"),
    ("squeezenet1_0", 18, "Iandola et al. 2016, Table 1: conv1, 8 fire modules (squeeze, then expand), conv10"),
    ("squeezenet1_1", 18, "SqueezeNet v1.1: as 1.0 (conv1, 8 fire modules, conv10), a smaller conv1, pools moved"),
    # Liu et al. 2022 give no depth; torchvision's convnext_tiny: the 4x4 stem conv, 18 blocks (3 + 3 + 9 + 3) of
    # a depthwise 7x7 and two pointwise layers, 3 downsampling 2x2 convs and the classifier (layer norms have no
    # weights papers count).
    ("convnext_tiny", 59, "Liu et al. 2022, as torchvision builds it, counted: 1 + 18*3 + 3 + 1"),
    # Radosavovic et al. 2020 give no depth; torchvision's regnets: the stem conv, each ResBottleneckBlock's three
    # convolutions in series (the projection shortcut runs beside them), 2 more per squeeze-excite in RegNetY (its
    # two 1x1 convolutions in series on the gate), and the fc. X-400MF: 1 + 2 + 7 + 12 = 22 blocks; Y-400MF:
    # 1 + 3 + 6 + 6 = 16 blocks, each with SE.
    ("regnet_x_400mf", 68, "Radosavovic et al. 2020, as torchvision builds it, counted: 1 + 22*3 + 1"),
    ("regnet_y_400mf", 82, "Radosavovic et al. 2020, as torchvision builds it, counted: 1 + 16*(3 + 2) + 1"),
    # Radford et al. 2019, Table 2: 12 layers (blocks); counted on GPT2LMHeadModel's modules: per block the attention
    # (c_attn and c_proj around the heads, one layer as nn.MultiheadAttention is) and the MLP's c_fc and c_proj, then
    # lm_head (tied to wte, still a layer that runs); the embeddings are lookups and the layer norms have no weights
    # papers count.
    ("gpt2", 37, "Radford et al. 2019, Table 2: 12 layers; counted: 12*(1 + 2) + 1"),
    ("mlp_mnist", 3, "the Keras mnist_mlp example: 784-512-512-10, three dense layers"),
    ("conv_autoencoder", 6, "its spec: three convolutions down, three transposed convolutions up"),
    ("dcgan_generator", 5, "Radford et al. 2016, Figure 1: the projection and four fractionally-strided convolutions"),
    ("dcgan_generator_tutorial", 5, "the PyTorch DCGAN tutorial: five transposed convolutions, as dcgan_generator"),
    ("unet", 23, "Ronneberger et al. 2015, 2: 'In total the network has 23 convolutional layers'"),
    ("fcn_timeseries", 4, "Wang, Yan & Oates 2017: three convolutional blocks and the softmax layer"),
    # Ma et al. 2018 give no depth; their Table 5 (torchvision's stages [4, 8, 4]): conv1, 16 units whose longest
    # branch is 1x1, 3x3 depthwise, 1x1 (a stride-2 unit's other branch has 2; a stride-1 unit's first half none),
    # conv5 and the fc.
    ("shufflenet_v2_x1_0", 51, "Ma et al. 2018, Table 5, counted: 1 + (4 + 8 + 4)*3 + 1 + 1"),
    # Tan et al. 2019 give no depth; torchvision's mnasnet1_0: the stem conv, the depthwise separable pair (3x3
    # depthwise, 1x1), 16 inverted residuals (3 + 3 + 3 + 2 + 4 + 1) of 1x1, depthwise, 1x1, the 1x1 to 1280, the fc.
    ("mnasnet1_0", 53, "Tan et al. 2019, MnasNet-B1 as torchvision builds it, counted: 1 + 2 + 16*3 + 1 + 1"),
    # Dosovitskiy et al. 2020, Table 1, give ViT-Base 12 layers: Transformer encoder blocks, not layers with
    # weights. Counted as the other specs count: the patch embedding (conv_proj), per block the self-attention
    # (its q, k, v and output projections one layer, as nn.MultiheadAttention is one module) and the MLP's two
    # Linears, and the head; class token, position embedding and layer norms hold weights but no layer papers count.
    ("vit_b_16", 38, "Dosovitskiy et al. 2020, Table 1: 12 blocks; counted: 1 + 12*(1 + 2) + 1"),
    ("vit_b_32", 38, "as vit_b_16: the patch size changes no depth"),
    # Devlin et al. 2018 count L = 12 Transformer blocks, not weight layers; on the longest path: per block the
    # attention (its q, k, v and output projections, one weight layer as nn.MultiheadAttention is one module)
    # and the feed-forward's two dense layers, then the pooler's dense. The embedding lookups are tables, not
    # weight layers a depth counts.
    ("bert_base", 37, "Devlin et al. 2018, L = 12 blocks, counted: 12*(1 + 2) + 1"),
    # Vaswani et al. 2017 count N = 6 layers of two sublayers; per layer the attention and the feed-forward's two
    # linear transformations, as bert_base counts them
    ("transformer_base", 18, "Vaswani et al. 2017, N = 6 encoder layers, counted: 6*(1 + 2)"),
    # Liu et al. 2021 give no depth; torchvision's swin_t: the 4x4 stem conv, 12 blocks (2 + 2 + 6 + 2) of a window
    # attention (one layer, as attention counts: its projections around the per-window products) and the MLP's two
    # linears, the 3 patch mergings' linears and the head (layer norms have no weights papers count).
    ("swin_t", 41, "Liu et al. 2021, Swin-T as torchvision builds it, counted: 1 + 12*3 + 3 + 1"),
]


def test_depths_cover_every_shipped_spec():
    assert sorted(name for name, *_ in DEPTHS) == sorted(shipped())


@pytest.mark.parametrize("name, depth, source", DEPTHS)
def test_depth_as_papers_count_it(name, depth, source):
    report = analyze(load_spec(name))
    assert report.depth == depth, source
    assert report_json(report)["depth"] == depth
    assert rows_depth(report.rows, 0) == depth  # check's count over the report's rows, for blocks: the same


# Ronneberger et al. 2015, Figure 1: every convolution's and up-convolution's map, in the order they run (the
# path down, the bottom, then each up-conv and the double 3x3 after it), and the four copies cropped beside them.
UNET_FIGURE_1 = [
    (64, 570), (64, 568), (128, 282), (128, 280), (256, 138), (256, 136), (512, 66), (512, 64),
    (1024, 30), (1024, 28),
    (512, 56), (512, 54), (512, 52), (256, 104), (256, 102), (256, 100),
    (128, 200), (128, 198), (128, 196), (64, 392), (64, 390), (64, 388), (2, 388),
]


def test_unet_reproduces_figure_1_sizes():
    rows = analyze(load_spec("unet")).rows
    maps = [r.shape.dims for r in rows if r.kind in ("conv", "deconv")]
    assert maps == [(c, n, n) for c, n in UNET_FIGURE_1]
    crops = [(r.input.dims, r.shape.dims) for r in rows if r.kind == "crop"]
    # the outer level's copy first: the walk meets each concat's crop before the levels below it
    assert crops == [((c, n, n), (c, m, m)) for c, n, m in
                     [(64, 568, 392), (128, 280, 200), (256, 136, 104), (512, 64, 56)]]


def test_unet_parameters_from_the_figure():
    def double(cin, cout):  # two valid 3x3 convs with biases
        return 3 * 3 * cin * cout + cout + 3 * 3 * cout * cout + cout

    down = sum(double(cin, cout) for cin, cout in [(1, 64), (64, 128), (128, 256), (256, 512), (512, 1024)])
    ups = [(1024, 512), (512, 256), (256, 128), (128, 64)]
    up_convs = sum(2 * 2 * cin * cout + cout for cin, cout in ups)
    up = sum(double(cin, cout) for cin, cout in ups)  # the concat doubles the channels the up-conv halved
    head = 64 * 2 + 2
    # 31,030,658. The figure 31,031,685 sometimes quoted for this configuration is 1,027 more; no layer of
    # Figure 1 accounts for that, and PyTorch's count of the same modules (nnarith verify) agrees with this sum.
    assert totals("unet").params == down + up_convs + up + head == 31_030_658


def test_dcgan_generator_reproduces_figure_1_sizes():
    # Radford et al. 2016, Figure 1: project and reshape, then CONV 1 to CONV 4
    rows = analyze(load_spec("dcgan_generator")).rows
    assert [r.shape.dims for r in rows if r.kind in ("reshape", "deconv")] == \
        [(1024, 4, 4), (512, 8, 8), (256, 16, 16), (128, 32, 32), (3, 64, 64)]


def test_bert_base_macs_from_its_configuration():
    # T = 128 tokens, F = 768, 12 heads of d = 64, intermediate 3072, per block: the q, k, v and output
    # projections 4*T*F*F, q kᵀ and the weighted sum of v per head 2*h*T*T*d = 2*T*T*F, the feed-forward
    # 2*T*F*3072; then the pooler's dense F*F on the [CLS] token. Lookups, adds, norms: no MACs.
    t, f, h, d, inner = 128, 768, 12, 64, 3072
    block = 4 * t * f * f + 2 * h * t * t * d + 2 * t * f * inner
    assert block == 931_135_488
    assert totals("bert_base").macs == 12 * block + f * f == 11_174_215_680


def test_bert_base_params_from_its_configuration():
    f, inner = 768, 3072
    embeddings = (30522 + 512 + 2) * f + 2 * f  # word, position and token-type tables, LayerNorm
    block = 4 * (f * f + f) + (f * inner + inner) + (inner * f + f) + 2 * 2 * f  # attention, feed-forward, 2 norms
    pooler = f * f + f
    assert totals("bert_base").params == embeddings + 12 * block + pooler == 109_482_240


def test_bert_base_params_as_hugging_face_counts_them():
    transformers = pytest.importorskip("transformers", reason="transformers builds the reference BertModel")
    model = transformers.BertModel(transformers.BertConfig())
    assert sum(p.numel() for p in model.parameters()) == HF_PARAMS["bert_base"] == totals("bert_base").params


def test_transformer_base_encoder_macs_from_the_paper():
    # T = 128 tokens, d_model 512, 8 heads of 64, d_ff 2048, per layer: the projections 4*T*d*d, q kᵀ and the
    # weighted sum of v 2*h*T*T*64 = 2*T*T*d, the feed-forward 2*T*d*d_ff; the embedding is a lookup
    t, d, d_ff = 128, 512, 2048
    layer = 4 * t * d * d + 2 * t * t * d + 2 * t * d * d_ff
    assert totals("transformer_base").macs == 6 * layer == 2_516_582_400


def test_transformer_base_encoder_is_torchs_transformer_encoder():
    # torch's own nn.TransformerEncoderLayer(512, 8, 2048), post-LN as the paper's, six of them, and the embedding;
    # the sinusoid is a fixed buffer of T x d_model, no params
    nn = pytest.importorskip("torch.nn", reason="torch builds the reference encoder")
    layer = nn.TransformerEncoderLayer(512, 8, 2048, 0.1, batch_first=True)
    assert layer.norm_first is False
    encoder = nn.TransformerEncoder(layer, 6, enable_nested_tensor=False)
    report = totals("transformer_base")
    assert report.params == sum(p.numel() for p in encoder.parameters()) + 37000 * 512 == 37_858_304
    assert report.buffers == 128 * 512
