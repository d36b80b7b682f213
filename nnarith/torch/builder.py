"""Build a spec as a real torch.nn.Module.

Module names follow the spec's layer names and block paths, so that
`model.get_submodule("layer1.bottleneck1.add1.main.conv1")` is the layer the report
calls by that name. Each leaf comes from its layer kind's own builder (`Layer.torch`), fed
the input shape and the in-place decision of the analysis, as a constructor call (a
Construct): the model is that call built, and `nnarith export` writes the same call.
"""

from __future__ import annotations

from nnarith.analysis.report import Report
from nnarith.analysis.walk import analyze
from nnarith.layers.base import INPLACE
from nnarith.layers.merge import MERGES
from nnarith.loader import load_spec
from nnarith.loader.nodes import Aux, Leaf, Merge, Network, Seq, Visitor, named_leaves
from nnarith.torch import modules
from nnarith.torch.construct import Children, Construct, construct


def build(spec: Network | str, input: tuple[int, ...] | None = None) -> modules.Network:
    """The PyTorch model of a spec (a loaded Network, a file, or a shipped spec's name)."""
    return build_with_report(spec, input)[0]


def build_with_report(spec: Network | str, input: tuple[int, ...] | None = None,
                      report: Report | None = None) -> tuple[modules.Network, Report]:
    net = spec if isinstance(spec, Network) else load_spec(spec, input)
    report = report or analyze(net)
    return network(net, report).build(), report


def network(net: Network, report: Report) -> Construct:
    """The constructor call of a spec's whole model (a modules.Network)."""
    builder = _Builder(report)
    ties = tuple((".".join(path), leaf.layer.args["tie"]) for path, leaf in named_leaves(net.body)
                 if leaf.layer.args.get("tie"))
    # `frozen: true`: the layers whose weights the analysis counts as not trainable (a tied one is its owner's)
    frozen = tuple(r.name for r in report.rows + report.aux_rows
                   if r.kind not in MERGES and r.counts.params and not r.backward.trainable)
    return construct("Network", builder.children(net.body, ()), ties=ties, **({"frozen": frozen} if frozen else {}))


class _Builder(Visitor):
    def __init__(self, report: Report) -> None:
        self.rows = {row.name: row for row in report.rows + report.aux_rows}

    def children(self, seq: Seq, path: tuple[str, ...]) -> Children:
        return Children(tuple((child.name, self.visit(child, path + (child.name,))) for child in seq.children))

    def leaf(self, node: Leaf, here: tuple[str, ...]) -> Construct:
        row = self.rows[".".join(here)]
        return node.layer.torch(row.input, row.storage == INPLACE)

    def seq(self, node: Seq, here: tuple[str, ...]) -> Construct:
        return construct("Sequence", self.children(node, here))

    def aux(self, node: Aux, here: tuple[str, ...]) -> Construct:
        return construct("AuxHead", self.children(node.body, here))

    def merge(self, node: Merge, here: tuple[str, ...]) -> Construct:
        branches = Children(tuple((b.name, self.seq(b, here + (b.name,))) for b in node.branches))
        return MERGES[node.op].torch(branches, self.rows[".".join(here)].into)
