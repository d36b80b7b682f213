"""A network's depth as papers count it: the layers with weights on its longest path.

VGG-16 has 16 (13 convolutions, 3 fully connected), ResNet-50 50, GoogLeNet 22 ("22 layers deep
when counting only layers with parameters"). Layers in sequence add; the branches of a merge
(add, concat, mul) run side by side, so a merge counts its deepest branch; batch norm, pooling and
activations have no weights of their own that papers count (Traits.weighted, layers/base.py), and
training-only heads are not on the path from input to output.
"""

from __future__ import annotations

from nnarith.loader.nodes import Aux, Leaf, Merge, Network, Seq, Visitor


class _Depth(Visitor):
    def leaf(self, node: Leaf) -> int:
        return int(node.layer.weighted)

    def seq(self, node: Seq) -> int:
        return sum(self.visit(child) for child in node.children)

    def merge(self, node: Merge) -> int:
        return max((self.visit(b) for b in node.branches), default=0)

    def aux(self, node: Aux) -> int:
        return 0  # a side head: the main path goes on past it


def network_depth(net: Network) -> int:
    """Weighted layers on the longest path from input to output."""
    return _Depth().visit(net.body)
