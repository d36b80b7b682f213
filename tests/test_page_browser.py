"""`nnarith report`'s page in headless Chromium (Debian's chromium, which .ci/run installs; in CI its absence
fails the tests): no console error, no dialog, the table and the pictures visible at 1280 and 800 px, a non-blank
screenshot, the headers sorting by the exact figures, the links to the working opening it, and names from the spec
running nothing."""

from __future__ import annotations

import os
import re
import struct
import zlib

import pytest

from nnarith.analysis.walk import analyze
from nnarith.cli import main
from nnarith.loader import load_spec
from nnarith.pictures.page import page_html
from tests.browser import Browser, find_chromium
from tests.test_page import HOSTILE, Page, hostile_report, hostile_spec, page_of


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    executable = find_chromium()
    if executable is None:
        if os.environ.get("NNARITH_REQUIRE_TORCH"):  # CI installs Chromium: its absence is a failure there
            pytest.fail("NNARITH_REQUIRE_TORCH is set but Chromium is not installed (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with Browser(executable, tmp_path_factory.mktemp("chromium-profile")) as b:
        yield b


VISIBLE = """(function (selector) {
  var e = document.querySelector(selector);
  if (!e) return null;
  var r = e.getBoundingClientRect(), s = getComputedStyle(e);
  return {width: r.width, height: r.height, shown: s.display !== "none" && s.visibility !== "hidden"};
})(%r)"""
ROWS = """Array.prototype.filter.call(document.querySelectorAll("table.layers")[0].tBodies[0].rows,
  function (r) { return getComputedStyle(r).display !== "none"; }).map(function (r) {
  return [r.cells[0].getAttribute("data-v"), r.cells[1].getAttribute("data-v"), r.cells[%d].getAttribute("data-v")];
})"""


def png_size_and_colours(data: bytes) -> tuple[int, int, int]:
    """A PNG's width, height and how many distinct pixel rows it has (1: a blank picture), from its chunks."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, pos = [], 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            chunks.append(data[pos + 8:pos + 8 + length])
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = len(raw) // height
    return width, height, len({raw[i * stride + 1:(i + 1) * stride] for i in range(height)})


@pytest.mark.parametrize("spec", ["vgg16", "resnet50", "googlenet"])
@pytest.mark.parametrize("width", [1280, 800])
def test_in_chromium_the_page_shows_its_table_and_pictures_without_errors(browser, tmp_path, spec, width):
    out = tmp_path / f"{spec}.html"
    assert main(["report", spec, "-o", str(out)]) == 0
    browser.errors.clear()
    browser.open(out.as_uri(), width)
    assert browser.errors == []
    for selector in ("table.layers", "#diagram svg", "#charts svg", "#totals .cards"):
        box = browser.evaluate(VISIBLE % selector)
        assert box and box["shown"] and box["width"] > 200 and box["height"] > 100, (selector, box)
    assert browser.evaluate("document.documentElement.scrollWidth") <= width  # nothing spills sideways
    shot = browser.screenshot(tmp_path / f"{spec}-{width}.png")
    w, h, rows = png_size_and_colours(shot)
    assert (w, h) == (width, 900) and rows > 50


def test_in_chromium_a_click_on_a_header_sorts_by_its_figures_exactly(browser, tmp_path):
    """resnet50 at depth 2, sorted by params: largest first, then smallest first, by the exact integers (9.41 K
    sorts below 1.51 M, as text would not have it); the block rows are hidden while sorted, and # restores the
    network's order with them."""
    out = tmp_path / "resnet50.html"
    assert main(["report", "resnet50", "--depth", "2", "-o", str(out)]) == 0
    browser.open(out.as_uri(), 1280)
    tree = browser.evaluate(ROWS % 4)
    click = "document.querySelectorAll('table.layers')[0].tHead.rows[0].cells[%d].querySelector('button').click()"
    browser.evaluate(click % 4)
    shown = browser.evaluate(ROWS % 4)
    report = analyze(load_spec("resnet50"))
    leaves = [r for r in Page(page_html(report, 2)).tables[0] if r["class"] != "sum"]
    assert len(shown) == len(leaves) < len(tree)
    values = [None if v is None else int(v) for _, _, v in shown]
    known = [v for v in values if v is not None]  # the input's row has no params to sort by: it stays last
    assert values == sorted(known, reverse=True) + [None]
    # the largest: layer4's first bottleneck, 1x1 1024->512, 3x3 512->512, 1x1 512->2048, the 1x1 1024->2048
    # projection, and four batch norms' scale and shift
    assert shown[0][1:] == ["layer4.bottleneck1", str(1024 * 512 + 9 * 512 * 512 + 512 * 2048 + 1024 * 2048
                                                      + 2 * (512 + 512 + 2048 + 2048))]
    browser.evaluate(click % 4)
    again = [None if v is None else int(v) for _, _, v in browser.evaluate(ROWS % 4)]
    assert again == sorted(known) + [None]
    browser.evaluate(click % 0)
    assert browser.evaluate(ROWS % 4) == tree
    assert browser.errors == []


def natural(text: str) -> list:
    """Text with its digits as numbers (relu2 before relu10), as the page's localeCompare(numeric) orders names."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


@pytest.mark.parametrize("column, kind", [(2, "text"), (3, "number"), (6, "number"), (7, "number")])
def test_in_chromium_each_column_sorts_by_its_values_ties_in_network_order(browser, tmp_path, column, kind):
    """VGG-16, by kind (names, relu2 before relu10), output (elements), memory (bytes) and RF (the field's area;
    'whole', the whole input, past every window): largest first, then smallest; equal values in network order."""
    out = tmp_path / "vgg16.html"
    out.write_text(page_of("vgg16")[1], encoding="utf-8")
    browser.open(out.as_uri(), 1280)
    rows = browser.evaluate(ROWS % column)

    def key(row: list) -> tuple:
        value = row[2]
        if kind == "text":
            return (natural(value),)
        return (1, 0) if value == "whole" else (0, int(value))

    click = "document.querySelectorAll('table.layers')[0].tHead.rows[0].cells[%d].querySelector('button').click()"
    for descending in ([False, True] if kind == "text" else [True, False]):
        browser.evaluate(click % column)
        known = [r for r in rows if r[2] is not None]
        in_order = sorted(known, key=lambda r: int(r[0]))  # sorted() keeps this order among ties, reversed or not
        expected = sorted(in_order, key=key, reverse=descending)
        assert browser.evaluate(ROWS % column) == expected + [r for r in rows if r[2] is None]
    assert browser.errors == []


@pytest.mark.parametrize("how", ["page", "command"])
def test_in_chromium_names_from_the_spec_run_nothing(browser, tmp_path, how):
    """The page of the hostile report, and the command's page of the hostile spec (in a file named with HTML,
    its name in the footer) with the diagram and the charts, which show its name too."""
    out = tmp_path / "hostile.html"
    if how == "page":
        out.write_text(page_html(hostile_report(), "all"), encoding="utf-8")
    else:
        (tmp_path / "<b>spec&.yaml").write_text(hostile_spec(), encoding="utf-8")
        assert main(["report", str(tmp_path / "<b>spec&.yaml"), "-o", str(out)]) == 0
        assert Page(out.read_text(encoding="utf-8")).scripts == 1
    browser.errors.clear()
    browser.open(out.as_uri(), 1280)
    assert browser.errors == []  # an alert() would be a dialog, counted as an error
    assert browser.evaluate("document.querySelectorAll('script, img, b').length") == 1
    assert browser.evaluate("document.querySelector('h1').textContent") == HOSTILE


def test_in_chromium_a_link_to_a_working_opens_it(browser, tmp_path):
    out = tmp_path / "googlenet.html"
    assert main(["report", "googlenet", "--depth", "1", "-o", str(out)]) == 0
    browser.open(out.as_uri(), 1280)
    link = browser.evaluate("document.querySelector('table.layers a[href^=\"#w\"]').getAttribute('href')")
    browser.evaluate("document.querySelector('table.layers a[href^=\"#g\"]').click()")
    group = browser.evaluate("location.hash.slice(1)")
    assert browser.evaluate(f"document.getElementById('{group}').open") is True
    browser.evaluate(f"location.hash = '{link}'")
    assert browser.evaluate(f"document.getElementById('{link[1:]}').open") is True
    assert browser.errors == []


def test_the_screenshot_helper_reads_a_blank_png_as_blank():
    """The non-blank check above means something: one colour everywhere is one distinct row."""
    raw = b"".join(b"\x00" + b"\xff\xff\xff" * 4 for _ in range(3))
    png = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 3, 8, 2, 0, 0, 0))
           + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b""))
    assert png_size_and_colours(png) == (4, 3, 1)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

