"""Design through depth (ntk_freq.deep_design) timings for benchmarks/README.md, as ratios to
references computed in the same run.

    python benchmarks/bench_deep_design.py [--points 201] [--repeats 3]

1. The Gauss–Newton fit of design_deep_rho (flat rates on |ξ| ≤ 8, relu, two hidden layers)
   with the analytic Toeplitz + Hankel Jacobian vs the same fit with scipy's finite-difference
   Jacobian (one map evaluation per node per step), both warm (stax compiled).
2. The whole design_deep_rho (fit + the check of the designed and baseline ρ_w by
   effective_densities) vs the two-layer design_rho with W frozen (σ_a = 0) for the same
   objective and grid.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from bench_kernels import best_time  # same folder: the scripts run as `python benchmarks/…`

from ntk_freq.design import _deep as dd
from ntk_freq.design._design import RateProfile, design_rho

NET = dict(hidden=(1, 1), activation="relu", w_std=1.0, b_std=0.0)
C = 1 / 20


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=201)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    obj = RateProfile(1.0, (0, 8), absolute=False)
    h, n = dd._grid(obj, args.points)
    damping = dd.DampingMap(h, n, NET)
    band = np.ones(n + 1, bool)
    alpha_wanted = dd.frozen_rho(obj.wanted_times(damping.xi), obj.epsilon, C)
    v0 = dd._start(damping.xi, band, alpha_wanted, damping.mass, False)

    def fit(by):
        return dd._fit(damping, band, alpha_wanted, False, v0, 200, jacobian_by=by)

    fit("analytic")  # compile stax for these shapes
    t_an, (_, r_an, ev_an) = best_time(lambda: fit("analytic"), args.repeats)
    t_fd, (_, r_fd, ev_fd) = best_time(lambda: fit("2-point"), 1)
    res = [float(np.abs(np.exp(-r) - 1).max()) for r in (r_an, r_fd)]
    rows = [(f"deep design fit, {n + 1} nodes, relu L = 3 ({ev_an} evaluations, max|t/τ−1| "
             f"{res[0]:.0e})", f"finite-difference Jacobian ({ev_fd} evaluations, {res[1]:.0e})",
             t_an, t_fd, f"{t_fd / t_an:.0f}× faster")]
    dd.design_deep_rho(obj, density=C, n_points=args.points, **NET)
    t_deep, _ = best_time(lambda: dd.design_deep_rho(obj, density=C, n_points=args.points, **NET),
                          args.repeats)
    t_two, _ = best_time(lambda: design_rho(obj, sigma_a=0.0, density=C, n_points=args.points),
                         args.repeats)
    rows.append((f"design_deep_rho, {args.points} nodes (fit + checks)",
                 "two-layer design_rho, W frozen", t_deep, t_two, f"{t_deep / t_two:.1f}× slower"))
    print("| task | reference | ours [s] | reference [s] | ratio |\n|---|---|---|---|---|")
    for task, ref, ours, theirs, ratio in rows:
        print(f"| {task} | {ref} | {ours:.3g} | {theirs:.3g} | {ratio} |")


if __name__ == "__main__":
    main()
