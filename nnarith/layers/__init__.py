"""Every layer kind, registered once in REGISTRY by importing its module."""

from nnarith.layers import activation, attention, conv, linear, norm, pool, recurrent, resize, scale, shape_ops  # noqa: F401
from nnarith.layers.base import REGISTRY, Layer, Out, Shape

__all__ = ["REGISTRY", "Layer", "Out", "Shape"]
