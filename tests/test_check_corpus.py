"""nnarith check on published documents (tests/corpus): the layouts people publish, read.

Each document's expected verdicts (NAME.verdicts.yaml) were derived by hand arithmetic or
from the figure its publisher printed; benchmarks/check_corpus.py prints how many nnarith
matches. Here: that every document is read, and the facts the issue names hold."""

from __future__ import annotations

import pytest

from tests.corpus_verdicts import DOCUMENTS, HELDOUT, HELDOUT2, compare

EVERY = DOCUMENTS + HELDOUT + HELDOUT2


@pytest.mark.parametrize("doc", EVERY, ids=[str(d.path.relative_to(d.path.parents[1])) for d in EVERY])
def test_every_document_is_read(doc):
    """Each document's figures are read and judged, nothing ends in an error."""
    outcome = compare(doc)
    assert not outcome.error, outcome.error
    assert outcome.right > 0


def by_name(name):
    return compare(next(d for d in DOCUMENTS if d.name == name)).result


def test_the_cs231n_slide_table_pasted_verbatim():
    """Tabs, labels without a colon, $...$: 44 row figures checked, only the 24M total flagged."""
    result = by_name("slides_cs231n_vgg16.txt")
    rows = [i for i in result.items if not i.what.startswith("total")]
    assert len(rows) == 22 * 2
    assert [(i.what, i.stated) for i in result.items if i.status == "wrong"] == [
        ("total memory", "24M * 4 bytes ~= 96MB")]
    assert next(i for i in result.items if i.what == "total params").status == "ok"


def test_googlenet_table_aligns_and_flags_conv1():
    result = by_name("paper_googlenet_table1.md")
    conv1 = {i.what: i for i in result.items if i.what.startswith("conv1 ")}
    assert conv1["conv1 params"].status == "wrong" and conv1["conv1 params"].expected == 7 * 7 * 3 * 64 + 64
    assert conv1["conv1 MACs"].status == "wrong" and conv1["conv1 MACs"].expected == 112 * 112 * 64 * 7 * 7 * 3
    names = [i.what.split()[0] for i in result.items if i.what.endswith(" output")]
    assert names[:4] == ["conv1", "pool1", "conv2_reduce..conv2", "pool2"]  # 'depth 2': a two-layer stage
    assert "inception3a" in names and names[names.index("inception3a") + 2] == "pool3"  # no cascade
    ops = next(i for i in result.items if i.what == "inception4a MACs")  # 73M for 73,608,192
    assert ops.status == "note" and "truncated" in ops.note


def test_resnet_table_rows_and_columns():
    result = by_name("paper_resnet_table1.md")
    stages = {i.what for i in result.items if i.what.endswith("arch")}
    assert {"18-layer: layer1 (conv2_x) arch", "152-layer: layer4 (conv5_x) arch"} <= stages
    flops = {i.what: i.status for i in result.items if i.what.endswith("FLOPs")}
    assert flops["18-layer FLOPs"] == "note"  # multiply-adds, under a FLOPs heading
    assert flops["50-layer FLOPs"] == "wrong"  # the paper's v1 (3.8) against torchvision's v1.5 (4.09)


def test_a_table_of_models_without_a_spec():
    result = by_name("docs_torchvision_weights.md")
    assert len(result.networks) >= 15
    inception = next(i for i in result.items if i.what.startswith("Inception_V3") and "params" in i.what)
    assert inception.status == "note" and "training-only heads" in inception.note


def test_torchinfo_tree_and_totals():
    result = by_name("tool_torchinfo_resnet18.txt")
    down = next(i for i in result.items if i.line == 31 and i.what.endswith("params"))  # Sequential: 3-18
    assert down.status == "ok" and down.expected == 128 * 64 + 2 * 128
    fb = next(i for i in result.items if "forward/backward" in i.what)
    assert fb.status == "ok" and fb.expected == 39_747_392
