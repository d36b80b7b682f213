"""What one training step holds besides the activations, by formula, and the saved bytes per layer.

- gradients: one per trainable parameter, in the parameters' dtype;
- optimizer state: fp32 slots per parameter (SGD none, momentum its buffer, Adam and AdamW
  exp_avg and exp_avg_sq), and for Adam and AdamW a `step` per parameter tensor, which
  PyTorch keeps as a 0-dim fp32 tensor (4 bytes) once the first step has run;
- saved for backward: the memory model's saved buffers (memory.py), each counted once, at the
  row that keeps it first (in the report's order).
"""

from __future__ import annotations

from nnarith.analysis.memory import FIXED_BYTES, Buffer, Memory
from nnarith.layers.base import ACT

FP32 = 4
SLOTS = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}  # fp32 tensors the optimizer keeps per parameter
STEP_BYTES = {"adam": FP32, "adamw": FP32}  # one scalar step tensor per parameter tensor


def gradient_bytes(params: int, itemsize: int = FP32) -> int:
    return params * itemsize


def optimizer_bytes(optimizer: str, params: int, tensors: int = 0) -> int:
    """The state after the first step; `tensors` is the number of parameter tensors (for Adam's steps)."""
    return SLOTS[optimizer] * params * FP32 + STEP_BYTES.get(optimizer, 0) * tensors


def buffer_bytes(b: Buffer, batch: int, itemsize: int = FP32) -> int:
    each = itemsize if b.dtype == ACT else FIXED_BYTES[b.dtype]
    return b.count * b.numel * each * (batch if b.per_image else 1)


def saved_per_row(memory: Memory, batch: int, itemsize: int = FP32) -> dict[str, int]:
    """Bytes saved for backward at each row that keeps a buffer first (a training model's)."""
    rows: dict[str, int] = {}
    for b in memory.saved:
        rows[b.saved_by[0]] = rows.get(b.saved_by[0], 0) + buffer_bytes(b, batch, itemsize)
    return rows
