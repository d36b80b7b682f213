"""What the PyTorch side refuses before it builds or runs a model, and how it says so.

A spec is arithmetic: it may describe a layer of 10**22 channels or a batch of a million
images. PyTorch would overflow a C++ int64, or ask the OS for terabytes and be killed without
a word; nnarith knows the sizes beforehand, so it checks them first and says what it found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from nnarith.analysis.report import Report
from nnarith.errors import NnarithError, SpecError, UsageError
from nnarith.render import units
from nnarith.text import scientific

FP32 = 4  # parameters and buffers are built in fp32
INT64 = 2**63 - 1  # PyTorch sizes a tensor's storage in bytes with an int64


class TooLarge(NnarithError):
    """A model or batch that does not fit in the memory available (exit 2)."""


def size(n: int) -> str:
    """Bytes with a decimal prefix, or scientific notation past the largest (exact at any size)."""
    return units.si_bytes(n)


def require_device(device: str) -> None:
    """Refuse a device this PyTorch cannot use, in one line."""
    if device == "cuda" and not torch.cuda.is_available():
        why = (f"this PyTorch ({torch.__version__}) was built without CUDA" if not torch.backends.cuda.is_built()
               else "no CUDA device is available")
        raise UsageError(f"--device cuda: {why}; run on the CPU with --device cpu")


def buildable(report: Report, run: bool = True) -> None:
    """Every tensor the model holds, and with `run` every output, fits PyTorch's int64 sizes
    (located at the first that does not). Printing source needs no outputs."""
    for row in report.rows + report.aux_rows:
        counts = [("weights", row.weights), ("biases", row.biases), ("buffer elements", row.buffers)]
        for what, count in counts + ([("output elements per image", row.activations)] if run else []):
            if count * FP32 > INT64:
                cannot = "run" if what.startswith("output") else "build"
                raise SpecError(f"{_count(count)} {what} are more than one PyTorch tensor can hold "
                                f"(2^63 - 1 bytes)", row.loc, layer=row.name,
                                hint=f"nnarith shape and calc give its figures; PyTorch cannot {cannot} it")


def _count(n: int) -> str:
    return f"{n:,}" if n < 10**27 else scientific(n)


def available_memory(device: torch.device) -> tuple[int, str] | None:
    """Bytes free for the model, and where the figure comes from; None where it cannot be read."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0], "free on the GPU (torch.cuda.mem_get_info)"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024, "MemAvailable in /proc/meminfo"
    except (OSError, ValueError, IndexError):
        pass
    return None  # not Linux: no check, as before


def predicted_bytes(report: Report, batch: int, itemsize: int = FP32, training: bool = False) -> tuple[int, int]:
    """(parameters and buffers in fp32, activations at this batch): nnarith's prediction.

    Training runs the auxiliary heads too; inference does not."""
    held = report.totals.params + report.totals.buffers + report.aux_totals.params + report.aux_totals.buffers
    activations = report.totals.activations + (report.aux_totals.activations if training else 0)
    return held * FP32, activations * itemsize * batch


def live_bytes(report: Report, batch: int, itemsize: int = FP32) -> int:
    """At least what inference holds at once: the input batch, and a layer's input and output
    while it runs (its input uncounted in the first top-level layer or block, where it may be
    the input batch itself). Inference frees the rest as it goes, so the sum would refuse
    batches that fit."""
    first = report.rows[0].path[0] if report.rows else None
    x = report.input.numel
    peak = max((x + (r.input.numel if r.input and r.path[0] != first else 0) + r.held for r in report.rows),
               default=x)
    return peak * itemsize * batch


def fits(what: str, model: int, activations: int, counted: str, available: tuple[int, str] | None,
         at_least: bool = False) -> None:
    """Refuse before allocating when nnarith's prediction exceeds the memory available."""
    if available is None or model + activations <= available[0]:
        return
    fix = ("the parameters alone do not fit; nnarith shape and calc give its figures without building it"
           if model > available[0] else "use a smaller --batch")
    raise TooLarge(f"{what} needs {'at least' if at_least else 'about'} {size(model + activations)} (nnarith's "
                   f"prediction: parameters and buffers {size(model)} + activations {size(activations)}: "
                   f"{counted}), but {size(available[0])} of memory is available ({available[1]}); {fix}")


@contextmanager
def out_of_memory(what: str) -> Iterator[None]:
    """An allocation that fails anyway (a ulimit, a cgroup, other processes) is said in one line."""
    try:
        yield
    except torch.OutOfMemoryError:
        raise TooLarge(f"{what} ran out of memory on the GPU; use a smaller --batch") from None
    except RuntimeError as e:
        if "can't allocate memory" not in str(e) and "not enough memory" not in str(e):
            raise
        asked = re.search(r"allocate (\d+) bytes", str(e))
        how = f"PyTorch could not allocate {size(int(asked[1]))} more" if asked else str(e).splitlines()[0]
        raise TooLarge(f"{what} ran out of memory: {how}; use a smaller --batch") from None
