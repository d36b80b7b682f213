"""Speed of evaluating one spec for many values of one argument (issue 16: `solve` on a 50-layer network
answers within a second, over some 20 to 40 evaluations). A Template reads the YAML once and expands it
per value; load_spec reads it again each time. Also ResNet-152's shipped spec, expanded and analysed once,
for scale. Prints the times; asserts nothing.

    python benchmarks/spec_args_speed.py [--runs 5] [--evaluations 40]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# 50 layers with weights: 48 hidden fc + sigmoid pairs between the input and output layers
SPEC = """name: deep MLP
args: {depth: 48, width: 2048}
input: [429]
blocks:
  hidden:
    layers: [fc: $width, sigmoid]
layers:
  - fc: $width
  - sigmoid
  - hidden: {repeat: $depth}
  - fc: 9304
"""


def widths(evaluations: int) -> list[int]:
    return [64 + 97 * i for i in range(evaluations)]


Timed = tuple[float, list[int]]  # seconds, and the figures computed (the weights of each width)


def with_template(path: str, evaluations: int) -> Timed:
    from nnarith.analysis.walk import analyze
    from nnarith.loader import load_template

    start = time.perf_counter()
    template = load_template(path)
    figures = [analyze(template.network({"width": width})).totals.weights for width in widths(evaluations)]
    return time.perf_counter() - start, figures


def reloading(path: str, evaluations: int) -> Timed:
    from nnarith.analysis.walk import analyze
    from nnarith.loader import load_spec

    start = time.perf_counter()
    figures = [analyze(load_spec(path, sets={"width": width})).totals.weights for width in widths(evaluations)]
    return time.perf_counter() - start, figures


def resnet152(path: str, evaluations: int) -> Timed:
    from nnarith.analysis.walk import analyze
    from nnarith.loader import load_template

    template = load_template("resnet152")
    start = time.perf_counter()
    figures = [analyze(template.network()).totals.weights]
    return time.perf_counter() - start, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--evaluations", type=int, default=40)
    options = parser.parse_args()
    reference = time.perf_counter()
    sum(range(10 ** 6))
    print(f"machine speed reference: sum(range(10**6)) in {1000 * (time.perf_counter() - reference):.1f} ms")
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "mlp.yaml")
        Path(path).write_text(SPEC)
        n = options.evaluations
        seen = {}
        for label, measure in ((f"Template, {n} widths, analysed", with_template),
                               (f"load_spec each time, {n} widths", reloading),
                               ("resnet152, one expansion and analysis", resnet152)):
            runs = [measure(path, n) for _ in range(options.runs)]
            times = [t for t, _ in runs]
            seen[measure] = runs[0][1]
            print(f"  {label:<40} median {statistics.median(times):.3f} s, best {min(times):.3f} s "
                  f"({options.runs} runs)")
        print(f"  the two ways give the same weights for every width: {seen[with_template] == seen[reloading]}")


if __name__ == "__main__":
    main()
