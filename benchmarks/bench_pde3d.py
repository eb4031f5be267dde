"""3-D frequency PDE: the old default time integration (Crank–Nicolson, Jacobi-preconditioned
CG warm-started from the previous step) against the new default (exact in time: one Lanczos
run on M⁻¹A in the M-inner product for all output times, M⁻¹ by Jacobi CG), in one run.

    python benchmarks/bench_pde3d.py [--cells 16]

Problem: the `ntk-freq pde --rho gaussian:4 --dim 3` defaults (σ_a = 1, c = 0.05, target
windowed-sines:4,12, 61 output times up to t = 200, CN step dt = 200/400), P2 on the default
box with 2·cells elements per axis (the CLI's first mesh has cells = 16: 274 625 DOFs).
Costs are CPU seconds and "mat-vec equivalents": CPU time over that of one sparse product with
the system matrix on both columns (Re, Im), measured in the same run; "per CN step" divides by
the CN run's number of steps. "gap" is the max difference of the two solutions over the
output times relative to max |U₀| (CN's time-discretisation error).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from ntk_freq.distributions._spec import distribution
from ntk_freq.pde import fem, solve as pde_solve
from ntk_freq.pde import time as pde_time
from ntk_freq.pde.mesh import breakpoints, default_domain
from ntk_freq.data._targets import initial_error_hat, target


def cpu(fn, *args, **kwargs):
    start = time.process_time()
    out = fn(*args, **kwargs)
    return out, time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=8, help="R/h (the CLI's first mesh: 16)")
    args = parser.parse_args()
    rho = distribution("gaussian:4", 3)
    omega = default_domain(rho)
    h = omega.radius / args.cells
    disc, t_disc = cpu(pde_solve._discretise, rho, omega, breakpoints(rho), h, 2,
                       initial_error_hat(target("windowed-sines:4,12", 3)), "cg")
    D, alpha = fem.coefficients_from_density(disc.rho_q, 3, 1.0, 0.05, "full")
    A = fem.assemble(disc.basis, D, alpha)[1]
    M, U0 = disc.M, disc.U0
    times = np.linspace(0.0, 200.0, 61)
    dt = times[-1] / pde_solve.DEFAULT_STEPS
    n_steps = sum(max(1, math.ceil((b - a) / dt - 1e-9)) for a, b in zip(times[:-1], times[1:]))
    tau = (times[1] - times[0]) / math.ceil((times[1] - times[0]) / dt - 1e-9)
    S = (M + 0.5 * tau * A).tocsr()
    reps = 20
    _, t_mv = cpu(lambda: [S @ U0 for _ in range(reps)])
    t_mv /= reps
    U_cn, t_cn = cpu(pde_time.crank_nicolson, M, A, U0, times, dt, solver="cg")
    m_solve = pde_time.linear_solver(M, "cg")
    U_lz, t_lz = cpu(pde_time.lanczos_exact, M, A, U0, times, lambda x: m_solve(x[:, None])[:, 0])
    gap = np.max(np.abs(U_cn - U_lz)) / np.max(np.abs(U0))
    print(f"{disc.basis.N} DOFs (P2, R/h = {args.cells}), discretisation {t_disc:.1f} s CPU, "
          f"one mat-vec {1e3 * t_mv:.2f} ms CPU, {n_steps} CN steps")
    print("| integrator | CPU [s] | mat-vec equivalents | per CN step | ratio to CN |")
    print("|---|---|---|---|---|")
    for name, t in (("Crank–Nicolson + Jacobi CG (old default)", t_cn),
                    ("Lanczos exact in time + Jacobi CG for M⁻¹ (new default)", t_lz)):
        print(f"| {name} | {t:.1f} | {t / t_mv:.0f} | {t / t_mv / n_steps:.1f} | {t_cn / t:.1f}× |")
    print(f"max |U_CN − U_Lanczos| / max |U₀| = {gap:.1e}")


if __name__ == "__main__":
    main()
