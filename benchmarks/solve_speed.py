"""Speed of `nnarith solve` (issue 16: on a 50-layer network within a second, the whole process). Prints the
whole process's time, the solve's own in this process (the command run by main(), startup excluded) and how many
values the search evaluated; asserts nothing.

    python benchmarks/solve_speed.py [--runs 5]

The networks: the speech DNN of examples/ with 49 hidden layers (50 fc layers), solving its width for the
weights of 10M and 100M, and a 50-conv-layer CNN (conv, batch norm, ReLU) solving its width for params and for
the training step's memory (a liveness walk per value).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CNN = """name: 50-layer CNN
args: {width: 64}
input: [3, 32, 32]
blocks:
  unit: [conv: {out: $width, kernel: 3, pad: 1, bias: false}, bn, relu]
layers:
  - unit: {repeat: 49}
  - gap
  - fc: 10
"""


def runs_of(args: list[str], runs: int) -> tuple[list[float], dict]:
    times, doc = [], {}
    for _ in range(runs):
        start = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "nnarith", *args, "--format", "json"], cwd=ROOT,
                           capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        doc = json.loads(r.stdout)
    return times, doc


def in_process(args: list[str], runs: int) -> list[float]:
    from nnarith.cli import main

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            main(args)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    # The same machine type varies from day to day; this pure-Python reference makes runs comparable.
    reference = min(timeit.repeat("sum(range(10**6))", number=5, repeat=5)) / 5
    print(f"machine speed reference: sum(range(10**6)) takes {reference * 1e3:.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        cnn = Path(tmp) / "cnn50.yaml"
        cnn.write_text(CNN)
        cases = [
            ["solve", "examples/speech_dnn.yaml", "--vary", "width", "--set", "hidden=49", "--target", "weights=10M"],
            ["solve", "examples/speech_dnn.yaml", "--vary", "width", "--set", "hidden=49", "--target", "weights=100M"],
            ["solve", str(cnn), "--vary", "width", "--target", "params=10M", "--multiple-of", "8"],
            ["solve", str(cnn), "--vary", "width", "--target", "training_memory=1GiB", "--batch", "32"],
        ]
        for args in cases:
            times, doc = runs_of(args, runs)
            inside = in_process(args, runs)
            shown = " ".join(a if a != str(cnn) else "cnn50.yaml" for a in args[1:])
            print(f"nnarith solve {shown}")
            print(f"  {doc['vary']} = {doc['value']} ({doc['search']['method']}, {doc['search']['evaluated']} values "
                  f"evaluated)")
            print(f"  whole process median {statistics.median(times):.3f} s, best {min(times):.3f} s; in process "
                  f"median {statistics.median(inside):.3f} s ({runs} runs)")


if __name__ == "__main__":
    main()
