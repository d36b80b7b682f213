"""The printed reports add up: rows sum to the printed totals, at every --depth."""

from __future__ import annotations

import pytest

from nnarith.analysis.walk import analyze
from nnarith.loader import load_spec
from nnarith.render.lines import lines
from nnarith.render.table import render_table

SPECS = ["vgg16", "resnet50", "googlenet", "inception_v3", "densenet121", "mobilenet_v2", "conv_autoencoder"]


def table_rows(text: str) -> tuple[list[list[str]], list[str]]:
    """The body rows and the total row of the first table in a rendered report."""
    lines_ = text.splitlines()
    rules = [i for i, line in enumerate(lines_) if line.startswith("─")]
    body = [line.split("  ") for line in lines_[rules[0] + 1 : rules[1]]]
    return [[c.strip() for c in row if c.strip()] for row in body], lines_[rules[1] + 1].split()


@pytest.mark.parametrize("depth", [None, 1, 2, 3])
@pytest.mark.parametrize("name", SPECS)
def test_printed_rows_sum_to_the_printed_total(name, depth):
    report = analyze(load_spec(name))
    text = render_table(report, exact=True, depth=depth)
    body, total = table_rows(text)
    layers = body[1:]  # after the input row; columns: layer, kind, output, params, MACs, memory, ...
    params = sum(int(row[3].replace(",", "")) for row in layers)
    macs = sum(int(row[4].replace(",", "")) for row in layers)
    memory = sum(int(row[5].replace(",", "")) for row in layers if row[5] not in ("in place", "view"))
    assert total[1:4] == [f"{params:,}", f"{macs:,}", f"{memory + report.input_bytes:,}"]
    assert f"{report.totals.params:,}" == total[1] and f"{report.totals.macs:,}" == total[2]
    assert total[3] == f"{report.totals.memory_bytes:,}"


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize("name", SPECS)
def test_collapsed_lines_keep_the_totals_and_unique_names(name, depth):
    report = analyze(load_spec(name))
    shown = lines(report.rows, depth)
    names = [line.name for line in shown]
    assert len(names) == len(set(names))
    assert sum(line.params for line in shown) == report.totals.params
    assert sum(line.macs for line in shown) == report.totals.macs
    assert sum(line.held for line in shown) + report.input.numel == report.totals.activations
    assert all(name.count(".") < depth for name in names)
    assert shown[-1].dims == report.output.dims


def test_human_units():
    from nnarith.render import units

    assert [units.count(n) for n in (0, 760, 1792, 138_357_544, 15_470_264_320)] == [
        "0", "760", "1.79 K", "138.36 M", "15.47 G"]
    assert units.si_bytes(60_950_432) == "60.95 MB" and units.iec_bytes(60_950_432) == "58.13 MiB"
    assert units.si_bytes(999) == "999 B"
