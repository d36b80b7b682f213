"""`nnarith export --torch` round-trips: the printed source builds the same network."""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="needs the nnarith[torch] extra")

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nnarith.analysis.walk import analyze  # noqa: E402
from nnarith.errors import SpecError  # noqa: E402
from nnarith.layers import REGISTRY  # noqa: E402
from nnarith.layers.merge import MERGES  # noqa: E402
from nnarith.loader import load_spec, parse_spec, shipped  # noqa: E402
from nnarith.loader.nodes import leaves  # noqa: E402
from nnarith.torch import modules  # noqa: E402
from nnarith.torch.builder import build, build_with_report, network  # noqa: E402
from nnarith.torch.export import docstring, export, export_source, helper_classes, string_literal  # noqa: E402
from tests.helpers import ROOT, cli, input_text  # noqa: E402
from tests.test_torch_build import TABLE  # noqa: E402

SPECS = sorted(shipped()) + [str(p) for p in sorted((ROOT / "examples").glob("*.yaml"))]
LARGE = 30_000_000  # params above which the shipped models are compared by structure alone (the VGGs, ResNet-101)


def describe(model) -> dict:
    """What a model is, as JSON: its state_dict's keys and shapes, and each module's name, class,
    extra_repr and plain hyperparameters (its int, float, bool, str and tuple attributes, but for
    the training flag: a mode, not a hyperparameter)."""
    plain = (bool, int, float, str, type(None))

    def hyper(m) -> dict:
        return {k: v for k, v in vars(m).items() if not k.startswith("_") and k != "training" and (
            isinstance(v, plain) or isinstance(v, tuple) and all(isinstance(i, plain) for i in v))}

    return json.loads(json.dumps({
        "state": [[k, list(v.shape)] for k, v in model.state_dict().items()],
        "modules": [[name, type(m).__name__, m.extra_repr(), hyper(m)] for name, m in model.named_modules()]}))


def run(build, input: list[int] | dict[str, int] | None):
    """A model built with seeded initial weights, as describe() reads it, and its output in eval mode
    on a seeded input [2, *input] (token ids, all 0, for {"ids": T}; tokens for {"tokens": T, "features": F});
    with no input, one built on the meta device, and no output."""
    if input is None:
        with torch.device("meta"):
            return describe(build()), None
    torch.manual_seed(0)  # the same constructor calls in the same order draw the same weights
    model = build()
    torch.manual_seed(1)
    if isinstance(input, dict):
        x = torch.zeros(2, input["ids"], dtype=torch.long) if "ids" in input else torch.randn(2, *input.values())
    else:
        x = torch.randn(2, *input)
    with torch.no_grad():
        return describe(model), model.eval()(x)


# Runs exported files in a fresh interpreter that has torch and no nnarith: for each job, run() on the
# file's build(), saving the output; what describe() reads, or the error, goes to a JSON file.
RUNNER = f"""
import importlib.util, json, sys
sys.modules["nnarith"] = None  # an `import nnarith` fails
import torch

{inspect.getsource(describe)}

{inspect.getsource(run)}

jobs, results = json.load(open(sys.argv[1])), {{}}
torch.set_num_threads(int(sys.argv[3]))
for key, job in jobs.items():
    try:
        spec = importlib.util.spec_from_file_location("exported", job["source"])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        results[key], y = run(module.build, job["input"])
        if y is not None:
            torch.save(y, job["source"] + ".out")
    except Exception as e:
        results[key] = {{"error": repr(e)}}
json.dump(results, open(sys.argv[2], "w"))
"""


def run_exported(sources: dict, folder) -> dict:
    """run() on exported sources (key -> (source, input or None)), in one fresh subprocess: for each
    key, what describe() reads of the model and its output."""
    jobs = {}
    for i, (key, (source, input)) in enumerate(sources.items()):
        path = folder / f"exported{i}.py"
        path.write_text(source)
        jobs[key] = {"source": str(path), "input": input}
    (folder / "jobs.json").write_text(json.dumps(jobs))
    r = subprocess.run([sys.executable, "-c", RUNNER, str(folder / "jobs.json"), str(folder / "results.json"),
                        str(torch.get_num_threads())], capture_output=True, text=True, cwd=folder, timeout=600)
    assert r.returncode == 0, r.stderr
    results = json.loads((folder / "results.json").read_text())
    outputs = {key: Path(job["source"] + ".out") for key, job in jobs.items()}
    return {key: (results[key], torch.load(out) if out.exists() else None) for key, out in outputs.items()}


@pytest.fixture(scope="module")
def shipped_runs(tmp_path_factory):
    sources, ours = {}, {}
    for name in SPECS:
        net = load_spec(name)
        report = analyze(net)
        small = report.totals.params + report.aux_totals.params <= LARGE
        sources[name] = export(net, name), report.input.dims if small else None
        ours[name] = run(partial(build, net), sources[name][1])
    return ours, run_exported(sources, tmp_path_factory.mktemp("shipped"))


@pytest.mark.parametrize("name", SPECS, ids=lambda s: s.rsplit("/", 1)[-1])
def test_export_round_trips(name, shipped_runs):
    """Each shipped spec's export, run with torch alone, is the model nnarith builds: the same
    modules, names, hyperparameters and state_dict, and from the same seed the same output."""
    ours, theirs = shipped_runs
    assert theirs[name][0] == ours[name][0]
    if ours[name][1] is not None:
        assert theirs[name][1] is not None and torch.equal(theirs[name][1], ours[name][1])


# Every layer kind and merge, with arguments away from PyTorch's defaults where it has them, and the
# constructor call its export must hold: PyTorch's own spelling of those arguments.
KINDS = [
    (["conv: {out: 4, kernel: 3, pad: same, dilation: 2, groups: 2, bias: false}"], (4, 9, 9),
     ["nn.Conv2d(4, 4, kernel_size=3, padding='same', dilation=2, groups=2, bias=False)"]),
    (["conv: {out: 2, kernel: [3], stride: 2, pad: 1}"], (2, 9),
     ["nn.Conv1d(2, 2, kernel_size=(3,), stride=2, padding=1)"]),
    (["deconv: {out: 2, kernel: 2, stride: 2, output_padding: 1, dilation: 2, bias: false}"], (2, 3, 3, 3),
     ["nn.ConvTranspose3d(2, 2, kernel_size=2, stride=2, output_padding=1, bias=False, dilation=2)"]),
    # locally connected: the input size too, which fixes the positions, and so the weights' shape
    (["local: {out: 2, kernel: [3, 2], stride: 2, pad: 1, dilation: [1, 2], bias: false}"], (3, 7, 8),
     ["LocallyConnected(3, 2, (7, 8), kernel_size=(3, 2), stride=2, padding=1, dilation=(1, 2), bias=False)"]),
    (["local: {out: 3, kernel: 3}"], (2, 4, 5, 5), ["LocallyConnected(2, 3, (4, 5, 5), kernel_size=3)"]),
    (["maxpool: {kernel: 3, stride: 2, pad: 1, dilation: 2, ceil: true}"], (2, 9, 9),
     ["nn.MaxPool2d(3, stride=2, padding=1, dilation=2, ceil_mode=True)"]),
    (["avgpool: {kernel: [2, 3], pad: 1, ceil: true}"], (2, 5, 7), ["nn.AvgPool2d((2, 3), padding=1, ceil_mode=True)"]),
    (["adaptive_avgpool: [2, 3]"], (2, 5, 7), ["nn.AdaptiveAvgPool2d((2, 3))"]),
    (["adaptive_maxpool: 2"], (2, 8), ["nn.AdaptiveMaxPool1d(2)"]),
    (["gap"], (2, 3, 3, 3), ["nn.AdaptiveAvgPool3d(1)"]),
    (["fc: {out: 3, bias: false}"], (2, 3, 3), ["FlattenLinear(18, 3, bias=False)"]),
    (["fc: 3"], (5,), ["FlattenLinear(5, 3, flatten=False)"]),
    (["maxout: {out: 3, pieces: 3, bias: false}"], (2, 3), ["Maxout(6, 3, pieces=3, bias=False)"]),
    (["flatten"], (2, 3), ["nn.Flatten()"]),
    (["bn: {eps: 0.001, affine: false}"], (2, 4, 4), ["nn.BatchNorm2d(2, eps=0.001, affine=False)"]),
    (["bn"], (3, 4), ["nn.BatchNorm1d(3)"]),
    (["lrn: {size: 3, alpha: 0.001, beta: 0.5, k: 2.0}"], (4, 3, 3),
     ["nn.LocalResponseNorm(3, alpha=0.001, beta=0.5, k=2.0)"]),
    (["relu"], (2, 3, 3), ["nn.ReLU(inplace=True)"]),
    (["relu6: {inplace: false}"], (2, 3, 3), ["nn.ReLU6()"]),
    (["leaky_relu: {slope: 0.2, inplace: true}"], (5,), ["nn.LeakyReLU(negative_slope=0.2, inplace=True)"]),
    (["elu: 0.5"], (5,), ["nn.ELU(alpha=0.5, inplace=True)"]),
    (["sigmoid", "tanh"], (5,), ["nn.Sigmoid()", "nn.Tanh()"]),
    (["gelu: {approximate: tanh}"], (5,), ["nn.GELU(approximate='tanh')"]),
    (["gelu"], (2, 3), ["nn.GELU()"]),
    (["silu", "swish: {inplace: false}"], (5,), ["nn.SiLU(inplace=True)", "nn.SiLU()"]),
    (["hardswish", "hardsigmoid"], (2, 3, 3), ["nn.Hardswish(inplace=True)", "nn.Hardsigmoid()"]),
    (["hard_sigmoid: {inplace: true}", "mish"], (2, 3), ["nn.Hardsigmoid(inplace=True)", "nn.Mish()"]),
    (["mish: {inplace: true}"], (5,), ["nn.Mish(inplace=True)"]),
    (["softmax"], (5,), ["nn.Softmax(dim=1)"]),
    (["dropout: 0.2", "identity"], (5,), ["nn.Dropout(p=0.2)", "nn.Identity()"]),
    (["upsample: {scale: 2, mode: bilinear}"], (2, 3, 3), ["nn.Upsample(scale_factor=2, mode='bilinear')"]),
    (["upsample: {size: [4, 5, 6]}"], (2, 2, 3, 3), ["nn.Upsample(size=(4, 5, 6))"]),
    (["rnn: {hidden: 4, layers: 2, bidirectional: true, bias: false, sequence: false, nonlinearity: relu}"], (5, 3),
     ["RNN(3, 4, num_layers=2, bias=False, bidirectional=True, sequence=False, nonlinearity='relu')"]),
    (["gru: 4", "fc: 2", "softmax"], (5, 3),
     ["GRU(3, 4, num_layers=1, bias=True, bidirectional=False)", "FlattenLinear(4, 2, flatten=False)",
      "nn.Softmax(dim=-1)"]),
    (["lstm: {hidden: 4, sequence: false}"], (5, 3),
     ["LSTM(3, 4, num_layers=1, bias=True, bidirectional=False, sequence=False)"]),
    (["concat: [conv: {out: 2, kernel: 1}, maxpool: {kernel: 3, stride: 1, pad: 1}]"], (2, 4, 4),
     ["Concat(OrderedDict(["]),
    (["conv: {out: 2, kernel: 1}", "add: [conv: {out: 2, kernel: 1}, identity]"], (2, 4, 4),
     ["Add(OrderedDict([", "]), into=0)"]),
    (["mul: [identity, [gap, conv: {out: 2, kernel: 1}, sigmoid]]"], (2, 4, 4), ["Mul(OrderedDict(["]),
    (["layernorm: {eps: 0.001, bias: false}"], (4, 3, 3), ["ChannelLayerNorm(4, eps=0.001, bias=False)"]),
    (["layernorm: {affine: false}"], (6,), ["nn.LayerNorm(6, elementwise_affine=False)"]),
    (["groupnorm: {groups: 2, eps: 0.001, affine: false}"], (4, 3, 3), ["nn.GroupNorm(2, 4, eps=0.001, affine=False)"]),
    (["rmsnorm: {eps: 0.001, affine: false}"], (6,), ["nn.RMSNorm(6, eps=0.001, elementwise_affine=False)"]),
    (["layer_scale: 0.5"], (4, 3, 3), ["LayerScale(4, init=0.5, spatial=2)"]),
    (["stochastic_depth: {p: 0.2, mode: batch}"], (4, 3, 3), ["StochasticDepth(0.2, mode='batch')"]),
    # shape operations: torch's own Unflatten and ChannelShuffle, and the batch first in Permute as torchvision's
    (["reshape: [2, -1, 3]"], (12,), ["nn.Unflatten(1, (2, 2, 3))"]),
    (["reshape: [2, 6]"], (3, 4), ["Reshape((2, 6))"]),
    (["permute: [1, 2, 0]"], (2, 3, 4), ["Permute((0, 2, 3, 1))"]),
    (["channel_shuffle: 2"], (4, 3), ["nn.ChannelShuffle(2)"]),
    (["crop: [3, 2]"], (2, 6, 5), ["CenterCrop((3, 2))"]),
    # a channel slice: its class in torch/select_modules.py, copied in as modules.py's are
    (["slice: {start: 1, stop: 3}"], (4, 3, 3), ["ChannelSlice(1, 3)"]),
    # tokens: torch's Embedding; the learned tables, class token and readouts of token_modules
    (["embedding: {vocab: 7, dim: 4}", "position_embedding: {positions: 9}", "segment_embedding: 3"], {"ids": 5},
     ["nn.Embedding(7, 4)", "PositionEmbedding(9, 4)", "SegmentEmbedding(3, 4)"]),
    (["class_token: 2", "select_token: 1"], {"tokens": 3, "features": 4}, ["ClassToken(4, count=2)", "SelectToken(1)"]),
    (["mean_tokens"], {"tokens": 3, "features": 4}, ["MeanTokens()"]),
    (["sinusoidal_position: {positions: 9, scale: true}"], {"tokens": 3, "features": 4},
     ["SinusoidalPosition(9, 4, scale=True)"]),
    (["to_tokens", "class_token"], (4, 2, 3), ["ToTokens()", "ClassToken(4)"]),
    (["patch_embed: {size: [2, 3], dim: 5, bias: false}"], (3, 4, 6), ["PatchEmbed(3, 5, (2, 3), bias=False)"]),
    (["reshape: {shape: [4, 8], layout: tokens}", "attention: {heads: 2, bias: false, causal: true}"], (4, 8),
     ["Reshape((4, 8))", "SelfAttention(8, 2, 4, bias=False, causal=True)"]),
    (["reshape: {shape: [4, 6], layout: tokens}", "mhsa: {heads: 3, head_dim: 5}"], (4, 6),
     ["Reshape((4, 6))", "SelfAttention(6, 3, 5)"]),
    # Swin's window attention and patch merging: classes of torch/window_modules.py
    (["window_attention: {heads: 2, window: 2, shift: 1, bias: false}", "patch_merge"], (4, 4, 4),
     ["WindowAttention(4, 2, 2, 2, 1, bias=False)", "PatchMerge()"]),
]


def kind_spec(layers: list[str], input: tuple[int, ...] | dict[str, int]):
    body = "".join(f"  - {layer}\n" for layer in layers)
    return parse_spec(f"input: {input_text(input)}\nlayers:\n{body}", "t.yaml")


def test_the_kinds_table_holds_every_layer_kind_and_merge():
    layers, merges = set(), set()
    for spec in (kind_spec(layers, input) for layers, input, _ in KINDS):
        layers |= {type(leaf.layer) for leaf in leaves(spec.body)}
        merges |= {row.kind for row in analyze(spec).rows if row.kind in MERGES}
    assert layers == set(REGISTRY.values()) and merges == set(MERGES)


def test_every_kind_exports_with_all_its_arguments(tmp_path):
    """The calls are in the source, and the model that source builds, run with torch alone, has the
    built model's modules, hyperparameters and state, and from the same seed its output."""
    sources, ours = {}, {}
    for layers, input, calls in KINDS:
        key = f"{input}: {', '.join(layers)}"
        net = kind_spec(layers, input)
        sources[key] = export(net, "t.yaml"), input
        assert all(call in sources[key][0] for call in calls), (calls, sources[key][0].split("def build")[1])
        ours[key] = run(partial(build, net), input)
    for key, (described, y) in run_exported(sources, tmp_path).items():
        assert described == ours[key][0], key
        assert y is not None and torch.equal(y, ours[key][1]), key


def test_exported_file_runs_on_its_own(tmp_path):
    r = cli("export", "resnet18", "--torch")
    assert r.returncode == 0, r.stderr
    net = load_spec("resnet18")
    report = analyze(net)
    assert r.stdout == export_source(network(net, report), report, "resnet18")
    path = tmp_path / "resnet18_model.py"
    path.write_text(r.stdout)
    r = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "torch.Size([2, 1000])"
    source = path.read_text()
    assert "import nnarith" not in source
    assert '("conv1", nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)),' in source


@pytest.mark.parametrize("layer, input", [(row[0], row[1]) for row in TABLE])
def test_export_builds_on_the_meta_device_what_the_builder_builds(layer, input):
    """export() allocates no weights; the source it prints builds the builder's model."""
    net = parse_spec(f"input: {list(input)}\nlayers: [{layer}]\n", "t.yaml")
    namespace: dict = {}
    exec(compile(export(net, "t.yaml"), "exported.py", "exec"), namespace)
    with torch.device("meta"):
        assert describe(namespace["build"]()) == describe(build_with_report(net)[0])


def test_helpers_declare_the_classes_their_code_names():
    """A helper class's code names only itself, its bases and its `uses` among the classes of
    modules.py: what an export copies in with it (else the exported file fails with a NameError)."""
    classes = {name for name, c in vars(modules).items() if inspect.isclass(c) and c.__module__ == modules.__name__}
    for name in classes:
        cls = getattr(modules, name)
        named = {n.id for n in ast.walk(ast.parse(inspect.getsource(cls))) if isinstance(n, ast.Name)} & classes
        bases = {c.__name__ for c in cls.__mro__}
        assert named <= bases | set(getattr(cls, "uses", ())), name
        assert {getattr(modules, u).__module__ for u in getattr(cls, "uses", ())} <= {modules.__name__}


def test_an_export_copies_the_helpers_its_calls_need_in_definition_order():
    net = kind_spec(["lstm: 4", "fc: 2"], (5, 3))
    names = [c.__name__ for c in helper_classes(network(net, analyze(net)))]
    assert names == ["Sequence", "AuxHead", "Network", "FlattenLinear", "_Steps", "LSTM"]


def test_a_layer_too_large_to_build_is_located_and_one_too_large_to_allocate_is_printed(tmp_path):
    (tmp_path / "huge.yaml").write_text(f"input: [3, 8, 8]\nlayers:\n  - conv: {{out: {10**22}, kernel: 3}}\n")
    r = cli("export", "huge.yaml", "--torch", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.splitlines() == [
        "huge.yaml:3:5: error: 270,000,000,000,000,000,000,000 weights are more than one PyTorch tensor can hold "
        "(2^63 - 1 bytes)", "  in layer 'conv1'", "  hint: nnarith shape and calc give its figures; PyTorch cannot "
        "build it"], r.stderr
    (tmp_path / "big.yaml").write_text("input: [3, 8, 8]\nlayers:\n  - conv: {out: 100000000000, kernel: 3}\n")
    r = cli("export", "big.yaml", "--torch", cwd=tmp_path)  # 11.2 TB of weights, were they allocated
    assert r.returncode == 0 and '("conv1", nn.Conv2d(3, 100000000000, kernel_size=3)),' in r.stdout, r.stderr
    # an output PyTorch could not hold does not stop the source being printed; a buffer does
    up = export(parse_spec(f"input: [3, 8, 8]\nlayers: [upsample: {10**21}]\n", "up.yaml"), "up.yaml")
    assert f'("upsample1", nn.Upsample(scale_factor={10**21})),' in up
    with pytest.raises(SpecError) as e:
        export(parse_spec(f"input: [{3 * 10**22}]\nlayers: [bn: {{affine: false}}]\n", "bn.yaml"), "bn.yaml")
    assert e.value.render().splitlines()[:2] == [
        "bn.yaml:2:10: error: 60,000,000,000,000,000,000,001 buffer elements are more than one PyTorch tensor can "
        "hold (2^63 - 1 bytes)", "  in layer 'bn1'"]


NAMES = ['three """ quotes""" + __import__("os").system("echo pwned") + """', "back\\slash at the end\\",
         "\x1b[31mred\x1b[0m \x01 \r\n tab\t U+2028:\u2028 NEL:\x85 \\U0001 ünïcødé ✓"]


@pytest.mark.parametrize("name", NAMES, ids=["quotes", "backslash", "control"])
def test_exported_docstring_holds_the_text_exactly(tmp_path, name):
    folder = tmp_path / 'dir\\with "quotes"'
    folder.mkdir()
    spec = folder / "s.yaml"
    spec.write_text(f"name: {json.dumps(name)}\nsource: see C:\\Users\\me\\paper.pdf\ninput: [4]\n"
                    f"layers: [fc: 3, relu, fc: 2]\n")
    r = cli("export", str(spec), "--torch")
    assert r.returncode == 0, r.stderr
    doc = ast.get_docstring(ast.parse(compile(r.stdout, "exported.py", "exec", ast.PyCF_ONLY_AST)), clean=False)
    assert doc == docstring(analyze(load_spec(str(spec))), str(spec))
    assert doc.startswith(f"{name} as a PyTorch module, written by `nnarith export {spec} --torch`.\n")
    assert "\nSource: see C:\\Users\\me\\paper.pdf\n" in doc
    path = tmp_path / "exported.py"
    path.write_text(r.stdout, encoding="utf-8")
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert run.returncode == 0 and run.stdout == "torch.Size([2, 2])\n", run.stderr


@given(st.text())
def test_string_literal_is_exact(text):
    assert ast.literal_eval(string_literal(text)) == text


def test_frozen_layers_export_without_gradients():
    """`frozen: true` on a layer or a container: the exported model's parameters there take no gradient, as the
    built one's, and the analysis counts them as not trainable."""
    text = ("input: [3, 8, 8]\nlayers:\n  - seq: {name: stem, frozen: true, layers: [{conv: {out: 4, kernel: 3}}, bn]}"
            "\n  - conv: {out: 2, kernel: 1, frozen: true}\n  - gap\n  - fc: 5\n")
    net = parse_spec(text, "t.yaml")
    source = export(net, "t.yaml")
    assert "frozen=('stem.conv1', 'stem.bn1', 'conv1')" in " ".join(source.split())
    namespace: dict = {}
    exec(compile(source, "exported.py", "exec"), namespace)
    for model in (namespace["build"](), build(net)):
        assert [n for n, p in model.named_parameters() if p.requires_grad] == ["fc1.weight", "fc1.bias"]
    assert analyze(net).backward.trainable == 5 * 2 + 5
