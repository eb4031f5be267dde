"""Initialisation design on a 2000-point frequency grid: wall time of ``design_rho`` as a ratio
to one PDE solve (the learning-time solve each fixed-point iteration does: P1 assembly on the
same grid, one LU, Crank–Nicolson over the same steps).

    python benchmarks/bench_design.py
"""

import time
import timeit

import numpy as np

import ntk_freq  # noqa: F401
from ntk_freq.design._design import design_rho, learning_times, make_objective

N_POINTS, SIGMA_A, C = 2000, 3.0, 0.05
CASES = [
    ("flat, |ξ| ≤ 8", make_objective("flat", (0, 8))),
    ("rising ×4, |ξ| ≤ 8", make_objective("rising", (0, 8), slope=3.0)),
    ("reach ε=1% by T=300, |ξ| ≤ 8", make_objective("reach", (0, 8), epsilon=0.01, T=300.0)),
]


def main():
    print(f"{'objective':<30} {'design [s]':>10} {'iters':>6} {'residual':>9} "
          f"{'1 solve [s]':>11} {'ratio':>7} {'worst G(s=hi)/designed':>23}")
    for name, obj in CASES:
        t0 = time.perf_counter()
        d = design_rho(obj, sigma_a=SIGMA_A, density=C, n_points=N_POINTS)
        t_design = time.perf_counter() - t0
        xi = d.rho.axes[0]
        n_steps = d.curve_times.size - 1  # the report's solves use twice the loop's steps
        t_solve = min(timeit.repeat(lambda: learning_times(
            d.rho, SIGMA_A, C, xi=xi, epsilon=d.epsilon, t_max=d.curve_times[-1] / 2, n_steps=n_steps // 2),
            number=1, repeat=3))
        gain = d.worst_time("gaussian") / d.worst_time()
        print(f"{name:<30} {t_design:10.2f} {d.iterations:6d} {d.residual:9.3g} "
              f"{t_solve:11.3f} {t_design / t_solve:7.1f} {gain:23.2f}")


if __name__ == "__main__":
    main()
