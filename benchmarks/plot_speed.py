"""Speed of `nnarith plot` (issue 15: `nnarith plot vgg16 -o v.png` under 3 s, the whole process). Prints the
whole process's time for a few specs and formats, and, in this process, the parts: importing matplotlib, the
chart data (analysis and training memory model included) and the drawing; asserts nothing.

    python benchmarks/plot_speed.py [--runs 5]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RUNS = [("vgg16", "v.png", ()), ("vgg16", "v.svg", ()), ("resnet50", "r.pdf", ()), ("resnet152", "r.png", ()),
        ("resnet152", "r.png", ("--depth", "all"))]


def process(spec: str, output: str, extra: tuple[str, ...], runs: int, folder: str) -> tuple[list[float], list[float]]:
    """Wall-clock seconds of each run, and CPU seconds (user + system: less swayed by a busy machine)."""
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "nnarith", "plot", spec, "-o", output, *extra], cwd=folder,
                       check=True, capture_output=True, env={"PYTHONPATH": str(ROOT)})
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return times, cpu


def parts(folder: str) -> list[tuple[str, float]]:
    start = time.perf_counter()
    from nnarith.pictures import plot
    from nnarith.pictures.charts import charts
    from nnarith.pictures.metrics import METRICS

    imported = time.perf_counter()
    from nnarith.analysis.walk import analyze
    from nnarith.loader import load_spec

    net = load_spec("vgg16")
    data = charts(analyze(net), net)
    computed = time.perf_counter()
    plot.write(data, list(METRICS), str(Path(folder) / "v.png"), "png")
    drawn = time.perf_counter()
    return [("import matplotlib and plot.py", imported - start), ("vgg16's chart data", computed - imported),
            ("vgg16's drawing, PNG", drawn - computed)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        print("whole process")
        for spec, output, extra in RUNS:
            times, cpu = process(spec, output, extra, runs, folder)
            command = " ".join(["nnarith plot", spec, "-o", output, *extra])
            print(f"  {command:<44} median {statistics.median(times):.2f} s, best {min(times):.2f} s, CPU median "
                  f"{statistics.median(cpu):.2f} s ({runs} runs)")
        print("in this process, once")
        for label, seconds in parts(folder):
            print(f"  {label:<44} {seconds:.3f} s")


if __name__ == "__main__":
    main()
