"""The 3-D frequency PDE and its exact-in-time Lanczos integrator (the 3-D default) against
exact solutions of docs/theory.md and against the dense generalised eigenproblem.

- the Lanczos integrator against :func:`ntk_freq.pde.time.eigen_exact` (dense A V = M V Λ, an
  independent route) on the same 3-D matrices: both exact in time, so they agree to the
  Lanczos tolerance (1e-13 of ‖U₀‖_M) times the CG solves' 1e-12: we allow 1e-9 relative;
- the 3-D band mode of a uniform ρ_w (theory case 3 in d = 3: the product of 1-D Neumann modes
  decays at r = c(2π)³/(2B)³ [1 + σ_a² Σ_i (n_i π/(2B))²]), P2 elements;
- the readout part (W frozen, theory case 1): û(ξ, t) = û₀(ξ) exp(−c(2π)³ ρ̄_w(ξ) t) for a
  Gaussian ρ_w, P2 elements.
Spatial tolerances come from the P2 projection error of the exact solution on the mesh,
which the solver reports as ``resolution`` (relative L² error of û₀'s projection)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ntk_freq.distributions._families import Gaussian, Uniform
from ntk_freq.data._fourier import relative_l2
from ntk_freq.pde import fem, solve_frequency_pde
from ntk_freq.pde import time as pde_time
from ntk_freq.pde.mesh import Domain, build_mesh


def band_mode(B, n):
    n = np.asarray(n)
    return lambda xi: np.prod(np.cos(n * np.pi * (xi + B) / (2 * B)), axis=-1) + 0j


def test_lanczos_matches_dense_eigenproblem():
    """A 3-D P2 system (9³ = 729 DOFs, Gaussian ρ_w, full part), 5 times up to t = 20
    (t λ_max(M⁻¹A) ≈ 10³: a hundred-odd Lanczos steps)."""
    rho = Gaussian(1.0, 3)
    basis = fem.make_basis(build_mesh(Domain("box", 4.0, 3), 2.0), 2)
    assert basis.N == 729
    D, alpha = fem.coefficients(rho, 1.0, 0.05, xi=fem.quadrature_points(basis))
    M, A = fem.assemble(basis, D, alpha)
    xi = basis.doflocs.T
    U0 = np.stack([np.exp(-np.sum(xi**2, 1) / 2), np.cos(xi[:, 0]) * np.exp(-np.sum(xi**2, 1))], 1)
    times = np.array([0.0, 0.5, 2.0, 5.0, 20.0])
    ref = pde_time.eigen_exact(M, A, U0, times)
    m_solve = pde_time.jacobi_cg(M)
    U = pde_time.lanczos_exact(M, A, U0, times, lambda x: m_solve(x[:, None])[:, 0])
    assert np.max(np.abs(U - ref)) < 1e-9 * np.max(np.abs(U0))


def test_band_mode_3d_p2():
    """Uniform ρ_w on [−B, B]³, mode n = (1, 0, 2), full part, t = 1 (e^{−rt} ≈ 0.45): the P2
    error is the projection error of the mode (reported as resolution ~1e-3 at h = B/4)."""
    B, c, s, n, t = 2.0, 0.05, 1.0, (1, 0, 2), 1.0
    sol = solve_frequency_pde(Uniform(B, 3), s, c, u0_hat=band_mode(B, n), times=[t], mesh_size=B / 4,
                              order=2, resolution_tol=1.0)
    assert sol.scheme == "lanczos" and sol.n_dofs > 1000
    rate = c * (2 * np.pi) ** 3 / (2 * B) ** 3 * (1 + s**2 * np.sum((np.array(n) * np.pi / (2 * B)) ** 2))
    xi = np.random.default_rng(2).uniform(-B, B, size=(2000, 3))
    exact = band_mode(B, n)(xi) * np.exp(-rate * t)
    assert 0.1 < np.exp(-rate * t) < 0.9
    assert relative_l2(sol(xi, t), exact) < 5 * sol.resolution["u0_hat"]


@pytest.mark.slow  # ~10 s: a 4913-DOF P2 solve and 2000 evaluations
def test_readout_closed_form_3d():
    """W frozen: û(ξ, t) = û₀(ξ) e^{−c(2π)³ρ̄_w(ξ)t}, Gaussian ρ_w (s = 1), û₀ a Gaussian bump.
    At ξ = 0 the decay is e^{−c(2π)³ t/(2π)^{3/2}}: t chosen so it is e^{−2}. Ω = [−5, 5]³
    leaves ~2e-6 of ρ_w's mass outside (mass_tol 1e-5)."""
    rho, c = Gaussian(1.0, 3), 0.05
    t = 2.0 / (c * (2 * np.pi) ** 1.5)
    u0 = lambda xi: np.exp(-np.sum(xi**2, axis=-1) / 4) + 0j  # noqa: E731
    sol = solve_frequency_pde(rho, 1.0, c, u0_hat=u0, times=[t / 4, t], part="readout", domain=5.0,
                              mass_tol=1e-5, mesh_size=1.25, resolution_tol=1.0)
    assert sol.scheme == "lanczos"
    xi = np.random.default_rng(3).uniform(-3, 3, size=(2000, 3))
    for tt in (t / 4, t):
        exact = u0(xi) * np.exp(-c * (2 * math.pi) ** 3 * rho.symmetrised_pdf(xi) * tt)
        err = relative_l2(sol(xi, tt), exact)
        assert err < 10 * max(sol.resolution.values()), (tt, err, sol.resolution)
