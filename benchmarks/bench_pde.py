"""Benchmark of the frequency-PDE solver: time per step and per DOF in d = 1, 2, 3, each step as
a ratio to one sparse mat-vec with the same matrix (the floor of a step), and assembly + solve
against NGSolve on the same 2-D problem when ``ngsolve`` is installed (it is not a dependency).

    python benchmarks/bench_pde.py            # prints a table; copy it to benchmarks/README.md
"""

from __future__ import annotations

import math
import time

import numpy as np

from ntk_freq.distributions._families import Gaussian
from ntk_freq.pde import fem
from ntk_freq.pde import time as pde_time
from ntk_freq.pde.mesh import build_mesh, default_domain

C, SIGMA_A = 0.05, 1.0


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def case(dim: int, h: float, n_steps: int, solver: str) -> dict:
    """Gaussian ρ_w (s = 2), P2, CN with the Rannacher start-up, û₀ a smooth bump."""
    rho = Gaussian(2.0, dim)
    domain = default_domain(rho)
    t_total = 50.0
    tau = t_total / n_steps

    def setup():
        basis = fem.make_basis(build_mesh(domain, h), 2)
        D, alpha = fem.coefficients(rho, SIGMA_A, C, xi=fem.quadrature_points(basis))
        M, A = fem.assemble(basis, D, alpha)
        return basis, M, A

    (basis, M, A), t_assembly = timed(setup)
    U0 = np.stack([np.exp(-0.5 * np.sum(basis.doflocs**2, axis=0))] * 2, axis=1)
    _, t_factor = timed(pde_time.linear_solver, M + 0.5 * tau * A, solver)
    _, t_run = timed(pde_time.crank_nicolson, M, A, U0, np.array([0.0, t_total]), tau,
                     solver=solver)
    step = (t_run - t_factor) / n_steps
    S = (M - 0.5 * tau * A).tocsr()
    reps = 20
    _, t_mv = timed(lambda: [S @ U0 for _ in range(reps)])
    return dict(dim=dim, dofs=basis.N, steps=n_steps, solver=solver, assembly=t_assembly,
                factor=t_factor, step=step, per_dof=step / basis.N, matvec=t_mv / reps,
                total=t_assembly + t_run, h=h, tau=tau, t_total=t_total, R=domain.radius)


def ngsolve_case(ours: dict) -> dict | None:
    """The same 2-D problem in NGSolve: P2 on an unstructured mesh of [−R, R]² with the same
    element size, mass and operator bilinear forms with the same coefficients, a sparse
    Cholesky of M + τA/2 and the same number of CN steps (assembly + solve timed)."""
    try:
        import ngsolve as ngs
        from netgen.geom2d import SplineGeometry
    except ImportError:
        return None
    ngs.SetNumThreads(1)
    R, h, tau = ours["R"], ours["h"], ours["tau"]
    geo = SplineGeometry()
    geo.AddRectangle((-R, -R), (R, R), bc="outer")
    # scikit-fem's tensor triangles have legs h; netgen's maxh is the longest edge ≈ h√2.
    mesh, t_mesh = timed(lambda: ngs.Mesh(geo.GenerateMesh(maxh=h * math.sqrt(2))))

    def assemble_and_solve():
        fes = ngs.H1(mesh, order=2)
        u, v = fes.TnT()
        rho_bar = ngs.exp(-(ngs.x**2 + ngs.y**2) / 8) / (8 * math.pi)
        alpha = C * (2 * math.pi) ** 2 * rho_bar
        m = ngs.BilinearForm(u * v * ngs.dx).Assemble()
        a = ngs.BilinearForm((SIGMA_A**2 * alpha * ngs.grad(u) * ngs.grad(v)
                              + alpha * u * v) * ngs.dx).Assemble()
        lhs = m.mat.CreateMatrix()
        lhs.AsVector().data = m.mat.AsVector() + 0.5 * tau * a.mat.AsVector()
        rhs_mat = m.mat.CreateMatrix()
        rhs_mat.AsVector().data = m.mat.AsVector() - 0.5 * tau * a.mat.AsVector()
        inv = lhs.Inverse(fes.FreeDofs(), inverse="sparsecholesky")
        gfu = ngs.GridFunction(fes)
        gfu.Set(ngs.exp(-(ngs.x**2 + ngs.y**2) / 2))
        tmp = gfu.vec.CreateVector()
        for _ in range(ours["steps"]):
            tmp.data = rhs_mat * gfu.vec
            gfu.vec.data = inv * tmp
        return fes.ndof

    ndof, t_total = timed(assemble_and_solve)
    return dict(dofs=ndof, total=t_total, mesh=t_mesh)


def main():
    rows = [case(1, 0.0023, 1000, "lu"), case(2, 0.105, 100, "lu"), case(3, 1.0, 20, "cg")]
    print(f"{'d':>2} {'DOFs':>8} {'solver':>6} {'steps':>6} {'assembly[s]':>11} "
          f"{'factor[s]':>9} {'step[ms]':>9} {'step/DOF[ns]':>12} {'mat-vec[ms]':>11} "
          f"{'step/mat-vec':>12} {'total[s]':>9}")
    for r in rows:
        print(f"{r['dim']:>2} {r['dofs']:>8} {r['solver']:>6} {r['steps']:>6} "
              f"{r['assembly']:>11.3f} {r['factor']:>9.3f} {1e3 * r['step']:>9.3f} "
              f"{1e9 * r['per_dof']:>12.1f} {1e3 * r['matvec']:>11.3f} "
              f"{r['step'] / r['matvec']:>12.1f} {r['total']:>9.2f}")
    ng = ngsolve_case(rows[1])
    if ng is None:
        print("NGSolve: not installed (pip install ngsolve) - peer comparison skipped")
    else:
        print(f"NGSolve, same 2-D problem (P2, {ng['dofs']} DOFs, {rows[1]['steps']} CN steps, "
              f"1 thread, meshing {ng['mesh']:.2f} s not counted): assembly + solve "
              f"{ng['total']:.2f} s; ours {rows[1]['total']:.2f} s ({rows[1]['dofs']} DOFs); "
              f"ratio ours/NGSolve per DOF "
              f"{(rows[1]['total'] / rows[1]['dofs']) / (ng['total'] / ng['dofs']):.2f}")


if __name__ == "__main__":
    main()
