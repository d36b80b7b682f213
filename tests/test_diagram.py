"""`nnarith diagram`: the graph's boxes and edges against each spec's structure counted by hand, the folding of
repeated blocks, the files being what they claim, and the messages where Graphviz is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnarith.analysis.walk import analyze
from nnarith.cli import main
from nnarith.loader import load_spec, parse_spec, shipped
from nnarith.pictures.dot import diagram_dot, diagram_svg
from nnarith.pictures.graph import AUX, BLOCK, MERGE, RANKS, SHORTCUT, build
from tests.helpers import ROOT, SCRIPTS, cli

HAS_DOT = shutil.which("dot") is not None
needs_graphviz = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot program is not installed")
PNG = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}svg"


def graph_of(text: str, depth: int | str | None = "all"):
    net = parse_spec(text, "t.yaml")
    return build(net, analyze(net), depth)


def shipped_graph(name: str, depth: int | str | None):
    net = load_spec(name)
    return build(net, analyze(net), depth)


CHAIN = "input: [1, 28, 28]\nlayers: [conv: {out: 4, kernel: 3}, relu, maxpool: 2, flatten, fc: 10]"
INCEPTION = """input: [8, 16, 16]
layers:
  - conv: {out: 8, kernel: 1}
  - concat:
      branches:
        - [conv: {out: 4, kernel: 1}]
        - [conv: {out: 4, kernel: 1}, relu, conv: {out: 6, kernel: 3, pad: 1}]
        - [maxpool: {kernel: 3, stride: 1, pad: 1}, conv: {out: 2, kernel: 1}]
  - fc: 10
"""
RESIDUAL = """input: [4, 8, 8]
layers:
  - add:
      branches:
        main: [conv: {out: 4, kernel: 3, pad: 1}, bn, relu, conv: {out: 4, kernel: 3, pad: 1}, bn]
        shortcut: [identity]
  - relu
"""
AUX_HEAD = """input: [4, 8, 8]
layers:
  - conv: {out: 4, kernel: 3, pad: 1}
  - aux: {name: side, layers: [gap, flatten, fc: 3]}
  - fc: 10
"""


# boxes: the input and each layer and merge; edges: each box's inputs (a merge has one per branch)
@pytest.mark.parametrize("text, boxes, edges, shortcuts", [
    (CHAIN, 1 + 5, 5, 0),  # a chain: each layer reads the one before
    (INCEPTION, 1 + 1 + (1 + 3 + 2) + 1 + 1, 1 + 3 + (0 + 2 + 1) + 3 + 1, 0),  # the conv feeds 3 branches, concat
    (RESIDUAL, 1 + 5 + 1 + 1, 1 + 4 + 2 + 1, 1),  # the identity branch is the shortcut edge, not a box
    (AUX_HEAD, 1 + 1 + 3 + 1, 1 + 3 + 1, 0),  # the head reads the conv's output; fc too
])
def test_small_graphs_have_the_boxes_and_edges_of_their_structure(text, boxes, edges, shortcuts):
    g = graph_of(text)
    assert (len(g.boxes), len(g.edges)) == (boxes, edges)
    assert sum(e.kind == SHORTCUT for e in g.edges) == shortcuts


def test_an_aux_head_is_a_side_branch_drawn_dashed():
    g = graph_of(AUX_HEAD)
    names = {b.id: b.names[0] for b in g.boxes}
    into_fc = [names[e.tail] for e in g.edges if names[e.head] == "fc1"]
    assert into_fc == ["conv1"]  # the main path goes on from the conv, not from the head
    assert {names[e.head] for e in g.edges if e.kind == AUX} == {"side.gap1", "side.flatten1", "side.fc1"}
    dot, _ = diagram_dot(parse_spec(AUX_HEAD, "t.yaml"), analyze(parse_spec(AUX_HEAD, "t.yaml")), "all")
    assert dot.count("style=dashed") == 3  # the three edges of the head


# GoogLeNet at depth 3: 9 inception modules, each its 4 branches (folded) and the concat; the stem's 3 cbr blocks
# (conv, bn, relu); 4 max pools, avgpool, dropout, fc; two aux heads of 6 boxes (their cbr folded).
# Edges: the 26 boxes or modules of the main line are 25 links, 4 edges where a module is entered (9 of them);
# 4 into each concat; each aux head is entered once and chains its 6 boxes.
GOOGLENET_BOXES = 1 + 3 * 3 + 4 + 3 + 9 * (4 + 1) + 2 * 6
GOOGLENET_EDGES = (25 + 9 * 3) + 9 * 4 + 2 * (1 + 5)


# ResNet-18, every layer: the stem's 4; a basic block is its main path's 5, the add and the relu; layer2-4's
# first blocks have a downsample shortcut (conv, bn); layer1's two blocks are identical, so drawn once (x 2)
RESNET18_BOXES = 1 + 4 + 7 + 3 * ((7 + 2) + 7) + 2
# U-Net, every layer: 9 double convs of 4 layers, 4 crops, 4 max pools, 4 up-convolutions, the head; 4 concats,
# each reading a crop (the skip) and the path below; nothing repeats
UNET_BOXES = 1 + 9 * 4 + 4 + 4 + 4 + 1 + 4
UNET_EDGES = (UNET_BOXES - 1 - 4) + 4 * 2


@pytest.mark.parametrize("spec, depth, boxes, edges", [
    ("lenet5", "all", 1 + 11, 11),  # LeNet-5: 11 layers in a chain (c1 ... output)
    ("googlenet", 3, GOOGLENET_BOXES, GOOGLENET_EDGES),
    ("resnet18", "all", RESNET18_BOXES, RESNET18_BOXES - 1 + 1 + 3 * 2),  # one edge into each box, two into an add
    ("unet", "all", UNET_BOXES, UNET_EDGES),
])
def test_shipped_graphs_have_the_boxes_and_edges_of_their_structure(spec, depth, boxes, edges):
    g = shipped_graph(spec, depth)
    assert (len(g.boxes), len(g.edges)) == (boxes, edges)


def test_unet_skips_are_crops_into_the_concats():
    g = shipped_graph("unet", "all")
    by_id = {b.id: b for b in g.boxes}
    for concat in (b for b in g.boxes if b.role == MERGE):
        tails = [by_id[e.tail] for e in g.edges if e.head == concat.id]
        assert len(tails) == 2 and tails[0].kind == "crop" and tails[1].kind == "deconv", concat.names


def test_residual_adds_have_their_shortcut_edge():
    g = shipped_graph("resnet18", "all")
    adds = [b for b in g.boxes if b.role == MERGE]
    shortcuts = [e for e in g.edges if e.kind == SHORTCUT]
    assert len(adds) == 7  # layer1's block drawn once, then two per stage
    assert len(shortcuts) == 4  # layer1's block and the second of layer2-4; the first ones' shortcut is a conv
    assert {e.head for e in shortcuts} <= {b.id for b in adds}


# ResNet-50's stages repeat the bottleneck 3, 4, 6 and 3 times (He et al. 2015, Table 1); each stage's first
# block projects its shortcut, and the rest are identical
@pytest.mark.parametrize("depth, boxes", [(1, 1 + 4 + 4 + 2), (2, 1 + 4 + 4 * 2 + 2)])
def test_resnet50_folds_a_stage_or_its_repeated_bottlenecks(depth, boxes):
    g = shipped_graph("resnet50", depth)
    assert len(g.boxes) == boxes
    repeats = [b.copies for b in g.boxes if b.copies > 1]
    assert repeats == ([] if depth == 1 else [3 - 1, 4 - 1, 6 - 1, 3 - 1])
    if depth == 2:
        assert [b.label for b in g.boxes if b.copies > 1][0] == "bottleneck2-3"


def test_vit_draws_its_twelve_encoder_blocks_once():
    g = shipped_graph("vit_b_16", "all")
    net = load_spec("vit_b_16")
    dot, _ = diagram_dot(net, analyze(net), "all")
    assert "<b>encoder_layer_0-11 · encoder_block × 12</b>" in dot and "one copy&#x27;s figures" in dot
    assert sum(b.kind == "attention" for b in g.boxes) == 1


def test_a_folded_block_shows_the_reports_sums():
    net = load_spec("resnet50")
    report = analyze(net)
    g = build(net, report, 1)
    layer1 = next(b for b in g.boxes if b.names == ["layer1"])
    rows = [r for r in report.rows if r.path[0] == "layer1"]
    assert layer1.counts.params == sum(r.params for r in rows) and layer1.dims == rows[-1].shape.dims
    # 3 bottlenecks of 3 convs, 3 bns and 3 relus; the first's projection shortcut, a conv and a bn; the others'
    # identity shortcut (nn.Identity, a layer); the adds are merges, not layers
    assert layer1.role == BLOCK and layer1.layers == 3 * 9 + 2 + 2 * 1
    dot, _ = diagram_dot(net, report, 1)
    assert f"{sum(r.params for r in rows):,} params" in dot  # the exact figure, in the tooltip


@pytest.mark.parametrize("spec", sorted(shipped()))
def test_every_shipped_spec_writes_dot(spec, tmp_path, capsys):
    out = tmp_path / "d.dot"
    assert main(["diagram", spec, "-o", str(out)]) == 0
    text = out.read_text()
    net = load_spec(spec)
    g = build(net, analyze(net))
    assert text.startswith("digraph ") and text.rstrip().endswith("}")
    assert sum(line.lstrip().startswith("n") and " -> " not in line and "[label=" in line
               for line in text.splitlines()) == len(g.boxes)
    flat = all(len(r.path) == 1 for r in analyze(net).rows)  # nothing to fold: VGG-19's 46 layers
    assert g.ranks <= RANKS or g.depth == 1 or flat  # the default keeps the drawing 45 boxes high where it can
    if HAS_DOT:
        parsed = subprocess.run(["dot", "-Tcanon"], input=text, capture_output=True, text=True)
        assert parsed.returncode == 0 and not parsed.stderr, parsed.stderr


@needs_graphviz
@pytest.mark.parametrize("spec, suffix", [("lenet5", "svg"), ("googlenet", "svg"), ("unet", "png"),
                                          ("resnet50", "png")])
def test_pictures_are_what_they_claim(spec, suffix, tmp_path):
    pytest.importorskip("graphviz")
    out = tmp_path / f"d.{suffix}"
    r = cli("diagram", spec, "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{out}: ")
    data = out.read_bytes()
    if suffix == "png":
        assert data.startswith(PNG)
    else:
        assert ET.fromstring(data).tag == SVG


@needs_graphviz
def test_diagram_svg_is_an_element_to_inline():
    pytest.importorskip("graphviz")
    net = load_spec("resnet18")
    svg = diagram_svg(net, analyze(net))
    assert svg.startswith("<svg") and "<?xml" not in svg and "DOCTYPE" not in svg
    assert ET.fromstring(svg).tag == SVG
    assert "href=" not in svg.replace("xlink:href", "")  # nothing loaded from elsewhere


@needs_graphviz
def test_names_are_escaped(tmp_path):
    pytest.importorskip("graphviz")
    spec = tmp_path / "odd.yaml"
    spec.write_text('name: \'a "quoted" \\N <b>&amp;\'\ninput: [3]\nlayers: [fc: 2]\n')
    out = tmp_path / "d.svg"
    r = cli("diagram", str(spec), "-o", str(out))
    assert r.returncode == 0, r.stderr
    texts = [t.text for t in ET.fromstring(out.read_bytes()).iter(f"{SVG[:-3]}text")]
    assert texts[0] == 'a "quoted" \\N <b>&amp;'  # the title, as written: no markup, no Graphviz escape
    tooltips = [a.get("{http://www.w3.org/1999/xlink}title") for a in ET.fromstring(out.read_bytes()).iter()]
    assert 'a "quoted" \\N <b>&amp;' in tooltips


def test_without_o_the_dot_text_is_printed():
    r = cli("diagram", "lenet5")
    assert r.returncode == 0 and r.stdout.startswith("digraph network {") and "<b>c1</b> · conv" in r.stdout


@pytest.mark.parametrize("args, message", [
    (["-o", "d.pdf"], "the suffix chooses the format; write FILE.dot, FILE.svg or FILE.png"),
    (["-o", "missing/folder/d.dot"], "cannot write missing/folder/d.dot: No such file or directory"),
    (["--depth", "0"], "expected a positive integer"),
])
def test_bad_options_are_exit_2(args, message, tmp_path):
    r = cli("diagram", "lenet5", *args, cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


NO_PACKAGE = "import sys; sys.modules['graphviz'] = None; from nnarith.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.mark.parametrize("hide, suffix, message", [
    ("package", "svg", "pip install 'nnarith[diagram]'"),
    ("package", "png", "pip install 'nnarith[diagram]'"),
    ("dot", "svg", "install the system's graphviz package"),
    ("dot", "png", "install the system's graphviz package"),
])
def test_without_graphviz_a_message_says_what_to_install(hide, suffix, message, tmp_path):
    if hide == "dot":
        pytest.importorskip("graphviz")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if hide == "dot":
        env["PATH"] = SCRIPTS  # this interpreter's scripts, and no dot
    argv = ["diagram", "lenet5", "-o", f"d.{suffix}"]
    code = NO_PACKAGE if hide == "package" else "import sys; from nnarith.cli import main; sys.exit(main(sys.argv[1:]))"
    r = subprocess.run([sys.executable, "-c", code, *argv], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / f"d.{suffix}").exists()
    dot = subprocess.run([sys.executable, "-c", code, "diagram", "lenet5", "-o", "d.dot"], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert dot.returncode == 0 and (tmp_path / "d.dot").read_text().startswith("digraph")  # DOT needs neither


def test_dot_output_imports_neither_torch_nor_graphviz(tmp_path):
    code = ("import sys; from nnarith.cli import main; main(['diagram', 'resnet50', '-o', 'r.dot']); "
            "sys.stderr.write(repr(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'graphviz', 'numpy'})))")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0 and r.stderr == "[]", r.stderr


def test_a_repeated_layer_is_one_box_after_the_first():
    """`repeat: 50`: the first conv reads the input's 3 channels, the other 49 are alike; the tooltip names a few."""
    text = "input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 3, pad: 1, repeat: 50}\n"
    g = graph_of(text, None)
    assert [(b.label, b.copies) for b in g.boxes] == [("input", 1), ("conv1", 1), ("conv2-50", 49)]
    net = parse_spec(text, "t.yaml")
    dot, _ = diagram_dot(net, analyze(net))
    assert 'tooltip="conv2-50' not in dot and "49 copies: conv2, conv3, ..., conv50" in dot
    assert "conv × 49" in dot and f"{4 * (4 * 3 * 3 + 1)} params each" in dot  # 4 filters of 4x3x3 and a bias


def test_a_bad_spec_is_located(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernal: 3}\n")
    r = cli("diagram", str(spec), "-o", str(tmp_path / "d.dot"))
    assert r.returncode == 2 and f"{spec}:3:" in r.stderr and "did you mean 'kernel'" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "d.dot").exists()


LEAVES = ["relu", "identity", "bn", "conv: {out: 4, kernel: 1}", "conv: {out: 4, kernel: 3, pad: 1, repeat: 2}"]


@st.composite
def networks(draw) -> tuple[str, str]:
    """A random valid network of 4x8x8 maps (sequences, adds, concats, aux heads) and a name of any text."""
    def items(depth: int) -> list[str]:
        out = []
        for _ in range(draw(st.integers(1, 3))):
            what = draw(st.sampled_from(["leaf", "leaf", "add", "concat", "aux"] if depth < 3 else ["leaf"]))
            if what == "leaf":
                out.append(draw(st.sampled_from(LEAVES)))
            elif what == "aux":
                out.append("aux: {layers: [gap, fc: 3]}")
            else:
                branches = [items(depth + 1) for _ in range(draw(st.integers(2, 3)))]
                out.append(f"{what}: [{', '.join('[' + ', '.join(b) + ']' for b in branches)}]")
                if what == "concat":
                    out.append("conv: {out: 4, kernel: 1}")  # back to 4 channels
        return out

    name = draw(st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=12))
    return name, "input: [4, 8, 8]\nlayers: [" + ", ".join(items(0)) + "]\n"


@needs_graphviz
@settings(max_examples=40, deadline=None)
@given(networks(), st.sampled_from([None, 1, 2, "all"]))
def test_any_network_and_name_make_dot_that_graphviz_reads(network, depth):
    name, text = network
    net = parse_spec(text, "t.yaml")
    net.name = name
    dot, g = diagram_dot(net, analyze(net), depth)
    r = subprocess.run(["dot", "-Tplain"], input=dot.encode(), capture_output=True)
    assert r.returncode == 0 and not r.stderr, r.stderr
    assert sum(line.startswith(b"node ") for line in r.stdout.splitlines()) == len(g.boxes)
    assert sum(line.startswith(b"edge ") for line in r.stdout.splitlines()) == len(g.edges) + sum(
        len(ids) - 1 for ids in g.orders)  # with the invisible edges that keep branches in order


def test_a_repeated_merge_is_drawn_once_in_a_frame():
    g = graph_of("input: [4, 8, 8]\nlayers:\n  - add: {branches: [[relu], [identity]], repeat: 3}\n")
    assert [(b.label, b.role) for b in g.boxes] == [("input", "input"), ("relu1", "layer"), ("add1", MERGE)]
    frame = g.root.members[1]
    assert (frame.label, frame.note) == ("add1-3 · add × 3", "one copy's figures") and frame.members == g.boxes[1:]
    assert [e.kind for e in g.edges] == ["data", "data", SHORTCUT]  # input to relu to add; input to add


def test_input_overrides_the_specs():
    """LeNet-5 on 36x36: c1's 5x5 convolution gives 32x32 (36 - 5 + 1)."""
    r = cli("diagram", "lenet5", "--input", "1x36x36")
    assert r.returncode == 0 and "<b>input</b><br/><font point-size=\"11\">1x36x36</font>" in r.stdout
    assert "<b>c1</b> · conv<br/><font point-size=\"11\">6x32x32 · 156 params" in r.stdout


def test_a_branch_of_one_layer_is_drawn_as_that_layer():
    """U-Net at depth 3: the first skip's branches fold, the copy-and-crop into its crop, the path below into a box."""
    g = shipped_graph("unet", 3)
    skip = next(b for b in g.boxes if b.role == MERGE)
    into = [next(b for b in g.boxes if b.id == e.tail) for e in g.edges if e.head == skip.id]
    assert [(b.label, b.kind, b.role) for b in into] == [("crop1", "crop", "layer"), ("branch2", "branch", BLOCK)]


@pytest.mark.skipif(not os.environ.get("NNARITH_REQUIRE_TORCH"), reason="only in CI, which installs everything")
def test_ci_draws_pictures():
    """.ci/run (NNARITH_REQUIRE_TORCH=1: the tests must run, never skip) installs Graphviz, so that the SVG and PNG
    tests above run there rather than skip."""
    import importlib.util

    assert HAS_DOT and importlib.util.find_spec("graphviz") is not None


def test_token_ids_are_written_as_the_report_writes_them():
    g = shipped_graph("gpt2", None)
    net = load_spec("gpt2")
    dot, _ = diagram_dot(net, analyze(net))
    assert g.boxes[0].dims == (1024,) and "1,024 token ids" in dot  # GPT-2's context, as `nnarith shape` titles it
