"""The sizes that model-summary tools print, each under its tool's own definition.

    input size                   the input, in bytes (batch 1)
    params size                  the parameters in bytes; Keras: with batch norm's statistics
    forward/backward pass size   torchinfo: 2 x the output bytes of every layer that has parameters
                                 torchsummary: 2 x the output bytes of every module (functions such
                                 as add and flatten are not modules, and are not counted)
    estimated total size         input + forward/backward + params
    non-trainable params         frozen parameters (a spec has none); Keras: batch norm's moving
                                 mean and variance, which Keras also counts in its total params

torchinfo's MB are 10^6 bytes; torchsummary's "MB" are MiB (summaries.py reads them so);
Keras' KB are KiB.
"""

from __future__ import annotations

from nnarith.analysis.report import DTYPE_BYTES
from nnarith.check.truth import KERAS_STATISTICS, Truth, Truths, statistics
from nnarith.check.vocabulary import FUNCTIONAL


def _forward_backward(truths: Truths, tool: str | None, per: int) -> tuple[int, str] | None:
    rows = truths.report.rows
    if tool == "torchsummary":
        n = sum(r.activations for r in rows if r.kind not in FUNCTIONAL)
        return 2 * n * per, f"torchsummary's: 2 x {n:,} output elements of every module x {per} bytes"
    if tool in (None, "torchinfo"):
        n = sum(r.activations for r in rows if r.params)
        return 2 * n * per, (f"torchinfo's: 2 x {n:,} output elements of the layers with parameters x {per} "
                             "bytes")
    return None


def summary_truth(truths: Truths, figure: str, tool: str | None) -> Truth | None:
    report = truths.report
    t, per = report.totals, DTYPE_BYTES[report.dtype]
    stats = statistics(report.rows) if tool == "keras" else 0
    keras = KERAS_STATISTICS
    if figure == "params":  # Keras' total
        return Truth(t.params, f"{t.weights:,} weights + {t.biases:,} biases = {t.params:,}",
                     others=[(t.params + stats, keras, f"{t.params:,} + {stats:,} moving mean and variance = "
                                                       f"{t.params + stats:,}")] if stats else [])
    if figure == "trainable":
        return Truth(t.params, f"{t.weights:,} weights + {t.biases:,} biases = {t.params:,}")
    if figure == "non_trainable":
        return Truth(0, "a spec freezes no parameters",
                     others=[(stats, keras, f"{stats:,} moving mean and variance")] if stats else [])
    if figure == "input_size":
        return Truth(report.input_bytes,
                     f"{report.input.numel:,} input elements x {per} bytes = {report.input_bytes:,}")
    if figure in ("params_size", "trainable_size", "non_trainable_size"):
        n = {"params_size": t.params, "trainable_size": t.params, "non_trainable_size": 0}[figure]
        kib = f" = {n * per / 1024:,.2f} KiB (Keras' KB are KiB)" if tool == "keras" else ""
        truth = Truth(n * per, f"{n:,} x {per} bytes = {n * per:,} bytes{kib}")
        if stats and figure != "trainable_size":
            truth.others.append(((n + stats) * per, keras,
                                 f"({n:,} + {stats:,}) x {per} bytes = {(n + stats) * per:,}"))
        return truth
    fb = _forward_backward(truths, tool, per)
    if figure == "forward_backward_size":
        return Truth(fb[0], f"{fb[1]} = {fb[0]:,} bytes") if fb else None
    if figure == "total_size" and fb:
        total = report.input_bytes + fb[0] + (t.params + stats) * per
        return Truth(total, f"input {report.input_bytes:,} + forward/backward {fb[0]:,} + params "
                            f"{(t.params + stats) * per:,} = {total:,} bytes")
    return None


def torchinfo_macs(truths: Truths, target) -> Truth | None:
    """MACs, and torchinfo's mult-adds: a convolution's bias adds counted, and the parameters of a layer
    that is not a convolution (batch norm's scale and shift) counted as its mult-adds."""
    rows = truths.report.rows if target.kind == "total" else target.rows
    truth = truths.truth(target, "macs")
    theirs = sum(r.macs + (r.shape.numel if r.biases else 0) if r.kind in ("conv", "deconv") else r.params
                 for r in rows)
    if truth is not None and theirs != truth.value:
        truth.others.append((theirs, "torchinfo's mult-adds, which count a convolution's bias adds, and the "
                             "parameters of a layer that is not one (batch norm's scale and shift, a linear "
                             "layer's biases)", f"{theirs:,} by torchinfo's definition"))
    return truth
