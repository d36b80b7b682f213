"""`nnarith report`: the page as a user gets it. Its table holds the report's figures (checked against formulas and
against the totals its rows partition), names from the spec are escaped, nothing is loaded from elsewhere, and the
command's mistakes and missing extras are said. test_page_browser.py opens the page in headless Chromium."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nnarith.analysis.walk import analyze
from nnarith.cli import main
from nnarith.errors import NnarithError
from nnarith.loader import load_spec, parse_spec, shipped
from nnarith.pictures.page import page_html
from nnarith.pictures.page_table import esc
from nnarith.render.explain import figures
from nnarith.render.tree import default_depth
from tests.helpers import ENV, ROOT, cli

VOID = {"meta", "br", "hr", "img", "input", "link", "wbr", "col", "area", "base", "source", "track", "embed"}


class Page(HTMLParser):
    """The page read back: its tags must nest, its ids be unique; the layer tables' cells as (data-v, text)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.ids: list[str] = []
        self.references: list[str] = []  # every src= and href=
        self.tables: list[list[dict]] = []  # per layer table, its body rows: {"class", "cells": [(v, text)]}
        self.details: dict[str, str] = {}  # a working's id -> its text
        self.scripts = 0
        self._where: list[tuple[str, dict]] = []
        self._text: list[str] = []
        self.feed(text)
        self.close()
        assert not self.open, f"tags left open: {self.open}"

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        self.ids += [a["id"]] if "id" in a else []
        self.references += [v for k, v in attrs if k in ("src", "href", "xlink:href")]
        self.scripts += tag == "script"
        if tag == "table" and "layers" in a.get("class", ""):
            self.tables.append([])
        if tag in VOID:
            return
        if tag == "tr" and self.open[-1:] == ["tbody"] and self._in("table"):
            self.tables[-1].append({"class": a.get("class", ""), "cells": []})
        self.open.append(tag)
        self._where.append((tag, a))
        if tag in ("td", "details"):
            self._text.append("")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        self.ids += [a["id"]] if "id" in a else []
        self.references += [v for k, v in attrs if k in ("src", "href", "xlink:href")]

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()
        name, a = self._where.pop()
        if name == "td":
            text = self._text.pop()
            if self._text:
                self._text[-1] += text
            if "tbody" in self.open and self.tables and self.tables[-1]:
                self.tables[-1][-1]["cells"].append((a.get("data-v"), text, a.get("class", "")))
        elif name == "details":
            text = self._text.pop()
            self.details[a["id"]] = text
            if self._text:
                self._text[-1] += text

    def handle_data(self, data: str) -> None:
        if self._text:
            self._text[-1] += data

    def _in(self, tag: str) -> bool:
        return tag in self.open


def page_of(spec: str, depth=None, **kw) -> tuple[object, str]:
    report = analyze(load_spec(spec), **kw)
    return report, page_html(report, default_depth(report.rows) if depth is None else depth)


def leaf_rows(table: list[dict]) -> list[dict]:
    """The rows that partition the network: not the input's, not a block's sum of the rows under it."""
    return [r for r in table if r["class"] not in ("sum", "input")]


COLUMN = {"params": 4, "MACs": 5, "memory": 6}


@pytest.mark.parametrize("spec", sorted(shipped()))
def test_every_shipped_spec_makes_a_page_whose_rows_add_up_to_its_totals(spec):
    """Every shipped spec at its default depth: the page is well formed, and its leaf rows (the tree's lines)
    add up to the totals in its foot, figure by figure; the memory with the input's row."""
    report, text = page_of(spec)
    page = Page(text)
    assert len(page.ids) == len(set(page.ids))
    assert page.scripts == 1
    main_table = page.tables[0]
    t = report.totals
    for figure, total in (("params", t.params), ("MACs", t.macs)):
        assert sum(int(r["cells"][COLUMN[figure]][0]) for r in leaf_rows(main_table)) == total
    held = sum(int(r["cells"][COLUMN["memory"]][0]) for r in main_table if r["class"] != "sum")
    assert held == t.memory_bytes
    assert len(page.tables) == (2 if report.aux_rows else 1)
    layers = len(report.rows) + len(report.aux_rows)
    assert sorted(d for d in page.details if d.startswith("w")) == sorted(f"w{n}" for n in range(layers))


@pytest.mark.parametrize("name, params, macs", [
    ("conv1_1", 64 * (3 * 3 * 3 + 1), 224 * 224 * 64 * 3 * 3 * 3),
    ("conv5_3", 512 * (3 * 3 * 512 + 1), 14 * 14 * 512 * 3 * 3 * 512),
    ("fc6", 512 * 7 * 7 * 4096 + 4096, 512 * 7 * 7 * 4096),
    ("fc8", 4096 * 1000 + 1000, 4096 * 1000),
])
def test_vgg16s_rows_hold_the_figures_of_their_formulas(name, params, macs):
    _, text = page_of("vgg16")
    row = next(r for r in Page(text).tables[0] if r["cells"][1][0] == name)
    assert int(row["cells"][COLUMN["params"]][0]) == params
    assert int(row["cells"][COLUMN["MACs"]][0]) == macs


@pytest.mark.parametrize("exact, params, macs", [
    (False, "102.76 M", "102.76 M"),
    (True, f"{512 * 7 * 7 * 4096 + 4096:,}", f"{512 * 7 * 7 * 4096:,}"),
])
def test_the_figures_are_shown_short_or_exact_as_shape_shows_them(exact, params, macs):
    report = analyze(load_spec("vgg16"))
    row = next(r for r in Page(page_html(report, "all", exact=exact)).tables[0] if r["cells"][1][0] == "fc6")
    assert (row["cells"][COLUMN["params"]][1], row["cells"][COLUMN["MACs"]][1]) == (params, macs)


@pytest.mark.parametrize("dtype, batch, per", [("fp32", 1, 4), ("fp16", 32, 2)])
def test_the_params_bytes_are_one_copy_in_the_dtype_whatever_the_batch(dtype, batch, per):
    """VGG-16's 138,357,544 parameters (torchvision's figure), stored once in the dtype."""
    text = page_html(analyze(load_spec("vgg16"), dtype=dtype, batch=batch), "all")
    assert f'<th scope="row">param mem</th><td class="num">{138_357_544 * per:,} bytes</td>' in text


def test_spec_arguments_set_the_network_and_the_page_names_them(tmp_path):
    """The bottleneck family with 23 blocks in layer3 is ResNet-101: torchvision's 44,549,160 parameters."""
    out = tmp_path / "r.html"
    assert main(["report", "resnet_bottleneck", "--set", "layer3=23", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert '<th scope="row">params</th><td class="num">44,549,160</td>' in text
    assert "layer3=23" in text and "(layer3 set; the others at their defaults)" in text


def test_training_adds_the_backward_to_the_totals_and_the_working(tmp_path):
    """LeNet-5 --training: its weighted layers' forward MACs are 117,600 (c1), 240,000 (c3), 48,000 (c5), 10,080
    (f6) and 840 (f7); backward, dW repeats each, and dX each but c1's (the input needs no gradient)."""
    forward = 117_600 + 240_000 + 48_000 + 10_080 + 840
    out = tmp_path / "l.html"
    assert main(["report", "lenet5", "--training", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    backward = 2 * forward - 117_600
    assert f'<th scope="row">backward</th><td class="num">{backward:,}</td>' in text
    assert f"dX {forward - 117_600:,} + dW {forward:,}" in text
    assert f'<th scope="row">step</th><td class="num">{forward + backward:,}</td>' in text
    assert "backward MACsdX = forward MACs = 240,000; dW = forward MACs = 240,000" in Page(text).details["w3"]  # c3
    assert "backward MACs" not in page_of("lenet5")[1]


def test_the_table_follows_the_depth_as_shape_does():
    """resnet50 at --depth 1: one line per top-level layer or stage, in order; at 2, the stages' bottlenecks under
    them (3, 4, 6 and 3 of them, as the paper's Table 1 has them), each stage a sum row."""
    report = analyze(load_spec("resnet50"))
    top = list(dict.fromkeys(r.path[0] for r in report.rows))
    rows = Page(page_html(report, 1)).tables[0]
    assert [r["cells"][1][0] for r in leaf_rows(rows)] == top
    rows = Page(page_html(report, 2)).tables[0]
    sums = [r["cells"][1][0] for r in rows if r["class"] == "sum"]
    assert sums == ["layer1", "layer2", "layer3", "layer4"]
    blocks = [r["cells"][1][0] for r in leaf_rows(rows) if r["cells"][2][0] == "bottleneck"]
    assert [sum(b.startswith(f"{s}.") for b in blocks) for s in sums] == [3, 4, 6, 3]


def test_every_layers_working_is_explains_and_the_table_links_to_it():
    """lenet5: each layer's <details> holds --explain's figures, and each table row links to a working there."""
    report, text = page_of("lenet5", "all")
    page = Page(text)
    for n, row in enumerate(report.rows):
        shown = page.details[f"w{n}"]
        assert row.name in shown
        for label, arithmetic in figures(report, row):
            assert f"{label}{arithmetic}" in shown
    links = [ref[1:] for ref in page.references if re.fullmatch(r"#[wg]\d+", ref)]
    assert links and set(links) <= set(page.details)


def test_a_collapsed_block_groups_its_layers_working():
    """googlenet at depth 1: an inception module's row links to one group holding its layers' workings."""
    report, text = page_of("googlenet", 1)
    page = Page(text)
    first = next(i for i, r in enumerate(report.rows) if r.path[0] == "inception3a")
    count = sum(r.path[0] == "inception3a" for r in report.rows)
    assert f"#g{first}" in page.references
    assert f"inception3a ({'inception'}, {count} layers)" in page.details[f"g{first}"]


HOSTILE = "--></title><script>alert(1)</script><img src=x onerror=alert(2)> & \"q\" 'a'"


def hostile_spec() -> str:
    """A spec whose free text (its name and source: the loader allows only identifiers in layer names) is HTML."""
    quoted = "'" + HOSTILE.replace("'", "''") + "'"  # YAML's single quotes: '' is one '
    return (f"name: {quoted}\nsource: {quoted}\ninput: [3, 7, 7]\nlayers:\n"
            "  - conv: {out: 4, kernel: 3, stride: 3}\n  - relu\n  - flatten\n  - fc: 10\n")


def hostile_report():
    """The hostile spec's report, its first layer's name and kind and a flag of it made HTML too (set on the row)."""
    report = analyze(parse_spec(hostile_spec(), "<b>spec</b>.yaml"))
    row = report.rows[0]
    row.name, row.path, row.kind = HOSTILE, (HOSTILE,), HOSTILE
    row.warnings.append(HOSTILE)
    return report


def test_names_from_the_spec_are_escaped():
    report = hostile_report()
    text = page_html(report, "all")
    page = Page(text)
    assert page.scripts == 1 and "<script>alert" not in text and "<img" not in text
    assert page.references == [r for r in page.references if r.startswith("#")]
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5  # title, heading, source, row, working, flag


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_any_name_and_source_stay_text(name, source):
    """Whatever text a spec's name and source hold (control characters, quotes, markup, separators): the page
    parses, with one script, its tags nested, and the name shown as the terminal shows it (visible())."""
    text = yaml.safe_dump({"name": name, "source": source, "input": [3, 8, 8], "layers": ["relu", {"fc": 2}]})
    try:
        report = analyze(parse_spec(text, "t.yaml"))
    except NnarithError:
        assume(False)
    page_text = page_html(report, "all")
    assert Page(page_text).scripts == 1
    assert f"<h1>{esc(report.name)}</h1>" in page_text


def external_references(text: str) -> list[str]:
    """Whatever would make a browser fetch something: src=, href= (other than #fragments), CSS url() and
    @import, <link>, and protocol-relative or http(s) addresses in those."""
    refs = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]*)""", text, flags=re.I)
    found = [r for r in refs if not r.startswith("#")]
    found += re.findall(r"url\(\s*['\"]?(?!#)[^)]*\)|@import|<link\b|<iframe\b|<object\b", text, flags=re.I)
    return found


@pytest.mark.parametrize("spec", ["vgg16", "googlenet", "unet"])
def test_the_page_refers_to_nothing_outside_itself(tmp_path, spec):
    """The command's page, pictures included: nothing is fetched, no font, no script, no picture."""
    out = tmp_path / "page.html"
    r = cli("report", spec, "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert external_references(out.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("args, message", [
    (["vgg16", "-o", "vgg16.png"], "the page is HTML; name the file .html"),
    (["vgg16", "-o", "no/such/folder/v.html"], "cannot write -o 'no/such/folder/v.html': No such file or directory"),
    (["vgg16"], "Missing option '--output' / '-o'"),
    (["vgg16", "--depth", "0", "-o", "v.html"], "expected a positive integer"),
])
def test_a_bad_command_line_says_why_and_exits_2(tmp_path, args, message):
    r = cli("report", *args, cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not list(tmp_path.iterdir())


def test_a_bad_spec_is_located_and_no_page_is_written(tmp_path):
    (tmp_path / "bad.yaml").write_text("input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernal: 3}\n")
    r = cli("report", "bad.yaml", "-o", "p.html", cwd=tmp_path)
    assert r.returncode == 2 and "bad.yaml:3:20: error: unknown field 'kernal'" in r.stderr, r.stderr
    assert not (tmp_path / "p.html").exists()


@pytest.mark.parametrize("blocked, section, install", [
    ("matplotlib", "charts", "matplotlib, which is not installed: pip install &#x27;nnarith[plot]&#x27;"),
    ("graphviz", "diagram", "needs the graphviz Python package: pip install &#x27;nnarith[diagram]&#x27;"),
])
def test_without_a_pictures_library_the_page_is_written_and_says_what_to_install(tmp_path, blocked, section,
                                                                                 install):
    out = tmp_path / "v.html"
    code = (f"import sys; sys.modules[{blocked!r}] = None; from nnarith.cli import main; "
            f"sys.exit(main(['report', 'vgg16', '-o', {str(out)!r}]))")
    r = cli_python(code)
    assert r.returncode == 0, r.stderr
    assert html.unescape(install) in r.stderr and "the page is written without it" in r.stderr
    text = out.read_text(encoding="utf-8")
    shown = text.split(f'id="{section}"')[1].split("</section>")[0]
    assert install in shown and "<svg" not in shown
    assert text.count("<svg") == 1  # the other picture is there


def test_without_graphvizs_dot_program_the_page_says_what_to_install(tmp_path):
    out = tmp_path / "v.html"
    r = subprocess.run([sys.executable, "-m", "nnarith", "report", "lenet5", "-o", str(out)], cwd=ROOT,
                       capture_output=True, text=True, env={**ENV, "PATH": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert "needs Graphviz&#x27;s dot program, which is not on PATH" in out.read_text(encoding="utf-8")
    assert "apt-get install graphviz" in r.stderr


def cli_python(code: str):
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=ENV)


def test_the_report_never_imports_torch(tmp_path):
    out = str(tmp_path / "r.html")
    code = (f"import sys; from nnarith.cli import main; main(['report', 'resnet18', '-o', {out!r}]); "
            "bad = sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'fvcore'}); "
            "sys.stderr.write(repr(bad)); sys.exit(3 if bad else 0)")
    r = cli_python(code)
    assert r.returncode == 0 and r.stderr.endswith("[]"), r.stderr


def test_the_command_says_what_it_wrote(tmp_path):
    """ResNet-50 at its default depth, 2: 6 top-level layers (conv1, bn1, relu1, maxpool1, avgpool, fc), 4 stages
    and their 3 + 4 + 6 + 3 bottlenecks."""
    r = cli("report", "resnet50", "-o", "r.html", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    layers = len(analyze(load_spec("resnet50")).rows)
    assert r.stdout == (f"wrote r.html: ResNet-50, {layers} layers, a table of {6 + 4 + 16} rows (--depth 2), its "
                        "diagram and charts\n")


def test_the_example_writes_the_file_it_names(tmp_path, capsys):
    assert main(["report", "lenet5", "-o", str(tmp_path / "lenet5.html")]) == 0
    assert (tmp_path / "lenet5.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
