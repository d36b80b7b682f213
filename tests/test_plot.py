"""`nnarith plot`: the files are what they claim, the charts hold the report's figures (and the training memory
model's), every shipped spec plots, names on the x axis do not overlap, and the user's mistakes are exit 2."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from nnarith.analysis import liveness
from nnarith.analysis.walk import analyze
from nnarith.cli import main
from nnarith.loader import load_spec, shipped
from nnarith.pictures.charts import charts
from nnarith.pictures.metrics import METRICS
from tests.helpers import ENV, ROOT, cli

pytest.importorskip("matplotlib")

SIGNATURES = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}
SVG = "{http://www.w3.org/2000/svg}svg"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("suffix", ["png", "svg", "pdf"])
def test_the_file_is_what_its_suffix_says(suffix, tmp_path):
    r = cli("plot", "lenet5", "-o", f"lenet5.{suffix}", cwd=tmp_path)  # its 11 layers: specs/lenet5.yaml
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"wrote lenet5.{suffix}: params, macs, memory, saved, share, rf, size over 11 layers of " \
                       "LeNet-5\n"
    data = (tmp_path / f"lenet5.{suffix}").read_bytes()
    if suffix == "svg":
        assert ET.fromstring(data).tag == SVG
    else:
        assert data.startswith(SIGNATURES[suffix])


def report_of(spec: str, **kw):
    net = load_spec(spec)
    return net, analyze(net, **kw)


@pytest.mark.parametrize("spec", sorted(shipped()))
def test_every_shipped_spec_charts_the_report_totals(spec):
    net, report = report_of(spec)
    data = charts(report, net)
    for metric in ("params", "macs"):
        series = getattr(data, metric).values
        assert series[0] is None  # the input is no layer: no figure, not a zero
        assert sum(series[1:]) == getattr(report.totals, metric)
        assert data.share(metric)[-1] == pytest.approx(1.0) or not getattr(report.totals, metric)
    assert sum(data.memory.values) == report.totals.memory_bytes
    assert len(data.positions) - 1 <= 60 or data.depth == 1  # the default depth fits a screen where it can


@pytest.mark.parametrize("spec, depth, block", [
    ("resnet50", 1, "layer1"), ("resnet50", 1, "layer4"), ("resnet50", 2, "layer2.bottleneck1"),
    ("googlenet", 1, "inception4e"), ("densenet121", 1, "denseblock3"),
    ("vit_b_16", 3, "encoder.layers.encoder_layer_7"), ("unet", 2, "u.skip1"),
])
def test_a_block_folded_at_a_depth_sums_the_rows_under_it(spec, depth, block):
    net, report = report_of(spec, batch=4, dtype="fp16")
    data = charts(report, net, depth)
    at = [p.name for p in data.positions].index(block)
    # its layers, and the merge that closes it (a concat's own row is named as the block: U-Net's skip1)
    under = [r for r in report.rows if r.name == block or r.name.startswith(block + ".")]
    assert under and data.positions[at].rows == tuple(under)
    assert data.params.values[at] == sum(r.params for r in under)
    assert data.macs.values[at] == sum(r.macs for r in under)
    assert data.memory.values[at] == sum(r.held for r in under) * 2 * 4  # fp16 bytes x batch
    kept = {s.name: s.bytes for s in liveness.training(net, report).layers}
    assert data.saved.values[at] == sum(kept[r.name] for r in under)
    if under[-1].shape.rank:  # a map: its last layer's height (these specs' maps are square)
        assert data.size[0].values[at] == under[-1].shape.dims[1]


@pytest.mark.parametrize("spec, depth", [("vgg16", None), ("resnet50", 2), ("googlenet", "all"), ("lenet5", 1),
                                         ("bert_base", None), ("mobilenet_v2", 2)])
def test_the_bytes_kept_for_backward_are_the_memory_models(spec, depth):
    net, report = report_of(spec, batch=8)
    data = charts(report, net, depth)
    step = liveness.training(net, report)
    assert sum(data.saved.values[1:]) + data.saved_aux_bytes == step.saved_bytes
    assert (data.saved_aux_bytes > 0) == (spec == "googlenet")  # its two aux heads keep their own


def test_vgg16s_fc_layers_hold_89_percent_of_its_parameters_and_the_chart_says_so():
    from nnarith.pictures.plot import figure

    net, report = report_of("vgg16")
    data = charts(report, net)
    fc = (25088 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 1000 + 1000)  # fc6, fc7, fc8: weights + biases
    fc6 = [p.name for p in data.positions].index("fc6")
    assert 1 - data.share("params")[fc6 - 1] == pytest.approx(fc / 138_357_544)  # torchvision's count
    texts = [t.get_text() for ax in figure(data, list(METRICS)).axes for t in ax.texts
             + (ax.get_legend().get_texts() if ax.get_legend() else [])]
    assert "parameters (fc6 to the output: 89.4%)" in texts
    assert {"74.3%", "12.1%", "3.0%"} <= set(texts)  # fc6's 102,764,544, fc7's 16,781,312, fc8's 4,097,000


@pytest.mark.parametrize("spec, labels, marks", [
    ("vgg16", ["receptive field, H = W"], {"", "whole"}),
    ("fcn_timeseries", ["receptive field"], {"", "whole"}),
    ("conv_autoencoder", ["receptive field, H = W"], {"", "n/a"}),
    ("bert_base", ["receptive field"], {"", "whole"}),
])
def test_fields_that_are_not_one_window_are_marked_not_drawn(spec, labels, marks):
    net, report = report_of(spec)
    data = charts(report, net, "all")
    assert [s.label for s in data.rf] == labels and set(data.rf[0].marks) == marks
    for value, mark in zip(data.rf[0].values[1:], data.rf[0].marks[1:]):  # the layers, past the input
        assert (value is None) == (mark != "")


@pytest.mark.parametrize("spec, depth", [("vgg16", None), ("resnet152", "all"), ("densenet161", None),
                                         ("bert_base", None)])
def test_names_on_the_x_axis_do_not_overlap(spec, depth):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from nnarith.pictures.plot import figure

    net, report = report_of(spec)
    fig = figure(charts(report, net, depth), list(METRICS))
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    boxes = [t.get_window_extent(renderer) for t in fig.axes[-1].get_xticklabels() if t.get_text()]
    assert len(boxes) >= 10
    assert all(a.x1 <= b.x0 for a, b in zip(boxes, boxes[1:]))
    assert min(t.get_fontsize() for t in fig.axes[-1].get_xticklabels()) >= 8
    for ax in fig.axes:  # the shares written above the bars neither overlap one another nor leave the chart
        shares = [t.get_window_extent(renderer) for t in ax.texts]
        assert not any(a.overlaps(b) for k, a in enumerate(shares) for b in shares[k + 1:])
        assert all(ax.get_window_extent(renderer).contains(b.x0, b.y1 - 1) for b in shares)


@pytest.mark.parametrize("spec", ["unet", "swin_t", "gpt2", "mlp_mnist", "dcgan_generator"])
def test_specs_of_other_shapes_draw(spec, tmp_path):
    from nnarith.pictures.plot import write

    net, report = report_of(spec)
    write(charts(report, net), list(METRICS), str(tmp_path / "c.png"), "png")
    assert (tmp_path / "c.png").read_bytes().startswith(SIGNATURES["png"])


def test_figure_svg_is_one_svg_element_to_inline_in_a_page():
    from nnarith.pictures.plot import figure_svg

    net, report = report_of("resnet18")
    text = figure_svg(report, ["params", "share"], depth=1)
    assert text.startswith('<svg class="nnarith-chart" ') and text.rstrip().endswith("</svg>")
    assert ET.fromstring(text).tag == SVG
    assert "href=\"http" not in text and "<image" not in text and "DOCTYPE" not in text
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert ids and all(i.startswith("nnarith-chart-") for i in ids) and len(set(ids)) == len(ids)
    used = set(re.findall(r"url\(#([^)]+)\)", text)) | set(re.findall(r'href="#([^"]+)"', text))
    assert used and used <= set(ids)  # every reference is to an element of its own
    styles = re.findall(r"<style[^>]*>(.*?)</style>", text, flags=re.S)
    assert all(rule.strip().startswith("svg.nnarith-chart ") for rule in styles)  # nothing styles the page
    assert figure_svg(report, ["params", "share"], depth=1) == text  # no date in it: the same input, the same file
    assert charts(report).saved is None and charts(report, net).saved is not None  # saved needs the network
    with pytest.raises(ValueError, match="saved needs the network"):
        figure_svg(report, ["saved"])


def test_without_matplotlib_one_line_names_the_extra(tmp_path):
    code = "import sys; sys.modules['matplotlib'] = None; from nnarith.cli import main; " \
           "sys.exit(main(['plot', 'lenet5', '-o', 'l.png']))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == "error: nnarith plot draws with matplotlib, which is not installed: " \
                       "pip install 'nnarith[plot]'\n"
    assert not (tmp_path / "l.png").exists()


@pytest.mark.parametrize("args, message", [
    (["-o", "v.jpg"], "-o v.jpg: the format comes from the suffix; write FILE.png, FILE.svg or FILE.pdf"),
    (["-o", "v"], "write FILE.png, FILE.svg or FILE.pdf"),
    ([], "Missing option '--output'"),
    (["-o", "v.png", "--metric", "parms"], "--metric 'parms' is not a metric; choose from params, macs, memory, "
                                           "saved, share, rf, size; did you mean 'params'?"),
    (["-o", "v.png", "--metric", ","], "--metric is empty"),
    (["-o", "v.png", "--depth", "0"], "expected a positive integer"),
    (["-o", "no/such/folder/v.png"], "cannot write no/such/folder/v.png"),
])
def test_mistakes_are_usage_errors(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "plot", "vgg16", *args)
    assert code == 2 and out == "" and message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_metrics_repeat_or_list_and_choose_the_charts(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "plot", "mlp_mnist", "-m", "rf,params", "--metric", "share", "-o", "m.svg")
    assert code == 0, err
    # an MLP's fields are the whole input, and its outputs no maps: no rf to draw
    assert out == "wrote m.svg: params, share over 9 layers of MLP for MNIST digits\n"
    code, out, err = run(capsys, "plot", "mlp_mnist", "--metric", "rf", "-o", "rf.svg")
    assert code == 2 and "has nothing to chart for --metric rf: no layer's receptive field is one window" in err


def test_options_reach_the_figures(capsys, tmp_path, monkeypatch):
    from nnarith.pictures import plot

    drawn = []
    monkeypatch.setattr(plot, "write", lambda data, metrics, path, format: drawn.append((data, metrics, format)))
    code, out, err = run(capsys, "plot", "resnet18", "--depth", "1", "--batch", "32", "--dtype", "bf16",
                         "--input", "3x128x128", "-m", "memory", "-o", str(tmp_path / "r.PNG"))
    assert code == 0, err
    (data, metrics, format), = drawn
    assert (data.batch, data.dtype, data.input, data.depth, metrics, format) == (32, "bf16", "3x128x128", 1,
                                                                                ["memory"], "png")
    assert data.memory.values[0] == 3 * 128 * 128 * 2 * 32  # the input: elements x bf16's bytes x batch
    # conv1, bn1, relu1, maxpool1, layer1 to layer4, avgpool, fc (specs/resnet18.yaml)
    assert out == f"wrote {tmp_path / 'r.PNG'}: memory over 10 positions (blocks folded at depth 1) of ResNet-18\n"


def test_plot_never_imports_torch(tmp_path):
    code = "import sys; from nnarith.cli import main; main(['plot', 'lenet5', '-o', 'l.svg']); " \
           "print('torch' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, cwd=tmp_path)
    assert r.stdout.splitlines()[-1] == "False", r.stderr


def test_the_readme_shows_the_picture():
    assert "](docs/vgg16_plot.png)" in (ROOT / "README.md").read_text()
    assert (ROOT / "docs" / "vgg16_plot.png").read_bytes().startswith(SIGNATURES["png"])
