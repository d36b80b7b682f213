"""Every layer kind, registered once in REGISTRY by importing its module."""

from nnarith.layers import (  # noqa: F401
    activation,
    conv,
    linear,
    local,
    norm,
    pool,
    recurrent,
    resize,
    scale,
    shape_ops,
)
from nnarith.layers.base import REGISTRY, Layer, Out, Shape

__all__ = ["REGISTRY", "Layer", "Out", "Shape"]
