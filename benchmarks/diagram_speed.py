"""Speed of `nnarith diagram` (issue 15: `nnarith diagram resnet50 -o r.svg` under 3 s, whole process). Prints the
whole process's time for DOT, SVG and PNG, and in this process the graph and its DOT text (the spec loaded and
analysed) and Graphviz's drawing; asserts nothing.

    python benchmarks/diagram_speed.py [--runs 5] [--spec resnet50]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def process(spec: str, suffix: str, runs: int) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "nnarith", "diagram", spec, "-o", f"{folder}/d.{suffix}"], cwd=ROOT,
                           check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return times


def in_process(spec: str, runs: int) -> tuple[list[float], list[float]]:
    from nnarith.analysis.walk import analyze
    from nnarith.loader import load_spec
    from nnarith.pictures.dot import diagram_dot, render

    net = load_spec(spec)
    report = analyze(net)
    graph_times, draw_times = [], []
    for _ in range(runs):
        start = time.perf_counter()
        dot, _ = diagram_dot(net, report)
        graph_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        render(dot, "svg")
        draw_times.append(time.perf_counter() - start)
    return graph_times, draw_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--spec", default="resnet50")
    args = parser.parse_args()
    graph, draw = in_process(args.spec, args.runs)
    results = [(f"nnarith diagram {args.spec} -o d.{suffix}", process(args.spec, suffix, args.runs))
               for suffix in ("dot", "svg", "png")]
    results += [("graph and DOT text, in process", graph), ("dot's SVG drawing, in process", draw)]
    for label, times in results:
        print(f"  {label:<36} median {statistics.median(times):.3f} s, best {min(times):.3f} s ({args.runs} runs)")


if __name__ == "__main__":
    main()
