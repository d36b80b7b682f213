"""Every layer kind, registered once in REGISTRY by importing its module."""

from nnarith.layers import (  # noqa: F401
    activation,
    attention,
    conv,
    linear,
    local,
    norm,
    patches,
    pool,
    recurrent,
    resize,
    scale,
    select,
    shape_ops,
    tokens,
    window,
)
from nnarith.layers.base import REGISTRY, Layer, Out, Shape

__all__ = ["REGISTRY", "Layer", "Out", "Shape"]
