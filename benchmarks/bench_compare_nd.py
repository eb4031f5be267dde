"""Benchmark of the three-way comparison in d = 2: 64² grid points, width m = 4096 (issue: "a
2-D comparison with 64² points and width 4096"), time by route, the kernel flow's cost as a
ratio to one dense ``eigh`` of the same size measured in the same run; and the wall time of the
default 2-D experiment (``ntk-freq run --dim 2``).

    python benchmarks/bench_compare_nd.py          # prints markdown tables for README.md
    python benchmarks/bench_compare_nd.py --quick  # 32² points, m = 1024
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np

import ntk_freq  # noqa: F401
from ntk_freq.experiments import _run as experiments
from ntk_freq.comparison._compare import compare


def eigh_seconds(n: int) -> float:
    """Wall time of one dense symmetric eigendecomposition of an n × n matrix."""
    a = np.random.default_rng(0).normal(size=(n, n))
    a = a + a.T
    t0 = time.perf_counter()
    np.linalg.eigh(a)
    return time.perf_counter() - t0


def main(quick: bool = False):
    n, m = (32, 1024) if quick else (64, 4096)
    # 30 steps keep the benchmark short (300 steps were refused by an older, too strict
    # training budget); the network's training time scales with the steps
    settings = dict(experiments.EXPERIMENTS["default-2d"], n_points=n, width=m, steps=30,
                    eta=10.0)
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    cmp = compare(**settings, progress=False)
    total = time.perf_counter() - t0
    t_eigh = eigh_seconds(n**2)
    print(f"2-D comparison, {n}² = {n**2} points, width m = {m}, {settings['steps']} steps "
          f"(float32), ξ grid {settings['n_xi']}², total {total:.1f} s\n")
    print("| ρ_w | kernel flow (s) | kernel / dense eigh | PDE (E3) (s) | network (s) |")
    print("|---|---|---|---|---|")
    for r in cmp.results:
        s = r.seconds
        print(f"| {r.rho} | {s['kernel']:.1f} | {s['kernel'] / t_eigh:.2f} | {s['pde_e3']:.1f} | "
              f"{s['nn']:.1f} |")
    print(f"\none dense eigh of {n**2} × {n**2}: {t_eigh:.1f} s")
    t0 = time.perf_counter()
    compare(**experiments.EXPERIMENTS["default-2d"], progress=False)
    print(f"default 2-D experiment (compare only, no figures): {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
