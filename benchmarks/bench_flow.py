"""Kernel flow on uniform grids: the structured route (FFT mat-vecs + Lanczos,
:mod:`ntk_freq.structured`) against the dense eigendecomposition at the same N, in one run.

    python benchmarks/bench_flow.py [--quick]

The problem is the comparison's (Gaussian ρ_w, s = 3, σ_a = 0.5, part "full", D = [−10, 10]^d
cell-centred grid, u₀ a windowed sine, η = 0.25, 600 steps, 25 snapshots): each route computes
the stability limit 2/λ_max, the flow at the 25 times and the GD map at the 25 step counts.
"diff" is max |u_structured − u_dense| over both, relative to max |u₀|. CPU seconds
(``time.process_time``, all threads) and wall seconds; the ratios are dense / structured.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ntk_freq.problem import snapshot_times
from ntk_freq.distributions._spec import distribution
from ntk_freq.data._fourier import midpoint_grid
from ntk_freq.kernels._structured import kernel_operator
from ntk_freq.kernels._operator import snapshot_steps

ETA, STEPS = 0.25, 600


def problem(dim: int, n: int):
    x, _ = midpoint_grid(10.0, n, dim)
    u0 = -np.exp(-np.sum(x**2, 1) / (2 * 1.5**2)) * np.sin(2 * x[:, 0] + (7 * x[:, 1] if dim > 1 else 0))
    return distribution("gaussian:3", dim), x, u0


def run(method: str, dim: int, n: int) -> dict:
    rho, x, u0 = problem(dim, n)
    times = snapshot_times(ETA, STEPS, 25)
    c0, w0 = time.process_time(), time.perf_counter()
    op = kernel_operator(rho, 0.5, "full", x=x, method=method)
    limit = op.stability_limit
    u = np.concatenate([op.flow(u0, times), op.gd(u0, ETA, snapshot_steps(times, ETA))])
    return dict(cpu=time.process_time() - c0, wall=time.perf_counter() - w0, u=u, limit=limit,
                N=len(x), scale=np.max(np.abs(u0)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the largest grids")
    args = parser.parse_args()
    both = [(1, 160), (1, 500), (1, 1000), (1, 2000), (1, 4000), (2, 32), (2, 64)]
    alone = [] if args.quick else [(1, 100_000), (2, 256)]
    print("| d | N | dense CPU [s] | dense wall [s] | structured CPU [s] | structured wall [s] | CPU ratio | wall ratio | diff | 2/λ_max rel. diff |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for dim, n in both + alone:
        s = run("structured", dim, n)
        d = run("dense", dim, n) if (dim, n) in both else None
        if d is None:
            dense_cpu = dense_wall = ratio = wall_ratio = diff = lim = "—"
        else:
            dense_cpu, ratio = f"{d['cpu']:.3g}", f"{d['cpu'] / s['cpu']:.1f}×"
            dense_wall, wall_ratio = f"{d['wall']:.3g}", f"{d['wall'] / s['wall']:.1f}×"
            diff = f"{np.max(np.abs(s['u'] - d['u'])) / s['scale']:.1e}"
            lim = f"{abs(s['limit'] / d['limit'] - 1):.1e}"
        print(f"| {dim} | {s['N']} | {dense_cpu} | {dense_wall} | {s['cpu']:.3g} | {s['wall']:.3g} | {ratio} | "
              f"{wall_ratio} | {diff} | {lim} |",
              flush=True)


if __name__ == "__main__":
    main()
