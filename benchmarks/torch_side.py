"""The PyTorch side's speed: verify every shipped spec in one process (budget: 2 minutes on
2 CPU cores), and `nnarith bench resnet18 --batch 2` on the CPU (budget: 1 minute). With a
CUDA GPU it also runs the issue's GPU matrix: ResNet-50 and VGG-16 at batches 1 and 64, fp32
and bf16, inference and training. Prints figures; asserts nothing.

    python benchmarks/torch_side.py [--gpu-only] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import sysconfig
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NNARITH = str(Path(sysconfig.get_path("scripts")) / "nnarith")


def timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    r = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
    return time.perf_counter() - start, r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gpu-only", action="store_true", help="skip the CPU timings")
    parser.add_argument("--json", help="also write the GPU results here")
    args = parser.parse_args()
    import torch

    print(f"{date.today()}  torch {torch.__version__}  python {sys.version.split()[0]}")
    if not args.gpu_only:
        specs = sorted(p.stem for p in (ROOT / "specs").glob("*.yaml"))
        seconds, r = timed([NNARITH, "verify", *specs])
        passed = r.stdout.count(": PASSED")
        print(f"nnarith verify <all {len(specs)} shipped specs>: {seconds:.1f} s, {passed} passed, exit {r.returncode}")
        seconds, r = timed([NNARITH, "bench", "resnet18", "--batch", "2", "--device", "cpu"])
        print(f"nnarith bench resnet18 --batch 2 --device cpu: {seconds:.1f} s, exit {r.returncode}")
        print(r.stdout)
    if not torch.cuda.is_available():
        print("no CUDA device: the GPU matrix was not run")
        return
    results = []
    for spec in ("resnet50", "vgg16"):
        seconds, r = timed([NNARITH, "bench", spec, "--device", "cuda", "--batch", "1,64", "--dtype", "fp32,bf16",
                            "--mode", "inference,training", "--format", "json"])
        doc = json.loads(r.stdout)
        results.append(doc)
        print(f"{doc['name']} on {doc['device']} ({seconds:.0f} s); peak {doc['peak_tflops']} TFLOP/s")
        for x in doc["results"]:
            frac = f"{x['fraction_of_peak']:.1%}" if x["fraction_of_peak"] is not None else "-"
            print(f"  {x['mode']:<9} {x['dtype']:<4} batch {x['batch']:>3}: {x['ms_median']:9.3f} ms "
                  f"(IQR {x['ms_spread']:.3f}), {x['images_per_s']:10.1f} img/s, "
                  f"{x['tflops']:8.2f} TFLOP/s ({frac}), peak {x['peak_memory_bytes'] / 2**20:9.1f} MiB "
                  f"vs predicted {x['predicted_memory_bytes'] / 2**20:9.1f} MiB")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
