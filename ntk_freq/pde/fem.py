"""Coefficients and the finite-element discretisation of the frequency PDE (docs/theory.md, (E3)):

    ∂_t û = ∇·(D ∇û) − α û,   D(ξ) = c (2π)^d σ_a² ρ̄_w(ξ),   α(ξ) = c (2π)^d ρ̄_w(ξ),

with zero flux D ∂_n û = 0 on ∂Ω. Weak form, written once for every d: find û ∈ H¹(Ω) with

    ∫ ∂_t û v dξ + a(û, v) = 0 ∀ v,   a(u, v) = ∫ D ∇u·∇v + α u v dξ,

semi-discretely M U' = −A U (M mass, A = stiffness + damping, both symmetric, A ⪰ 0). D and α
are evaluated exactly at the quadrature points (no interpolation of ρ̄_w). The trained part
selects the terms: "full" both, "readout" (W frozen) only α, "frequency" (only W) only D.
"""

from __future__ import annotations

import math

import numpy as np
from skfem import (Basis, BilinearForm, ElementLineP1, ElementLineP2, ElementTetP1, ElementTetP2,
                   ElementTriP1, ElementTriP2, LinearForm, asm)
from skfem.helpers import dot, grad

from ntk_freq.distributions._families import FrequencyDistribution
from ntk_freq._util import validation as v
from ntk_freq._util.validation import PARTS  # noqa: F401 (ntk_freq.pde re-exports it)
ORDERS = (1, 2)

_ELEMENTS = {
    (1, 1): ElementLineP1, (1, 2): ElementLineP2,
    (2, 1): ElementTriP1, (2, 2): ElementTriP2,
    (3, 1): ElementTetP1, (3, 2): ElementTetP2,
}


def coefficients(rho: FrequencyDistribution, sigma_a: float, density: float, *, xi,
                 part: str = "full") -> tuple[np.ndarray, np.ndarray]:
    """(D(ξ), α(ξ)) at points ξ of shape (..., d): D = c (2π)^d σ_a² ρ̄_w, α = c (2π)^d ρ̄_w, with
    D = 0 for part "readout" and α = 0 for part "frequency". c = ``density`` = 1/|D_data|;
    units: D in (frequency)²/time, α in 1/time (time t = η · step)."""
    v.instance("rho", rho, FrequencyDistribution, "a FrequencyDistribution (ntk_freq.distributions)")
    sigma_a, density = v.std("sigma_a", sigma_a), v.scale("density", density)
    v.choice("part", part, v.PARTS)
    return coefficients_from_density(rho.symmetrised_pdf(v.points("xi", xi, rho.dim)), rho.dim,
                                     sigma_a, density, part)


def coefficients_from_density(rho_bar: np.ndarray, dim: int, sigma_a: float, density: float,
                              part: str = "full") -> tuple[np.ndarray, np.ndarray]:
    """(D, α) of :func:`coefficients` from values of ρ̄_w already at hand."""
    alpha = density * (2 * math.pi) ** dim * rho_bar
    zero = np.zeros_like(alpha)
    return (zero if part == "readout" else sigma_a**2 * alpha), (zero if part == "frequency" else alpha)


@BilinearForm
def mass_form(u, v, w):
    """m(u, v) = ∫ u v dξ."""
    return u * v


@BilinearForm
def operator_form(u, v, w):
    """a(u, v) = ∫ D ∇u·∇v + α u v dξ (D, α given at the quadrature points)."""
    return w.D * dot(grad(u), grad(v)) + w.alpha * u * v


@BilinearForm
def weighted_operator_form(u, v, w):
    """a(q u, v) = ∫ D ∇(q u)·∇v + α q u v dξ = ∫ D (q ∇u + u ∇q)·∇v + α q u v dξ: the plain
    operator acting on q û, for an operator loss with weight q(ξ) = Σ|P_k(ξ)|² (q and ∇q given
    at the quadrature points; not symmetric)."""
    return w.D * (w.q * dot(grad(u), grad(v)) + u * dot(w.dq, grad(v))) + w.alpha * w.q * u * v


@LinearForm
def load_form(v, w):
    """b(v) = ∫ f v dξ (f given at the quadrature points)."""
    return w.f * v


def make_basis(mesh, order: int) -> Basis:
    """The P1/P2 Lagrange basis on ``mesh`` with quadrature exact to degree 2·order + 2 (the
    coefficients are not polynomials; this keeps the quadrature error below the P2 error)."""
    return Basis(mesh, _ELEMENTS[(mesh.dim(), order)](), intorder=2 * order + 2)


def quadrature_points(basis: Basis) -> np.ndarray:
    """The global quadrature points, shape (n_elements, n_qp, d)."""
    return np.moveaxis(np.asarray(basis.global_coordinates()), 0, -1)


def assemble(basis: Basis, D: np.ndarray, alpha: np.ndarray):
    """(M, A) as CSR matrices, D and α given at the quadrature points (n_elements, n_qp)."""
    return asm(mass_form, basis).tocsr(), asm(operator_form, basis, D=D, alpha=alpha).tocsr()


def l2_projection(basis: Basis, mass_solve, f: np.ndarray) -> np.ndarray:
    """Coefficients of the L² projection of f given at the quadrature points: complex values
    (n_elements, n_qp) → real array (n_dofs, 2) of (Re, Im) columns; ``mass_solve`` applies M⁻¹.
    It keeps ∫ f dξ exactly (constants are in the space) and is the optimal L² approximation."""
    b = np.column_stack([asm(load_form, basis, f=part) for part in (f.real, f.imag)])
    return mass_solve(b)


def integral(basis: Basis, f: np.ndarray):
    """∫_Ω f dξ of values at the quadrature points (n_elements, n_qp), by the mesh quadrature."""
    return np.sum(f * basis.dx)


def relative_projection_error(basis: Basis, U: np.ndarray, f: np.ndarray) -> float:
    """‖Π f − f‖ / ‖f‖ in L²(Ω) (mesh quadrature): the resolution estimate of the mesh for f,
    with Π f the finite-element field of coefficients U (n_dofs, 2) = (Re, Im). inf when f
    vanishes at every quadrature point: the mesh does not see f at all (unresolved)."""
    fh = np.asarray(basis.interpolate(U[:, 0])) + 1j * np.asarray(basis.interpolate(U[:, 1]))
    norm = math.sqrt(integral(basis, np.abs(f) ** 2))
    return math.sqrt(integral(basis, np.abs(fh - f) ** 2)) / norm if norm > 0 else math.inf
