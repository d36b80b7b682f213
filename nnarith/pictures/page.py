"""`nnarith report`'s page: one self-contained HTML file with a network's arithmetic, to publish.

The title and input, the totals and what each figure counts, the layer table (sortable: page_assets/page.js),
the pictures (inline SVG, drawn by the diagram and plot modules) and each layer's working (`--explain`'s, on
demand). Every figure is read from the Report; the page computes none. Nothing is loaded from elsewhere: the
CSS and the script are inlined from page_assets/, the pictures are inline SVG, and no font is fetched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources
from typing import NamedTuple

from nnarith import __version__
from nnarith.analysis.report import DTYPE_BYTES, Report, Row, Totals
from nnarith.loader.nodes import Network
from nnarith.pictures.page_table import Marks, esc, layer_table, working_groups
from nnarith.render import units
from nnarith.render.explain import TITLE, figures
from nnarith.render.lines import NOTES_HEADING, TOTAL_NOTES, Depth, args_text, stored_note
from nnarith.render.table import AUX_HEADING, FLAGS_HEADING, training_entries


class Picture(NamedTuple):
    """A picture of the page: inline SVG, or where it could not be drawn, why and what to install."""

    anchor: str  # the section's id
    title: str
    svg: str | None
    missing: str = ""
    note: str = ""  # under the picture: how to read it


CHARTS_MISSING = "The charts are drawn with matplotlib, which is not installed: pip install 'nnarith[plot]'"


def draw_pictures(net: Network, report: Report, depth: Depth) -> list[Picture]:
    """The diagram and the charts, as `nnarith diagram` and `nnarith plot` draw them at `depth` (None: each
    picture's own default); one whose library is not installed says instead what to install."""
    from nnarith.pictures.dot import MissingGraphviz, diagram_svg

    try:
        diagram = Picture("diagram", "Diagram", diagram_svg(net, report, depth),
                          note="As nnarith diagram draws it. Hover a box for its exact figures; a long diagram "
                          "scrolls in its box.")
    except MissingGraphviz as e:
        diagram = Picture("diagram", "Diagram", None, f"The diagram is not drawn: {e}")
    try:
        from nnarith.pictures.plot import figure_svg
    except ImportError as e:
        if (e.name or "").partition(".")[0] != "matplotlib":
            raise
        charts = Picture("charts", "Charts", None, CHARTS_MISSING)
    else:
        charts = Picture("charts", "Charts", figure_svg(report, None, depth, net=net),
                         note="As nnarith plot draws them, from the table's figures (the bytes kept for backward from "
                         "nnarith memory --training's model).")
    return [diagram, charts]


def page_html(report: Report, depth: Depth, pictures: Sequence[Picture] = (), *, exact: bool = False) -> str:
    """The page. depth: the levels of the layer table, as `shape --depth` takes them."""
    marks = Marks()
    aux_first = len(report.rows)  # the training-only heads' workings are numbered after the main rows'
    main = layer_table(report, report.rows, report.totals, depth, exact=exact, marks=marks, first=0,
                       with_input=True)
    aux = layer_table(report, report.aux_rows, report.aux_totals, depth, exact=exact, marks=marks,
                      first=aux_first, with_input=False) if report.aux_rows else ""
    sections = [("totals", "Totals"), ("conventions", "What the figures count"), ("layers", "Layers"),
                *([("heads", "Training-only heads")] if aux else []), *((p.anchor, p.title) for p in pictures),
                ("working", "Working")]
    nav = " ".join(f'<a href="#{anchor}">{title}</a>' for anchor, title in sections)
    body = [
        _header(report),
        f'<nav class="sections">{nav}</nav>',
        '<section id="totals"><h2>Totals</h2>', _cards(report), _totals_table(report), "</section>",
        '<section id="conventions"><h2>What the figures count</h2>', _conventions(report), "</section>",
        '<section id="layers"><h2>Layers</h2>',
        "<p>Click a header to sort by it (again to reverse); # restores the network's order. Hover a figure for "
        "its exact value; a layer's name opens its working.</p>",
        '<p class="sort-status" aria-live="polite">In network order.</p>', main, _marks(marks), "</section>",
    ]
    if aux:
        body += ['<section id="heads">', f"<h2>{esc(AUX_HEADING)}</h2>",
                 '<p class="sort-status" aria-live="polite">In network order.</p>', aux,
                 _totals_table(report, report.aux_totals), "</section>"]
    body += [*(_picture(p) for p in pictures), _working(report, depth),
             f"<footer>Written by nnarith {__version__} from <code>{esc(report.file)}</code>.</footer>"]
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(report.name)}: nnarith report</title>\n<style>\n{_asset('page.css')}</style></head>\n"
            "<body><main>\n" + "\n".join(body) + f"\n</main>\n<script>\n{_asset('page.js')}</script>\n</body></html>\n")


def _asset(name: str) -> str:
    return resources.files("nnarith.pictures").joinpath("page_assets", name).read_text(encoding="utf-8")


def _header(report: Report) -> str:
    per = DTYPE_BYTES[report.dtype]
    source = f'<p class="source">{esc(report.source)}</p>' if report.source else ""
    args = args_text(report)
    return (f'<header class="top"><h1>{esc(report.name)}</h1>{source}'
            f"<p>input {esc(units.input_shape(report.input))}, batch {report.batch}, {report.dtype} "
            f"({units.counted(per, 'byte')} per element)</p>" + (f"<p>{esc(args)}</p>" if args else "") + "</header>")


def _cards(report: Report) -> str:
    """The headline figures, short, each with its exact value under it."""
    t = report.totals
    mem = t.memory_bytes
    cards = [("params", units.count(t.params), f"{t.params:,}"),
             ("MACs", units.count(t.macs), f"{t.macs:,}"),
             ("FLOPs (2 x MACs)", units.count(t.flops), f"{t.flops:,}"),
             ("activation memory", units.si_bytes(mem), f"{mem:,} bytes = {units.iec_bytes(mem)}"),
             ("output", units.shape(report.output.dims), ""),
             ("depth", str(report.depth), "layers with weights on the longest path")]
    items = "".join(f'<div class="card"><div class="label">{label}</div><div class="value">{esc(value)}</div>'
                    f'<div class="exact">{esc(exact)}</div></div>' for label, value, exact in cards)
    return f'<div class="cards">{items}</div>'


def _totals_table(report: Report, t: Totals | None = None) -> str:
    """The totals defined, one figure a row, as shape's summary gives them."""
    network = t is None
    t = report.totals if t is None else t
    mem = t.memory_bytes
    rows = [("params", f"{t.params:,}", f"= {units.counted(t.weights, 'weight')} + "
             f"{units.counted(t.biases, 'bias', 'biases')}"),
            ("buffers", f"{t.buffers:,}", TOTAL_NOTES["buffers"]),
            ("MACs", f"{t.macs:,}", TOTAL_NOTES["MACs"]),
            ("FLOPs", f"{t.flops:,}", TOTAL_NOTES["FLOPs"]),
            ("other ops", f"{t.other_ops:,}", TOTAL_NOTES["other ops"]),
            ("memory", f"{mem:,} bytes", f"= {units.counted(t.activations, 'element')} per image"
             f"{' (input included)' if network else ''} x {units.counted(DTYPE_BYTES[report.dtype], 'byte')} "
             f"({report.dtype}) x batch {report.batch} " + " ".join(units.byte_forms(mem)[1:])),
            ("param mem", f"{report.stored_bytes(t.params):,} bytes",
             " ".join(units.byte_forms(report.stored_bytes(t.params))[1:]) + f" ({stored_note(report)})")]
    if network and report.training:  # shape --training's: the backward MACs, the step's, the trainable params
        rows += [(label, words[0], " ".join(words[1:])) for label, words in training_entries(report)]
    body = "".join(f'<tr><th scope="row">{label}</th><td class="num">{value}</td><td>{esc(note)}</td></tr>'
                   for label, value, note in rows)
    heading = "" if network else "<h3>Training-only totals</h3>"
    return f'{heading}<table class="totals">{body}</table>'


def _conventions(report: Report) -> str:
    per = units.counted(DTYPE_BYTES[report.dtype], "byte")
    items = [
        ("MACs", "multiply-accumulates of convolutions, fully connected layers, attention and recurrent layers: one "
         "multiply and one add each. FLOPs are 2 x MACs. torchvision's GFLOPS and most papers' FLOPs are MACs."),
        ("Bias", "parameters include the biases (weights + biases). MACs leave the bias adds out; they are counted "
         "with norms, activations, pooling and merges as other ops."),
        ("Per image", "parameters, MACs, FLOPs and other ops are for one input (one image or sequence); the batch "
         "multiplies only the memory."),
        ("Memory", f"activation memory of inference: the input and the output of every layer that allocates a new "
         f"tensor (views and in-place layers allocate nothing), in {report.dtype} ({per} per element) for a batch "
         f"of {report.batch}. Weights are not in it."),
        ("Units", "K, M, G: 10^3, 10^6, 10^9. kB, MB, GB: 10^3, 10^6, 10^9 bytes; KiB, MiB, GiB: 2^10, 2^20, 2^30 "
         "bytes. The table's memory is in kB and MB; hover a figure for its exact value."),
        ("RF", "receptive field size/stride: the input pixels one output element sees, and the stride between "
         "neighbouring outputs' fields; whole: the whole input; n/a: not one fixed window."),
        ("Blocks", "a block's row sums the layers under it; its output and receptive field are its last layer's."),
    ]
    if report.training:
        items.append(("Backward", "MACs of one training step's backward: dX, the gradient of each layer's input "
                      "(none before the first trainable layer), and dW, its weights' (none in a frozen layer); "
                      "the step is forward + backward, beside the rule of thumb of 3 x forward."))
    if report.aux_rows:
        items.append(("Training-only heads", "auxiliary classifiers, left out of every total above."))
    body = "".join(f"<dt>{term}</dt><dd>{esc(text)}</dd>" for term, text in items)
    return f'<dl class="conventions">{body}</dl>'


_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)  # an SVG file's XML declaration and doctype
_WIDTH = re.compile(r'\A(<svg\b[^>]*?\swidth="([\d.]+)(pt|px)?")')
# A picture shrinks to the page's width, but not below this share of its own size: below it the diagram's 14 pt
# labels would be under 10 px; the box scrolls sideways instead.
LEAST_SCALE = 0.75


def _picture(p: Picture) -> str:
    if p.svg is None:
        inner = f'<p class="missing">{esc(p.missing)}</p>'
    else:
        svg = _PROLOGUE.sub("", p.svg, count=1)
        size = _WIDTH.match(svg)
        if size:
            px = float(size[2]) * (4 / 3 if size[3] == "pt" else 1)
            svg = f'{size[1]} style="min-width: {round(px * LEAST_SCALE)}px"' + svg[size.end():]
        inner = f'<div class="picture">{svg}</div>' + (f'<p class="muted">{esc(p.note)}</p>' if p.note else "")
    return f'<section id="{p.anchor}"><h2>{esc(p.title)}</h2>{inner}</section>'


def _marks(marks: Marks) -> str:
    out = []
    for items, meaning, heading in ((marks.flags, "flag", FLAGS_HEADING), (marks.notes, "note",
                                                                            f"Notes: {NOTES_HEADING}")):
        if items:
            sign = "!" if meaning == "flag" else "~"
            listed = "".join(f'<li id="{meaning}{i}"><span class="{meaning}">{sign}{i}</span> <code>{esc(item)}'
                             "</code></li>" for i, item in enumerate(items, 1))
            out.append(f'<h3 class="{meaning}">{esc(heading)}</h3><ol class="marks">{listed}</ol>')
    return "".join(out)


def _working(report: Report, depth: Depth) -> str:
    """--explain's working, one <details> per layer (w{n}), and the layers of a block the table collapses inside
    one more (g{n}), numbered as the tables link them."""
    out = ['<section id="working"><h2>Working</h2>', f"<p>{esc(TITLE)}. Open a layer to see its working.</p>",
           '<p class="tools"><button data-details="open">open all</button>'
           '<button data-details="close">close all</button></p>']
    for title, rows, first in (("", report.rows, 0), (AUX_HEADING, report.aux_rows, len(report.rows))):
        if title and rows:
            out.append(f"<h3>{esc(title)}</h3>")
        for key, group in working_groups(rows, depth, first):
            block = len(key) < len(group[0][1].path)
            if block:
                kind = group[0][1].kinds[len(key) - 1]
                out.append(f'<details id="g{group[0][0]}" class="block"><summary><code>{esc(".".join(key))}</code> '
                           f'<span class="muted">({esc(kind)}, {units.counted(len(group), "layer")})</span>'
                           "</summary>")
            out += [_layer_working(report, n, row) for n, row in group]
            if block:
                out.append("</details>")
    out.append("</section>")
    return "\n".join(out)


def _layer_working(report: Report, n: int, row: Row) -> str:
    work = "".join(f'<tr><th scope="row">{esc(label)}</th><td>{esc(text)}</td></tr>'
                   for label, text in figures(report, row))
    return (f'<details id="w{n}"><summary><code>{esc(row.name)}</code> <span class="muted">({esc(row.kind)})'
            f'</span></summary><table class="work">{work}</table></details>')
