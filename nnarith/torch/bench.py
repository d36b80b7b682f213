"""Benchmark a spec's model on the GPU, or on the CPU where there is none.

Timing: warm-up runs, then repeated runs timed with CUDA events after a synchronisation (or
perf_counter on the CPU); we report the median and the interquartile range. cuDNN autotuning
is on, 2-D convnets run channels_last, fp16 and bf16 run under autocast, inference under
torch.inference_mode(). Training times forward + backward + an SGD step, and counts its work
as 3 x the forward FLOPs (the backward pass costs about twice the forward).
The device's peak is measured, not looked up: a large matmul in the same dtype.
"""

from __future__ import annotations

import platform
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import torch

from nnarith.analysis import liveness, memory
from nnarith.analysis.memory import Memory
from nnarith.analysis.report import Report
from nnarith.analysis.walk import analyze
from nnarith.loader import load_spec
from nnarith.loader.nodes import Network
from nnarith.text import visible
from nnarith.torch import guard
from nnarith.torch.builder import build_with_report
from nnarith.torch.saved import one_value_per_channel
from nnarith.torch.token_modules import sample_input

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
TRAINING_FLOPS = 3  # forward + backward, per forward FLOP
OPTIMIZER = "sgd"  # training's step: plain SGD, which keeps no state
TRAINING_NOTE = ("training's predicted memory is the peak of a step in nnarith's memory model (nnarith memory "
                 "--training): the weights, the gradients (plain SGD keeps no state), the tensors saved for backward "
                 "and the activations' gradients alive at once; it leaves out autocast's casts and the copies made "
                 "where training runs in-place ops out of place")


@dataclass
class Result:
    batch: int
    dtype: str
    mode: str
    ms_median: float
    ms_spread: float  # interquartile range of the timed runs
    images_per_s: float
    tflops: float  # achieved, from the analytic FLOPs
    fraction_of_peak: float | None  # None where the model outran the calibration (no meaningful peak)
    peak_memory_bytes: int
    # nnarith's memory model's peak (analysis/liveness.py). Inference: weights and buffers (fp32) + the
    # activations alive at once. Training: a step's peak with SGD, forward or backward.
    predicted_memory_bytes: int
    runs: int


@dataclass
class Benchmark:
    name: str
    device: str
    fallback: str | None  # one plain line when CUDA was wanted or absent and the CPU ran instead
    memory_measure: str
    peak_tflops: dict[str, float] = field(default_factory=dict)
    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def json(self) -> dict:
        return {"schema": "nnarith.bench/1", "name": self.name, "device": self.device, "fallback": self.fallback,
                "memory_measure": self.memory_measure, "peak_tflops": self.peak_tflops,
                "results": [asdict(r) for r in self.results], "notes": self.notes}


def choose_device(wanted: str) -> tuple[torch.device, str, str | None]:
    """The device, its name, and the fallback line if we fell back to the CPU."""
    if wanted in ("auto", "cuda") and torch.cuda.is_available():
        return torch.device("cuda"), torch.cuda.get_device_name(), None
    why = "CUDA was asked for but is not available" if wanted == "cuda" else "no CUDA device is available"
    fallback = None if wanted == "cpu" else f"{why}: benchmarking on the CPU instead"
    return torch.device("cpu"), _cpu_name(), fallback


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    return f"{name} ({torch.get_num_threads()} threads)"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} CPU ({torch.get_num_threads()} threads)"


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _time(step: Callable[[], object], device: torch.device, warmup: int, min_runs: int,
          min_seconds: float) -> list[float]:
    """Milliseconds of each timed run of `step`."""
    for _ in range(warmup):
        step()
    _sync(device)
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - started < min_seconds:
        if device.type == "cuda":
            begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            begin.record()
            step()
            end.record()
            torch.cuda.synchronize()
            times.append(begin.elapsed_time(end))
        else:
            t = time.perf_counter()
            step()
            times.append((time.perf_counter() - t) * 1e3)
        if len(times) >= 10 * min_runs:
            break
    return times


def peak_tflops(device: torch.device, dtype: str) -> float:
    """Measured peak: a large square matmul in this dtype."""
    n = 8192 if device.type == "cuda" else 1024
    a = torch.randn(n, n, device=device, dtype=DTYPES[dtype])
    b = torch.randn(n, n, device=device, dtype=DTYPES[dtype])
    ms = statistics.median(_time(lambda: a @ b, device, warmup=3, min_runs=5, min_seconds=0.5))
    return 2 * n**3 / (ms / 1e3) / 1e12


def bench(spec, device: str = "auto", batches: tuple[int, ...] = (1, 8, 64), dtypes: tuple[str, ...] = ("fp32",),
          modes: tuple[str, ...] = ("inference",), on_step: Callable[[str, int], None] | None = None) -> Benchmark:
    """on_step(label, done) is called before each measurement, with how many are done."""
    dev, name, fallback = choose_device(device)
    net = spec if isinstance(spec, Network) else load_spec(spec)
    report = analyze(net)
    guard.buildable(report)
    plan, notes = _plan(report, modes, dtypes, batches)
    models = {"inference": memory.model(net, report), "training": memory.model(net, report, training=True)}
    if "training" in modes:
        notes.append(TRAINING_NOTE)
    available = guard.available_memory(dev)
    for mode, dtype, batch in plan:  # every run is checked before the first one allocates
        _fits(net, report, models, mode, dtype, batch, available)
    model, _ = build_with_report(net, report=report)
    model.to(dev)
    cuda = dev.type == "cuda"
    torch.backends.cudnn.benchmark = True
    channels_last = len(report.input.dims) == 3 and any(isinstance(m, torch.nn.Conv2d) for m in model.modules())
    if channels_last:
        model.to(memory_format=torch.channels_last)
    result = Benchmark(report.name, name, fallback,
                       "torch.cuda.max_memory_allocated" if cuda else "process peak RSS (since start)", notes=notes)
    for dtype in dtypes:
        result.peak_tflops[dtype] = round(peak_tflops(dev, dtype), 3)
    inplace = {m: m.inplace for m in model.modules() if isinstance(getattr(m, "inplace", None), bool)}
    for mode, dtype, batch in plan:
        # Autograd keeps some outputs for the backward pass (sigmoid's, tanh's), and an in-place op
        # after them would overwrite one: training runs with in-place ops turned off.
        for m, on in inplace.items():
            m.inplace = on and mode == "inference"
        if on_step:
            on_step(f"{mode} {dtype} batch {batch}", len(result.results))
        with guard.out_of_memory(_doing(report, mode, dtype, batch)):
            run = _run(model, net, report, models, dev, dtype, mode, batch, channels_last, result.peak_tflops[dtype])
        if run.fraction_of_peak is None:
            note = (f"{dtype}: the model ran faster than the {dtype} matmul calibration "
                    f"({result.peak_tflops[dtype]} TFLOP/s), so that is no peak; fraction not reported")
            if note not in result.notes:
                result.notes.append(note)
        result.results.append(run)
    return result


def _plan(report: Report, modes: tuple[str, ...], dtypes: tuple[str, ...],
          batches: tuple[int, ...]) -> tuple[list[tuple[str, str, int]], list[str]]:
    """The (mode, dtype, batch) runs in order, and a note for each batch changed.

    Batch norm in training mode needs two values per channel: where one layer sees a single
    value per image (a 1x1 map, or features after flatten), batch 1 cannot train, and batch 2,
    the smallest that can, is timed in its place."""
    single = one_value_per_channel(report)
    notes: list[str] = []
    plan = []
    for mode in modes:
        wanted = batches
        if mode == "training" and single and 1 in batches:
            wanted = tuple(dict.fromkeys(2 if b == 1 else b for b in batches))
            note = (f"training at batch 1 is impossible: batch norm '{single.name}' sees one value per channel "
                    f"(its input is {single.input}), and PyTorch cannot normalise one value in training mode; "
                    f"batch 2 is timed instead")
            notes += [note] if note not in notes else []
        plan += [(mode, dtype, batch) for dtype in dtypes for batch in wanted]
    return plan, notes


def _doing(report: Report, mode: str, dtype: str, batch: int) -> str:
    return f"benchmarking {visible(report.file)} ({mode}, {dtype}) at batch {batch}"


def _fits(net: Network, report: Report, models: dict[str, Memory], mode: str, dtype: str, batch: int,
          available: tuple[int, str] | None) -> None:
    counted = ("the step's peak: saved tensors and gradients alive at once" if mode == "training" else
               "the activations alive at once")
    guard.fits(_doing(report, mode, dtype, batch), *_predicted(net, report, models, mode, dtype, batch), counted,
               available)


def _predicted(net: Network, report: Report, models: dict[str, Memory], mode: str, dtype: str,
               batch: int) -> tuple[int, int]:
    """(the weights and buffers, the rest of the peak): the memory model's peak by liveness (analysis/liveness.py),
    of inference, or of a training step with bench's SGD. Under autocast the weights stay fp32."""
    amp = None if dtype == "fp32" else dtype
    at = replace(report, batch=batch, dtype=dtype)
    if mode == "training":
        step = liveness.training(net, at, OPTIMIZER, amp, models[mode], describe=False)
        held = step.weights_bytes + step.buffers_bytes
        return held, step.peak_bytes - held
    run = liveness.inference(net, at, amp, models[mode])
    return run.weights_bytes + run.buffers_bytes, run.peak_bytes


def _run(model, net: Network, report: Report, models: dict[str, Memory], dev: torch.device, dtype: str, mode: str,
         batch: int, channels_last: bool, peak: float) -> Result:
    x = sample_input(report.input.dims, report.input.layout, batch, dev)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    autocast = torch.autocast(dev.type, dtype=DTYPES[dtype], enabled=dtype != "fp32")
    if mode == "training":
        model.train()
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)

        def step() -> None:
            optimizer.zero_grad(set_to_none=True)
            with autocast:
                out = model(x)
            outs = out if isinstance(out, tuple) else (out,)
            sum(o.float().sum() for o in outs).backward()
            optimizer.step()
    else:
        model.eval()

        def step() -> None:
            with torch.inference_mode(), autocast:
                model(x)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
        warmup, min_runs, min_seconds = 10, 30, 1.0
    else:
        warmup, min_runs, min_seconds = 1, 3, 2.0
    times = _time(step, dev, warmup, min_runs, min_seconds)
    ms = statistics.median(times)
    q = statistics.quantiles(times, n=4) if len(times) > 1 else [ms, ms, ms]
    flops = report.totals.flops * batch * (TRAINING_FLOPS if mode == "training" else 1)
    tflops = flops / (ms / 1e3) / 1e12
    if dev.type == "cuda":
        peak_bytes = torch.cuda.max_memory_allocated()
    else:
        peak_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    predicted = sum(_predicted(net, report, models, mode, dtype, batch))
    fraction = round(tflops / peak, 4) if 0 < tflops <= peak else None
    return Result(batch, dtype, mode, round(ms, 4), round(q[2] - q[0], 4), round(batch / (ms / 1e3), 2),
                  round(tflops, 4), fraction, peak_bytes, predicted, len(times))
