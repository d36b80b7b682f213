"""Speed of `nnarith memory` (issue 14: `nnarith memory resnet50 --training --optimizer adam --batch 64
--fits 80GiB` well under a second, without torch). Prints the whole process's time, and the analysis's
own (in this process, the spec already loaded); asserts nothing.

    python benchmarks/memory_speed.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ARGS = ["memory", "resnet50", "--training", "--optimizer", "adam", "--batch", "64", "--fits", "80GiB"]


def process(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "nnarith", *ARGS], cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def analysis(runs: int) -> list[float]:
    from nnarith.analysis import liveness
    from nnarith.analysis.walk import analyze
    from nnarith.loader import load_spec

    net = load_spec("resnet50")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        report = analyze(net, batch=64)
        liveness.inference(net, report)
        liveness.training(net, report, "adam")
        liveness.largest_batch(liveness.peak_function(net, report, True, "adam"), 80 * 2 ** 30)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    print(f"nnarith {' '.join(ARGS)}")
    for label, times in (("whole process", process(runs)), ("analysis, fits included", analysis(runs))):
        print(f"  {label:<24} median {statistics.median(times):.3f} s, best {min(times):.3f} s ({runs} runs)")


if __name__ == "__main__":
    main()
