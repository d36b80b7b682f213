"""The terminal table: a tree whose rows add up, a default depth that fits a screen, lines that fit
the width, colour that strips back to the plain text, and its wording."""

from __future__ import annotations

import re

import pytest

from nnarith.analysis.walk import analyze
from nnarith.loader import load_spec, shipped
from nnarith.render import units
from nnarith.render.lines import lines
from nnarith.render.style import _ansi
from nnarith.render.table import render_table
from tests.helpers import report, spec_text

SPECS = ["vgg16", "resnet50", "googlenet", "inception_v3", "densenet121", "mobilenet_v2", "conv_autoencoder"]
GUIDE = re.compile(r"^[│├└─ ]*")
ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def analysed(name: str):
    return analyze(load_spec(name))


def table_rows(text: str) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """The body rows of the first table as (level in the tree, cells), and the total row's cells."""
    lines_ = text.splitlines()
    rules = [i for i, line in enumerate(lines_) if line.startswith("─")]
    body = []
    for line in lines_[rules[0] + 1: rules[1]]:
        guide = GUIDE.match(line).group()
        body.append((len(guide) // 3, [c for c in re.split(r"\s{2,}", line[len(guide):].strip())]))
    return body, re.split(r"\s{2,}", lines_[rules[1] + 1].strip())


def figures(cells: list[str]) -> tuple[int, int, int]:
    """params, MACs and memory (bytes; 0 in place or a view) of a row of the exact table."""
    params, macs, memory = cells[3:6]
    return int(params.replace(",", "")), int(macs.replace(",", "")), \
        0 if memory in ("in place", "view") else int(memory.replace(",", ""))


@pytest.mark.parametrize("depth", [None, "all", 1, 2, 3])
@pytest.mark.parametrize("name", SPECS)
def test_children_sum_to_their_block_and_the_top_level_to_the_total(name, depth):
    """As torchinfo prints a hierarchy: a block's row is the sum of the rows indented under it."""
    r = analysed(name)
    body, total = table_rows(render_table(r, exact=True, depth=depth))
    layers = body[1:]  # after the input row
    for i, (level, cells) in enumerate(layers):
        children = []
        for below, under in layers[i + 1:]:
            if below <= level:
                break
            if below == level + 1:
                children.append(figures(under))
        if children:
            assert tuple(map(sum, zip(*children))) == figures(cells), cells[0]
    top = [figures(cells) for level, cells in layers if level == 0]
    params, macs, memory = map(sum, zip(*top))
    assert total[1:4] == [f"{params:,}", f"{macs:,}", f"{memory + r.input_bytes:,}"]
    assert (params, macs, memory + r.input_bytes) == (r.totals.params, r.totals.macs, r.totals.memory_bytes)


@pytest.mark.parametrize("width", [100, 80])
@pytest.mark.parametrize("name", sorted(shipped()))
def test_no_line_is_wider_than_the_width(name, width):
    text = render_table(analysed(name), width=width)
    assert max(map(len, text.splitlines())) <= width


@pytest.mark.parametrize("name, width, depth", [
    ("resnet152", 100, "all"), ("resnet152", 80, "all"), ("inception_v3", 60, None), ("googlenet", 60, "all"),
    ("densenet121", 40, None), ("lenet5", 40, None), ("resnet50", 40, "all"), ("inception_v3", 40, None),
    ("googlenet", 40, "all"),
])
def test_narrow_widths_and_deep_trees_fit_too(name, width, depth):
    text = render_table(analysed(name), width=width, depth=depth, exact=True)
    assert max(map(len, text.splitlines())) <= width


def test_the_working_of_explain_folds_under_its_arithmetic():
    r = analysed("vgg16")
    folded = render_table(r, width=60, explain=True).split("Working:")[1]
    assert max(map(len, folded.splitlines())) <= 60
    assert "    memory           64*224*224 = 3,211,264 elements x 4\n                     bytes = 12,845,056 bytes\n" \
        in folded
    assert folded.split() == render_table(r, explain=True).split("Working:")[1].split()  # the same words


def test_every_column_stays_at_80_and_nothing_folds_without_a_width():
    r = analysed("resnet50")
    head = render_table(r, width=80).splitlines()[5].split()
    assert head == ["layer", "kind", "output", "params", "MACs", "memory", "RF", "flags"]
    assert render_table(r).splitlines()[1] == r.source  # width None: no limit, as library callers had it


@pytest.mark.parametrize("name", ["resnet50", "googlenet", "inception_v3", "lenet5", "mobilenet_v2"])
def test_plain_has_no_escape_codes_and_colour_strips_back_to_it(name):
    r = analysed(name)
    plain_text = render_table(r, width=100)
    coloured = render_table(r, width=100, paint=_ansi)
    assert "\x1b" not in plain_text
    assert "\x1b[" in coloured and ESCAPE.sub("", coloured) == plain_text


def test_colour_marks_the_head_totals_blocks_flags_and_guides():
    coloured = render_table(analysed("resnet50"), width=100, paint=_ansi).splitlines()
    bold, dim, yellow, blue = "\x1b[1m", "\x1b[2m", "\x1b[33m", "\x1b[1;34m"
    assert coloured[5].startswith(f"{bold}layer")  # the head
    assert coloured[6].startswith(dim + "─")  # the rule
    assert next(line for line in coloured if "total" in line).startswith(f"{bold}total")
    assert next(line for line in coloured if "conv1 " in line).endswith(f"{yellow}!1\x1b[0m")
    assert f"{dim}├─ \x1b[0m{blue}bottleneck1" in "\n".join(coloured)  # a block: the sum of its layers
    assert f"{blue}layer1\x1b[0m" in "\n".join(coloured)
    assert any(line.startswith(f"{yellow}Flags:") for line in coloured)


def test_the_default_depth_of_resnet152_fits_a_screen_and_says_so():
    r = analysed("resnet152")
    text = render_table(r, width=100)
    lines_ = text.splitlines()
    rules = [i for i, line in enumerate(lines_) if line.startswith("─")]
    table = rules[1] + 2 - (rules[0] - 1)  # head to total
    # two levels: conv1, bn1, relu1, maxpool1, layer1-4, avgpool, fc, and 3 + 8 + 36 + 3 bottlenecks
    assert table == 10 + 50 + 5 <= 70
    assert f"Blocks deeper than 2 levels are collapsed into sums: --depth all shows all {len(r.rows)} layers (" \
        in " ".join(lines_)
    assert len(render_table(r, width=100, depth="all").splitlines()) > 560


def leaves(body: list[tuple[int, list[str]]]) -> list[tuple[str, str]]:
    """(name, kind) of the rows with no rows indented under them, after the input row."""
    return [(cells[0], cells[1]) for i, (level, cells) in enumerate(body[1:], 1)
            if i + 1 >= len(body) or body[i + 1][0] <= level]


@pytest.mark.parametrize("name", ["lenet5", "vgg16", "mlp_mnist", "alexnet", "conv_autoencoder"])
def test_small_nets_show_every_layer_by_default(name):
    r = analysed(name)
    text = render_table(r, width=100)
    assert leaves(table_rows(text)[0]) == [(row.path[-1], row.kind) for row in r.rows]
    assert "collapsed" not in text


@pytest.mark.parametrize("name", ["resnet50", "googlenet", "densenet121", "inception_v3"])
def test_depth_all_shows_every_layer_by_its_short_name(name):
    r = analysed(name)
    assert leaves(table_rows(render_table(r, depth="all"))[0]) == [(row.path[-1], row.kind) for row in r.rows]


def test_a_tree_shows_short_names_under_guides():
    text = render_table(analysed("resnet50"), depth="all")
    assert "\n├─ bottleneck1  " in text or "\n├─ bottleneck1 " in text
    assert "│  │  │  └─ downsample1" in text and "│  │  │     ├─ conv1" in text
    assert "layer1.bottleneck1" not in text.split("Flags:")[0]  # dotted paths only where a layer must be named
    assert "  !4 layer2.bottleneck1.add1.shortcut.downsample1.conv1: (56 - 1)/2 + 1 = 28.5 -> 28" in text


def test_a_long_flag_folds_under_its_mark():
    text = render_table(analysed("resnet50"), width=56)
    flag = text.split("\n  !4 ")[1].splitlines()
    assert flag[0] == "layer2.bottleneck1.add1.shortcut.downsample1.conv1:"
    assert flag[1] == "     (56 - 1)/2 + 1 = 28.5 -> 28"


def test_the_title_folds_at_words_under_an_indent():
    lines_ = render_table(analysed("resnet50"), width=80).splitlines()
    assert lines_[:4] == [
        "ResNet-50",
        "He et al. 2015, Deep Residual Learning for Image Recognition; layer for layer",
        "  torchvision.models.resnet50() (v1.5, with the stride on the 3x3 conv)",
        "input 3x224x224, batch 1, fp32 (4 bytes per element)"]


@pytest.mark.parametrize("layers, want, unwanted", [
    (["relu"], "  params     0 = 0 weights + 0 biases", None),
    (["fc: 1"], "  params     2 = 1 weight + 1 bias", "1 weights"),
    (["fc: 2"], "  params     4 = 2 weights + 2 biases", None),
])
def test_weights_and_biases_are_counted_in_words(layers, want, unwanted):
    text = render_table(report(layers, (1,)))
    assert want in text.splitlines() and (unwanted is None or unwanted not in text)


def test_one_element_one_byte():
    text = render_table(report(["relu"], (1,), dtype="int8"))  # in place: the input is all it holds
    assert "int8 (1 byte per element)" in text
    assert "  memory     1 element per image (input included) = 1 byte (int8, batch 1)" in text.splitlines()


@pytest.mark.parametrize("n, forms", [
    (74, "= 296 bytes (fp32"),  # below 1 kB every unit says 296 B: said once
    (250, "= 1,000 bytes = 1.00 kB (fp32"),  # 1,000 B is not yet 1 KiB
    (256, "= 1,024 bytes = 1.02 kB = 1.00 KiB (fp32"),
])
def test_memory_says_each_distinct_form_once(n, forms):
    text = render_table(report(["relu"], (n,)))
    memory = next(line for line in text.splitlines() if line.startswith("  memory"))
    assert memory.endswith(forms + ", batch 1)") and "296 B" not in memory


@pytest.mark.parametrize("layers, legend", [
    (["relu"], "RF size/stride: the receptive field of one output element in input pixels, and the stride "
               "between neighbouring outputs' fields."),
    (["conv: {out: 1, kernel: 3, stride: 3}"], "fields; !n a flag below."),
])
def test_the_legend_explains_rf_and_the_marks_shown(layers, legend):
    text = render_table(report(layers, (1, 7, 7)))
    assert legend in text and ("!n" in text) == ("!1" in text)


def test_the_legend_names_notes_where_there_are_notes():
    # an even kernel with 'same' padding: its field is centred half a pixel off the 3x3 branch's
    text = render_table(report(["add: [conv: {out: 2, kernel: 3, pad: 1}, conv: {out: 2, kernel: 2, pad: same}]"],
                               (1, 8, 8)), depth="all")
    assert "!n" not in text and "fields; ~n a note below." in text
    own = [line.split() for line in text.splitlines() if line.startswith("└─ add1")]  # the merge's own row
    assert own == [["└─", "add1", "add", "2x8x8", "0", "0", "in", "place", own[0][-2], "~1"]]
    assert ("  ~1 add1: branch fields are not centred alike (at [0.0, 0.5] input pixels); the field is their "
            "union") in text


def test_names_from_the_spec_come_out_escaped_even_in_colour():
    r = spec_text('name: "evil\\e[31m"\nsource: "x\\e[2J"\ninput: [3, 8, 8]\nlayers: [conv: {out: 2, kernel: 3}]\n')
    for paint in (None, _ansi):
        text = render_table(r, **({"paint": paint} if paint else {}))
        assert "evil\\x1b[31m" in text and "x\\x1b[2J" in text
        assert "\x1b" not in ESCAPE.sub("", text)  # only nnarith's own codes


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize("name", SPECS)
def test_collapsed_lines_keep_the_totals_and_unique_names(name, depth):
    r = analysed(name)
    shown = lines(r.rows, depth)
    names = [line.name for line in shown]
    assert len(names) == len(set(names))
    assert sum(line.params for line in shown) == r.totals.params
    assert sum(line.macs for line in shown) == r.totals.macs
    assert sum(line.held for line in shown) + r.input.numel == r.totals.activations
    assert all(name.count(".") < depth for name in names)
    assert shown[-1].dims == r.output.dims


def test_all_and_none_are_every_layer_for_the_line_renderers():
    rows = analysed("resnet50").rows
    assert [x.name for x in lines(rows, "all")] == [x.name for x in lines(rows)] == [row.name for row in rows]


def test_human_units():
    assert [units.count(n) for n in (0, 760, 1792, 138_357_544, 15_470_264_320)] == [
        "0", "760", "1.79 K", "138.36 M", "15.47 G"]
    assert units.si_bytes(60_950_432) == "60.95 MB" and units.iec_bytes(60_950_432) == "58.13 MiB"
    assert units.si_bytes(999) == "999 B"
    assert [units.count(n) for n in (1005, 1015, 1_234_565)] == ["1.00 K", "1.02 K", "1.23 M"]  # half to even
    assert [units.counted(n, "bias", "biases") for n in (0, 1, 2, 1000)] == ["0 biases", "1 bias", "2 biases",
                                                                            "1,000 biases"]


@pytest.mark.parametrize("name, dtype, params, buffers", [
    ("vgg16", "fp32", 138_357_544, 0),  # torchvision's figure; no batch norm
    ("vgg16", "fp16", 138_357_544, 0),
    ("resnet50", "fp32", 25_557_032, 53_173),  # torchvision's; 53 batch norms: 2 x channels + 1 counter each
    ("lenet5", "bf16", 61_706, 0),
])
def test_the_totals_give_the_parameters_bytes_beside_the_activations(name, dtype, params, buffers):
    each = {"fp32": 4, "fp16": 2, "bf16": 2}[dtype]
    r = analyze(load_spec(name), batch=8, dtype=dtype)  # the batch multiplies the activations only
    assert (r.stored_bytes(r.totals.params), r.stored_bytes(r.totals.buffers)) == (params * each, buffers * each)
    text = render_table(r, exact=False, depth=1, width=200)
    line = next(line for line in text.splitlines() if line.startswith("  param mem  "))
    assert line.split()[2] == f"{params * each:,}" and f"(the params in {dtype}; not in memory)" in line
