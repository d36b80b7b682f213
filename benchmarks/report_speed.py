"""Speed and size of `nnarith report`'s page. Prints, per spec, the whole process's time (as a user runs it), the
page's own part in this process (the table, the totals and the working, without the pictures), each picture's
drawing, and the page's size; asserts nothing.

    python benchmarks/report_speed.py [--runs 3] [--spec vgg16 --spec resnet152 ...]
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
SPECS = ("vgg16", "resnet50", "googlenet", "resnet152", "densenet121")


def timed(run, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def process(spec: str, runs: int) -> tuple[list[float], int]:
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "page.html"
        times = timed(lambda: subprocess.run([sys.executable, "-m", "nnarith", "report", spec, "-o", str(page)],
                                             cwd=ROOT, check=True, capture_output=True), runs)
        return times, page.stat().st_size


def in_process(spec: str, runs: int) -> dict[str, list[float]]:
    from nnarith.analysis.walk import analyze
    from nnarith.loader import load_spec
    from nnarith.pictures.dot import diagram_svg
    from nnarith.pictures.page import page_html
    from nnarith.pictures.plot import figure_svg
    from nnarith.render.tree import default_depth

    net = load_spec(spec)
    report = analyze(net)
    depth = default_depth(report.rows)
    return {"page without pictures": timed(lambda: page_html(report, depth), runs),
            "diagram (graphviz)": timed(lambda: diagram_svg(net, report), runs),
            "charts (matplotlib)": timed(lambda: figure_svg(report, None, None, net=net), runs)}


def show(label: str, times: list[float]) -> str:
    return f"  {label:<28} median {statistics.median(times):.3f} s, best {min(times):.3f} s ({len(times)} runs)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spec", action="append", help="a spec to time (repeatable); by default " + ", ".join(SPECS))
    args = parser.parse_args()
    for spec in args.spec or SPECS:
        times, size = process(spec, args.runs)
        print(f"{spec}: page {size / 1000:.0f} kB")
        print(show(f"nnarith report {spec}", times))
        for label, parts in in_process(spec, args.runs).items():
            print(show(label, parts))


if __name__ == "__main__":
    main()
