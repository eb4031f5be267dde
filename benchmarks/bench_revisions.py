"""The main job and the start-up of this checkout against another revision, measured in one run.

Each case runs in a fresh process with ``PYTHONPATH`` set to a source tree (this checkout, or
``--baseline``, a checkout of another revision, e.g. ``git worktree add /tmp/base v0.1.0``),
alternating the two trees ``--repeats`` times so that load changes hit both alike. Cases:
``ntk-freq run`` with its defaults (the main job: import, theory routes, training, figures and
files; the persistent compilation cache off, so each run compiles), ``import ntk_freq`` and
``ntk-freq --help``. Reports the median wall and CPU seconds (children included) per tree and
their ratio this/baseline; prints a markdown table.

    python benchmarks/bench_revisions.py --baseline /tmp/base [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
CASES = {
    "ntk-freq run (defaults)": ["-m", "ntk_freq.cli", "run", "--quiet", "--out", "{out}"],
    "import ntk_freq": ["-c", "import ntk_freq"],
    "ntk-freq --help": ["-m", "ntk_freq.cli", "--help"],
}


def measure(tree: Path, args: list) -> tuple[float, float]:
    """(wall, CPU) seconds of one fresh process running ``args`` on the sources in ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "JAX_COMPILATION_CACHE_DIR": ""}
    with tempfile.TemporaryDirectory() as out:
        argv = [sys.executable, *(a.format(out=out) for a in args)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(argv, env=env, cwd=out, check=True, capture_output=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    trees = {"this": HERE, "baseline": args.baseline.resolve()}
    print("| case | tree | wall s (median) | CPU s (median) |")
    print("|---|---|---|---|")
    for case, argv in CASES.items():
        runs = {name: [] for name in trees}
        for _ in range(args.repeats):
            for name, tree in trees.items():
                runs[name].append(measure(tree, argv))
        med = {name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r))
               for name, r in runs.items()}
        for name in trees:
            print(f"| {case} | {name} | {med[name][0]:.2f} | {med[name][1]:.2f} |")
        print(f"| {case} | ratio this/baseline | {med['this'][0] / med['baseline'][0]:.3f} | "
              f"{med['this'][1] / med['baseline'][1]:.3f} |")


if __name__ == "__main__":
    main()
